/**
 * berthd's side of berth-monitor (native/berth-monitor): start one, then find its exit, attach
 * to it and control it through its state directory — also after berthd restarted. The monitor
 * runs the OCI runtime itself; this module never talks to the runtime.
 */
import { InvalidParameterError, SystemError } from '../../core/errors.js';
import { nativeArtifactPath } from '../../core/native-artifacts.js';
import { runProgram } from '../host/host-spawn.js';
import { asRuncMessage } from '../runtime/runtime-messages.js';

export { connectAttach, sendControl } from './monitor-sockets.js';
export { readExit, waitExit } from './monitor-exit.js';
export { isMonitorAlive, readMonitorPid } from './monitor-liveness.js';
export * from './monitor-protocol.js';

export interface MonitorOptions {
  /** The berth-monitor executable (monitorBinaryPath()). */
  binary: string;
  /** The runtime's container ID. */
  id: string;
  /** The OCI bundle (create mode). */
  bundle: string;
  /** The runtime executable (runc, crun). */
  runtime: string;
  /** The environment the monitor runs (and so runs the runtime) with; berthd's by default. */
  env?: NodeJS.ProcessEnv;
  /** The runtime's --root. */
  runtimeRoot: string;
  /** An existing directory of the monitor's own; one per monitor. */
  stateDir: string;
  /** The json-file log to append to; no log when absent. */
  logPath?: string;
  /** Rotate the log when it reaches this many bytes (0: never). */
  logMaxSize?: number;
  /** Files kept, the live one included (`<log>.1` … `<log>.N-1`). */
  logMaxFiles?: number;
  /** gzip rotated files (`<log>.1.gz`), in a child process so the container never waits. */
  logCompress?: boolean;
  /** The log's format: docker's json-file (default) or Kubernetes' CRI lines. */
  logFormat?: 'json-file' | 'cri';
  tty: boolean;
  /** Keep the container's stdin open for attach clients. */
  stdin: boolean;
  /** Close the container's stdin when the attached stdin ends (docker's StdinOnce). */
  stdinOnce: boolean;
  /** Exec mode: `runtime exec --detach --process FILE` instead of `create`. */
  execProcessFile?: string;
  /** The exit file's name inside stateDir (default exit.json). */
  exitFile?: string;
  /** Initial terminal size, [rows, cols]. */
  consoleSize?: readonly [number, number];
  /** Keep output for the first attach client and wait for it (an exec may end before we attach). */
  holdOutput?: boolean;
  /** Create mode: the runtime's `run --detach` instead of `create`, so no `start` follows. */
  runNow?: boolean;
  /** Create mode: run the runtime in a private mount namespace without this mount (OciRuntime.hideOnCreate). */
  hideMount?: string;
}

export interface MonitorStarted {
  /** The container's (or exec's) process, on the host. */
  pid: number;
  /** The detached monitor. */
  monitorPid: number;
}

/** The berth-monitor executable that node-gyp builds (native/berth-monitor). */
export function monitorBinaryPath(): string {
  return nativeArtifactPath('berth-monitor');
}

export function monitorArgs(opts: MonitorOptions): string[] {
  const args = ['--id', opts.id, '--bundle', opts.bundle, '--runtime', opts.runtime, '--runtime-root', opts.runtimeRoot];
  args.push('--state-dir', opts.stateDir);
  if (opts.logPath !== undefined) args.push('--log-path', opts.logPath);
  if (opts.logMaxSize) args.push('--log-max-size', String(opts.logMaxSize), '--log-max-file', String(opts.logMaxFiles ?? 1));
  if (opts.logMaxSize && opts.logCompress) args.push('--log-compress');
  if (opts.logFormat === 'cri') args.push('--log-format', 'cri');
  if (opts.tty) args.push('--tty');
  if (opts.stdin) args.push('--stdin');
  if (opts.stdinOnce) args.push('--stdin-once');
  if (opts.execProcessFile !== undefined) args.push('--exec-process', opts.execProcessFile);
  if (opts.exitFile !== undefined) args.push('--exit-file', opts.exitFile);
  if (opts.consoleSize) args.push('--console-size', `${opts.consoleSize[0]}x${opts.consoleSize[1]}`);
  if (opts.holdOutput) args.push('--hold-output');
  if (opts.runNow) args.push('--run');
  if (opts.hideMount !== undefined) args.push('--hide-mount', opts.hideMount);
  return args;
}

/**
 * The exit code docker gives a container whose process could not be started: 127 when the
 * command does not exist, 126 when it cannot be run (moby's translateContainerdStartErr).
 */
export function startFailureExitCode(message: string): 126 | 127 | undefined {
  // A working directory that does not exist also says "no such file or directory", but it is
  // not a missing command: docker leaves it at the default code.
  if (/chdir to cwd/.test(message)) return undefined;
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(message)) return 127;
  if (message.includes('permission denied')) return 126;
  return undefined;
}

/** The error for a monitor's {"error": ...} report: the user's fault when the command is bad. */
function startError(message: string): Error {
  return startFailureExitCode(message) !== undefined ? new InvalidParameterError(message) : new SystemError(message);
}

/** Turns a monitor's {"error": ...} report (already in runc's words) into the error to throw. */
export type ReportError = (message: string) => Error;

function parseReport(stdout: string, stderr: string, code: number | null, toError: ReportError): MonitorStarted {
  const line = stdout.trim().split('\n').pop() ?? '';
  let report: unknown;
  try {
    report = JSON.parse(line);
  } catch {
    throw new SystemError(`berth-monitor exited with ${code ?? 'a signal'} without a report: ${(stderr || stdout).trim()}`);
  }
  const r = report as { pid?: unknown; monitorPid?: unknown; error?: unknown };
  if (typeof r.error === 'string') throw toError(asRuncMessage(r.error));
  if (typeof r.pid !== 'number' || typeof r.monitorPid !== 'number') {
    throw new SystemError(`berth-monitor sent an invalid report: ${line}`);
  }
  return { pid: r.pid, monitorPid: r.monitorPid };
}

/**
 * Starts a monitor and waits until the runtime's create (or exec) has finished. Resolves once the
 * container's process exists (create mode: not started yet) and the attach and control sockets
 * listen. Rejects with the runtime's own error message: by default InvalidParameterError when the
 * command cannot be found or run, SystemError otherwise; `toError` makes another error of it
 * (the runtime seam's RuntimeStartError).
 */
export async function startMonitor(opts: MonitorOptions, toError: ReportError = startError): Promise<MonitorStarted> {
  // Its own session: the monitor outlives berthd and must not get the terminal's signals.
  const r = await runProgram(opts.binary, monitorArgs(opts), { setsid: true, env: opts.env ?? process.env }).catch((e: unknown) => {
    throw new SystemError(`cannot run ${opts.binary}: ${(e as Error).message}`, { cause: e });
  });
  return parseReport(r.stdout.toString('utf8'), r.stderr.toString('utf8'), r.code, toError);
}
