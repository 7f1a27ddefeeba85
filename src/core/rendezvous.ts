/**
 * Values by key that a lookup may wait a while for: two calls of one client that race (buildx
 * sends Control.Solve while its session connection and its gateway calls are still on the way).
 */
export class Rendezvous<V> {
  private readonly values = new Map<string, V>();
  private readonly waiting = new Map<string, Set<(v: V) => void>>();

  constructor(private readonly waitMs: number) {}

  peek(key: string): V | undefined {
    return this.values.get(key);
  }

  all(): IterableIterator<V> {
    return this.values.values();
  }

  /** Sets the value and wakes whoever waits for it. */
  set(key: string, value: V): void {
    this.values.set(key, value);
    for (const wake of this.waiting.get(key) ?? []) wake(value);
    this.waiting.delete(key);
  }

  /** Removes the key, only while it still holds `value` when one is given (a newer one stays). */
  delete(key: string, value?: V): void {
    if (value === undefined || this.values.get(key) === value) this.values.delete(key);
  }

  clear(): void {
    this.values.clear();
  }

  /** The value, now or once set; `missing()` is the error when it does not come in time. */
  get(key: string, missing: () => Error, signal?: AbortSignal): Promise<V> {
    const have = this.values.get(key);
    if (have !== undefined) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(key) ?? new Set<(v: V) => void>();
      this.waiting.set(key, waiters);
      const stop = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        waiters.delete(wake);
        if (waiters.size === 0 && this.waiting.get(key) === waiters) this.waiting.delete(key);
      };
      const wake = (v: V): void => {
        stop();
        resolve(v);
      };
      const onAbort = (): void => {
        stop();
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        stop();
        reject(missing());
      }, this.waitMs);
      waiters.add(wake);
      signal?.addEventListener('abort', onAbort);
    });
  }
}
