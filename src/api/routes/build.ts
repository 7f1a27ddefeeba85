import { InvalidParameterError, NotImplementedError, UnavailableError } from '../../core/errors.js';
import { NO_PROTOCOLS_MESSAGE } from '../buildkit/descriptor-path.js';
import type { Lazy } from '../../core/lazy.js';
import type { BuildOptions, BuildService } from '../../engine/build/build-service.js';
import type { BuildkitEndpoint } from '../buildkit/endpoint.js';
import { RunFailedError } from '../../engine/build/run-failed-error.js';
import { queryBool, queryFilters, queryInt, sendJson } from '../http-context.js';
import type { Route } from '../route.js';
import { JsonLines } from '../streams/json-lines.js';

function jsonParam<T>(query: URLSearchParams, name: string, check: (v: unknown) => v is T, fallback: T): T {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidParameterError(`invalid ${name} parameter: ${raw}: expected JSON`);
  }
  // JSON null is an empty value to dockerd's json.Unmarshal (compose sends `cachefrom=null`).
  if (parsed === null) return fallback;
  if (!check(parsed)) throw new InvalidParameterError(`invalid ${name} parameter: ${raw}`);
  return parsed;
}

const isStringMap = (v: unknown): v is Record<string, string | null> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => x === null || typeof x === 'string');
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The legacy builder's query (`docker build` without BuildKit) as build options. */
export function buildOptions(query: URLSearchParams, apiVersion = 1.5): BuildOptions {
  // dockerd reads `platform` from API 1.32 on.
  const platform = apiVersion >= 1.32 ? query.get('platform') : null;
  if (platform && !/^linux(\/(amd64|x86_64))?$/.test(platform)) throw new NotImplementedError(`building for platform "${platform}" is not supported: Berth builds for this machine only`);
  const buildArgs = new Map<string, string | null>(Object.entries(jsonParam(query, 'buildargs', isStringMap, {})));
  for (const k of buildArgs.keys()) if (k === '' || /[\s=]/.test(k)) throw new InvalidParameterError(`invalid build-arg name "${k}"`);
  const labels = jsonParam(query, 'labels', isStringMap, {});
  const host: Record<string, unknown> = {};
  const network = query.get('networkmode');
  if (network) host.NetworkMode = network === 'default' ? 'bridge' : network;
  const hosts = query.getAll('extrahosts').flatMap((h) => h.split(',')).filter((h) => h !== '');
  if (hosts.length > 0) host.ExtraHosts = hosts;
  for (const [param, field] of [['memory', 'Memory'], ['memswap', 'MemorySwap'], ['cpushares', 'CpuShares'], ['cpuperiod', 'CpuPeriod'], ['cpuquota', 'CpuQuota'], ['shmsize', 'ShmSize']] as const) {
    const v = queryInt(query, param);
    if (v) host[field] = v;
  }
  for (const [param, field] of [['cpusetcpus', 'CpusetCpus'], ['cpusetmems', 'CpusetMems']] as const) {
    const v = query.get(param);
    if (v) host[field] = v;
  }
  const target = query.get('target');
  return {
    dockerfile: query.get('dockerfile') || 'Dockerfile',
    tags: query.getAll('t').filter((t) => t !== ''),
    ...(target ? { target } : {}),
    noCache: queryBool(query, 'nocache'),
    cacheFrom: jsonParam(query, 'cachefrom', isStringList, []),
    rm: queryBool(query, 'rm', true),
    forceRm: queryBool(query, 'forcerm'),
    buildArgs,
    labels: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, v ?? ''])),
    runHostConfig: host,
    ...(query.get('remote') ? { remote: query.get('remote') as string } : {}),
    pull: queryBool(query, 'pull'),
  };
}

/**
 * `POST /build?version=2` (docker CLIs before buildx, e.g. 20.10, when /_ping says BuildKit): the
 * same query, as the Dockerfile frontend's attributes. The context and Dockerfile come from the
 * client's session (`remote=client-session`), not the body.
 */
