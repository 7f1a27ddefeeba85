/**
 * Why a runtime could not start a container's (or exec's) process, as a typed error: the engine
 * picks docker's exit code and wording from `reason`, never from the message text. The message
 * stays the runtime's own, in runc's words (runtime-messages.ts), because users and the docker
 * CLI read it. The classification is moby's translateContainerdStartErr.
 */
import { BerthError, type ErrorKind } from '../../core/errors.js';

export type StartFailureReason =
  /** The command does not exist (not in $PATH, or no such file): docker exit code 127. */
  | 'executable-not-found'
  /** The command exists but cannot be run: exit code 126. */
  | 'permission-denied'
  /** A mount of a file onto a directory or the reverse (ENOTDIR). */
  | 'not-a-directory'
  /** The working directory does not exist. */
  | 'cwd-not-found'
  /** Anything else: the runtime, the monitor or the host failed. */
  | 'runtime-failed';

/** moby's hint for ENOTDIR, appended to the runtime's message. */
const NOT_A_DIRECTORY_HINT = ': Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type';

/** The reason behind a runtime's start error message (in runc's words). */
export function startFailureReason(message: string): StartFailureReason {
  const m = message.toLowerCase();
  // A missing working directory also says "no such file or directory", but it is no missing command.
  if (m.includes('chdir to cwd')) return 'cwd-not-found';
  // moby also asks that the message names the command; runc's (and rewritten crun's) say `exec: "CMD"`.
  // A missing file of the runtime's own (`open /proc/self/fd`) is no missing command.
  if (/executable file not found|system cannot find the file specified/.test(m) || /exec: ".*no such file or directory/.test(m)) return 'executable-not-found';
  if (m.includes('permission denied')) return 'permission-denied';
  if (m.includes('not a directory')) return 'not-a-directory';
  return 'runtime-failed';
}

export class RuntimeStartError extends BerthError {
  readonly kind: ErrorKind;
  readonly reason: StartFailureReason;
  /** create (the container's init) or exec. */
  readonly phase: 'create' | 'exec';

  constructor(message: string, phase: 'create' | 'exec', options?: { cause?: unknown }) {
    const reason = startFailureReason(message);
    super(reason === 'not-a-directory' ? message + NOT_A_DIRECTORY_HINT : message, options);
    this.reason = reason;
    this.phase = phase;
    // The user's command or mounts are wrong (400 in docker); else the host failed.
    this.kind = reason === 'runtime-failed' ? 'system' : 'invalid-parameter';
  }

  /** docker's exit code for a process that never ran: 127 not found, 126 cannot run; else undefined. */
  get exitCode(): 126 | 127 | undefined {
    if (this.reason === 'executable-not-found') return 127;
    if (this.reason === 'permission-denied') return 126;
    return undefined;
  }
}
