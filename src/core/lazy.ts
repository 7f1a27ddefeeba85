/**
 * A service made on first use: berthd imports the code of features an idle daemon does not use
 * (build, registry client, image archives, container changes) only when a request needs them,
 * which keeps that code out of its resident memory (bench/container-run, berthd idle).
 */
export type Lazy<T> = () => Promise<T>;

/** Makes the value once; a failed attempt is not kept, so that the next call tries again. */
export function lazy<T>(make: () => Promise<T>): Lazy<T> {
  let made: Promise<T> | undefined;
  return () =>
    (made ??= make().catch((err: unknown) => {
      made = undefined;
      throw err;
    }));
}
