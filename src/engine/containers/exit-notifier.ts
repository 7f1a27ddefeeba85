export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

interface Waiter {
  condition: WaitCondition;
  resolve: (code: number) => void;
}

/** Callers of `wait` parked until their container exits or is removed, by container. */
export class ExitNotifier {
  private readonly waiters = new Map<string, Set<Waiter>>();

  add(id: string, condition: WaitCondition): Promise<number> {
    return this.watch(id, condition).done;
  }

  /** add(), with a way to stop waiting (a caller that may give up before the exit). */
  watch(id: string, condition: WaitCondition): { done: Promise<number>; cancel(): void } {
    let waiter: Waiter | undefined;
    const done = new Promise<number>((resolve) => {
      waiter = { condition, resolve };
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      set.add(waiter);
    });
    return { done, cancel: () => this.drop(id, (w) => w === waiter) };
  }

  cancel(id: string, resolve: (code: number) => void): void {
    this.drop(id, (w) => w.resolve === resolve);
  }

  /** How many callers wait on `id` (tests: a client that went away leaves none behind). */
  count(id: string): number {
    return this.waiters.get(id)?.size ?? 0;
  }

  /** The container stopped: everyone but `removed` waiters learns its exit code. */
  exited(id: string, code: number): void {
    this.release(id, code, (w) => w.condition !== 'removed');
  }

  /** The container is gone: every remaining waiter is released. */
  removed(id: string, code: number): void {
    this.release(id, code, () => true);
  }

  private drop(id: string, match: (w: Waiter) => boolean): void {
    const set = this.waiters.get(id);
    if (!set) return;
    for (const w of set) if (match(w)) set.delete(w);
    if (set.size === 0) this.waiters.delete(id);
  }

  private release(id: string, code: number, match: (w: Waiter) => boolean): void {
    const set = this.waiters.get(id);
    if (!set) return;
    for (const w of [...set]) {
      if (!match(w)) continue;
      set.delete(w);
      w.resolve(code);
    }
    if (set.size === 0) this.waiters.delete(id);
  }
}
