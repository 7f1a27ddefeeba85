import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { sha256Digest } from '../../../core/digest.js';
import { InvalidParameterError, NotFoundError, UnavailableError } from '../../../core/errors.js';
import { hostPlatform, MEDIA_TYPES, type ImageConfig } from '../../../oci/image-types.js';
import { layerTar, streamOf } from './archive-fixtures.js';
import { createTestStack, makeTestRoot, removeTestRoot, type TestStack } from './archive-test-stack.js';
import { fetchImportSource, importImage, parsePlatform } from './image-importer.js';

let root: string | undefined;
let stackNo = 0;
let server: Server | undefined;
let rootfs: Buffer;
before(async () => {
  root = await makeTestRoot();
  rootfs = (await layerTar({ 'bin/app': 'app', 'etc/hostname': 'x' })).tar;
});
after(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await removeTestRoot(root);
});

const stack = (): Promise<TestStack> => createTestStack(join(root as string, `stack-${stackNo++}`));

describe('importImage', () => {
  it('stores the rootfs as one uncompressed layer with docker import’s config', async () => {
    const s = await stack();
    const id = await importImage(s.deps, streamOf(rootfs), {
      repo: 'imported:v1',
      message: 'hello',
      changes: ['CMD ["/bin/app"]', 'ENV A=1', 'EXPOSE 80', 'WORKDIR /srv'],
    });
    const img = await s.images.resolve('imported:v1');
    assert.equal(img.id, id);
    const config = img.config as ImageConfig & { created: string };
    assert.deepEqual({ ...config, created: 'x', history: config.history?.map((h) => ({ ...h, created: 'x' })) }, {
      architecture: hostPlatform().architecture,
      os: 'linux',
      created: 'x',
      comment: 'hello',
      config: { Cmd: ['/bin/app'], Env: ['A=1'], ExposedPorts: { '80/tcp': {} }, WorkingDir: '/srv' },
      rootfs: { type: 'layers', diff_ids: [sha256Digest(rootfs)] },
      history: [{ created: 'x', created_by: '', comment: 'hello' }],
    });
    assert.ok(Math.abs(Date.parse(config.created) - Date.now()) < 60_000);
    assert.deepEqual(img.record.layers, [{ diffId: sha256Digest(rootfs), digest: sha256Digest(rootfs), mediaType: MEDIA_TYPES.ociLayer, size: rootfs.length }]);
    assert.equal(s.images.leases.size, 0);
  });

  it('decompresses gzip, zstd, bzip2 and xz input; untagged without a repo; docker’s default comment', async () => {
    const s = await stack();
    const bzip2 = execFileSync('bzip2', ['-c'], { input: rootfs });
    const xz = execFileSync('xz', ['-c'], { input: rootfs });
    for (const input of [gzipSync(rootfs), zstdCompressSync(rootfs), bzip2, xz]) {
      const id = await importImage(s.deps, streamOf(input), { changes: [] });
      const img = await s.images.resolve(id);
      assert.deepEqual(img.config.rootfs.diff_ids, [sha256Digest(rootfs)]);
      assert.equal(img.config.history?.[0]?.comment, 'Imported from -');
      assert.deepEqual(s.images.catalog.namesOf(id).repoTags, []);
    }
  });

  it('lets `tag` override a tag in `repo`, and takes a platform', async () => {
    const s = await stack();
    const id = await importImage(s.deps, streamOf(rootfs), { repo: 'me/x:1', tag: '2', changes: [], platform: 'linux/arm64/v8' });
    assert.deepEqual(s.images.catalog.namesOf(id).repoTags, ['me/x:2']);
    const { config } = await s.images.resolve(id);
    assert.deepEqual([config.os, config.architecture, config.variant], ['linux', 'arm64', 'v8']);
    assert.deepEqual(parsePlatform('linux/x86_64'), { os: 'linux', architecture: 'amd64' });
    assert.throws(() => parsePlatform('windows/amd64'), InvalidParameterError);
  });

  it('refuses bad options, corrupt bzip2 or xz, a zstd window over 128 MiB and non-tar input, leaving the store unchanged', async () => {
    const s = await stack();
    await importImage(s.deps, streamOf(rootfs), { repo: 'keep', changes: [] });
    const before = await s.fingerprint();
    const attempt = (input: Buffer, opts: Partial<Parameters<typeof importImage>[2]> = {}) => importImage(s.deps, streamOf(input), { changes: [], ...opts });
    await assert.rejects(attempt(rootfs, { changes: ['RUN rm -rf /'] }), /dockerfile instruction "RUN" is not allowed in --change/);
    await assert.rejects(attempt(rootfs, { repo: `x@${sha256Digest('x')}` }), /cannot import digest reference/);
    await assert.rejects(attempt(Buffer.from('BZh91AY&SY....')), /^InvalidParameterError: invalid archive: invalid bzip2 stream: bzip2: /);
    await assert.rejects(attempt(execFileSync('xz', ['-c'], { input: rootfs }).subarray(0, 60)), /^InvalidParameterError: invalid archive: invalid xz stream: xz: /);
    // zstd --long=31 from a pipe: the frame asks for a 2 GiB window.
    const long = execFileSync('sh', ['-c', 'cat | zstd -q -c --long=31'], { input: rootfs });
    await assert.rejects(attempt(long), /^InvalidParameterError: invalid archive: invalid zstd stream: .* \(its window is larger than 128 MiB\)$/);
    await assert.rejects(attempt(Buffer.alloc(4096, 0x41), { repo: 'keep' }), InvalidParameterError);
    await assert.rejects(attempt(gzipSync(rootfs).subarray(0, 100)), /^InvalidParameterError: invalid archive: invalid gzip stream: unexpected end of file$/);
    await assert.rejects(attempt(rootfs, { repo: 'x', tag: 'bad tag' }), /invalid tag "bad tag"/);
    assert.equal(await s.fingerprint(), before);
    assert.equal(s.images.leases.size, 0);
  });
});

describe('fetchImportSource', () => {
  it('streams an http body and maps failures to docker’s error kinds', async () => {
    server = createServer((req, res) => {
      if (req.url === '/x.tar') res.end(rootfs);
      else if (req.url === '/bad') res.writeHead(400).end('no');
      else res.writeHead(404).end('not here');
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const s = await stack();
    const url = `${base}/x.tar`;
    const id = await importImage(s.deps, await fetchImportSource(url), { changes: [], source: url });
    assert.equal((await s.images.resolve(id)).config.history?.[0]?.comment, `Imported from ${url}`);
    await assert.rejects(fetchImportSource(`${base}/missing`), (e: unknown) => e instanceof NotFoundError && /with status 404 Not Found: not here$/.test(e.message));
    await assert.rejects(fetchImportSource(`${base}/bad`), InvalidParameterError);
    await assert.rejects(fetchImportSource('ftp://127.0.0.1/x.tar'), InvalidParameterError);
    // A port nothing listens on: bound, then released.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(fetchImportSource(`http://127.0.0.1:${port}/x.tar`), (e: unknown) => e instanceof UnavailableError && /ECONNREFUSED/.test(e.message));
  });
});
