export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

interface Waiter {
  id: string;
  condition: WaitCondition;
  resolve: (code: number) => void;
}

/** Callers of `wait` parked until their container exits or is removed. */
export class ExitNotifier {
  private waiters: Waiter[] = [];

  add(id: string, condition: WaitCondition): Promise<number> {
    return this.watch(id, condition).done;
  }

  /** add(), with a way to stop waiting (a caller that may give up before the exit). */
  watch(id: string, condition: WaitCondition): { done: Promise<number>; cancel(): void } {
    let waiter: Waiter | undefined;
    const done = new Promise<number>((resolve) => {
      waiter = { id, condition, resolve };
      this.waiters.push(waiter);
    });
    return { done, cancel: () => void (this.waiters = this.waiters.filter((w) => w !== waiter)) };
  }

  cancel(id: string, resolve: (code: number) => void): void {
    this.waiters = this.waiters.filter((w) => !(w.id === id && w.resolve === resolve));
  }

  /** The container stopped: everyone but `removed` waiters learns its exit code. */
  exited(id: string, code: number): void {
    this.release(id, code, (w) => w.condition !== 'removed');
  }

  /** The container is gone: every remaining waiter is released. */
  removed(id: string, code: number): void {
    this.release(id, code, () => true);
  }

  private release(id: string, code: number, match: (w: Waiter) => boolean): void {
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.id === id && match(w)) w.resolve(code);
      else keep.push(w);
    }
    this.waiters = keep;
  }
}
