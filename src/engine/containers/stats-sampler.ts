/**
 * One stats sampler per container, shared by everyone who watches it: the dashboard's plots and
 * its container list, and `GET /containers/{id}/stats?stream=1`. Ten viewers of one container
 * cost one cgroup read a second, not ten; with nobody watching, nothing samples. Each container
 * keeps the last 15 minutes of compact points (`StatsPoint`) while it is watched and for 15
 * minutes after, so a page opened again draws its plots at once.
 */
import { onlineCpuCount } from '../../drivers/cgroups/cgroup-stats.js';
import type { StatsSample } from './container-stats.js';

/** One sample as the dashboard plots it: rates per second, memory as docker's CLI counts it. */
export interface StatsPoint {
  /** Unix milliseconds. */
  t: number;
  /** Percent of one CPU, as `docker stats` shows it (200 = two CPUs busy). */
  cpu: number;
  /** Bytes: usage less inactive file cache (docker's CLI). */
  mem: number;
  memLimit: number;
  rx: number;
  tx: number;
  blkRead: number;
  blkWrite: number;
  pids: number;
}

/** What a watcher is told: each sample, and that the container stopped running (or went). */
export interface StatsWatcher {
  /** `point` is undefined for a first sample, which has no baseline for CPU % and rates. */
  sample(s: StatsSample, point: StatsPoint | undefined): void;
  stopped?(): void;
}

export const SAMPLE_INTERVAL_MS = 1000;
export const HISTORY_MS = 15 * 60_000;

interface Entry {
  watchers: Set<StatsWatcher>;
  timer: NodeJS.Timeout | undefined;
  prev: StatsSample | undefined;
  /** When `prev` was read (wall clock), and whether its CPU % had a baseline. */
  prevAt: number;
  prevHasBaseline: boolean;
  points: StatsPoint[];
  /** Bumped by each schedule and by the last watcher leaving: a read in flight from an older one is dropped. */
  gen: number;
  /** Drops the history once nobody has watched for HISTORY_MS. */
  expiry: NodeJS.Timeout | undefined;
}

const sumIo = (entries: Array<{ op: string; value: number }>, op: string): number =>
  entries.reduce((n, e) => (e.op.toLowerCase() === op ? n + e.value : n), 0);

function netTotals(json: Record<string, unknown>): { rx: number; tx: number } {
  const nets = (json.networks ?? {}) as Record<string, { rx_bytes: number; tx_bytes: number }>;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(nets)) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  return { rx, tx };
}

/** The compact point of `cur`, with rates and CPU % against `prev` (zero without one). */
export function statsPoint(cur: StatsSample, prev: StatsSample | undefined, onlineCpus = onlineCpuCount()): StatsPoint {
  const s = cur.sample;
  const t = Date.parse(cur.read);
  const inactive = s.memoryStats.total_inactive_file ?? s.memoryStats.inactive_file ?? 0;
  const mem = inactive < s.memoryUsage ? s.memoryUsage - inactive : s.memoryUsage;
  const memLimit = Number((cur.json.memory_stats as { limit?: number } | undefined)?.limit ?? 0);
  const point: StatsPoint = { t, cpu: 0, mem, memLimit, rx: 0, tx: 0, blkRead: 0, blkWrite: 0, pids: s.pids };
  if (!prev) return point;
  const seconds = (t - Date.parse(prev.read)) / 1000;
  const cpuDelta = s.cpuUsageNs - prev.sample.cpuUsageNs;
  const systemDelta = cur.system - prev.system;
  if (cpuDelta > 0 && systemDelta > 0) point.cpu = (cpuDelta / systemDelta) * onlineCpus * 100;
  if (seconds > 0) {
    const rate = (a: number, b: number): number => Math.max(0, (a - b) / seconds);
    const n = netTotals(cur.json);
    const pn = netTotals(prev.json);
    point.rx = rate(n.rx, pn.rx);
    point.tx = rate(n.tx, pn.tx);
    point.blkRead = rate(sumIo(s.ioServiceBytes, 'read'), sumIo(prev.sample.ioServiceBytes, 'read'));
    point.blkWrite = rate(sumIo(s.ioServiceBytes, 'write'), sumIo(prev.sample.ioServiceBytes, 'write'));
  }
  return point;
}

