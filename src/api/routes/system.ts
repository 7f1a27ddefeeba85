import type { SystemService } from '../../engine/system/system-service.js';
import { API_VERSION, MIN_API_VERSION } from '../api-version.js';
import { sendJson, sendText } from '../http-context.js';
import type { Route } from '../route.js';

export function systemRoutes(system: SystemService): Route[] {
  const ping = async ({ req, res }: Parameters<Route['handler']>[0]): Promise<void> => {
    res.setHeader('Builder-Version', '1');
    res.setHeader('Swarm', 'inactive');
    res.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
    res.setHeader('Pragma', 'no-cache');
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 0 });
      res.end();
      return;
    }
    sendText(res, 200, 'OK');
  };
  return [
    { method: 'GET', path: '/_ping', handler: ping },
    { method: 'GET', path: '/version', handler: async ({ res }) => sendJson(res, 200, await system.version(API_VERSION, MIN_API_VERSION)) },
    { method: 'GET', path: '/info', handler: async ({ res }) => sendJson(res, 200, await system.info()) },
    {
      method: 'GET',
      path: '/plugins',
      coverage: () => ({ state: 'partial', note: 'Berth runs no plugins: always `[]`, as a dockerd without any answers' }),
      handler: async ({ res }) => sendJson(res, 200, []),
    },
    {
      method: 'GET',
      path: '/system/df',
      coverage: () => ({ state: 'partial', note: 'images, containers and volumes; no build cache yet' }),
      handler: async ({ res }) => sendJson(res, 200, await system.diskUsage()),
    },
  ];
}
