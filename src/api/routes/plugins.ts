import { InvalidParameterError, NotFoundError, NotImplementedError } from '../../core/errors.js';
import type { Lazy } from '../../core/lazy.js';
import { checkFilterKeys } from '../../core/filters.js';
import type { PluginService } from '../../engine/plugins/plugin-service.js';
import { queryFilters, sendJson, type RequestContext } from '../http-context.js';
import type { Route } from '../route.js';
import { splitNamedPath } from '../named-path.js';

const PLUGIN_FILTERS: ReadonlySet<string> = new Set(['enabled', 'capability']);
/** What `POST /plugins/{name}/<action>` may be; anything else is no endpoint at all. */
const ACTIONS = ['enable', 'disable', 'set', 'push', 'upgrade'] as const;

const NEVER_RUNS = 'Berth runs no plugins: 501 for a created one, 404 "plugin X not found" for others, as dockerd';
const PLUGIN_COVERAGE: Record<string, { state: 'partial' | 'done'; note: string }> = {
  '/json': { state: 'done', note: 'plugins made with `plugin create`; others 404 as dockerd' },
  '': { state: 'done', note: 'plugins made with `plugin create`; others 404 as dockerd' },
  '/disable': { state: 'partial', note: 'a plugin is never enabled: 409 "already disabled", as dockerd' },
  '/enable': { state: 'partial', note: NEVER_RUNS },
  '/set': { state: 'partial', note: NEVER_RUNS },
  '/push': { state: 'partial', note: NEVER_RUNS },
  '/upgrade': { state: 'partial', note: NEVER_RUNS },
};

const noInstall = (): Promise<void> => {
  throw new NotImplementedError('installing plugins from a registry is not supported by this Berth version: it runs no plugins (volumes use the local driver, networks the built-in drivers)');
};

/**
 * Berth runs no plugins: these answer as a dockerd whose plugins are all disabled does. A plugin
 * made with `docker plugin create` is kept, listed, inspected and removed; enabling one, and
 * installing from a registry, are refused (501).
 */
export function pluginRoutes(plugins: Lazy<PluginService>): Route[] {
  const named = async ({ req, res, params, query }: RequestContext): Promise<void> => {
    const method = req.method ?? 'GET';
    const service = await plugins();
    const { name, action } = splitNamedPath(params['*'] ?? '', method, ['json', ...ACTIONS]);
    if (action === 'delete') {
      await service.remove(name);
      res.writeHead(200);
      res.end();
      return;
    }
    // `json` is read with GET; every other action is a POST.
    if ((action === 'json') !== (method !== 'POST')) throw new NotFoundError('page not found');
    if (action === 'json') return sendJson(res, 200, service.inspect(name));
    if (action === 'disable') return service.disable(name);
    if (action === 'enable') {
      if (query.get('timeout') !== null && !/^-?\d+$/.test(query.get('timeout') ?? '')) throw new InvalidParameterError(`invalid timeout: ${query.get('timeout') ?? ''}`);
      return service.enable(name);
    }
    service.inspect(name);
    throw new NotImplementedError(`plugin ${action} is not supported by this Berth version: it does not run plugins`);
  };
  return [
    {
      method: 'GET',
      path: '/plugins',
      coverage: () => ({ state: 'partial', note: 'plugins made with `plugin create`, always disabled: Berth runs no plugins' }),
      handler: async ({ res, query }) => {
        const filters = queryFilters(query);
        checkFilterKeys(filters, PLUGIN_FILTERS);
        sendJson(res, 200, (await plugins()).list(filters));
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
    {
      method: 'POST',
      path: '/plugins/create',
      coverage: () => ({ state: 'partial', note: 'kept and inspectable, never enabled: Berth runs no plugins' }),
      handler: async ({ req, res, query }) => {
        const name = query.get('name');
        if (!name) throw new InvalidParameterError('plugin name is required: name=REPOSITORY[:TAG]');
        await (await plugins()).create(name, req);
        res.writeHead(204);
        res.end();
      },
    },
    ...(['GET', 'POST', 'DELETE'] as const).map((method) => ({
      method,
      path: '/plugins/*',
      handler: named,
      coverage: (_: string, swaggerPath: string) => PLUGIN_COVERAGE[swaggerPath.replace('/plugins/{name}', '')] ?? { state: 'partial' as const },
    })),
  ];
}
