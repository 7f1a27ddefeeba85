/**
 * `berth run`, in docker's order (docs: docker-cli-api-flow.md):
 *
 *   create (pull on 404) → [print ID when not attached] → attach (hijack) → wait
 *   (next-exit, or removed with --rm) → start → resize (TTY) → stream until the daemon closes
 *   → exit with the status the wait call reports.
 *
 * Exit codes: 125 when create/start fails for a daemon or CLI reason, 126/127 when the start
 * error says the command cannot be run / was not found, 0 after a detach, else the container's.
 */
import type { Command } from 'commander';
import { CliExit, type CliContext } from '../cli-context.js';
import { startSession, type Session } from '../terminal/hijacked-session.js';
import { proxySignals } from '../terminal/signal-proxy.js';
import { monitorTtySize } from '../terminal/tty-size.js';
import {
  attachContainer, containerPath, detachKeyBytes, isTTY, noop, processStdin, startErrorCode, waitForContainer,
} from './container-attach-io.js';
import { configDetachKeys } from '../docker-config.js';
import { createContainer, errorText, flagFailure, parseRunFlags } from './container-create.js';
import type { CreateBody } from '../../api/types/container.js';
import { addContainerFlags, type RunFlags } from './run-flags.js';
import { bytesSize } from './container-stats.js';
import { detachBody } from './run-options.js';

const trimDot = (s: string): string => s.replace(/\.$/, '');

/** What `run` says when the container died of the kernel's OOM killer, instead of a silent 137. */
function oomMessage(id: string, memory: number | undefined): string {
  const limit = memory && memory > 0 ? `its memory limit (-m ${bytesSize(memory)})` : 'the memory available to it';
  return `berth: container ${id.slice(0, 12)} was killed by the kernel's OOM killer: it ran out of ${limit}. Give it more memory with -m/--memory (or \`berth update -m\`), or make it use less.`;
}

async function openSession(ctx: CliContext, id: string, body: CreateBody, flags: RunFlags): Promise<Session | undefined> {
  if (!body.AttachStdin && !body.AttachStdout && !body.AttachStderr) return undefined;
  const keys = flags.detachKeys ?? (await configDetachKeys());
  const socket = await attachContainer(ctx, id, {
    stdin: body.AttachStdin, stdout: body.AttachStdout, stderr: body.AttachStderr, detachKeys: keys,
  });
  return startSession({
    socket,
    tty: body.Tty,
    stdin: body.AttachStdin ? processStdin() : undefined,
    stdout: ctx.stdout,
    // With a TTY there is one stream; docker writes it all to stdout.
    stderr: body.Tty ? ctx.stdout : ctx.stderr,
    detachKeys: detachKeyBytes(ctx, keys),
  });
}

/** Runs a created container to completion; returns the CLI's exit status. */
async function attachStartWait(ctx: CliContext, id: string, body: CreateBody, flags: RunFlags): Promise<number> {
  // The attach and the wait side by side, each on its connection: the start needs both in place
  // (no output lost, the exit seen), not one before the other. One round trip less than in turn.
  const waiting = waitForContainer(ctx, id, body.HostConfig.AutoRemove ? 'removed' : 'next-exit');
  let session: Session | undefined;
  try {
    session = await openSession(ctx, id, body, flags);
  } catch (err) {
    (await waiting).cancel();
    throw err;
  }
  const wait = await waiting;
  try {
    await ctx.client.noContent({ method: 'POST', path: containerPath(id, 'start') });
  } catch (err) {
    session?.abort();
    await session?.done.catch(noop);
    const text = errorText(err);
    ctx.err(`berth: ${trimDot(text)}.`);
    if (body.HostConfig.AutoRemove) await wait.status;
    else wait.cancel();
    return startErrorCode(text);
  }
  const stopResize = session && body.Tty && isTTY(ctx.stdout) ? monitorTtySize(ctx.client, { kind: 'containers', id }, ctx.stdout, ctx.stderr) : noop;
  try {
    if (session) {
      let end;
      try {
        end = await session.done;
      } catch (err) {
        wait.cancel();
        throw new CliExit(1, (err as Error).message);
      }
      if (end === 'detached') {
        wait.cancel();
        return 0;
      }
    }
    // Detached (or stdin-only) runs end once the container started.
    if (!body.AttachStdout && !body.AttachStderr) {
      wait.cancel();
      return 0;
    }
    const code = await wait.status;
    if (await wait.oomKilled) ctx.err(oomMessage(id, body.HostConfig.Memory));
    return code;
  } finally {
    stopResize();
  }
}

export async function runContainer(ctx: CliContext, flags: RunFlags, image: string, args: string[]): Promise<number> {
  const req = parseRunFlags(ctx, 'run', flags, image, args);
  const body = req.body;
  if (flags.detach === true) {
    if ((flags.attach ?? []).length > 0) throw flagFailure('run', 'Conflicting options: -a and -d');
    detachBody(req);
  } else if (body.AttachStdin && body.Tty && !isTTY(process.stdin)) {
    throw new CliExit(1, 'the input device is not a TTY');
  }
  let id: string;
  try {
    id = await createContainer(ctx, req, { pull: flags.pull ?? 'missing', quiet: flags.quiet === true });
  } catch (err) {
    const text = errorText(err);
    ctx.err(`berth: ${trimDot(text)}.\nSee 'berth run --help'.`);
    return startErrorCode(text);
  }
  // docker forwards signals to the container from here on, TTY or not (see signal-proxy.ts).
  const stopProxy = flags.sigProxy !== false ? proxySignals(ctx.client, id) : noop;
  try {
    if (!body.AttachStdout && !body.AttachStderr) ctx.out(id);
    return await attachStartWait(ctx, id, body, flags);
  } finally {
    stopProxy();
  }
}

export function defineRun(parent: Command, ctx: CliContext, name: string): Command {
  const cmd = parent
    .command(name)
    .usage('[OPTIONS] IMAGE [COMMAND] [ARG...]')
    .description('Create and run a new container from an image')
    .argument('<image>')
    .argument('[command...]');
  addContainerFlags(cmd, true).action(async (image: string, args: string[], flags: RunFlags) => {
    const code = await runContainer(ctx, flags, image, args);
    if (code !== 0) throw new CliExit(code);
  });
  return cmd;
}
