/**
 * Every way an archive gets unpacked by the engine, as plain HTTP over its Unix socket (so the
 * same runner drives berthd and a private dockerd): load, pull, import, the archive API with and
 * without noOverwriteDirNonDir, ADD in a build, the build context, and a remote build context.
 * Each route sends one recipe, reads the whole answer under a deadline, and removes what it made.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { Recipe } from './recipes.js';
import { sha256 } from './recipes.js';
import { tar } from './tar.js';

export const ROUTES = ['load', 'pull', 'import', 'archive', 'archive-nooverwrite', 'add', 'context', 'remote'] as const;
export type RouteName = (typeof ROUTES)[number];

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class Timeout extends Error {}

/** One request; the whole answer is read, or it fails with Timeout after `ms`. */
export function http(opts: { socketPath?: string; host?: string; port?: number; method: string; path: string; body?: Buffer; headers?: Record<string, string>; ms?: number }): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.body) headers['Content-Length'] = String(opts.body.length);
    const req = httpRequest({ ...(opts.socketPath ? { socketPath: opts.socketPath } : { host: opts.host ?? '127.0.0.1', port: opts.port ?? 80 }), method: opts.method, path: opts.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Timeout(`${opts.method} ${opts.path} did not answer within ${opts.ms ?? 20_000} ms`));
    }, opts.ms ?? 20_000);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(opts.body);
  });
}

/** The first error of a JSON-lines progress stream (load, import, pull, build), if any. */
export function streamError(body: Buffer): string | undefined {
  for (const line of body.toString('utf8').split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    try {
      const m = JSON.parse(line) as { error?: string; errorDetail?: { message?: string } };
      if (m.error || m.errorDetail) return m.errorDetail?.message ?? m.error;
    } catch {
      /* not JSON */
    }
  }
  return undefined;
}

const MEDIA: Record<string, string | undefined> = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};

function imageConfig(diffId: string): Buffer {
  return Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: { Cmd: ['true'] }, rootfs: { type: 'layers', diff_ids: [diffId] }, history: [{ created: '2024-01-01T00:00:00Z', created_by: 'hostile corpus' }] }));
}

/** A docker-save archive whose one layer is the recipe. */
export function saveArchive(r: Recipe, tag: string): Buffer {
  const config = imageConfig(r.diffId);
  const configName = `${sha256(config).slice(7)}.json`;
  const manifest = JSON.stringify([{ Config: configName, RepoTags: [tag], Layers: ['layer/layer.tar'] }]);
  return tar().file('manifest.json', manifest).file(configName, config).dir('layer/').file('layer/layer.tar', r.bytes).end().bytes();
}

export const BUILD_DOCKERFILE = 'FROM busybox\nCOPY . /ctx/\n';

/** The build context a route sends: a context recipe as it is, a layer recipe with a Dockerfile in front (when uncompressed). */
export function contextOf(r: Recipe): Buffer {
  if (r.kind === 'context' || r.compression !== 'none') return r.bytes;
  return Buffer.concat([tar().file('Dockerfile', BUILD_DOCKERFILE).bytes(), r.bytes]);
}

export function addContext(r: Recipe): Buffer {
  return tar().file('Dockerfile', 'FROM busybox\nADD x.tar /\n').file('x.tar', r.bytes).end().bytes();
}

/** Which routes a recipe goes through. */
export function routesFor(r: Recipe, target: 'berth' | 'docker'): RouteName[] {
  const all: RouteName[] = r.kind === 'context' ? ['context', 'remote'] : [...ROUTES];
  return all.filter((route) => {
    if (r.routes && !r.routes.includes(route)) return false;
    // A registry layer needs a media type: none exists for bzip2 or xz.
    if (route === 'pull' && MEDIA[r.compression] === undefined) return false;
    // dockerd 20.10 predates zstd layers.
    if (target === 'docker' && route === 'pull' && r.compression === 'zstd') return false;
    return true;
  });
}

/** Puts the recipe as a one-layer image into a registry (blobs, then an OCI manifest). */
export async function pushToRegistry(registry: { host: string; port: number }, repo: string, r: Recipe): Promise<void> {
  const config = imageConfig(r.diffId);
  const put = async (blob: Buffer): Promise<string> => {
    const digest = sha256(blob);
    const start = await http({ ...registry, method: 'POST', path: `/v2/${repo}/blobs/uploads/` });
    const loc = start.headers.location;
    if (start.status !== 202 || !loc) throw new Error(`registry upload start: ${start.status} ${start.body.toString()}`);
    const url = new URL(loc, `http://${registry.host}:${registry.port}`);
    url.searchParams.set('digest', digest);
    const done = await http({ ...registry, method: 'PUT', path: url.pathname + url.search, body: blob, headers: { 'Content-Type': 'application/octet-stream' } });
    if (done.status !== 201) throw new Error(`registry upload: ${done.status} ${done.body.toString()}`);
    return digest;
  };
  const configDigest = await put(config);
  const layerDigest = await put(r.bytes);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: MEDIA[r.compression], digest: layerDigest, size: r.bytes.length }],
  }));
  const m = await http({ ...registry, method: 'PUT', path: `/v2/${repo}/manifests/latest`, body: manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
  if (m.status !== 201) throw new Error(`registry manifest: ${m.status} ${m.body.toString()}`);
}
