/**
 * `berth start` (docker start.go): without -a/-i it starts each container and prints its name;
 * with them it attaches first, registers the wait, starts, streams and exits with the status.
 */
import type { Command } from 'commander';
import { ApiError } from '../../client/engine-client.js';
import { CliExit, type CliContext } from '../cli-context.js';
import { startSession } from '../terminal/hijacked-session.js';
import { proxySignals } from '../terminal/signal-proxy.js';
import { monitorTtySize } from '../terminal/tty-size.js';
import {
  attachContainer, containerPath, detachKeyBytes, isTTY, noop, processStdin, waitForContainer,
} from './container-attach-io.js';
import { configDetachKeys } from '../docker-config.js';
import { errorText } from './container-create.js';
import { inspectContainer } from './container-inspect.js';

interface StartFlags {
  attach?: boolean;
  interactive?: boolean;
  detachKeys?: string;
}

async function startAttached(ctx: CliContext, name: string, flags: StartFlags): Promise<number> {
  const c = await inspectContainer(ctx, name);
  const tty = c.Config?.Tty === true;
  const stopProxy = tty ? noop : proxySignals(ctx.client, c.Id);
  try {
    const stdin = flags.interactive === true && c.Config?.OpenStdin === true;
    const keys = flags.detachKeys ?? (await configDetachKeys());
    const socket = await attachContainer(ctx, c.Id, { stdin, stdout: true, stderr: true, detachKeys: keys });
    const session = startSession({
      socket,
      tty,
      stdin: stdin ? processStdin() : undefined,
      stdout: ctx.stdout,
      stderr: tty ? ctx.stdout : ctx.stderr,
      detachKeys: detachKeyBytes(ctx, keys),
    });
    const wait = await waitForContainer(ctx, c.Id, c.HostConfig?.AutoRemove === true ? 'removed' : 'next-exit');
    try {
      await ctx.client.noContent({ method: 'POST', path: containerPath(c.Id, 'start') });
    } catch (err) {
      session.abort();
      await session.done.catch(noop);
      if (c.HostConfig?.AutoRemove === true) await wait.status;
      else wait.cancel();
      throw err;
    }
    const stopResize = tty && isTTY(ctx.stdout) ? monitorTtySize(ctx.client, { kind: 'containers', id: c.Id }, ctx.stdout, ctx.stderr) : noop;
    try {
      const end = await session.done.catch((err: unknown) => {
        wait.cancel();
        throw new CliExit(1, (err as Error).message);
      });
      if (end === 'detached') {
        wait.cancel();
        return 0;
      }
      return await wait.status;
    } finally {
      stopResize();
    }
  } finally {
    stopProxy();
  }
}

export function defineStart(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .usage('[OPTIONS] CONTAINER [CONTAINER...]')
    .description('Start one or more stopped containers')
    .argument('<container...>')
    .option('-a, --attach', 'Attach STDOUT/STDERR and forward signals')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('-i, --interactive', "Attach container's STDIN")
    .action(async (names: string[], flags: StartFlags) => {
      if (flags.attach === true || flags.interactive === true) {
        if (names.length > 1) throw new CliExit(1, 'you cannot start and attach multiple containers at once');
        const code = await startAttached(ctx, names[0] ?? '', flags);
        if (code !== 0) throw new CliExit(code);
        return;
      }
      const failed: string[] = [];
      for (const n of names) {
        try {
          await ctx.client.noContent({ method: 'POST', path: containerPath(n, 'start') });
          ctx.out(n);
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          ctx.err(errorText(err));
          failed.push(n);
        }
      }
      if (failed.length > 0) throw new CliExit(1, `Error: failed to start containers: ${failed.join(', ')}`);
    });
}
