import type { ProcessOwners } from '../../engine/system/process-owners.js';
import { parsePid } from '../../engine/system/process-owners.js';
import type { StorageBudget } from '../../engine/system/storage-budget.js';
import type { RemovedContainers } from '../../engine/removed/removed-containers.js';
import { readLogs } from '../../engine/containers/logs/json-file-reader.js';
import { writeLogs } from '../../engine/containers/logs/log-stream.js';
import { queryFilters, sendJson } from '../http-context.js';
import { frame } from '../streams/multiplex.js';
import type { Route } from '../route.js';
import { logQuery } from './log-query.js';

/**
 * Berth's own API, beside Docker's: under `/berth/v1/`, a prefix no Engine API path has, so
 * Docker paths and their 404/501 answers stay as dockerd's.
 */
export function berthRoutes(processes: ProcessOwners, removed: RemovedContainers, budget?: StorageBudget, images?: { check(): Promise<string[]> }): Route[] {
  return [
    {
      // PIDs are the daemon's view of /proc (the host's PID namespace).
      method: 'GET',
      path: '/berth/v1/processes',
      summary: 'The host\'s processes with the container each belongs to; `?pid=N` (repeatable) asks for those, a missing one being 404. `berth which`, `berth host-ps`.',
      handler: async ({ res, query }) => {
        const pids = query.getAll('pid').map(parsePid);
        sendJson(res, 200, await processes.processes(pids.length > 0 ? pids : undefined));
      },
    },
    {
      method: 'GET',
      path: '/berth/v1/budget',
      summary: 'The disk budget: its marks, the usage, what each reclaimer could free, the last run; `{"enabled": false}` without one. `berth system budget`.',
      handler: async ({ res }) => {
        sendJson(res, 200, budget ? await budget.status() : { enabled: false });
      },
    },
    {
      // Deletions go record first, so the check holds at every moment, also while images are
      // pulled or removed.
      method: 'GET',
      path: '/berth/v1/check',
      summary: 'The image store\'s integrity: `{"problems": […]}`, empty when every record\'s config, blobs and layers are present. `berth system check`.',
      handler: async ({ res }) => {
        sendJson(res, 200, { problems: images ? await images.check() : [] });
      },
    },
    {
      method: 'GET',
      path: '/berth/v1/removed',
      summary: 'Records of removed containers, newest removal first; `filters` as ps\'s (name, id, label, exited, reason; since/until: the removal time, a timestamp or a duration like 1h). `berth ps --removed`.',
      handler: async ({ res, query }) => {
        sendJson(res, 200, await removed.list(queryFilters(query)));
      },
    },
    {
      method: 'GET',
      path: '/berth/v1/removed/:id',
      summary: 'One removed container\'s record (by ID, prefix or name): its command, image and labels, its times, its exit (code, signal, OOM, peak memory, restarts), when and by whom it was removed, and why. `berth inspect` and `berth logs` fall back to it when no live container has the name.',
      handler: async ({ res, params }) => {
        sendJson(res, 200, await removed.get(params.id ?? ''));
      },
    },
    {
      method: 'GET',
      path: '/berth/v1/removed/:id/logs',
      summary: 'A removed container\'s kept log tail, with the query and framing of docker\'s container logs (multiplexed frames, raw for a TTY container); there is nothing to follow. `berth logs`.',
      handler: async (ctx) => {
        const record = await removed.get(ctx.params.id ?? '');
        const asked = logQuery(ctx.query);
        ctx.res.writeHead(200, { 'Content-Type': record.Tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
        const path = removed.logPath(record.Id);
        await writeLogs(ctx.res, (signal) => readLogs(path, { ...asked, follow: false, isRunning: () => false, signal }), record.Tty, frame);
      },
    },
  ];
}
