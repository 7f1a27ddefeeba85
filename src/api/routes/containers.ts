import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { parseDetachKeys } from '../../core/detach-keys.js';
import { ConflictError, errorMessage, InvalidParameterError, NotFoundError, NotImplementedError } from '../../core/errors.js';
import { RemoveRunningError, type ContainerService } from '../../engine/containers/container-service.js';
import type { ContainerRecord } from '../../engine/containers/container-types.js';
import type { WaitCondition } from '../../engine/containers/exit-notifier.js';
import { readLogs } from '../../engine/containers/logs/json-file-reader.js';
import { writeLogs } from '../../engine/containers/logs/log-stream.js';
import { queryBool, queryFilters, queryInt, readJsonBody, sendJson, sendNoContent, type RequestContext } from '../http-context.js';
import type { HijackContext, Route } from '../route.js';
import { splice, streamOutput, writeUpgrade } from '../streams/hijack.js';
import { frame } from '../streams/multiplex.js';
import { webSocketAccept, webSocketStream, writeWebSocketHandshake } from '../streams/websocket.js';
import { idAliasesAt, legacyCreateBody } from '../version-gates.js';
import { goFieldCase } from '../go-json.js';
import { SUPPORTED_CONFIG_KEYS, SUPPORTED_HOST_KEYS, type CreateRequest } from '../../engine/containers/create-request.js';
import { containerLimitRoutes } from './container-limits.js';
import { logQuery } from './log-query.js';

const id = (ctx: { params: Record<string, string> }): string => ctx.params.id ?? '';

/** Create's body as Go decodes it: Config and HostConfig fields whatever their case. */
function createFieldCase(body: Record<string, unknown>): Record<string, unknown> {
  const out = goFieldCase(body, SUPPORTED_CONFIG_KEYS);
  const host = out.HostConfig;
  if (host && typeof host === 'object' && !Array.isArray(host)) out.HostConfig = goFieldCase(host as Record<string, unknown>, SUPPORTED_HOST_KEYS);
  return out;
}

const HOST_ARCH = process.arch === 'x64' ? 'amd64' : process.arch;

/** `docker create --platform`: Berth runs the host's platform only, and says so rather than ignore it. */
function refuseForeignPlatform(platform: string | null): void {
  if (!platform) return;
  const [os, arch] = platform.toLowerCase().split('/');
  if (os === 'linux' && (arch === undefined || arch === HOST_ARCH || (HOST_ARCH === 'amd64' && arch === 'x86_64'))) return;
  throw new NotImplementedError(`container option platform "${platform}" is not supported by this Berth version: it runs linux/${HOST_ARCH} containers`);
}

/** Stop and restart read `signal` from API 1.42 on; older clients get the container's stop signal. */
function stopSignalParam(ctx: RequestContext): string | undefined {
  return (ctx.apiVersion >= 1.42 && ctx.query.get('signal')) || undefined;
}

/** `detachKeys=` of an attach; refused as docker does before anything is streamed. */
function attachDetachKeys(query: URLSearchParams): Buffer {
  const spec = query.get('detachKeys');
  if (!spec) return Buffer.alloc(0);
  try {
    return parseDetachKeys(spec);
  } catch (err) {
    throw new InvalidParameterError(`Invalid detach keys (${spec}) provided: ${errorMessage(err)}`);
  }
}

/**
 * `logs=1`: the container's output so far (its json-file log, every line), before any live
 * output, as docker's containerAttach does. Without a log to read there is nothing to send.
 */
