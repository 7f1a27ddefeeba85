/**
 * V8's optimizing compilers, on only while a throughput path runs (issue 22).
 *
 * bin/berthd starts Node with Maglev and TurboFan off: an idle daemon, or one starting and
 * stopping containers, mostly waits on the kernel, and the compilers' code and zones would cost
 * it memory for nothing. A pull, push, load, save, import or build context is the opposite:
 * every 64 KiB chunk passes through several stream stages, and in baseline code those stages
 * cost the daemon more CPU than the hashing and the copies together. Five 40 MB pulls at once,
 * on 2 cores: berthd used 480-1000 ms of user CPU without the compilers and 220-400 ms with
 * them (docs/benchmarks.md).
 *
 * V8 reads these flags each time it decides whether to optimize a function, so turning them on
 * for the length of such a path is enough: code optimized then stays until V8 discards it, and
 * nothing is optimized once the last path is done. That code is what it costs: a daemon's RSS
 * stayed 8-10 MiB higher after its first window (TurboFan's share; Maglev alone cost 2 MiB but
 * saved little: 610-1020 ms for the five pulls). So a window opens only for a path that moves
 * enough bytes to gain from it: at once when its size is known and at least OPEN_AT_BYTES (a
 * pull or push knows its layers' sizes), else once the path has run OPEN_AFTER_MS (a load or
 * import reads a stream of unknown length; opening late keeps about half the gain). The busybox
 * bootstrap, a small pull or a cached build's context never turn the compilers on, and an idle
 * daemon that did only those stays as small as before. A daemon started with the compilers on
 * (not through bin/berthd) keeps them on.
 */
import { setFlagsFromString } from 'node:v8';

/** The compilers this process was started without, as the flag that turns each on. */
const off = [
  ...(process.execArgv.includes('--no-maglev') ? ['--maglev'] : []),
  ...(process.execArgv.some((a) => a === '--no-opt' || a === '--no-turbofan') ? ['--turbofan'] : []),
];

/** A path of unknown size that has run this long opens its window. */
export const OPEN_AFTER_MS = 250;
/** A path known to move at least this many bytes opens its window at once; a smaller one never. */
export const OPEN_AT_BYTES = 16 << 20;

let open = 0;

function set(on: boolean): void {
  for (const flag of off) setFlagsFromString(on ? flag : flag.replace('--', '--no-'));
}

/**
 * Turns the compilers on for a path of `bytes` (or of unknown size) until the function returned
 * is called (once; later calls do nothing). Called before the window opened, nothing was.
 */
export function optimizingWindow(bytes?: number): () => void {
  if (off.length === 0 || (bytes !== undefined && bytes < OPEN_AT_BYTES)) return () => undefined;
  let opened = false;
  let closed = false;
  const openNow = (): void => {
    opened = true;
    if (open++ === 0) set(true);
  };
  const timer = bytes === undefined ? setTimeout(openNow, OPEN_AFTER_MS).unref() : undefined;
  if (bytes !== undefined) openNow();
  return () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    if (opened && --open === 0) set(false);
  };
}

/** Runs `work` (a path of `bytes`, or of unknown size) in a window. */
export async function optimizing<T>(work: () => Promise<T>, bytes?: number): Promise<T> {
  const close = optimizingWindow(bytes);
  try {
    return await work();
  } finally {
    close();
  }
}
