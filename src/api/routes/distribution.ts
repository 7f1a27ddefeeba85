import type { IncomingMessage } from 'node:http';
import { InvalidParameterError } from '../../core/errors.js';
import type { Lazy } from '../../core/lazy.js';
import type { DistributionService } from '../../engine/images/distribution/distribution-service.js';
import type { RegistryCredentials } from '../../engine/images/distribution/registry-http.js';
import { queryInt, readJsonBody, sendJson } from '../http-context.js';
import type { Route } from '../route.js';

/** X-Registry-Auth: base64url JSON of docker's AuthConfig (`e30=` is `{}`, anonymous). */
export function registryAuth(req: IncomingMessage): RegistryCredentials | undefined {
  const header = req.headers['x-registry-auth'];
  if (typeof header !== 'string' || header === '') return undefined;
  try {
    const json = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as RegistryCredentials & Record<string, unknown>;
    const creds: RegistryCredentials = {};
    if (typeof json.username === 'string' && json.username) creds.username = json.username;
    if (typeof json.password === 'string') creds.password = json.password;
    if (typeof json.identitytoken === 'string' && json.identitytoken) creds.identitytoken = json.identitytoken;
    if (typeof json.registrytoken === 'string' && json.registrytoken) creds.registrytoken = json.registrytoken;
    return Object.keys(creds).length > 0 ? creds : undefined;
  } catch {
    throw new InvalidParameterError('invalid X-Registry-Auth header: expected base64url-encoded JSON');
  }
}

export function distributionRoutes(distribution: Lazy<DistributionService>): Route[] {
  return [
    {
      method: 'POST',
      path: '/auth',
      handler: async ({ req, res }) => {
        const body = (await readJsonBody<RegistryCredentials & { serveraddress?: string }>(req)) ?? {};
        sendJson(res, 200, await (await distribution()).login(body));
      },
    },
    {
      method: 'GET',
      path: '/images/search',
      coverage: () => ({ state: 'partial', note: 'the v1 search API where a registry has it, else its catalog; filters are ignored' }),
      handler: async ({ req, res, query }) => {
        const limit = queryInt(query, 'limit') ?? 25;
        sendJson(res, 200, await (await distribution()).search(query.get('term') ?? '', limit, registryAuth(req)));
      },
    },
  ];
}
