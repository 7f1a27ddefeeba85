/**
 * `berth attach` (docker attach.go): wait (no condition) → inspect, must be running → attach →
 * inspect again (the container may have stopped meanwhile) → for a TTY resize to h+1,w+1 and
 * back, so a shell redraws its prompt → stream → exit with the wait status.
 */
import type { Command } from 'commander';
import { CliExit, type CliContext } from '../cli-context.js';
import { startSession } from '../terminal/hijacked-session.js';
import { proxySignals } from '../terminal/signal-proxy.js';
import { consoleSize, monitorTtySize, resizeTo } from '../terminal/tty-size.js';
import { acceptBooleanValues } from './run-bool-flags.js';
import { attachContainer, detachKeyBytes, isTTY, noop, processStdin, waitForContainer } from './container-attach-io.js';
import { configDetachKeys } from '../docker-config.js';
import { inspectContainer, type ContainerInspect } from './container-inspect.js';

interface AttachFlags {
  stdin: boolean;
  sigProxy?: boolean;
  detachKeys?: string;
}

async function inspectRunning(ctx: CliContext, name: string): Promise<ContainerInspect> {
  const c = await inspectContainer(ctx, name);
  if (c.State?.Running !== true) throw new CliExit(1, 'cannot attach to a stopped container, start it first');
  if (c.State.Paused === true) throw new CliExit(1, 'cannot attach to a paused container, unpause it first');
  if (c.State.Restarting === true) throw new CliExit(1, 'cannot attach to a restarting container, wait until it is running');
  return c;
}

async function attach(ctx: CliContext, name: string, flags: AttachFlags): Promise<number> {
  const wait = await waitForContainer(ctx, name, undefined);
  try {
    const c = await inspectRunning(ctx, name);
    const tty = c.Config?.Tty === true;
    const withStdin = flags.stdin && c.Config?.OpenStdin === true;
    if (withStdin && tty && !isTTY(process.stdin)) throw new CliExit(1, 'the input device is not a TTY');
    const stopProxy = flags.sigProxy !== false && !tty ? proxySignals(ctx.client, c.Id) : noop;
    let stopResize = noop;
    try {
      const keys = flags.detachKeys ?? (await configDetachKeys());
      const socket = await attachContainer(ctx, name, { stdin: withStdin, stdout: true, stderr: true, detachKeys: keys });
      const session = startSession({
        socket,
        tty,
        stdin: withStdin ? processStdin() : undefined,
        stdout: ctx.stdout,
        stderr: ctx.stderr,
        detachKeys: detachKeyBytes(ctx, keys),
      });
      try {
        await inspectRunning(ctx, name);
      } catch (err) {
        session.abort();
        throw err;
      }
      if (tty && isTTY(ctx.stdout)) {
        const [rows, cols] = consoleSize(ctx.stdout);
        await resizeTo(ctx.client, { kind: 'containers', id: c.Id }, rows + 1, cols + 1).catch(noop);
        stopResize = monitorTtySize(ctx.client, { kind: 'containers', id: c.Id }, ctx.stdout, ctx.stderr);
      }
      const end = await session.done.catch((err: unknown) => {
        throw new CliExit(1, (err as Error).message);
      });
      // docker attach/exec report a detach as their error (run and start -a exit 0 quietly).
      if (end === 'detached') throw new CliExit(1, 'read escape sequence');
    } finally {
      stopResize();
      stopProxy();
    }
    return await wait.status;
  } finally {
    wait.cancel();
  }
}

export function defineAttach(parent: Command, ctx: CliContext, name: string): Command {
  const cmd = parent
    .command(name)
    .usage('[OPTIONS] CONTAINER')
    .description("Attach local standard input, output, and error streams to a running container")
    .argument('<container>')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('--no-stdin', 'Do not attach STDIN')
    .option('--sig-proxy', 'Proxy all received signals to the process (default true)')
    .option('--no-sig-proxy', 'Do not proxy signals')
    .action(async (container: string, flags: AttachFlags) => {
      const code = await attach(ctx, container, flags);
      if (code !== 0) throw new CliExit(code);
    });
  acceptBooleanValues(cmd); // `--sig-proxy=false`, as docker users write it
  return cmd;
}
