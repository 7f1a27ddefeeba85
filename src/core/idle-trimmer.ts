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
