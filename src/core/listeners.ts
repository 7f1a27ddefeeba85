/**
 * Callbacks for one kind of happening, made before the services that emit and hear it, so each
 * gets it when it is built (no setters after construction). `add` returns the way to stop hearing.
 */
export class Listeners<A extends unknown[]> {
  private readonly fns = new Set<(...args: A) => void>();

  add(fn: (...args: A) => void): () => void {
    this.fns.add(fn);
    return () => void this.fns.delete(fn);
  }

  emit(...args: A): void {
    for (const f of this.fns) f(...args);
  }
}
