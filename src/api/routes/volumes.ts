import { InvalidParameterError } from '../../core/errors.js';
import type { VolumeCreateOptions, VolumeService } from '../../engine/volumes/volume-service.js';
import { queryBool, queryFilters, readJsonBody, sendJson, sendNoContent } from '../http-context.js';
import type { Route } from '../route.js';
import { volumePruneFilters } from '../version-gates.js';

export function volumeRoutes(volumes: VolumeService): Route[] {
  return [
    { method: 'GET', path: '/volumes', handler: async ({ res, query }) => sendJson(res, 200, volumes.list(queryFilters(query))) },
    {
      method: 'POST',
      path: '/volumes/create',
      handler: async ({ req, res }) => {
        const body = (await readJsonBody<VolumeCreateOptions>(req)) ?? {};
        if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidParameterError('volume config must be a JSON object');
        sendJson(res, 201, await volumes.create(body));
      },
    },
    { method: 'POST', path: '/volumes/prune', handler: async ({ res, query, apiVersion }) => sendJson(res, 200, await volumes.prune(volumePruneFilters(queryFilters(query), apiVersion))) },
    { method: 'GET', path: '/volumes/:name', handler: async ({ res, params }) => sendJson(res, 200, volumes.inspect(params.name ?? '')) },
    {
      method: 'PUT',
      path: '/volumes/:name',
      handler: async () => {
        throw new InvalidParameterError('volume updates are only for cluster volumes, which Berth does not have');
      },
      coverage: () => ({ state: 'partial', note: 'updates are for swarm cluster volumes only: answers 400' }),
    },
    {
      method: 'DELETE',
      path: '/volumes/:name',
      handler: async ({ res, params, query }) => {
        await volumes.remove(params.name ?? '', queryBool(query, 'force'));
        sendNoContent(res);
      },
    },
  ];
}
