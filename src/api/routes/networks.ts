import type { NetworkApi } from '../../engine/networks/network-api.js';
import type { NetworkCreateRequest } from '../../engine/networks/network-service.js';
import { queryFilters, readJsonBody, sendJson, sendNoContent } from '../http-context.js';
import type { Route } from '../route.js';

export function networkRoutes(networks: NetworkApi): Route[] {
  return [
    { method: 'GET', path: '/networks', handler: async ({ res, query }) => sendJson(res, 200, networks.list(queryFilters(query))) },
    { method: 'GET', path: '/berth/v1/networks/doctor', summary: 'Networks whose subnet a host route covers, and addresses on Berth\'s bridges beyond their gateway, each finding with its fix: `{"Findings": […]}`. `berth network doctor`.', handler: async ({ res }) => sendJson(res, 200, { Findings: await networks.doctor() }) },
    { method: 'GET', path: '/berth/v1/ports/audit', summary: 'Each published port: whether other hosts can reach it, why, and how to change that. `berth port audit`.', handler: async ({ res }) => sendJson(res, 200, await networks.portAudit()) },
    { method: 'GET', path: '/networks/:id', handler: async ({ res, params }) => sendJson(res, 200, networks.inspect(params.id ?? '')) },
    {
      method: 'POST',
      path: '/networks/create',
      handler: async ({ req, res, apiVersion }) => {
        const body: NetworkCreateRequest = (await readJsonBody(req)) ?? {};
        // Below 1.44 `CheckDuplicate: false` lets a second network take a name; from 1.44 names are unique.
        sendJson(res, 201, await networks.create(body, { allowDuplicateName: apiVersion < 1.44 && body.CheckDuplicate === false }));
      },
    },
    { method: 'POST', path: '/networks/prune', handler: async ({ res, query }) => sendJson(res, 200, await networks.prune(queryFilters(query))) },
    {
      method: 'POST',
      path: '/networks/:id/connect',
      handler: async ({ req, res, params }) => {
        await networks.connect(params.id ?? '', (await readJsonBody(req)) ?? {});
        sendNoContent(res, 200);
      },
    },
    {
      method: 'POST',
      path: '/networks/:id/disconnect',
      handler: async ({ req, res, params }) => {
        await networks.disconnect(params.id ?? '', (await readJsonBody(req)) ?? {});
        sendNoContent(res, 200);
      },
    },
    {
      method: 'DELETE',
      path: '/networks/:id',
      handler: async ({ res, params }) => {
        await networks.remove(params.id ?? '');
        sendNoContent(res);
      },
    },
  ];
}