export function buildkitAttrsFromQuery(query: URLSearchParams, apiVersion = 1.5): { attrs: Record<string, string>; tags: string[]; session: string; buildId: string } {
  const remote = query.get('remote');
  if (remote !== 'client-session') throw new NotImplementedError(`a BuildKit build (version=2) with remote=${remote ?? '(none)'}: Berth reads BuildKit contexts from the client's session only; build with buildx, or DOCKER_BUILDKIT=0 for a tarball or URL context`);
  const session = query.get('session') ?? '';
  if (session === '') throw new InvalidParameterError('a BuildKit build (version=2) needs the session parameter: the client serves its context there');
  const o = buildOptions(query, apiVersion);
  const attrs: Record<string, string> = { filename: o.dockerfile };
  if (o.target) attrs.target = o.target;
  if (o.noCache) attrs['no-cache'] = '';
  for (const [k, v] of o.buildArgs) if (v !== null) attrs[`build-arg:${k}`] = v;
  for (const [k, v] of Object.entries(o.labels)) attrs[`label:${k}`] = v;
  const h = o.runHostConfig;
  if (typeof h.NetworkMode === 'string') attrs['force-network-mode'] = h.NetworkMode === 'bridge' ? 'default' : h.NetworkMode;
  if (Array.isArray(h.ExtraHosts)) attrs['add-hosts'] = h.ExtraHosts.join(',');
  if (typeof h.ShmSize === 'number') attrs['shm-size'] = String(h.ShmSize);
  return { attrs, tags: o.tags, session, buildId: query.get('buildid') ?? '' };
}

export function buildRoutes(builds: Lazy<BuildService>, buildkit?: Lazy<BuildkitEndpoint>): Route[] {
  return [
    {
      method: 'POST',
      path: '/build/cancel',
      coverage: () => ({ state: 'done', note: 'cancels a BuildKit build (version=2) by its buildid' }),
      handler: async ({ res, query }) => {
        const id = query.get('id') ?? '';
        if (id === '') throw new InvalidParameterError('build cancel needs the id of the build (its buildid)');
        if (buildkit) (await buildkit()).cancelClassicBuild(id);
        res.writeHead(200).end();
      },
    },
    {
      method: 'POST',
      path: '/build/prune',
      coverage: () => ({ state: 'partial', note: 'keep-storage (reserved-space, max-used-space) and the until filter applied; min-free-space and other filters refused' }),
      handler: async ({ res, query }) => {
        const minFree = query.get('min-free-space');
        if (minFree && minFree !== '0') throw new NotImplementedError('build cache prune with min-free-space is not supported by this Berth version yet: use keep-storage');
        const keep = ['keep-storage', 'reserved-space', 'max-used-space'].map((p) => Number(query.get(p) ?? 0)).find((n) => n > 0) ?? 0;
        const filters = Object.entries(queryFilters(query)).flatMap(([k, vs]) => vs.map((v) => `${k}=${v}`));
        const removed = await (await builds()).pruneUsage({ all: queryBool(query, 'all'), keepBytes: keep, filters });
        sendJson(res, 200, { CachesDeleted: removed.map((r) => r.id), SpaceReclaimed: removed.filter((r) => !r.shared).reduce((sum, r) => sum + r.size, 0) });
      },
    },
    {
      method: 'POST',
      path: '/build',
      coverage: () => ({ state: 'partial', note: 'the legacy builder (docker CLIs with DOCKER_BUILDKIT=0, docker-py) plus BuildKit\'s RUN --mount and heredocs; version=2 (CLIs before buildx) builds through the BuildKit solve with the client\'s session; no git contexts' }),
      handler: async ({ req, res, query, apiVersion }) => {
        if (query.get('version') === '2') {
          req.resume(); // the context is in the session, the body is empty
          const spec = buildkitAttrsFromQuery(query, apiVersion);
          if (!buildkit) throw new UnavailableError(NO_PROTOCOLS_MESSAGE);
          const out = new JsonLines(res);
          const client = new AbortController();
          res.once('close', () => {
            if (!res.writableFinished) client.abort(new Error('the client disconnected'));
          });
          try {
            await (await buildkit()).classicBuild(spec, (m) => out.write(m), client.signal);
          } catch (err) {
            if (!res.headersSent) throw err;
            out.fail(err);
          }
          out.end();
          return;
        }
        const opts = buildOptions(query, apiVersion);
        // The image ID comes as an `aux` message from API 1.30 on, as dockerd sends it.
        const wantAux = apiVersion >= 1.3;
        const quiet = queryBool(query, 'q');
        const out = new JsonLines(res);
        const client = new AbortController();
        res.once('close', () => {
          if (!res.writableFinished) client.abort();
        });
        try {
          const id = await (await builds()).build(req, opts, { stream: (text) => !quiet && out.write({ stream: text }), aux: (value) => wantAux && out.write({ aux: value }), signal: client.signal });
          // Quiet: the ID is the only output, which is what the docker CLI prints.
          if (quiet) out.write({ stream: `${id}\n` });
        } catch (err) {
          // Before any output the CLI prints a plain error response; after, only an in-band error works.
          if (!res.headersSent) throw err;
          if (err instanceof RunFailedError) out.write({ errorDetail: { code: err.code, message: err.message }, error: err.message });
          else out.fail(err);
        }
        out.end();
      },
    },
  ];
}
