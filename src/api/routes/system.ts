import { InvalidParameterError } from '../../core/errors.js';
import type { SystemService } from '../../engine/system/system-service.js';
import { API_VERSION, MIN_API_VERSION } from '../api-version.js';
import { sendJson, sendText } from '../http-context.js';
import type { Route } from '../route.js';
import { DISK_USAGE_GATES, DISK_USAGE_IMAGE_GATES, gateEach, gateFields, INFO_GATES } from '../version-gates.js';

/** `GET /system/df?type=…`: the response fields each type fills. */
const DF_TYPES: Record<string, string[]> = { container: ['Containers'], image: ['Images', 'LayersSize'], volume: ['Volumes'], 'build-cache': ['BuildCache'] };

/** `buildkit`: whether /grpc and /session serve BuildKit; only then may /_ping say so (clients then build through them). */
export function systemRoutes(system: SystemService, buildkit = false): Route[] {
  const ping = async ({ req, res }: Parameters<Route['handler']>[0]): Promise<void> => {
    res.setHeader('Builder-Version', buildkit ? '2' : '1');
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
    { method: 'GET', path: '/info', handler: async ({ res, apiVersion }) => sendJson(res, 200, gateFields(await system.info(), apiVersion, INFO_GATES)) },
    {
      method: 'GET',
      path: '/system/df',
      coverage: () => ({ state: 'partial', note: 'images, containers and volumes; no build cache yet' }),
      handler: async ({ res, query, apiVersion }) => {
        // From 1.42 `type` picks what to report (the others are null, as from dockerd).
        const types = apiVersion >= 1.42 ? query.getAll('type') : [];
        for (const t of types) if (!Object.hasOwn(DF_TYPES, t)) throw new InvalidParameterError(`unknown object type: ${t}`);
        const df = gateFields(await system.diskUsage(), apiVersion, DISK_USAGE_GATES);
        if (types.length > 0) {
          const wanted = new Set(types.flatMap((t) => DF_TYPES[t] ?? []));
          for (const field of Object.values(DF_TYPES).flat()) if (!wanted.has(field)) df[field] = field === 'LayersSize' ? 0 : null;
        }
        if (Array.isArray(df.Images)) df.Images = gateEach(df.Images as object[], apiVersion, DISK_USAGE_IMAGE_GATES);
        sendJson(res, 200, df);
      },
    },
  ];
}
