/**
 * V8's optimizing compilers, on only while a throughput path runs (issue 22).
 *
 * bin/berthd starts Node with Maglev and TurboFan off: an idle daemon, or one starting and
 * stopping containers, mostly waits on the kernel, and the compilers' code and zones cost it
 * about 3 MiB (Maglev) to 8 MiB (both) of resident memory. A pull, push, load, save, import or
 * build context is the opposite: every 64 KiB chunk passes through several stream stages, and
 * in baseline code those stages cost the daemon more CPU than the hashing and the copies
 * together. Five 40 MB pulls at once, on 2 cores: berthd used 480-830 ms of user CPU without
 * the compilers and 300-400 ms with them (docs/benchmarks.md).
 *
 * V8 reads these flags each time it decides whether to optimize a function, so turning them on
 * for the length of such a path is enough: code optimized then stays until V8 discards it, and
 * nothing is optimized once the last path is done. A daemon started with the compilers on (not
 * through bin/berthd) keeps them on.
 */
import { setFlagsFromString } from 'node:v8';

/** The compilers this process was started without, as the flag that turns each on. */
const off = [
  ...(process.execArgv.includes('--no-maglev') ? ['--maglev'] : []),
  ...(process.execArgv.some((a) => a === '--no-opt' || a === '--no-turbofan') ? ['--turbofan'] : []),
];

let open = 0;

function set(on: boolean): void {
  for (const flag of off) setFlagsFromString(on ? flag : flag.replace('--', '--no-'));
}

/** Turns the compilers on until the function returned is called (once; later calls do nothing). */
export function optimizingWindow(): () => void {
  if (off.length === 0) return () => undefined;
  if (open++ === 0) set(true);
  let closed = false;
  return () => {
    if (closed) return;
    closed = true;
    if (--open === 0) set(false);
  };
}

/** Runs `work` with the compilers on. */
export async function optimizing<T>(work: () => Promise<T>): Promise<T> {
  const close = optimizingWindow();
  try {
    return await work();
  } finally {
    close();
  }
}
