import { NotFoundError, NotImplementedError } from '../../core/errors.js';
import { checkFilterKeys } from '../../engine/images/image-filters.js';
import { queryFilters, sendJson, type RequestContext } from '../http-context.js';
import type { Route } from '../route.js';

const PLUGIN_FILTERS: ReadonlySet<string> = new Set(['enabled', 'capability']);
/** What `POST /plugins/{name}/<action>` may be; anything else is no endpoint at all. */
const ACTIONS = new Set(['enable', 'disable', 'set', 'push', 'upgrade']);

/** dockerd's words for a plugin it does not have. */
function notFound(name: string): NotFoundError {
  return new NotFoundError(`plugin "${name}" not found`);
}

const noInstall = (): Promise<void> => {
  throw new NotImplementedError('installing plugins is not supported by this Berth version: it runs no plugins (volumes use the local driver, networks the built-in drivers)');
};

/**
 * Berth runs no plugins, so these answer as a dockerd that has none does: an empty list, no
 * privileges, and "not found" for any name. Only installing one (pull, create) is refused.
 */
export function pluginRoutes(): Route[] {
  const named = async ({ req, params }: RequestContext): Promise<void> => {
    const rest = params['*'] ?? '';
    const method = req.method ?? 'GET';
    if (method === 'DELETE') throw notFound(rest);
    const slash = rest.lastIndexOf('/');
    const action = rest.slice(slash + 1);
    const name = rest.slice(0, slash);
    if (slash > 0 && method !== 'POST' && action === 'json') throw notFound(name);
    if (slash > 0 && method === 'POST' && ACTIONS.has(action)) throw notFound(name);
    throw new NotFoundError('page not found');
  };
  return [
    {
      method: 'GET',
      path: '/plugins',
      coverage: () => ({ state: 'partial', note: 'Berth runs no plugins: always `[]`, as a dockerd without any answers' }),
      handler: async ({ res, query }) => {
        checkFilterKeys(queryFilters(query), PLUGIN_FILTERS);
        sendJson(res, 200, []);
      },
    },
    {
      method: 'GET',
      path: '/plugins/privileges',
      coverage: () => ({ state: 'partial', note: 'always `[]`: no plugin is installed from a registry' }),
      // dockerd 20.10 answers so even when it cannot reach the registry.
      handler: async ({ res }) => sendJson(res, 200, []),
    },
    { method: 'POST', path: '/plugins/pull', handler: noInstall, coverage: () => ({ state: 'not yet', note: 'Berth runs no plugins: 501' }) },
    { method: 'POST', path: '/plugins/create', handler: noInstall, coverage: () => ({ state: 'not yet', note: 'Berth runs no plugins: 501' }) },
    ...(['GET', 'POST', 'DELETE'] as const).map((method) => ({
      method,
      path: '/plugins/*',
      handler: named,
      coverage: () => ({ state: 'partial' as const, note: 'no plugin is ever installed: 404 "plugin X not found", as a dockerd without plugins' }),
    })),
  ];
}
