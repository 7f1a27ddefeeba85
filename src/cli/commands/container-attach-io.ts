/**
 * Pieces run, start -a, attach and exec share: the hijacked attach call, the wait call that
 * must be in place before start, detach-key resolution, and docker's exit-code rules for a
 * failed start.
 */
import type { Socket } from 'node:net';
import { hijack } from '../../client/hijack.js';
import type { CliContext } from '../cli-context.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../core/detach-keys.js';
import type { SessionInput } from '../terminal/hijacked-session.js';

export const noop = (): void => undefined;

export function isTTY(stream: unknown): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

export const containerPath = (id: string, verb: string): string => `/containers/${encodeURIComponent(id)}/${verb}`;

/** The process stdin as a session input (attached only when asked for). */
export function processStdin(): SessionInput {
  return process.stdin;
}

export interface AttachStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys?: string | undefined;
}

/** `POST /containers/{id}/attach?stream=1&stdin=…` upgraded to a raw socket. */
export function attachContainer(ctx: CliContext, id: string, s: AttachStreams): Promise<Socket> {
  return hijack(ctx.client, {
    method: 'POST',
    path: containerPath(id, 'attach'),
    query: {
      stream: true,
      stdin: s.stdin || undefined,
      stdout: s.stdout || undefined,
      stderr: s.stderr || undefined,
      detachKeys: s.detachKeys,
    },
  });
}

/**
 * The key sequence the CLI watches in TTY mode. A bad `--detach-keys` falls back to the default
 * with a warning, as docker does (the daemon gets the flag as given and may refuse it).
 */
export function detachKeyBytes(ctx: CliContext, spec: string | undefined): Buffer {
  try {
    return parseDetachKeys(spec ?? DEFAULT_DETACH_KEYS);
  } catch (err) {
    ctx.err(`WARNING: invalid detach escape keys, using default: ${(err as Error).message}`);
    return parseDetachKeys(DEFAULT_DETACH_KEYS);
  }
}

export interface WaitHandle {
  /** The container's exit status; 125 (after printing why) when waiting failed. */
  readonly status: Promise<number>;
  /** Whether the daemon reported the container OOM-killed (Berth daemons only). */
  readonly oomKilled: Promise<boolean>;
  /** Hangs up the wait (the CLI is done without needing the status). */
  cancel(): void;
}

interface WaitResponse {
  StatusCode?: number;
  Error?: { Message?: string } | null;
  /** Berth's addition: the kernel's OOM killer struck in the container. */
  OOMKilled?: boolean;
}

type WaitResult = { code: number; oomKilled: boolean } | { error: string };

/**
 * `POST /containers/{id}/wait[?condition=…]`, resolved once the daemon has sent its headers,
 * so the wait is registered before start. Never throws: a failure becomes status 125, and its
 * message is printed only when someone reads `status`, as docker reads the wait's error channel
 * only at the end (an attach to an unknown container reports the inspect error alone).
 */
export async function waitForContainer(ctx: CliContext, id: string, condition: string | undefined): Promise<WaitHandle> {
  let cancelled = false;
  let hangUp = noop;
  let result: Promise<WaitResult>;
  try {
    const res = await ctx.client.buffered({ method: 'POST', path: containerPath(id, 'wait'), query: { condition } });
    hangUp = () => res.close();
    result = res.body().then(
      (buf): WaitResult => {
        const body = JSON.parse(buf.toString('utf8') || '{}') as WaitResponse;
        return body.Error?.Message ? { error: body.Error.Message } : { code: body.StatusCode ?? 0, oomKilled: body.OOMKilled === true };
      },
      (err: unknown): WaitResult => ({ error: (err as Error).message }),
    );
  } catch (err) {
    result = Promise.resolve({ error: (err as Error).message });
  }
  let status: Promise<number> | undefined;
  return {
    get status() {
      status ??= result.then((r) => {
        if (!('error' in r)) return r.code;
        if (!cancelled) ctx.err(`Error waiting for container: ${r.error}`);
        return 125;
      });
      return status;
    },
    get oomKilled() {
      return result.then((r) => 'oomKilled' in r && r.oomKilled);
    },
    cancel: () => {
      cancelled = true;
      hangUp();
    },
  };
}

/** docker's run exit code for a failed start: 127 not found, 126 not executable, else 125. */
export function startErrorCode(message: string): number {
  if (message.includes('executable file not found') || message.includes('no such file or directory') || message.includes('system cannot find the file specified')) return 127;
  if (message.includes('permission denied') || message.includes('is a directory')) return 126;
  return 125;
}
