import { createHash } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { http } from '../core/node-builtins.js';
import { createServer as createHttpsServer } from 'node:https';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../core/logger.js';
import { RegistryError } from './registry-errors.js';
import { checkDigest, checkName, isTag, parseRegistryPath, type RegistryRoute } from './registry-names.js';
import { MAX_MANIFEST_BYTES, parseManifest } from './registry-manifests.js';
import { RegistryStorage, type Sha256 } from './registry-storage.js';
import { UploadStore } from './upload-store.js';
import type { RegistryAuth } from './registry-auth.js';
import { RateLimiter } from './throttle.js';

export interface RegistryServerOptions {
  root: string;
  auth: RegistryAuth;
  tls?: { cert: string; key: string };
  /** Bytes per second for everything the registry sends (blob and manifest bodies). */
  rateLimit?: number;
  uploadTtlMs: number;
  log: Logger;
}

const API_HEADER = { 'Docker-Distribution-API-Version': 'registry/2.0' };

/** Berth's registry: the OCI distribution spec v1.1 over RegistryStorage. */
export class RegistryServer {
  readonly storage: RegistryStorage;
  readonly uploads: UploadStore;
  private readonly limiter: RateLimiter | undefined;

  constructor(private readonly opts: RegistryServerOptions) {
    this.storage = new RegistryStorage(opts.root);
    this.uploads = new UploadStore(this.storage, opts.uploadTtlMs);
    this.limiter = opts.rateLimit ? new RateLimiter(opts.rateLimit) : undefined;
  }