async function attachLogs(out: Writable, record: ContainerRecord, opts: { tty: boolean; rawOutput?: boolean; stdout: boolean; stderr: boolean }): Promise<void> {
  const raw = opts.rawOutput ?? opts.tty;
  if (record.LogPath === '' || (!opts.stdout && !opts.stderr)) return;
  const lines = readLogs(record.LogPath, { stdout: opts.stdout, stderr: opts.stderr, tail: 'all', timestamps: false, details: false, follow: false, isRunning: () => false });
  try {
    for await (const { stream, line } of lines) {
      if (out.destroyed) return;
      const n = stream === 'stdout' ? 1 : 2;
      if (!out.write(raw ? line : frame(n, line))) await once(out, 'drain');
    }
  } catch {
    // docker logs the failure and goes on to the live stream; so does Berth.
  }
}

export function containerRoutes(containers: ContainerService): Route[] {
  const attachHijack = async (ctx: HijackContext): Promise<void> => {
    const detachKeys = attachDetachKeys(ctx.query);
    const { record, open } = containers.attach(id(ctx), { stream: queryBool(ctx.query, 'stream') });
    const opts = {
      tty: record.Config.Tty,
      stdin: queryBool(ctx.query, 'stdin') && record.Config.OpenStdin,
      stdout: queryBool(ctx.query, 'stdout'),
      stderr: queryBool(ctx.query, 'stderr'),
      stdinOnce: record.Config.StdinOnce,
      head: ctx.head,
      detachKeys,
      onDetach: () => containers.detached(record.Id),
    };
    ctx.socket.pause();
    await writeUpgrade(ctx.socket, opts.tty, ctx.apiVersion);
    if (queryBool(ctx.query, 'logs')) await attachLogs(ctx.socket, record, opts);
    if (!open) {
      ctx.socket.end();
      return;
    }
    let monitor;
    try {
      monitor = await open();
    } catch {
      ctx.socket.end();
      return;
    }
    await splice(ctx.socket, monitor, opts);
  };

  /**
   * `GET /containers/{id}/attach/ws` (moby's wsContainersAttach): the same attach over a
   * websocket, never multiplexed (stdout and stderr both come as they are), binary frames from API
   * 1.28; before 1.42 every stream is attached whatever the query says.
   */
  const attachWebSocket = async (ctx: HijackContext): Promise<void> => {
    const detachKeys = attachDetachKeys(ctx.query);
    const accept = webSocketAccept(ctx.req.headers);
    const asked = (name: string): boolean => ctx.apiVersion < 1.42 || queryBool(ctx.query, name);
    const { record, open } = containers.attach(id(ctx), { stream: queryBool(ctx.query, 'stream') });
    ctx.socket.pause();
    writeWebSocketHandshake(ctx.socket, accept);
    if (ctx.head.length > 0) ctx.socket.unshift(ctx.head);
    const ws = webSocketStream(ctx.socket, ctx.apiVersion >= 1.28);
    ws.on('error', () => undefined);
    const opts = {
      tty: record.Config.Tty,
      rawOutput: true,
      stdin: asked('stdin') && record.Config.OpenStdin,
      stdout: asked('stdout'),
      stderr: asked('stderr'),
      stdinOnce: record.Config.StdinOnce,
      detachKeys,
      onDetach: () => containers.detached(record.Id),
    };
    if (queryBool(ctx.query, 'logs')) await attachLogs(ws, record, opts);
    let monitor;
    try {
      if (!open) throw new Error('no stream asked for');
      monitor = await open();
    } catch {
      ws.end();
      return;
    }
    await splice(ws, monitor, opts);
  };

  return [
    {
      method: 'GET',
      path: '/containers/json',
      handler: async ({ res, query }) => {
        const limit = queryInt(query, 'limit');
        sendJson(res, 200, await containers.queries.list({ all: queryBool(query, 'all'), ...(limit !== undefined ? { limit } : {}), size: queryBool(query, 'size'), filters: queryFilters(query) }));
      },
    },
    {
      method: 'POST',
      path: '/containers/create',
      handler: async ({ req, res, query, apiVersion }) => {
        const body = await readJsonBody<CreateRequest>(req);
        if (!body) throw new InvalidParameterError('config cannot be empty in order to create a container');
        const name = query.get('name') || undefined;
        // dockerode sends the name in the body as well as in the query, where docker reads it.
        if (body.name !== undefined && body.name === name) delete body.name;
        // dockerd reads `platform` from API 1.41 on.
        refuseForeignPlatform(apiVersion >= 1.41 ? query.get('platform') : null);
        sendJson(res, 201, await containers.create(legacyCreateBody(createFieldCase(body), apiVersion), name));
      },
    },
    { method: 'GET', path: '/containers/:id/json', handler: async (ctx) => sendJson(ctx.res, 200, await containers.queries.inspect(id(ctx), queryBool(ctx.query, 'size'), idAliasesAt(ctx.apiVersion))) },
    { method: 'POST', path: '/containers/:id/start', handler: async (ctx) => (await containers.start(id(ctx)), sendNoContent(ctx.res)) },
    {
      method: 'POST',
      path: '/containers/:id/stop',
      handler: async (ctx) => {
        const t = queryInt(ctx.query, 't');
        const signal = stopSignalParam(ctx);
        await containers.stop(id(ctx), { ...(t !== undefined ? { timeout: t } : {}), ...(signal ? { signal } : {}) });
        sendNoContent(ctx.res);
      },
    },
    {
      method: 'POST',
      path: '/containers/:id/restart',
      handler: async (ctx) => {
        const t = queryInt(ctx.query, 't');
        const signal = stopSignalParam(ctx);
        await containers.restart(id(ctx), { ...(t !== undefined ? { timeout: t } : {}), ...(signal ? { signal } : {}) });
        sendNoContent(ctx.res);
      },
    },
    { method: 'POST', path: '/containers/:id/kill', handler: async (ctx) => (await containers.kill(id(ctx), ctx.query.get('signal') || undefined), sendNoContent(ctx.res)) },
    { method: 'POST', path: '/containers/:id/pause', handler: async (ctx) => (await containers.pause(id(ctx), true), sendNoContent(ctx.res)) },
    { method: 'POST', path: '/containers/:id/unpause', handler: async (ctx) => (await containers.pause(id(ctx), false), sendNoContent(ctx.res)) },
    {
      method: 'DELETE',
      path: '/containers/:id',
      handler: async (ctx) => {
        if (queryBool(ctx.query, 'link')) await containers.removeLink(id(ctx));
        else {
          await containers.remove(id(ctx), { force: queryBool(ctx.query, 'force'), volumes: queryBool(ctx.query, 'v') }).catch((err: unknown) => {
            throw err instanceof RemoveRunningError && ctx.apiVersion < 1.44 ? new ConflictError(err.legacyMessage()) : err;
          });
        }
        sendNoContent(ctx.res);
      },
    },
    {
      // `docker rm --link parent/alias`: a link's name has the parent's name in it.
      method: 'DELETE',
      path: '/containers/:parent/:alias',
      handler: async (ctx) => {
        const name = `${ctx.params.parent ?? ''}/${ctx.params.alias ?? ''}`;
        if (!queryBool(ctx.query, 'link')) throw new NotFoundError(`No such container: ${name}`);
        await containers.removeLink(name);
        sendNoContent(ctx.res);
      },
    },
    {
      method: 'POST',
      path: '/containers/:id/rename',
      handler: async (ctx) => {
        const name = ctx.query.get('name');
        if (!name) throw new InvalidParameterError('Neither old nor new names may be empty');
        await containers.rename(id(ctx), name);
        sendNoContent(ctx.res);
      },
    },
    {
      method: 'POST',
      path: '/containers/:id/wait',
      handler: async (ctx) => {
        const condition = (ctx.query.get('condition') || 'not-running') as WaitCondition;
        if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw new InvalidParameterError(`invalid condition: "${condition}"`);
        // A client gone before the exit (`docker run -d` exits, leaving its wait) frees its wait.
        const gone = new AbortController();
        ctx.res.once('close', () => gone.abort());
        // Throws at once for an unknown container, while a 404 can still be sent.
        const waiting = containers.wait(id(ctx), condition, gone.signal);
        const record = containers.get(id(ctx));
        // The docker CLI blocks on the headers of this call before it starts the container.
        ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
        ctx.res.flushHeaders();
        let code: number;
        try {
          code = await waiting;
        } catch (err) {
          if (gone.signal.aborted) return;
          throw err;
        }
        // OOMKilled is Berth's addition (clients ignore unknown fields): `run --rm` can say why
        // the container died although it is removed by the time the answer arrives.
        ctx.res.end(JSON.stringify({ StatusCode: code, ...(record.State.OOMKilled && !record.State.Running ? { OOMKilled: true } : {}) }) + '\n');
      },
    },
    {
      method: 'GET',
      path: '/containers/:id/top',
      handler: async (ctx) => sendJson(ctx.res, 200, await containers.queries.top(id(ctx), ctx.query.get('ps_args') ?? undefined)),
    },
    {
      method: 'POST',
      path: '/containers/:id/resize',
      handler: async (ctx) => {
        const h = queryInt(ctx.query, 'h') ?? 0;
        const w = queryInt(ctx.query, 'w') ?? 0;
        await containers.resize(id(ctx), h, w);
        sendNoContent(ctx.res, 200);
      },
    },
    {
      method: 'POST',
      path: '/containers/prune',
      handler: async ({ res, query }) => sendJson(res, 200, await containers.prune(queryFilters(query))),
    },
    {
      method: 'POST',
      path: '/containers/:id/attach',
      hijack: attachHijack,
      handler: async (ctx: RequestContext) => {
        // Without an upgrade (dockerode's default): output only, as a plain streamed response.
        attachDetachKeys(ctx.query);
        const { record, open } = containers.attach(id(ctx), { stream: queryBool(ctx.query, 'stream') });
        const opts = { tty: record.Config.Tty, stdout: queryBool(ctx.query, 'stdout'), stderr: queryBool(ctx.query, 'stderr') };
        // docker answers raw-stream here whatever the framing (moby's postContainersAttach).
        ctx.res.writeHead(200, { 'Content-Type': 'application/vnd.docker.raw-stream' });
        ctx.res.flushHeaders();
        if (queryBool(ctx.query, 'logs')) await attachLogs(ctx.res, record, opts);
        if (!open) {
          ctx.res.end();
          return;
        }
        const monitor = await open();
        if (ctx.res.destroyed) {
          monitor.destroy();
          return;
        }
        await streamOutput(ctx.res, monitor, opts);
      },
    },
    {
      method: 'GET',
      path: '/containers/:id/attach/ws',
      hijack: attachWebSocket,
      handler: async () => {
        throw new InvalidParameterError('websocket attach needs a websocket upgrade (Upgrade: websocket, Sec-WebSocket-Key)');
      },
    },
    ...containerLimitRoutes(containers),
    {
      method: 'GET',
      path: '/containers/:id/logs',
      handler: async (ctx) => {
        const r = containers.get(id(ctx));
        if (r.LogPath === '') throw new NotImplementedError('configured logging driver does not support reading');
        const asked = logQuery(ctx.query);
        const follow = queryBool(ctx.query, 'follow');
        const exited = follow && r.State.Running ? containers.wait(r.Id, 'not-running').then(() => undefined) : Promise.resolve();
        ctx.res.writeHead(200, { 'Content-Type': r.Config.Tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
        ctx.res.flushHeaders();
        await writeLogs(
          ctx.res,
          (signal) =>
            readLogs(r.LogPath, {
              ...asked,
              follow,
              isRunning: () => containers.get(r.Id).State.Running,
              waitForExit: exited,
              signal,
            }),
          r.Config.Tty,
          frame,
        );
      },
    },
  ];
}
