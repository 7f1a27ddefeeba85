import { ConflictError, InvalidParameterError, NotImplementedError } from '../../core/errors.js';
import { RemoveRunningError, type ContainerService } from '../../engine/containers/container-service.js';
import type { CreateRequest } from '../../engine/containers/create-request.js';
import type { WaitCondition } from '../../engine/containers/exit-notifier.js';
import { readLogs } from '../../engine/containers/logs/json-file-reader.js';
import { writeLogs } from '../../engine/containers/logs/log-stream.js';
import { queryBool, queryFilters, queryInt, readJsonBody, sendJson, sendNoContent, type RequestContext } from '../http-context.js';
import type { HijackContext, Route } from '../route.js';
import { splice, streamOutput, writeUpgrade } from '../streams/hijack.js';
import { frame } from '../streams/multiplex.js';
import { legacyAliases, legacyCreateBody } from '../version-gates.js';
import { containerLimitRoutes } from './container-limits.js';

const id = (ctx: { params: Record<string, string> }): string => ctx.params.id ?? '';

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

function parseTime(v: string | null, name: string): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isNaN(n)) return n;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidParameterError(`invalid value for ${name}: "${v}"`);
  return t / 1000;
}

export function containerRoutes(containers: ContainerService): Route[] {
  const attachHijack = async (ctx: HijackContext): Promise<void> => {
    const { record, stream } = containers.attach(id(ctx));
    const opts = {
      tty: record.Config.Tty,
      stdin: queryBool(ctx.query, 'stdin'),
      stdout: queryBool(ctx.query, 'stdout'),
      stderr: queryBool(ctx.query, 'stderr'),
      stdinOnce: record.Config.StdinOnce,
      head: ctx.head,
    };
    ctx.socket.pause();
    writeUpgrade(ctx.socket, opts.tty, ctx.apiVersion);
    let monitor;
    try {
      monitor = await stream;
    } catch {
      ctx.socket.end();
      return;
    }
    await splice(ctx.socket, monitor, opts);
  };

  return [
    {
      method: 'GET',
      path: '/containers/json',
      handler: async ({ res, query }) => {
        const limit = queryInt(query, 'limit');
        sendJson(res, 200, await containers.list({ all: queryBool(query, 'all'), ...(limit !== undefined ? { limit } : {}), size: queryBool(query, 'size'), filters: queryFilters(query) }));
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
        sendJson(res, 201, await containers.create(legacyCreateBody(body, apiVersion), name));
      },
    },
    { method: 'GET', path: '/containers/:id/json', handler: async (ctx) => sendJson(ctx.res, 200, legacyAliases(await containers.inspect(id(ctx), queryBool(ctx.query, 'size')), ctx.apiVersion)) },
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
        if (queryBool(ctx.query, 'link')) throw new InvalidParameterError('links are not supported: there is no link to remove');
        await containers.remove(id(ctx), { force: queryBool(ctx.query, 'force'), volumes: queryBool(ctx.query, 'v') }).catch((err: unknown) => {
          throw err instanceof RemoveRunningError && ctx.apiVersion < 1.44 ? new ConflictError(err.legacyMessage()) : err;
        });
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
        // Throws at once for an unknown container, while a 404 can still be sent.
        const waiting = containers.wait(id(ctx), condition);
        const record = containers.get(id(ctx));
        // The docker CLI blocks on the headers of this call before it starts the container.
        ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
        ctx.res.flushHeaders();
        const code = await waiting;
        // OOMKilled is Berth's addition (clients ignore unknown fields): `run --rm` can say why
        // the container died although it is removed by the time the answer arrives.
        ctx.res.end(JSON.stringify({ StatusCode: code, ...(record.State.OOMKilled && !record.State.Running ? { OOMKilled: true } : {}) }) + '\n');
      },
    },
    {
      method: 'GET',
      path: '/containers/:id/top',
      handler: async (ctx) => sendJson(ctx.res, 200, await containers.top(id(ctx), ctx.query.get('ps_args') ?? undefined)),
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
        const { record, stream } = containers.attach(id(ctx));
        ctx.res.writeHead(200, { 'Content-Type': record.Config.Tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
        ctx.res.flushHeaders();
        const monitor = await stream;
        await streamOutput(ctx.res, monitor, { tty: record.Config.Tty, stdout: queryBool(ctx.query, 'stdout'), stderr: queryBool(ctx.query, 'stderr') });
      },
    },
    ...containerLimitRoutes(containers),
    {
      method: 'GET',
      path: '/containers/:id/logs',
      handler: async (ctx) => {
        const r = containers.get(id(ctx));
        if (r.LogPath === '') throw new NotImplementedError('configured logging driver does not support reading');
        const stdout = queryBool(ctx.query, 'stdout');
        const stderr = queryBool(ctx.query, 'stderr');
        if (!stdout && !stderr) throw new InvalidParameterError('Bad parameters: you must choose at least one stream');
        const tailRaw = ctx.query.get('tail');
        const tail = tailRaw === null || tailRaw === '' || tailRaw === 'all' ? 'all' : Number(tailRaw);
        if (tail !== 'all' && !Number.isInteger(tail)) throw new InvalidParameterError(`invalid value for tail: "${tailRaw}"`);
        const since = parseTime(ctx.query.get('since'), 'since');
        const until = parseTime(ctx.query.get('until'), 'until');
        const follow = queryBool(ctx.query, 'follow');
        const exited = follow && r.State.Running ? containers.wait(r.Id, 'not-running').then(() => undefined) : Promise.resolve();
        ctx.res.writeHead(200, { 'Content-Type': r.Config.Tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
        ctx.res.flushHeaders();
        await writeLogs(
          ctx.res,
          (signal) =>
            readLogs(r.LogPath, {
              stdout,
              stderr,
              ...(since !== undefined ? { since } : {}),
              ...(until !== undefined ? { until } : {}),
              tail,
              timestamps: queryBool(ctx.query, 'timestamps'),
              details: queryBool(ctx.query, 'details'),
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
