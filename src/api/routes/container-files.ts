import { InvalidParameterError } from '../../core/errors.js';
import type { Lazy } from '../../core/lazy.js';
import type { ContainerChanges } from '../../engine/rootfs/container-changes.js';
import { queryBool, sendJson, sendNoContent } from '../http-context.js';
import type { Route } from '../route.js';

function statHeader(stat: object): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

function pathParam(query: URLSearchParams): string {
  const path = query.get('path');
  if (!path) throw new InvalidParameterError('path is required: give the path of a file or directory in the container');
  return path;
}

/** diff, export, commit and the archive API (docker cp). */
export function containerFileRoutes(changes: Lazy<ContainerChanges>): Route[] {
  return [
    { method: 'GET', path: '/containers/:id/changes', handler: async (ctx) => sendJson(ctx.res, 200, await (await changes()).diff(ctx.params.id ?? '')) },
    {
      method: 'GET',
      path: '/containers/:id/export',
      handler: async (ctx) => {
        const tar = await (await changes()).export(ctx.params.id ?? '');
        ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
        tar.on('error', () => ctx.res.destroy());
        // A client that goes away ends the read: a stopped container's volumes stay bound (and its
        // lock held) until the tar closes.
        ctx.res.once('close', () => tar.destroy());
        tar.pipe(ctx.res);
      },
    },
    {
      method: 'GET',
      path: '/containers/:id/archive',
      handler: async (ctx) => {
        if (ctx.req.method === 'HEAD') {
          const stat = await (await changes()).stat(ctx.params.id ?? '', pathParam(ctx.query));
          ctx.res.writeHead(200, { 'X-Docker-Container-Path-Stat': statHeader(stat) });
          ctx.res.end();
          return;
        }
        const { stat, tar } = await (await changes()).getArchive(ctx.params.id ?? '', pathParam(ctx.query));
        ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar', 'X-Docker-Container-Path-Stat': statHeader(stat) });
        tar.on('error', () => ctx.res.destroy());
        // A client that goes away ends the read: a stopped container's volumes stay bound (and its
        // lock held) until the tar closes.
        ctx.res.once('close', () => tar.destroy());
        tar.pipe(ctx.res);
      },
    },
    {
      method: 'PUT',
      path: '/containers/:id/archive',
      handler: async (ctx) => {
        await (await changes()).putArchive(ctx.params.id ?? '', pathParam(ctx.query), ctx.req, {
          noOverwriteDirNonDir: queryBool(ctx.query, 'noOverwriteDirNonDir'),
          copyUIDGID: queryBool(ctx.query, 'copyUIDGID'),
        });
        sendNoContent(ctx.res, 200);
      },
    },
    {
      method: 'POST',
      path: '/commit',
      handler: async (ctx) => {
        const container = ctx.query.get('container');
        if (!container) throw new InvalidParameterError('container is required: name the container to commit');
        const repo = ctx.query.get('repo') || undefined;
        const tag = ctx.query.get('tag') || undefined;
        const author = ctx.query.get('author') || undefined;
        const comment = ctx.query.get('comment') || undefined;
        const id = await (await changes()).commit(container, {
          ...(repo ? { repo } : {}),
          ...(tag ? { tag } : {}),
          ...(author ? { author } : {}),
          ...(comment ? { comment } : {}),
          changes: ctx.query.getAll('changes').flatMap((c) => c.split('\n')).filter((c) => c.trim() !== ''),
          pause: queryBool(ctx.query, 'pause', true),
        });
        sendJson(ctx.res, 201, { Id: id });
      },
    },
  ];
}