export class StatsSampler {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly d: {
      /** One sample in docker's shape (ContainerQueries.stats); throws when the container cannot be sampled. */
      sample: (id: string, prev?: StatsSample) => Promise<StatsSample>;
      /** False for a stopped or removed container: nothing to read. */
      isRunning: (id: string) => boolean;
      intervalMs?: number;
      historyMs?: number;
    },
  ) {}

  private get interval(): number {
    return this.d.intervalMs ?? SAMPLE_INTERVAL_MS;
  }

  /**
   * Starts watching container `id` (a full ID). The newest sample, when one is at most an
   * interval old, is handed over at once; the rest come as the shared sampler reads them.
   */
  watch(id: string, w: StatsWatcher): () => void {
    let e = this.entries.get(id);
    if (!e) {
      e = { watchers: new Set(), timer: undefined, prev: undefined, prevAt: 0, prevHasBaseline: false, points: [], gen: 0, expiry: undefined };
      this.entries.set(id, e);
    }
    const entry = e;
    if (entry.expiry) clearTimeout(entry.expiry);
    entry.expiry = undefined;
    entry.watchers.add(w);
    const last = entry.points.at(-1);
    if (entry.prev && last && Date.now() - last.t <= this.interval) w.sample(entry.prev, last);
    if (!entry.timer) this.schedule(id, entry, 0);
    return () => {
      if (!entry.watchers.delete(w) || entry.watchers.size > 0) return;
      clearTimeout(entry.timer);
      entry.timer = undefined;
      entry.gen++;
      // A baseline minutes old would average CPU % over the time nobody watched.
      entry.prev = undefined;
      entry.expiry = setTimeout(() => this.entries.delete(id), this.d.historyMs ?? HISTORY_MS);
      entry.expiry.unref();
    };
  }

  /** The points kept for `id`, oldest first (empty when nobody watched it lately). */
  history(id: string): StatsPoint[] {
    return [...(this.entries.get(id)?.points ?? [])];
  }

  /**
   * The newest sample of a container being sampled now, when it is fresh and has a baseline (its
   * CPU % spans a whole interval, as dockerd's one-shot answer spans its collector's tick).
   */
  latest(id: string): StatsSample | undefined {
    const e = this.entries.get(id);
    if (!e?.timer || !e.prev || !e.prevHasBaseline) return undefined;
    return Date.now() - e.prevAt <= this.interval * 1.5 ? e.prev : undefined;
  }

  /** How many containers are being sampled now (for tests and the bench: none with no viewers). */
  get active(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.timer) n++;
    return n;
  }

  private schedule(id: string, e: Entry, delay: number): void {
    const gen = ++e.gen;
    e.timer = setTimeout(() => void this.tick(id, e, gen), delay);
  }

  private async tick(id: string, e: Entry, gen: number): Promise<void> {
    let cur: StatsSample | undefined;
    if (this.d.isRunning(id)) cur = await this.d.sample(id, e.prev).catch(() => undefined);
    if (e.gen !== gen) return;
    if (!cur) {
      e.prev = undefined;
      for (const w of [...e.watchers]) w.stopped?.();
    } else {
      const point = statsPoint(cur, e.prev);
      const baseline = !e.prev;
      e.prev = cur;
      e.prevAt = Date.now();
      e.prevHasBaseline = !baseline;
      // The first sample has no baseline for CPU % and rates: the stats route sends it as docker
      // does (precpu empty); the plots keep only points that have one.
      if (!baseline) {
        e.points.push(point);
        const oldest = point.t - (this.d.historyMs ?? HISTORY_MS);
        while ((e.points[0]?.t ?? Infinity) < oldest) e.points.shift();
      }
      for (const w of [...e.watchers]) w.sample(cur, baseline ? undefined : point);
    }
    if (e.gen === gen) this.schedule(id, e, this.interval);
  }

  /** Stops every sampler (daemon shutdown). */
  close(): void {
    for (const e of this.entries.values()) {
      clearTimeout(e.timer);
      clearTimeout(e.expiry);
    }
    this.entries.clear();
  }
}
