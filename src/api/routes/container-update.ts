import { InvalidParameterError, NotImplementedError } from '../../core/errors.js';
import type { ContainerService } from '../../engine/containers/container-service.js';
import { readJsonBody, sendJson } from '../http-context.js';
import type { Route } from '../route.js';

function isZero(v: unknown): boolean {
  return v === undefined || v === null || v === 0 || v === '' || (Array.isArray(v) && v.length === 0);
}

/**
 * `POST /containers/{id}/update`: the restart policy (`docker update --restart`). Resource
 * limits are refused by name until they are supported, never ignored.
 */
export function containerUpdateRoutes(containers: ContainerService): Route[] {
  return [
    {
      method: 'POST',
      path: '/containers/:id/update',
      coverage: () => ({ state: 'partial', note: 'RestartPolicy; resource limits answer 501' }),
      handler: async ({ req, res, params }) => {
        const body = (await readJsonBody<Record<string, unknown>>(req)) ?? {};
        if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidParameterError('update config must be a JSON object');
        const other = Object.entries(body).find(([k, v]) => k !== 'RestartPolicy' && !isZero(v) && !(k === 'MemorySwappiness' && v === -1));
        containers.get(params.id ?? '');
        if (other) throw new NotImplementedError(`updating ${other[0]} is not supported by this Berth version yet`);
        if (body.RestartPolicy !== undefined) await containers.updateRestartPolicy(params.id ?? '', body.RestartPolicy);
        sendJson(res, 200, { Warnings: [] });
      },
    },
  ];
}