  async createServer(): Promise<Server> {
    await this.storage.init();
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.handle(req, res);
    if (!this.opts.tls) return http().createServer(handler);
    return createHttpsServer({ cert: await readFile(this.opts.tls.cert), key: await readFile(this.opts.tls.key) }, handler);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    let sent = 0;
    const write = res.write.bind(res);
    res.write = ((chunk: Buffer | string, ...rest: unknown[]) => {
      sent += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof res.write;
    const end = res.end.bind(res);
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (chunk && typeof chunk !== 'function') sent += typeof chunk === 'string' ? Buffer.byteLength(chunk) : (chunk as Buffer).length;
      return (end as (...a: unknown[]) => ServerResponse)(chunk, ...rest);
    }) as typeof res.end;
    res.on('close', () => this.opts.log.info({ method: req.method, path: req.url, status: res.statusCode, bytes: sent, ms: Date.now() - started }, 'request'));
    try {
      await this.route(req, res);
    } catch (err) {
      const e = err instanceof RegistryError ? err : undefined;
      // A client that hangs up mid-response (dockerd does, at times, after a config's last byte)
      // is the client's business: distribution logs it as a disconnect, not as a failure.
      if (!e && res.headersSent && (err as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE') {
        this.opts.log.info({ path: req.url, bytes: sent }, 'client closed the connection before the response ended');
        req.resume();
        return;
      }
      if (!e) this.opts.log.error({ err, path: req.url }, 'request failed');
      req.resume();
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const error = e ?? new RegistryError('BLOB_UPLOAD_INVALID', 'internal error', undefined, 500);
      const body = error.body();
      res.writeHead(error.status, { ...API_HEADER, ...error.headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://registry');
    // The path as sent: URL parsing would resolve `..` and `%2e%2e` before the name check sees them.
    const rawPath = (req.url ?? '/').split('?')[0]!;
    if (rawPath.startsWith('/v2/') && (rawPath.includes('%') || /\/\.\.?(\/|$)/.test(rawPath))) {
      throw new RegistryError('NAME_INVALID', 'invalid repository name: the path holds escapes or dot segments');
    }
    const method = req.method ?? 'GET';
    if (url.pathname === '/token') {
      return json(res, 200, await this.opts.auth.issueToken(req, url.searchParams));
    }
    if (url.pathname === '/v1/search' && method === 'GET') return this.search(req, res, url.searchParams);
    if (!url.pathname.startsWith('/v2')) throw new RegistryError('NAME_UNKNOWN', 'page not found', undefined, 404);
    const route = parseRegistryPath(url.pathname);
    if (!route) throw new RegistryError('NAME_UNKNOWN', `no such endpoint ${url.pathname.slice(0, 200)}`, undefined, 404);
    const action = method === 'GET' || method === 'HEAD' ? 'pull' : method === 'DELETE' && route.kind !== 'upload' ? 'delete' : 'push';
    if (route.kind === 'base') {
      await this.opts.auth.checkSignedIn(req);
      return json(res, 200, {});
    }
    if (route.kind === 'catalog') {
      await this.opts.auth.authorize(req, undefined, 'pull');
      return this.catalog(res, url.searchParams);
    }
    await this.opts.auth.authorize(req, route.name, action === 'delete' ? 'delete' : action);
    // A mount also reads the source repository.
    if (route.kind === 'uploads' && url.searchParams.get('from')) {
      await this.opts.auth.authorize(req, url.searchParams.get('from')!, 'pull').catch(() => url.searchParams.delete('mount'));
    }
    return this.dispatch(route, method, req, res, url.searchParams);
  }

  private async dispatch(route: Exclude<RegistryRoute, { kind: 'base' | 'catalog' }>, method: string, req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
    const unsupported = (): never => {
      throw new RegistryError('UNSUPPORTED', `${method} is not supported here`, undefined, 405);
    };
    switch (route.kind) {
      case 'tags':
        return method === 'GET' ? this.tagList(res, route.name, q) : unsupported();
      case 'referrers':
        return method === 'GET' ? this.referrers(res, route.name, checkDigest(route.digest), q.get('artifactType')) : unsupported();
      case 'blob':
        if (method === 'GET' || method === 'HEAD') return this.getBlob(req, res, route.name, checkDigest(route.digest), method === 'HEAD');
        if (method === 'DELETE') {
          const digest = checkDigest(route.digest);
          if (!(await this.storage.unlinkBlob(route.name, digest))) throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} is not in repository ${route.name}`);
          return empty(res, 202, { 'Docker-Content-Digest': digest });
        }
        return unsupported();
      case 'uploads':
        return method === 'POST' ? this.startUpload(req, res, route.name, q) : unsupported();
      case 'upload':
        return this.upload(req, res, method, route.name, route.id, q);
      case 'manifest':
        if (method === 'GET' || method === 'HEAD') return this.getManifest(res, route.name, route.reference, method === 'HEAD');
        if (method === 'PUT') return this.putManifest(req, res, route.name, route.reference);
        if (method === 'DELETE') return this.deleteManifest(res, route.name, route.reference);
        return unsupported();
    }
  }

  private async catalog(res: ServerResponse, q: URLSearchParams): Promise<void> {
    const page = paginate(await this.storage.repositories(), q, '/v2/_catalog');
    json(res, 200, { repositories: page.items }, page.link);
  }

  /**
   * docker's v1 search API (`docker search host/term`): repositories whose name holds the term,
   * only those the caller may pull (Basic credentials count; anonymous callers see public ones).
   */
  private async search(req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
    const term = q.get('q') ?? '';
    const n = Math.min(Math.max(Number(q.get('n') ?? 25) || 25, 1), 100);
    const user = this.opts.auth.mode === 'none' ? undefined : await this.opts.auth.basicUser(req);
    const results = (await this.storage.repositories())
      .filter((r) => r.includes(term) && this.opts.auth.allowedActions(user, r).includes('pull'))
      .slice(0, n)
      .map((name) => ({ name, description: '', star_count: 0, is_official: false, is_automated: false }));
    json(res, 200, { num_results: results.length, query: term, results });
  }

  private async tagList(res: ServerResponse, name: string, q: URLSearchParams): Promise<void> {
    if (!(await this.storage.repoExists(name))) throw new RegistryError('NAME_UNKNOWN', `repository ${name} is not known to this registry`);
    const page = paginate(await this.storage.tags(name), q, `/v2/${name}/tags/list`);
    json(res, 200, { name, tags: page.items }, page.link);
  }

  private async getBlob(req: IncomingMessage, res: ServerResponse, name: string, digest: Sha256, head: boolean): Promise<void> {
    const size = await this.storage.throwIfBlobMissing(name, digest);
    const headers: Record<string, string | number> = { ...API_HEADER, 'Docker-Content-Digest': digest, 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes', ETag: `"${digest}"` };
    let range: { start: number; end: number } | undefined;
    const rangeHeader = req.headers.range;
    if (rangeHeader && !head) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(rangeHeader.trim());
      const start = m?.[1] ? Number(m[1]) : m?.[2] ? size - Number(m[2]) : NaN;
      const end = m?.[1] && m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
      if (!m || Number.isNaN(start) || start < 0 || start >= size || end < start) {
        throw new RegistryError('RANGE_INVALID', `range ${rangeHeader.slice(0, 100)} is not satisfiable for a blob of ${size} bytes`, undefined, 416, { 'Content-Range': `bytes */${size}` });
      }
      range = { start, end };
    }
    if (head) {
      res.writeHead(200, { ...headers, 'Content-Length': size });
      res.end();
      return;
    }
    if (range) res.writeHead(206, { ...headers, 'Content-Length': range.end - range.start + 1, 'Content-Range': `bytes ${range.start}-${range.end}/${size}` });
    else res.writeHead(200, { ...headers, 'Content-Length': size });
    await this.send(this.storage.blobStream(digest, range), res);
  }

  private async send(body: Readable, res: ServerResponse): Promise<void> {
    if (this.limiter) await pipeline(body, this.limiter.stream(), res);
    else await pipeline(body, res);
  }

  private async startUpload(req: IncomingMessage, res: ServerResponse, name: string, q: URLSearchParams): Promise<void> {
    const mount = q.get('mount');
    const from = q.get('from');
    if (mount && from) {
      const digest = checkDigest(mount);
      if ((await this.storage.repoBlobSize(checkName(from), digest)) !== undefined) {
        req.resume();
        await this.storage.linkBlob(name, digest);
        return empty(res, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
      }
    }
    const id = await this.uploads.create(name);
    const digestParam = q.get('digest');
    if (digestParam !== null) {
      // Monolithic upload in the POST itself.
      const digest = checkDigest(digestParam);
      try {
        await this.uploads.append(name, id, req, undefined);
        await this.uploads.finish(name, id, digest);
      } catch (err) {
        await this.uploads.cancel(name, id).catch(() => undefined);
        throw err;
      }
      return empty(res, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
    }
    req.resume();
    empty(res, 202, { Location: `/v2/${name}/blobs/uploads/${id}`, Range: '0-0', 'Docker-Upload-UUID': id, 'OCI-Chunk-Min-Length': '0' });
  }

  private async upload(req: IncomingMessage, res: ServerResponse, method: string, name: string, id: string, q: URLSearchParams): Promise<void> {
    const location = `/v2/${name}/blobs/uploads/${id}`;
    const rangeOf = (size: number): string => `0-${Math.max(0, size - 1)}`;
    switch (method) {
      case 'GET': {
        const size = await this.uploads.size(name, id);
        return empty(res, 204, { Location: location, Range: rangeOf(size), 'Docker-Upload-UUID': id });
      }
      case 'PATCH': {
        const size = await this.uploads.append(name, id, req, req.headers['content-range']);
        return empty(res, 202, { Location: location, Range: rangeOf(size), 'Docker-Upload-UUID': id });
      }
      case 'PUT': {
        const digest = checkDigest(q.get('digest'));
        const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
        if (hasBody) await this.uploads.append(name, id, req, req.headers['content-range']);
        else req.resume();
        await this.uploads.finish(name, id, digest);
        return empty(res, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
      }
      case 'DELETE':
        req.resume();
        await this.uploads.cancel(name, id);
        return empty(res, 204, {});
      default:
        throw new RegistryError('UNSUPPORTED', `${method} is not supported on an upload`, undefined, 405);
    }
  }

  private async resolve(name: string, reference: string): Promise<Sha256> {
    if (reference.includes(':')) return checkDigest(reference);
    if (!isTag(reference)) throw new RegistryError('MANIFEST_INVALID', `invalid tag "${reference.slice(0, 200)}"`);
    const digest = await this.storage.resolveTag(name, reference);
    if (!digest) throw new RegistryError('MANIFEST_UNKNOWN', `manifest unknown: ${name}:${reference} is not in this registry`, { Tag: reference });
    return digest;
  }

  private async getManifest(res: ServerResponse, name: string, reference: string, head: boolean): Promise<void> {
    const digest = await this.resolve(name, reference);
    const rev = await this.storage.manifest(name, digest);
    if (!rev) throw new RegistryError('MANIFEST_UNKNOWN', `manifest unknown: ${name}@${digest}`);
    const headers = { ...API_HEADER, 'Content-Type': rev.mediaType, 'Docker-Content-Digest': digest, 'Content-Length': rev.size, ETag: `"${digest}"` };
    res.writeHead(200, headers);
    if (head) {
      res.end();
      return;
    }
    res.end(await this.storage.readBlob(digest));
  }

  private async putManifest(req: IncomingMessage, res: ServerResponse, name: string, reference: string): Promise<void> {
    const byDigest = reference.includes(':');
    const expected = byDigest ? checkDigest(reference) : undefined;
    if (!byDigest && !isTag(reference)) throw new RegistryError('MANIFEST_INVALID', `invalid tag "${reference.slice(0, 200)}"`);
    const bytes = await readLimited(req, MAX_MANIFEST_BYTES);
    const parsed = parseManifest(bytes, req.headers['content-type']);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Sha256;
    if (expected && expected !== digest) throw new RegistryError('DIGEST_INVALID', `manifest content hashes to ${digest}, not ${expected}`);
    for (const blob of parsed.blobs) {
      if ((await this.storage.repoBlobSize(name, blob)) === undefined) throw new RegistryError('MANIFEST_BLOB_UNKNOWN', `manifest references blob ${blob}, which is not in repository ${name}: push it first`, { digest: blob });
    }
    for (const m of parsed.manifests) {
      if (!(await this.storage.manifest(name, m))) throw new RegistryError('MANIFEST_BLOB_UNKNOWN', `index references manifest ${m}, which is not in repository ${name}: push it first`, { digest: m });
    }
    await this.storage.putManifest(name, bytes, parsed.mediaType, byDigest ? undefined : reference, parsed.subject);
    empty(res, 201, { Location: `/v2/${name}/manifests/${digest}`, 'Docker-Content-Digest': digest, ...(parsed.subject ? { 'OCI-Subject': parsed.subject } : {}) });
  }

  private async deleteManifest(res: ServerResponse, name: string, reference: string): Promise<void> {
    if (!reference.includes(':')) {
      if (!isTag(reference) || !(await this.storage.deleteTag(name, reference))) throw new RegistryError('MANIFEST_UNKNOWN', `tag ${name}:${reference.slice(0, 200)} is not in this registry`);
      return empty(res, 202, {});
    }
    const digest = checkDigest(reference);
    if (!(await this.storage.deleteManifest(name, digest))) throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${name}@${digest} is not in this registry`);
    empty(res, 202, {});
  }

  private async referrers(res: ServerResponse, name: string, subject: Sha256, artifactType: string | null): Promise<void> {
    const manifests = [];
    for (const digest of await this.storage.referrers(name, subject)) {
      const rev = await this.storage.manifest(name, digest);
      if (!rev) continue;
      const parsed = parseManifest(await this.storage.readBlob(digest), rev.mediaType);
      if (artifactType && parsed.artifactType !== artifactType) continue;
      manifests.push({ mediaType: rev.mediaType, digest, size: rev.size, ...(parsed.artifactType ? { artifactType: parsed.artifactType } : {}), ...(parsed.annotations ? { annotations: parsed.annotations } : {}) });
    }
    const body = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests });
    res.writeHead(200, { ...API_HEADER, 'Content-Type': 'application/vnd.oci.image.index.v1+json', 'Content-Length': Buffer.byteLength(body), ...(artifactType ? { 'OCI-Filters-Applied': 'artifactType' } : {}) });
    res.end(body);
  }
}

function json(res: ServerResponse, status: number, body: unknown, link?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...API_HEADER, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...(link ? { Link: link } : {}) });
  res.end(text);
}

function empty(res: ServerResponse, status: number, headers: Record<string, string>): void {
  res.writeHead(status, { ...API_HEADER, 'Content-Length': 0, ...headers });
  res.end();
}

/** `n` and `last` pagination with an RFC 5988 Link to the next page. */
function paginate(all: string[], q: URLSearchParams, path: string): { items: string[]; link?: string } {
  const last = q.get('last');
  let items = last ? all.filter((x) => x > last) : all;
  const nParam = q.get('n');
  if (nParam === null) return { items };
  const n = Number(nParam);
  if (!Number.isInteger(n) || n < 0) throw new RegistryError('SIZE_INVALID', `invalid page size n=${nParam.slice(0, 20)}`, undefined, 400);
  const more = items.length > n;
  items = items.slice(0, n);
  return more && items.length > 0 ? { items, link: `<${path}?n=${n}&last=${encodeURIComponent(items[items.length - 1]!)}>; rel="next"` } : { items };
}

async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    throw new RegistryError('SIZE_INVALID', `manifest of ${declared} bytes exceeds the ${limit}-byte limit`, undefined, 413);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      req.resume();
      throw new RegistryError('SIZE_INVALID', `manifest exceeds the ${limit}-byte limit`, undefined, 413);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
