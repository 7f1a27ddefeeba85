/** `GET /containers/{id}/stats` and `POST /containers/{id}/update`. */
import type { ContainerService } from '../../engine/containers/container-service.js';
import type { UpdateRequest } from '../../engine/containers/limits/container-update.js';
import { InvalidParameterError } from '../../core/errors.js';
import { queryBool, readJsonBody, sendJson } from '../http-context.js';
import type { Route } from '../route.js';

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
          // A container someone watches (the dashboard, a stats stream) has a fresh sample a
          // second after the one before: that answer, as dockerd answers from its collector.
          const watched = oneShot ? undefined : containers.sampler.latest(r.Id);
          if (watched) return sendJson(ctx.res, 200, watched.json);
          let prev = oneShot ? undefined : await containers.queries.stats(r.Id);
          if (prev) await sleep(BASELINE_GAP_MS);
          prev = await containers.queries.stats(r.Id, prev);
          return sendJson(ctx.res, 200, prev.json);
        }
        if (!r.State.Running) {
          // docker streams one zeroed sample for a container that is not running, then ends.
          ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
          ctx.res.end(JSON.stringify((await containers.queries.stats(r.Id)).json) + '\n');
          return;
        }
        // The container's shared sampler (engine/containers/stats-sampler.ts): every stream and
        // dashboard viewer of one container costs one cgroup read a second between them.
        ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
        ctx.res.flushHeaders();
        await new Promise<void>((resolve) => {
          const unwatch = containers.sampler.watch(r.Id, {
            sample: (s) => {
              if (!ctx.res.destroyed) ctx.res.write(JSON.stringify(s.json) + '\n');
            },
            stopped: () => done(),
          });
          const done = (): void => {
            unwatch();
            resolve();
          };
          ctx.res.once('close', done);
        });
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
