import type { ProcessOwners } from '../../engine/system/process-owners.js';
import { parsePid } from '../../engine/system/process-owners.js';
import type { StorageBudget } from '../../engine/system/storage-budget.js';
import { sendJson } from '../http-context.js';
import type { Route } from '../route.js';

/**
 * Berth's own API, beside Docker's: under `/berth/v1/`, a prefix no Engine API path has, so
 * Docker paths and their 404/501 answers stay as dockerd's.
 */
export function berthRoutes(processes: ProcessOwners, budget?: StorageBudget): Route[] {
  return [
    {
      // `?pid=N` (repeatable) asks for those processes, a missing one being 404; without it,
      // every process. PIDs are the daemon's view of /proc (the host's PID namespace).
      method: 'GET',
      path: '/berth/v1/processes',
      handler: async ({ res, query }) => {
        const pids = query.getAll('pid').map(parsePid);
        sendJson(res, 200, await processes.processes(pids.length > 0 ? pids : undefined));
      },
    },
    {
      // The disk budget: marks, usage, what each reclaimer could free, the last run.
      method: 'GET',
      path: '/berth/v1/budget',
      handler: async ({ res }) => {
        sendJson(res, 200, budget ? await budget.status() : { enabled: false });
      },
    },
  ];
}
