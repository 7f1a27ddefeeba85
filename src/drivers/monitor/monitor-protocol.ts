/**
 * What berthd and a berth-monitor share on disk. Each monitor (one per container, one per exec
 * session) owns one state directory; native/berth-monitor/main.c documents the full layout.
 *
 * Lifecycle: startMonitor → the runtime's `create` (or `exec --detach`) has run and the monitor
 * is detached → berthd runs `RUNTIME start ID` itself (create mode) → the process exits → the
 * monitor drains the output, writes the exit file, removes its sockets and monitor.pid, and ends.
 * A berthd that restarts finds a live monitor through monitor.pid, and a finished one through the
 * exit file.
 */
export const MONITOR_PID_FILE = 'monitor.pid';
/** Output to every client (tty: raw; else docker's multiplexed frames); input to stdin. */
export const ATTACH_SOCKET = 'attach.sock';
/** Line commands: `resize ROWS COLS`, `close-stdin`, `reopen-log`; answers `ok` or `error <message>`. */
export const CONTROL_SOCKET = 'ctl.sock';
export const DEFAULT_EXIT_FILE = 'exit.json';

/** The exit file: how the container's (or exec's) process ended. */
export interface MonitorExit {
  /** The exit status, or 128 + the signal number when a signal killed it (docker's rule). */
  exitCode: number;
  /** The signal that killed it, or null when it exited. */
  signal: number | null;
  /** RFC 3339 with nanoseconds, UTC. */
  finishedAt: string;
}

/** Parses an exit file's text; undefined when it is not a complete exit record. */
export function parseMonitorExit(text: string): MonitorExit | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { exitCode, signal, finishedAt } = value as Record<string, unknown>;
  if (typeof exitCode !== 'number' || !Number.isInteger(exitCode)) return undefined;
  if (signal !== null && (typeof signal !== 'number' || !Number.isInteger(signal))) return undefined;
  if (typeof finishedAt !== 'string') return undefined;
  return { exitCode, signal, finishedAt };
}
