/**
 * V8's optimizing compilers, on only while a big transfer runs (issue 22).
 *
 * bin/berthd starts Node with Maglev and TurboFan off: an idle daemon, or one starting and
 * stopping containers, mostly waits on the kernel, and the compilers' code and zones would cost
 * it memory for nothing. A big pull or push is the opposite: every 64 KiB chunk passes through
 * several stream stages, and in baseline code those stages cost the daemon more CPU than the
 * hashing and the copies together. Five 40 MB pulls at once, on 2 cores: berthd used 480-1000
 * ms of user CPU without the compilers and 220-400 ms with them (docs/benchmarks.md).
 *
 * V8 reads these flags each time it decides whether to optimize a function, so turning them on
 * for the length of such a transfer is enough, and nothing is optimized once the last one is
 * done. The code optimized meanwhile stays: RSS was 5-15 MiB higher after big pulls (TurboFan's
 * share; Maglev alone cost 2 MiB but saved little, 610-1020 ms for the five pulls). So only a
 * transfer known to move OPEN_AT_BYTES or more opens a window (a pull or push knows its layers'
 * sizes before the first byte); the busybox bootstrap or a small pull never does, and an idle
 * daemon stays as small as before. A load's size is not known up front: it opens a window once
 * it has read that many bytes (image-loader.ts). Imports and build contexts stay in baseline
 * code. A daemon started with the compilers on (not through bin/berthd) keeps them on.
 */
import { setFlagsFromString } from 'node:v8';

/** The compilers this process was started without, as the flag that turns each on. */
const off = [
  ...(process.execArgv.includes('--no-maglev') ? ['--maglev'] : []),
  ...(process.execArgv.some((a) => a === '--no-opt' || a === '--no-turbofan') ? ['--turbofan'] : []),
];

/** A transfer of at least this many bytes opens a window; a smaller one never does. */
export const OPEN_AT_BYTES = 16 << 20;

let open = 0;

function set(on: boolean): void {
  for (const flag of off) setFlagsFromString(on ? flag : flag.replace('--', '--no-'));
}

/**
 * Turns the compilers on for a transfer of `bytes` until the function returned is called (once;
 * later calls do nothing).
 */
export function optimizingWindow(bytes: number): () => void {
  if (off.length === 0 || bytes < OPEN_AT_BYTES) return () => undefined;
  if (open++ === 0) set(true);
  let closed = false;
  return () => {
    if (closed) return;
    closed = true;
    if (--open === 0) set(false);
  };
}
