import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, SystemError } from '../../core/errors.js';
import { isMonitorPid, readMonitorPid } from './monitor-liveness.js';
import { DEFAULT_EXIT_FILE, parseMonitorExit, type MonitorExit } from './monitor-protocol.js';

/**
 * How often waitExit looks again when no fs.watch event arrives (lost events, other mounts, a
 * monitor killed before it could record anything). Every running container has a watcher: with
 * 1,000 of them, each look must cost next to nothing (two syscalls while the container runs).
 */
const POLL_MS = 1000;

/**
 * The recorded exit, or undefined while the process runs (the file is written atomically). A
 * few bytes in the exec root: read synchronously (see readMonitorPid).
 */
export async function readExit(stateDir: string, exitFile = DEFAULT_EXIT_FILE): Promise<MonitorExit | undefined> {
  let text: string;
  try {
    text = readFileSync(join(stateDir, exitFile), 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  const exit = parseMonitorExit(text);
  if (!exit) throw new SystemError(`exit file ${join(stateDir, exitFile)} is not a valid exit record: ${JSON.stringify(text)}`);
  return exit;
}

/**
 * Resolves with the exit once the monitor records it. Rejects with SystemError when the monitor
 * is gone without recording one (it crashed or was killed), and with the signal's reason on abort.
 */
export async function waitExit(stateDir: string, exitFile = DEFAULT_EXIT_FILE, signal?: AbortSignal): Promise<MonitorExit> {
  signal?.throwIfAborted();
  return await new Promise<MonitorExit>((resolve, reject) => {
    let watcher: FSWatcher | undefined;
    let settled = false;
    let running = false;
    let again = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      watcher?.close();
      clearInterval(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => settle(() => reject(signal?.reason));
    const exitPath = join(stateDir, exitFile);
    // monitor.pid never changes while its monitor runs: read once.
    let pid: number | undefined;
    const lookOnce = async (): Promise<void> => {
      if (existsSync(exitPath)) {
        const exit = await readExit(stateDir, exitFile);
        if (exit) return settle(() => resolve(exit));
      }
      pid ??= await readMonitorPid(stateDir);
      if (pid !== undefined && isMonitorPid(pid)) return;
      // The monitor writes the exit file before it removes monitor.pid: look once more.
      const late = await readExit(stateDir, exitFile);
      if (late) return settle(() => resolve(late));
      settle(() => reject(new SystemError(`the monitor of ${stateDir} is not running and recorded no exit in ${exitFile}`)));
    };
    const look = (): void => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      lookOnce()
        .catch((err: unknown) => settle(() => reject(err)))
        .finally(() => {
          running = false;
          if (again && !settled) {
            again = false;
            look();
          }
        });
    };
    const timer = setInterval(look, POLL_MS);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      watcher = watch(stateDir, { persistent: false }, look);
      watcher.on('error', () => watcher?.close());
    } catch {
      watcher = undefined; // polling alone still finds it
    }
    look();
  });
}
