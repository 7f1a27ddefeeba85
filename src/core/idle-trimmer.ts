/**
 * Runs `trim` when work goes idle (berthd: no API request in flight), at most once a `minGapMs`:
 * at once if the last run is older than that, else when the gap has passed. New work cancels a
 * run that waits; the next idle asks again.
 */
export class IdleTrimmer {
  private last = Number.NEGATIVE_INFINITY;
  private cancel: (() => void) | undefined;

  constructor(
    private readonly trim: () => void,
    private readonly minGapMs = 1000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  idle(): void {
    if (this.cancel) return;
    const run = (): void => {
      this.cancel = undefined;
      this.last = this.now();
      this.trim();
    };
    const wait = this.last + this.minGapMs - this.now();
    if (wait <= 0) {
      // After the finished response's own callbacks, never inside them.
      const immediate = setImmediate(run);
      this.cancel = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(run, wait).unref();
      this.cancel = () => clearTimeout(timer);
    }
  }

  busy(): void {
    this.cancel?.();
    this.cancel = undefined;
  }
}

/**
 * Runs `work` once after `quietMs` without activity, when there was activity since its last run:
 * what is worth doing once a burst is over, not after every request.
 */
export class QuietRunner {
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(
    private readonly work: () => void,
    private readonly quietMs: number,
  ) {}

  busy(): void {
    this.dirty = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  idle(): void {
    if (!this.dirty || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.dirty = false;
      this.work();
    }, this.quietMs).unref();
  }
}

/**
 * Gives back the heap a burst grew: `compact` (V8's last-resort collection, which compacts and
 * releases pages a plain full collection keeps) when the heap has grown by `growth` bytes since
 * the last one, and at most once a `gapMs`: at 1,000 containers it costs about 0.6 s of CPU, which
 * a client polling every few seconds must not pay each time. Asked within the gap, it runs once
 * the gap is over, unless work came back meanwhile (`busy`).
 */
export class HeapCompactor {
  private compactedAt = Number.NEGATIVE_INFINITY;
  private heapAfter = 0;
  private later: NodeJS.Timeout | undefined;

  constructor(
    private readonly compact: () => void,
    private readonly heapSize: () => number,
    private readonly growth: number,
    private readonly gapMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  maybeCompact(): void {
    this.later = undefined;
    if (this.heapSize() - this.heapAfter < this.growth) return;
    const wait = this.compactedAt + this.gapMs - this.now();
    if (wait > 0) {
      this.later = setTimeout(() => this.maybeCompact(), wait).unref();
      return;
    }
    this.compact();
    this.compactedAt = this.now();
    this.heapAfter = this.heapSize();
  }

  busy(): void {
    clearTimeout(this.later);
    this.later = undefined;
  }
}
