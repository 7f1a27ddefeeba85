import { InvalidParameterError } from '../../core/errors.js';
import type { RegistryCredentials } from '../../engine/images/distribution/registry-http.js';
import type { ImageService } from '../../engine/images/image-service.js';
import type { Lazy } from '../../core/lazy.js';
import type { ImageArchives } from '../../engine/images/image-archives.js';
import type { DistributionService } from '../../engine/images/distribution/distribution-service.js';
import { INVALID_ARCHIVE } from '../../engine/images/archive/archive-error.js';
import { registryAuth } from './distribution.js';
import { queryBool, queryFilters, sendJson, type RequestContext } from '../http-context.js';
import type { Route } from '../route.js';
import { JsonLines } from '../streams/json-lines.js';
import { splitNamedPath } from '../named-path.js';
import { gateFields, IMAGE_INSPECT_GATES, IMAGE_LIST_GATES, legacyUntaggedNames } from '../version-gates.js';

/** Routes whose image name may contain `/` and `:` (`/images/localhost:5000/x/json`). */
const NAMED_ACTIONS = ['json', 'history', 'tag', 'push', 'get'] as const;

export function imageRoutes(images: ImageService, archives: Lazy<ImageArchives>, distribution: Lazy<DistributionService>): Route[] {
  const named = async (ctx: RequestContext): Promise<void> => {
    const { name, action } = splitNamedPath(ctx.params['*'] ?? '', ctx.req.method ?? 'GET', NAMED_ACTIONS);
    const { res, query } = ctx;
    switch (action) {
      case 'json':
        return sendJson(res, 200, gateFields(await images.inspect(name), ctx.apiVersion, IMAGE_INSPECT_GATES));
      case 'history':
        return sendJson(res, 200, await images.history(name));
      case 'tag': {
        const repo = query.get('repo');
        if (!repo) throw new InvalidParameterError('repository name must have at least one component');
        await images.tag(name, repo, query.get('tag') || undefined);
        res.writeHead(201);
        res.end();
        return;
      }
      case 'delete':
        return sendJson(res, 200, await images.remove(name, { force: queryBool(query, 'force'), noPrune: queryBool(query, 'noprune') }));
      case 'get':
        return sendArchive(ctx, archives, [name]);
      case 'push':
        return progressStream(ctx, async (onProgress) => (await distribution()).push(name, query.get('tag') ?? '', { onProgress, ...credsOf(ctx) }));
    }
  };

  return [
    {
      method: 'GET',
      path: '/images/json',
      handler: async ({ res, query, apiVersion }) => {
        const filters = queryFilters(query);
        // Before 1.25 a `filter` parameter named a repository glob (the reference filter since).
        const legacyFilter = apiVersion < 1.25 && !filters.reference ? query.get('filter') : null;
        if (legacyFilter) filters.reference = [legacyFilter];
        const list = await images.list({ all: queryBool(query, 'all'), filters, digests: queryBool(query, 'digests') });
        sendJson(res, 200, list.map((i) => gateFields(legacyUntaggedNames(i, apiVersion), apiVersion, IMAGE_LIST_GATES)));
      },
    },
    { method: 'GET', path: '/images/get', handler: (ctx) => sendArchive(ctx, archives, ctx.query.getAll('names')) },
    {
      method: 'POST',
      path: '/images/load',
      handler: async ({ req, res, query }) => {
        const out = new JsonLines(res);
        try {
          await (await archives()).load(req, { quiet: queryBool(query, 'quiet'), onProgress: (m) => out.write(m) });
        } catch (err) {
          // dockerd answers 200 and streams every load error (docker-py raises ImageLoadError from
          // the stream; the CLI prints it and exits 1), even before any progress was sent.
          // dockerd's words for an archive it cannot read, which scripts match: "Error processing tar file…".
          out.fail(err instanceof InvalidParameterError && err.message.startsWith(INVALID_ARCHIVE) ? new InvalidParameterError(`Error processing tar file: ${err.message}`, { cause: err }) : err);
        }
        out.end();
      },
    },
    {
      method: 'POST',
      path: '/images/create',
      handler: async (ctx) => {
        const { req, res, query } = ctx;
        const fromSrc = query.get('fromSrc');
        if (fromSrc === null) {
          const platform = query.get('platform');
          return progressStream(ctx, async (onProgress) =>
            (await distribution()).pull(query.get('fromImage') ?? '', query.get('tag') ?? '', { onProgress, ...credsOf(ctx), ...(platform ? { platform } : {}) }),
          );
        }
        const out = new JsonLines(res);
        const repoParam = query.get('repo') ?? '';
        const tagParam = query.get('tag') ?? '';
        const id = await (await archives()).import(fromSrc === '-' ? req : fromSrc, {
          ...(repoParam ? { repo: repoParam } : {}),
          ...(tagParam ? { tag: tagParam } : {}),
          ...(query.get('message') ? { message: query.get('message') as string } : {}),
          changes: query.getAll('changes'),
          ...(query.get('platform') ? { platform: query.get('platform') as string } : {}),
        });
        out.write({ status: id });
        out.end();
      },
    },
    {
      method: 'POST',
      path: '/images/prune',
      handler: async ({ res, query }) => {
        const filters = queryFilters(query);
        sendJson(res, 200, await images.prune({ filters }));
      },
    },
    { method: 'GET', path: '/images/*', handler: named },
    { method: 'POST', path: '/images/*', handler: named },
    { method: 'DELETE', path: '/images/*', handler: named },
  ];
}

function credsOf(ctx: RequestContext): { creds?: RegistryCredentials } {
  const creds = registryAuth(ctx.req);
  return creds ? { creds } : {};
}

/** Pull and push: errors before the first progress line are plain HTTP errors (the CLI prints them as such). */
async function progressStream(ctx: RequestContext, run: (onProgress: (m: object) => void) => Promise<unknown>): Promise<void> {
  const out = new JsonLines(ctx.res);
  try {
    await run((m) => out.write(m));
  } catch (err) {
    if (!ctx.res.headersSent) throw err;
    out.fail(err);
  }
  out.end();
}

async function sendArchive(ctx: RequestContext, archives: Lazy<ImageArchives>, names: string[]): Promise<void> {
  if (names.length === 0) throw new InvalidParameterError('no image names given to save');
  const stream = await (await archives()).save(names);
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  stream.on('error', () => ctx.res.destroy());
  stream.pipe(ctx.res);
}
