import type { Socket } from 'node:net';
import { errorMessage, InvalidParameterError } from '../../core/errors.js';
import type { ExecConfig, ExecService } from '../../engine/containers/exec-service.js';
import { queryInt, readJsonBody, sendJson, sendNoContent } from '../http-context.js';
import type { HijackContext, Route } from '../route.js';
import { splice, streamOutput, writeUpgrade, type OutputShape } from '../streams/hijack.js';
import { frame } from '../streams/multiplex.js';
import { goFieldCase } from '../go-json.js';

interface StartBody {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
}

/** The JSON body of a hijacked exec start (Node does not parse bodies of upgrade requests). */
function startBody(ctx: HijackContext): StartBody {
  const text = ctx.body.toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text) as StartBody;
  } catch {
    throw new InvalidParameterError('invalid JSON in exec start body');
  }
}

const EXEC_CONFIG_FIELDS: ReadonlyArray<keyof ExecConfig> = ['AttachStdin', 'AttachStdout', 'AttachStderr', 'DetachKeys', 'Tty', 'ConsoleSize', 'Env', 'Cmd', 'Privileged', 'User', 'WorkingDir'];

function execConfigOf(body: Record<string, unknown>): ExecConfig {
  const named = goFieldCase(body, EXEC_CONFIG_FIELDS);
  return Object.fromEntries(EXEC_CONFIG_FIELDS.filter((f) => f in named).map((f) => [f, named[f]])) as ExecConfig;
}

/** docker's rules for a start's console size: only with a TTY stream, only from API 1.42. */
function startConsoleSize(body: StartBody, apiVersion: number): [number, number] | undefined {
  return body.Tty === true && apiVersion >= 1.42 && body.ConsoleSize ? body.ConsoleSize : undefined;
}

/**
 * The streams an attached exec start gives the client (moby's postContainerExecStart): framed
 * unless the *start* request says `Tty`, whatever terminal exec create gave the process; a
 * stream without framing carries no stderr when the process has none of its own.
 */
function execStreams(e: ReturnType<ExecService['get']>, body: StartBody): OutputShape & { stdin: boolean } {
  const tty = e.config.Tty === true;
  const rawOutput = body.Tty === true;
  return { tty, rawOutput, stdin: e.config.AttachStdin === true, stdout: e.config.AttachStdout !== false, stderr: e.config.AttachStderr !== false && !(rawOutput && !tty) };
}

export function execRoutes(execs: ExecService): Route[] {
  return [
    {
      method: 'POST',
      path: '/containers/:id/exec',
      handler: async (ctx) => {
        const body = await readJsonBody<Record<string, unknown>>(ctx.req);
        if (!body) throw new InvalidParameterError('exec config cannot be empty');
        sendJson(ctx.res, 201, execs.create(ctx.params.id ?? '', execConfigOf(body)));
      },
    },
    {
      method: 'POST',
      path: '/exec/:id/start',
      handler: async (ctx) => {
        const body = (await readJsonBody<StartBody>(ctx.req)) ?? {};
        const id = ctx.params.id ?? '';
        if (body.Detach) {
          await execs.start(id, { detach: true });
          sendNoContent(ctx.res, 200);
          return;
        }
        // Without an upgrade (dockerode and testcontainers unless told to hijack) docker still
        // streams the output, in the response body, and ends it when the command ends. No stdin
        // can follow a plain request, so none is passed on; the process's stays open, as in docker.
        const e = execs.get(id);
        const streams = execStreams(e, body);
        // docker answers raw-stream here whatever the framing (moby's postContainerExecStart).
        ctx.res.writeHead(200, { 'Content-Type': 'application/vnd.docker.raw-stream' });
        ctx.res.flushHeaders();
        const monitor = await startOrEnd(execs, id, { detach: false, consoleSize: startConsoleSize(body, ctx.apiVersion) }, streams.rawOutput === true, (b) => ctx.res.end(b));
        if (monitor) await streamOutput(ctx.res, monitor, { ...streams, beforeEnd: () => execs.settled(id) });
      },
      hijack: async (ctx) => {
        const body = startBody(ctx);
        const id = ctx.params.id ?? '';
        const e = execs.get(id);
        const streams = execStreams(e, body);
        // As docker does, only an unknown exec is refused before the upgrade; a start that fails
        // is reported in the stream (stdout) and through the exec's exit code.
        // The process starts while the client reads the answer; its output waits in the monitor's socket.
        const upgraded = writeUpgrade(ctx.socket, streams.rawOutput === true, ctx.apiVersion);
        const monitor = await startOrEnd(execs, id, { detach: body.Detach === true, consoleSize: startConsoleSize(body, ctx.apiVersion) }, streams.rawOutput === true, (b) => void upgraded.then(() => ctx.socket.end(b)));
        await upgraded;
        if (monitor) await splice(ctx.socket, monitor, { ...streams, stdinOnce: true, head: ctx.head, detachKeys: e.detachKeys, onDetach: () => execs.detached(id), beforeEnd: () => execs.settled(id) });
      },
    },
    {
      method: 'POST',
      path: '/exec/:id/resize',
      handler: async (ctx) => {
        await execs.resize(ctx.params.id ?? '', queryInt(ctx.query, 'h') ?? 0, queryInt(ctx.query, 'w') ?? 0);
        sendNoContent(ctx.res, 200);
      },
    },
    {
      method: 'GET',
      path: '/exec/:id/json',
      handler: async (ctx) => {
        const execId = ctx.params.id ?? '';
        const inspect = execs.inspect(execId);
        // dockerd 20.10 (API 1.41) said 126 for every exec that could not start; Docker 23+ says
        // 127 when the command is not there. docker-py 5's test_exec_run_failed reads the former.
        if (ctx.apiVersion < 1.42 && execs.failedToStart(execId)) inspect.ExitCode = 126;
        sendJson(ctx.res, 200, inspect);
      },
    },
  ];
}

/** A start that failed, told on the stream's stdout as docker does ("OCI runtime exec failed: …"). */
/**
 * Starts the exec for a streamed start; when there is no stream to join (it failed to start, or
 * was detached) the client's stream is ended by `end`, with the failure written in it as docker does.
 */
async function startOrEnd(execs: ExecService, id: string, opts: Parameters<ExecService['start']>[1], raw: boolean, end: (chunk?: Buffer) => void): Promise<Socket | undefined> {
  let monitor: Socket | undefined;
  try {
    monitor = await execs.start(id, opts);
  } catch (err) {
    end(startFailure(err, raw));
    return undefined;
  }
  if (!monitor) end();
  return monitor;
}

function startFailure(err: unknown, raw: boolean): Buffer {
  const text = Buffer.from(`${errorMessage(err)}\r\n`);
  return raw ? text : frame(1, text);
}
