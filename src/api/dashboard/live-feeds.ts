/**
 * The dashboard's live feeds, as Server-Sent Events, from the engine services the Engine API
 * uses: the container list (and each running container's CPU and memory, from the shared
 * samplers), one container's resource history and samples, its log, and the event stream.
 * Every feed starts with the current state in one message and then sends changes: a client that
 * reconnects (a tab shown again) gets a fresh start, never the backlog of the time it was away.
 */
import type { ContainerService } from '../../engine/containers/container-service.js';
import type { StatsPoint } from '../../engine/containers/stats-sampler.js';
import type { EventService } from '../../engine/events/event-service.js';
import { readLogs } from '../../engine/containers/logs/json-file-reader.js';
import { SseStream } from './sse.js';
import type { ServerResponse } from 'node:http';

/** How long the list waits after an event before sending itself again: a burst of events (compose up) is one message. */
const LIST_DEBOUNCE_MS = 100;
/** The list's CPU and memory columns are sent at most once a second, all containers in one message. */
const LIST_STATS_MS = 1000;
/** Log lines are batched this long: a chatty container is a few messages a second, not thousands. */
const LOG_BATCH_MS = 200;
/** The event history a feed starts with. */
const EVENT_HISTORY_S = 3600;
const EVENT_HISTORY_MAX = 500;
const LOG_LINE_MAX = 8192;

export interface FeedServices {
  containers: ContainerService;
  events: EventService;
}

/** The rows of the containers page: `ps -a` plus what a row shows beyond it. */
async function containerRows(c: ContainerService): Promise<Array<Record<string, unknown>>> {
  const rows = await c.queries.list({ all: true, size: false, filters: {} });
  return rows.map((row) => {
    const r = c.find(String(row.Id));
    if (!r) return row;
    return { ...row, RestartCount: r.RestartCount, StartedAt: r.State.StartedAt, FinishedAt: r.State.FinishedAt, Health: r.State.Health?.Status ?? '', ExitCode: r.State.ExitCode, OOMKilled: r.State.OOMKilled };
  });
}

/** `/sse/containers`: `list` (all rows) on start and after each container event; `stats` ({id: point}) each second. */
export async function containersFeed(res: ServerResponse, s: FeedServices): Promise<void> {
  const sse = new SseStream(res);
  const watched = new Map<string, () => void>();
  const latest = new Map<string, StatsPoint>();
  let pending: NodeJS.Timeout | undefined;
  const refresh = async (): Promise<void> => {
    pending = undefined;
    const rows = await containerRows(s.containers);
    if (sse.closed) return;
    sse.send('list', rows);
    // Watch exactly the running containers: a stopped one costs nothing.
    const running = new Set(rows.filter((r) => r.State === 'running' || r.State === 'paused').map((r) => String(r.Id)));
    for (const [id, unwatch] of watched) {
      if (running.has(id)) continue;
      unwatch();
      watched.delete(id);
      latest.delete(id);
    }
    for (const id of running) {
      if (watched.has(id)) continue;
      watched.set(id, s.containers.sampler.watch(id, { sample: (_s, p) => p && latest.set(id, p) }));
    }
  };
  const unsubscribe = s.events.subscribe({ type: ['container'] }, () => {
    pending ??= setTimeout(() => void refresh().catch(() => undefined), LIST_DEBOUNCE_MS);
  });
  let lastSent = 0;
  const tick = setInterval(() => {
    const fresh: Record<string, StatsPoint> = {};
    for (const [id, p] of latest) if (p.t > lastSent) fresh[id] = p;
    if (Object.keys(fresh).length === 0) return;
    lastSent = Math.max(...Object.values(fresh).map((p) => p.t));
    sse.send('stats', fresh);
  }, LIST_STATS_MS);
  sse.onClose(() => {
    unsubscribe();
    clearTimeout(pending);
    clearInterval(tick);
    for (const unwatch of watched.values()) unwatch();
  });
  await refresh();
  await sse.done();
}

/** `/sse/stats/{id}`: `history` (the kept points) on start, then `point` each second and `state` when running changes. */
export async function statsFeed(res: ServerResponse, s: FeedServices, ref: string): Promise<void> {
  const id = s.containers.get(ref).Id;
  const sse = new SseStream(res);
  let running = s.containers.find(id)?.State.Running === true;
  sse.send('history', { running, points: s.containers.sampler.history(id) });
  const setRunning = (now: boolean): void => {
    if (now === running) return;
    running = now;
    sse.send('state', { running });
  };
  const unwatch = s.containers.sampler.watch(id, {
    sample: (_s, p) => {
      setRunning(true);
      if (p) sse.send('point', p);
    },
    stopped: () => setRunning(false),
  });
  sse.onClose(unwatch);
  await sse.done();
}

/** `/sse/events`: `history` (the last hour, at most 500) on start, then each `event`. */
export async function eventsFeed(res: ServerResponse, s: FeedServices): Promise<void> {
  const sse = new SseStream(res);
  const since = BigInt(Math.floor(Date.now() / 1000) - EVENT_HISTORY_S) * 1_000_000_000n;
  sse.send('history', s.events.history({}, since, undefined).slice(-EVENT_HISTORY_MAX));
  sse.onClose(s.events.subscribe({}, (e) => sse.send('event', e)));
  await sse.done();
}

/**
 * `/sse/logs/{id}?tail=N`: `start`, then `lines` batches ([stream, text] pairs; the first batch is the tail),
 * following while the container runs; `end` when it stops (the page opens the feed again when
 * it starts).
 */
export async function logsFeed(res: ServerResponse, s: FeedServices, ref: string, tail: number): Promise<void> {
  const r = s.containers.get(ref);
  const sse = new SseStream(res);
  if (r.LogPath === '') {
    sse.send('end', { reason: `the ${r.HostConfig.LogConfig?.Type ?? 'configured'} log driver keeps no log to read` });
    sse.close();
    return;
  }
  sse.send('start', { follow: r.State.Running });
  const abort = new AbortController();
  sse.onClose(() => abort.abort());
  let batch: Array<[string, string]> = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    if (batch.length > 0) sse.send('lines', batch);
    batch = [];
  };
  const exited = r.State.Running ? s.containers.wait(r.Id, 'not-running').then(() => undefined) : Promise.resolve();
  try {
    for await (const l of readLogs(r.LogPath, { stdout: true, stderr: true, tail, timestamps: false, details: false, follow: r.State.Running, isRunning: () => s.containers.find(r.Id)?.State.Running === true, waitForExit: exited, signal: abort.signal })) {
      batch.push([l.stream, l.line.subarray(0, LOG_LINE_MAX).toString('utf8').replace(/\n$/, '')]);
      timer ??= setTimeout(flush, LOG_BATCH_MS);
    }
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  }
  clearTimeout(timer);
  flush();
  sse.send('end', { reason: 'not running' });
  sse.close();
}
