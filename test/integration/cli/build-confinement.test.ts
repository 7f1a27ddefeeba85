import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { ApiError } from '../../../src/client/engine-client.js';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok } from '../../helpers/expect.js';

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink'; content?: string; linkname?: string };

async function contextTar(entries: readonly Entry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const e of entries) {
    const type = e.type ?? 'file';
    if (type === 'file') pack.entry({ name: e.name, mode: 0o644 }, e.content ?? '');
    else pack.entry({ name: e.name, type, mode: 0o755, linkname: e.linkname ?? '' });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * Issue 21, findings 2 and 3: a build context (posted, or fetched with `remote=`) must not read a
 * host file as its Dockerfile or ignore file, and COPY must not set times on host directories.
 */
describe('build contexts and COPY stay inside their roots', () => {
  let d: TestDaemon;
  let host: string;
  const token = `leak-${randomBytes(8).toString('hex')}`;

  /** POST /build with a context tar: the status and everything the daemon answered. */
  async function build(tar: Buffer, query: Record<string, string>): Promise<{ status: number; text: string }> {
    try {
      const res = await d.client.raw({ method: 'POST', path: '/build', query, stream: Readable.from([tar]) });
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      return { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') };
    } catch (err) {
      if (err instanceof ApiError) return { status: err.status, text: err.message };
      throw err;
    }
  }

  async function labels(tag: string): Promise<string> {
    return ok(await d.docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', tag]), 'inspect').stdout;
  }

  before(async () => {
    d = await TestDaemon.startWithBusybox();
    host = await mkdtemp(join(tmpdir(), 'berth-build-host-'));
    // Host files an attacker's context would like the daemon to read.
    await writeFile(join(host, 'Dockerfile'), `FROM busybox\nLABEL leak=${token}\n`);
    await writeFile(join(host, 'word'), `${token} is a secret\n`);
    await writeFile(join(host, 'ignore'), 'keep.txt\n');
    await writeFile(join(host, 'Dockerfile.dockerignore'), 'keep.txt\n');
  });
  after(async () => {
    await d?.stop();
    if (host) await rm(host, { recursive: true, force: true });
  });

  test('a dockerfile symlink to a host file is not built', async () => {
    for (const name of ['dockerfile', 'Dockerfile']) {
      const r = await build(await contextTar([{ name, type: 'symlink', linkname: join(host, 'Dockerfile') }]), { t: 'leak:1' });
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, /Cannot locate specified Dockerfile/);
      assert.ok(!r.text.includes(token));
    }
    const word = await build(await contextTar([{ name: 'Dockerfile', type: 'symlink', linkname: `../../../../../..${join(host, 'word')}` }]), { t: 'leak:2' });
    assert.equal(word.status, 400, word.text);
    assert.ok(!word.text.includes(token), 'the host file is not quoted');
  });

  test('ignore files that are symlinks, or a dockerfile query with .., read nothing of the host', async () => {
    const dockerfile = 'FROM busybox\nCOPY . /ctx/\n';
    const cases: Array<{ entries: Entry[]; query: Record<string, string> }> = [
      { entries: [{ name: 'Dockerfile', content: dockerfile }, { name: '.dockerignore', type: 'symlink', linkname: join(host, 'ignore') }], query: {} },
      { entries: [{ name: 'Dockerfile', content: dockerfile }, { name: 'Dockerfile.dockerignore', type: 'symlink', linkname: join(host, 'ignore') }], query: {} },
      // `dockerfile=../../<host>/Dockerfile` is the context's own `<host>/Dockerfile`, and its ignore
      // file `<host>/Dockerfile.dockerignore` the context's too (there is none), never the host's.
      { entries: [{ name: `${host.slice(1)}/Dockerfile`, content: dockerfile }], query: { dockerfile: `../../../../..${host}/Dockerfile` } },
    ];
    for (const [i, c] of cases.entries()) {
      const tag = `ignore:${i}`;
      const r = await build(await contextTar([...c.entries, { name: 'keep.txt', content: 'kept' }]), { t: tag, ...c.query });
      assert.equal(r.status, 200, r.text);
      assert.doesNotMatch(r.text, /errorDetail/, r.text);
      const cat = ok(await d.docker(['run', '--rm', tag, 'cat', '/ctx/keep.txt']), `case ${i}: keep.txt is in the image`);
      assert.equal(cat.stdout, 'kept');
      ok(await d.docker(['rmi', tag]), 'rmi');
    }
  });

  test('COPY of two sources sets no time through a symlink the second one put in place', async () => {
    const victim = join(host, 'victim');
    await mkdir(victim);
    const before = await stat(victim);
    const r = await build(
      await contextTar([
        { name: 'Dockerfile', content: 'FROM busybox\nCOPY d1 d2 /dest/\n' },
        { name: 'd1/x/', type: 'directory' },
        { name: 'd1/x/f', content: 'f' },
        { name: 'd2/x', type: 'symlink', linkname: victim },
      ]),
      { t: 'twosources' },
    );
    assert.equal(r.status, 200, r.text);
    assert.doesNotMatch(r.text, /errorDetail/, r.text);
    const after = await stat(victim);
    assert.deepEqual([after.mtimeMs, after.ctimeMs], [before.mtimeMs, before.ctimeMs], "the host directory's times are untouched");
    assert.equal(ok(await d.docker(['run', '--rm', 'twosources', 'readlink', '/dest/x']), 'readlink').stdout.trim(), victim);
    assert.doesNotMatch(await labels('twosources'), new RegExp(token));
  });

  test('ADD of a tar whose names climb: .. stops at the destination, as docker untars chrooted there', async () => {
    const inner = await contextTar([{ name: '../../../up', content: 'clamped' }]);
    const pack = tarStream.pack();
    pack.entry({ name: 'Dockerfile', mode: 0o644 }, 'FROM busybox\nADD x.tar /dest/\n');
    pack.entry({ name: 'x.tar', mode: 0o644 }, inner);
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(Buffer.from(c as Uint8Array));
    const r = await build(Buffer.concat(chunks), { t: 'addclamp' });
    assert.equal(r.status, 200, r.text);
    assert.doesNotMatch(r.text, /errorDetail/, r.text);
    assert.equal(ok(await d.docker(['run', '--rm', 'addclamp', 'cat', '/dest/up']), 'cat').stdout, 'clamped');
  });
});
