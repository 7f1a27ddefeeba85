import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode } from '../../core/errors.js';
import { MONITOR_PID_FILE } from './monitor-protocol.js';

/** The kernel's name for the monitor process (the executable name, cut at 15 bytes). */
const MONITOR_COMM = 'berth-monitor';

/**
 * The pid in the state directory's monitor.pid, or undefined when there is none. Read
 * synchronously, as are the other few-byte files of a state directory (in the exec root, a
 * tmpfs): a daemon start adopting a thousand containers read them through the promise API's
 * thread pool for a quarter of its time.
 */
export async function readMonitorPid(stateDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = readFileSync(join(stateDir, MONITOR_PID_FILE), 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Whether the state directory's monitor still runs. A pid reused by another program, or a
 * monitor that exited but is not reaped yet (a zombie), counts as not running.
 */
export async function isMonitorAlive(stateDir: string): Promise<boolean> {
  const pid = await readMonitorPid(stateDir);
  if (pid === undefined) return false;
  return isMonitorPid(pid);
}

/**
 * Whether `pid` is a running monitor, read synchronously: /proc is made in memory by the kernel,
 * so this costs microseconds, where the promise API costs thread-pool round trips. Every running
 * container's exit watcher asks this once a second.
 */
export function isMonitorPid(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  return monitorStat(stat);
}

/** "pid (comm) state ppid …": comm may itself hold spaces or parentheses. */
function monitorStat(stat: string): boolean {
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const state = stat.slice(close + 2, close + 3);
  return comm === MONITOR_COMM && state !== 'Z' && state !== 'X';
}
