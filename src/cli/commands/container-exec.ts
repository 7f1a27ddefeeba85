/**
 * `berth exec` (docker exec.go): inspect the container (so "No such container" wins) →
 * `POST /containers/{id}/exec` → `POST /exec/{id}/start` hijacked with a JSON body → resize
 * (TTY) → stream → `GET /exec/{id}/json` → exit with its ExitCode. With -d the start is a plain
 * call with `Detach: true` and the CLI exits 0.
 */
import type { Command } from 'commander';
import { ConnectionError } from '../../client/engine-client.js';
import { hijack } from '../../client/hijack.js';
import { CliExit, type CliContext } from '../cli-context.js';
import { collect } from '../command-kit.js';
import { startSession } from '../terminal/hijacked-session.js';
import { consoleSize, monitorTtySize } from '../terminal/tty-size.js';
import { containerPath, detachKeyBytes, isTTY, noop, processStdin } from './container-attach-io.js';
import { configDetachKeys } from '../docker-config.js';
import { flagFailure } from './container-create.js';
import { inspectContainer } from './container-inspect.js';
import { acceptBooleanValues } from './run-bool-flags.js';
import { readEnv } from './run-env-file.js';
import { FlagError } from './run-units.js';

interface ExecFlags {
  detach?: boolean;
  detachKeys?: string;
  env?: string[];
  envFile?: string[];
  interactive?: boolean;
  privileged?: boolean;
  tty?: boolean;
  user?: string;
  workdir?: string;
}

export interface ExecCreateBody {
  User: string;
  Privileged: boolean;
  Tty: boolean;
  ConsoleSize: [number, number] | null;
  AttachStdin: boolean;
  AttachStderr: boolean;
  AttachStdout: boolean;
  Detach: boolean;
  DetachKeys: string;
  Env: string[] | null;
  WorkingDir: string;
  Cmd: string[];
}

/** docker's parseExec: without -d stdout/stderr are attached, stdin with -i. */
export function execCreateBody(flags: ExecFlags, cmd: string[], size: [number, number]): ExecCreateBody {
  const env = readEnv(flags.envFile ?? [], flags.env ?? []);
  const attached = flags.detach !== true;
  return {
    User: flags.user ?? '',
    Privileged: flags.privileged === true,
    Tty: flags.tty === true,
    ConsoleSize: flags.tty === true ? size : null,
    AttachStdin: attached && flags.interactive === true,
    AttachStderr: attached,
    AttachStdout: attached,
    Detach: flags.detach === true,
    DetachKeys: flags.detachKeys ?? '',
    Env: env.length > 0 ? env : null,
    WorkingDir: flags.workdir ?? '',
    Cmd: cmd,
  };
}

async function exitStatus(ctx: CliContext, execId: string): Promise<number> {
  try {
    const r = await ctx.client.json<{ ExitCode?: number | null }>({ method: 'GET', path: `/exec/${encodeURIComponent(execId)}/json` });
    return r.ExitCode ?? 0;
  } catch (err) {
    // The daemon went away: docker exits -1 (255) without a message.
    if (err instanceof ConnectionError) return 255;
    throw err;
  }
}

async function runExec(ctx: CliContext, container: string, cmd: string[], given: ExecFlags): Promise<number> {
  const keys = given.detachKeys ?? (await configDetachKeys());
  const flags: ExecFlags = { ...given, ...(keys !== undefined ? { detachKeys: keys } : {}) };
  let body: ExecCreateBody;
  try {
    body = execCreateBody(flags, cmd, consoleSize(ctx.stdout));
  } catch (err) {
    if (err instanceof FlagError) throw flagFailure('exec', err.message);
    throw err;
  }
  await inspectContainer(ctx, container);
  if (!body.Detach && body.AttachStdin && body.Tty && !isTTY(process.stdin)) throw new CliExit(1, 'the input device is not a TTY');
  const created = await ctx.client.json<{ Id?: string }>({ method: 'POST', path: containerPath(container, 'exec'), body });
  const execId = created.Id ?? '';
  if (execId === '') throw new CliExit(1, 'exec ID empty');
  const startBody = { Detach: body.Detach, Tty: body.Tty, ...(body.ConsoleSize ? { ConsoleSize: body.ConsoleSize } : {}) };
  const startPath = `/exec/${encodeURIComponent(execId)}/start`;
  if (body.Detach) {
    await ctx.client.noContent({ method: 'POST', path: startPath, body: startBody });
    return 0;
  }
  const socket = await hijack(ctx.client, { method: 'POST', path: startPath, body: startBody });
  const session = startSession({
    socket,
    tty: body.Tty,
    stdin: body.AttachStdin ? processStdin() : undefined,
    stdout: ctx.stdout,
    stderr: body.Tty ? ctx.stdout : ctx.stderr,
    detachKeys: detachKeyBytes(ctx, flags.detachKeys),
  });
  const stopResize = body.Tty && isTTY(process.stdin) ? monitorTtySize(ctx.client, { kind: 'exec', id: execId }, ctx.stdout, ctx.stderr) : noop;
  try {
    const end = await session.done.catch((err: unknown) => {
      throw new CliExit(1, (err as Error).message);
    });
    // docker attach/exec report a detach as their error (run and start -a exit 0 quietly).
    if (end === 'detached') throw new CliExit(1, 'read escape sequence');
  } finally {
    stopResize();
  }
  return exitStatus(ctx, execId);
}

export function defineExec(parent: Command, ctx: CliContext, name: string): Command {
  const cmd = parent
    .command(name)
    .usage('[OPTIONS] CONTAINER COMMAND [ARG...]')
    .description('Execute a command in a running container')
    .argument('<container>')
    .argument('<command...>')
    .passThroughOptions()
    .option('-d, --detach', 'Detached mode: run command in the background')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('-e, --env <list>', 'Set environment variables', collect)
    .option('--env-file <list>', 'Read in a file of environment variables', collect)
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('--privileged', 'Give extended privileges to the command')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .action(async (container: string, command: string[], flags: ExecFlags) => {
      const code = await runExec(ctx, container, command, flags);
      if (code !== 0) throw new CliExit(code);
    });
  acceptBooleanValues(cmd);
  return cmd;
}
