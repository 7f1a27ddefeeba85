import { readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteJson } from '../../core/atomic-write.js';
import type { Logger } from '../../core/logger.js';
import { isoTime } from '../../core/utc-time.js';
import { markBytes, markText, type BudgetSpec } from './budget-marks.js';
import type { Reclaimer } from './budget-reclaimers.js';
import { dataRootSize } from './data-root-size.js';
import type { BudgetStatus, GcRun } from '../../api/types/berth.js';


/**
 * The disk budget: past the high mark, frees down to the low mark by running its reclaimers in
 * order, each until the low mark is reached. One run at a time; a request while one runs makes
 * one more run after it. Each reclaimer deletes through the services users use (image removal,
 * build cache), so a crash mid-run leaves what any crash of those leaves: garbage the startup
 * collection takes, never a record pointing at half-deleted data.
 */
export class StorageBudget {
  /** In the order they run; more (the record of removed containers) may be appended. */
  readonly reclaimers: Reclaimer[];
  private running: Promise<GcRun | undefined> | undefined;
  private again = false;
  private lastRun: GcRun | null = null;
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private readonly lastRunFile: string;
  /** Run by stop(), after the run under way ends (event subscriptions, the last-use store). */
  readonly onStop: Array<() => unknown> = [];

  constructor(
    readonly spec: BudgetSpec,
    private readonly dataRoot: string,
    reclaimers: Reclaimer[],
    private readonly log: Logger,
  ) {
    this.reclaimers = [...reclaimers];
    this.lastRunFile = join(dataRoot, 'budget-last-run.json');
  }

  get measure(): 'filesystem' | 'data-root' {
    return 'percent' in this.spec.high ? 'filesystem' : 'data-root';
  }

  async init(): Promise<void> {
    this.lastRun = await readFile(this.lastRunFile, 'utf8').then((t) => JSON.parse(t) as GcRun).catch(() => null);
  }

  /** Used bytes by the budget's measure, and the size of the data root's filesystem. */
  async usage(): Promise<{ used: number; fsSize: number }> {
    const fs = await statfs(this.dataRoot);
    const fsSize = fs.blocks * fs.bsize;
    const used = this.measure === 'filesystem' ? (fs.blocks - fs.bfree) * fs.bsize : await dataRootSize(this.dataRoot);
    return { used, fsSize };
  }

  async marks(): Promise<{ high: number; low: number; used: number }> {
    const { used, fsSize } = await this.usage();
    return { high: markBytes(this.spec.high, fsSize), low: markBytes(this.spec.low, fsSize), used };
  }

  /**
   * Usage again, cheaply, during a run: a byte budget's `du` of the data root is taken once, at
   * the start, and what the filesystem freed since (statfs) is taken off it; a reclaimer asks
   * after every deletion, and a walk of a large data root each time would be slow.
   */
  protected async tracker(startUsed: number): Promise<() => Promise<number>> {
    const fsUsed = async (): Promise<number> => {
      const fs = await statfs(this.dataRoot);
      return (fs.blocks - fs.bfree) * fs.bsize;
    };
    if (this.measure === 'filesystem') return fsUsed;
    const fs0 = await fsUsed();
    return async () => startUsed - Math.max(0, fs0 - (await fsUsed()));
  }

  /** Checks the marks every `intervalMs` (besides the checks after pulls, loads, builds…). */
  start(intervalMs: number): void {
    this.timer = setInterval(() => this.request('timer'), intervalMs).unref();
    this.request('start');
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    await this.running?.catch(() => undefined);
    for (const f of this.onStop) await f();
  }

  /** Asks for a check soon: a burst of requests (a compose pull) is one check. */
  request(trigger: string): void {
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.run(trigger).catch((err: unknown) => this.log.warn({ err }, 'storage budget run failed'));
    }, 100).unref();
  }

  /** One run: nothing when usage is at or below the high mark. */
  run(trigger: string): Promise<GcRun | undefined> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.runOnce(trigger).finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.request('again');
      }
    });
    return this.running;
  }

  private async runOnce(trigger: string): Promise<GcRun | undefined> {
    const start = await this.marks();
    if (start.used <= start.high) return undefined;
    const started = isoTime();
    this.log.info({ used: start.used, high: start.high, low: start.low, trigger }, 'storage budget: over the high mark, freeing down to the low mark');
    const run: GcRun = { trigger, started, finished: started, usageBefore: start.used, usageAfter: start.used, freed: 0, steps: [] };
    const current = await this.tracker(start.used);
    const stillWanted = async (): Promise<number> => (await current()) - start.low;
    try {
      for (const r of this.reclaimers) {
        const wanted = await stillWanted();
        if (wanted <= 0) break;
        const freed = await r.reclaim(wanted, stillWanted);
        run.steps.push({ kind: r.kind, freed });
      }
    } catch (err) {
      run.error = (err as Error).message;
      this.log.warn({ err }, 'storage budget: a reclaimer failed');
    }
    const end = await this.marks();
    run.finished = isoTime();
    run.usageAfter = end.used;
    run.freed = Math.max(0, start.used - end.used);
    if (end.used > end.low) this.log.warn({ used: end.used, low: end.low }, 'storage budget: still above the low mark with nothing left the budget may remove (images in use, pinned or fresh)');
    this.lastRun = run;
    await atomicWriteJson(this.lastRunFile, run).catch((err: unknown) => this.log.warn({ err }, 'storage budget: cannot save the last run'));
    return run;
  }

  async status(): Promise<BudgetStatus> {
    const { used, fsSize } = await this.usage();
    const reclaimable = [];
    for (const r of this.reclaimers) reclaimable.push({ kind: r.kind, bytes: r.reclaimable ? await r.reclaimable() : 0 });
    return {
      enabled: true,
      measure: this.measure,
      high: { mark: markText(this.spec.high), bytes: markBytes(this.spec.high, fsSize) },
      low: { mark: markText(this.spec.low), bytes: markBytes(this.spec.low, fsSize) },
      graceSeconds: this.spec.graceMs / 1000,
      usage: used,
      filesystemSize: fsSize,
      reclaimable,
      running: this.running !== undefined,
      lastRun: this.lastRun,
    };
  }
}
