/** `GET /containers/{id}/stats` and `POST /containers/{id}/update`. */
import type { ContainerService } from '../../engine/containers/container-service.js';
import type { UpdateRequest } from '../../engine/containers/limits/container-update.js';
import { InvalidParameterError } from '../../core/errors.js';
import { queryBool, readJsonBody, sendJson } from '../http-context.js';
import type { Route } from '../route.js';

/** How often a stats stream sends a sample (docker's collector interval). */
const STREAM_INTERVAL_MS = 1000;
/**
 * A one-shot answer (stream=0) takes two samples so the client can compute CPU %; docker
 * spaces them by its 1 s collector tick, a short gap is enough and keeps `stats --no-stream` fast.
 */
const BASELINE_GAP_MS = 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function containerLimitRoutes(containers: ContainerService): Route[] {
  return [
    {
      method: 'GET',
      path: '/containers/:id/stats',
      handler: async (ctx) => {
        const stream = queryBool(ctx.query, 'stream', true);
        const oneShot = queryBool(ctx.query, 'one-shot');
        const r = containers.get(ctx.params.id ?? '');
        if (!stream) {
          let prev = oneShot ? undefined : await containers.queries.stats(r.Id);
          if (prev) await sleep(BASELINE_GAP_MS);
          prev = await containers.queries.stats(r.Id, prev);
          return sendJson(ctx.res, 200, prev.json);
        }
        let prev = await containers.queries.stats(r.Id);
        ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
        ctx.res.write(JSON.stringify(prev.json) + '\n');
        while (!ctx.res.destroyed && containers.get(r.Id).State.Running) {
          await sleep(STREAM_INTERVAL_MS);
          if (ctx.res.destroyed) break;
          const cur = await containers.queries.stats(r.Id, prev).catch(() => undefined);
          if (!cur) break;
          ctx.res.write(JSON.stringify(cur.json) + '\n');
          prev = cur;
        }
        ctx.res.end();
      },
    },
    {
      method: 'POST',
      path: '/containers/:id/update',
      handler: async ({ req, res, params }) => {
        const body = await readJsonBody<UpdateRequest>(req);
        if (!body) throw new InvalidParameterError('update config cannot be empty');
        sendJson(res, 200, await containers.update(params.id ?? '', body));
      },
    },
  ];
}
