import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { InvalidParameterError } from '../../../core/errors.js';
import type { BuildSession, Channel, FsPacket } from '../solve-types.js';
import { channelPair, scriptedClient } from './memory-channel.js';
import { receive } from './receive.js';
import { FILESEND_DIFFCOPY, FILESYNC_DIFFCOPY, SECRETS_GETSECRET, makeSolveInputs, queryEscape } from './solve-inputs.js';

let root = '';
before(() => {
  root = mkdtempSync(join(tmpdir(), 'berth-test-solve-inputs-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

interface Call {
  method: string;
  md: Record<string, string[]>;
}

/** A client session: records each call's metadata and runs `serve` on the client's end of it. */
function fakeSession(methods: string[], serve: { packets?: (ch: Channel<FsPacket>) => Promise<unknown>; bytes?: (ch: Channel<Buffer>) => Promise<unknown> }) {
  const calls: Call[] = [];
  const session: BuildSession = {
    id: 'sess',
    supports: (m) => methods.includes(m),
    packets(method, md) {
      calls.push({ method, md });
      const [daemon, client] = channelPair<FsPacket>();
      void serve.packets?.(client);
      return daemon;
    },
    bytes(method, md) {
      calls.push({ method, md });
      const [daemon, client] = channelPair<Buffer>();
      void serve.bytes?.(client);
      return daemon;
    },
    secret: (id) => Promise.resolve(id === 'npmrc' ? Buffer.from('token') : null),
    sshCheck: (id) => Promise.resolve(id === 'default'),
  };
  return { session, calls };
}

describe('makeSolveInputs', () => {
  it('syncDir asks for the named dir with its patterns in the metadata and writes it to dest', async () => {
    const { session, calls } = fakeSession([FILESYNC_DIFFCOPY], { packets: (ch) => scriptedClient(ch, [{ stat: { path: 'Dockerfile', mode: 0o644 }, data: Buffer.from('FROM scratch\n') }]) });
    const dest = join(root, 'ctx');
    mkdirSync(dest);
    let bytes = 0;
    await makeSolveInputs(session).syncDir('context', dest, { includePatterns: ['src', 'Dockerfile'], excludePatterns: ['**/*.log', '!keep.log'], followPaths: ['Dockerfile'] }, (t) => (bytes = t));
    assert.deepEqual(calls, [
      {
        method: FILESYNC_DIFFCOPY,
        md: { 'dir-name': ['context'], 'include-patterns': ['src', 'Dockerfile'], 'exclude-patterns': ['**/*.log', '!keep.log'], followpaths: ['Dockerfile'] },
      },
    ]);
    assert.equal(readFileSync(join(dest, 'Dockerfile'), 'utf8'), 'FROM scratch\n');
    assert.ok(bytes > 0);
  });

  it('syncDir sends no empty pattern lists, and query-escapes non-ASCII values as buildkit does', async () => {
    const { session, calls } = fakeSession([FILESYNC_DIFFCOPY], { packets: (ch) => scriptedClient(ch, []) });
    const dest = join(root, 'ctx2');
    mkdirSync(dest);
    await makeSolveInputs(session).syncDir('dockerfile', dest, { includePatterns: [], excludePatterns: ['données/*', 'a b'] });
    assert.deepEqual(calls[0]!.md, { 'dir-name': ['dockerfile'], 'exclude-patterns': ['donn%C3%A9es%2F%2A', 'a+b'], 'exclude-patterns-encoded': ['1'] });
    assert.equal(queryEscape('a-_.~Z9'), 'a-_.~Z9');
  });

  it('syncDir refuses a session without FileSync', async () => {
    const { session } = fakeSession([], {});
    await assert.rejects(makeSolveInputs(session).syncDir('context', root, {}), InvalidParameterError);
  });

  it('exportDir sends the tree with the exporter id', async () => {
    const src = join(root, 'out');
    mkdirSync(src);
    writeFileSync(join(src, 'hello'), 'world');
    const got = join(root, 'got');
    mkdirSync(got);
    const { session, calls } = fakeSession([FILESEND_DIFFCOPY], { packets: (ch) => receive(ch, got) });
    await makeSolveInputs(session).exportDir(src, 2);
    assert.deepEqual(calls, [{ method: FILESEND_DIFFCOPY, md: { 'buildkit-attachable-exporter-id': ['2'], 'buildkit-exporter-multi-platform': ['1'] } }]);
    assert.equal(readFileSync(join(got, 'hello'), 'utf8'), 'world');
  });

  it('exportFile streams bytes with the exporter id and the exporter metadata', async () => {
    const chunks: Buffer[] = [];
    const { session, calls } = fakeSession([FILESEND_DIFFCOPY], {
      bytes: async (ch) => {
        for (let m = await ch.recv(); m !== null; m = await ch.recv()) chunks.push(m);
        ch.closeSend();
      },
    });
    await makeSolveInputs(session).exportFile(Readable.from([Buffer.from('tar'), Buffer.from('ball')]), 1, { 'image.name': 'x:1' });
    assert.deepEqual(calls, [{ method: FILESEND_DIFFCOPY, md: { 'exporter-md-image.name': ['x:1'], 'buildkit-attachable-exporter-id': ['1'] } }]);
    assert.equal(Buffer.concat(chunks).toString(), 'tarball');
  });

  it('secret passes through, and is null when the client serves no secrets', async () => {
    assert.equal((await makeSolveInputs(fakeSession([SECRETS_GETSECRET], {}).session).secret('npmrc'))?.toString(), 'token');
    assert.equal(await makeSolveInputs(fakeSession([SECRETS_GETSECRET], {}).session).secret('other'), null);
    assert.equal(await makeSolveInputs(fakeSession([], {}).session).secret('npmrc'), null);
  });
});

it('sshAgent: an agent the client forwards opens one ForwardAgent call per connection, keyed by its id; one it lacks is null', async () => {
  const { session, calls } = fakeSession(['/moby.sshforward.v1.SSH/ForwardAgent'], {
    bytes: async (ch) => {
      const got = await ch.recv();
      await ch.send(Buffer.from(`echo ${got?.toString()}`));
      ch.closeSend();
    },
  });
  const inputs = makeSolveInputs(session);
  assert.equal(await inputs.sshAgent('work'), null);
  const agent = await inputs.sshAgent('default');
  assert.ok(agent);
  const ch = agent.connect();
  await ch.send(Buffer.from('hello'));
  assert.equal((await ch.recv())?.toString(), 'echo hello');
  assert.deepEqual(calls, [{ method: '/moby.sshforward.v1.SSH/ForwardAgent', md: { 'buildkit.ssh.id': ['default'] } }]);
  assert.equal(await makeSolveInputs({ ...session, supports: () => false }).sshAgent('default'), null, 'a client without SSH forwarding');
});
