import assert from 'node:assert/strict';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { InvalidParameterError, SystemError, UnavailableError } from '../../../core/errors.js';
import type { Channel, FsPacket } from '../solve-types.js';
import { channelPair } from './memory-channel.js';
import { send } from './send.js';
import { MAX_CHUNK, sendBytes } from './send-bytes.js';
import { MODE_DIR, MODE_SYMLINK, PACKET_DATA, PACKET_ERR, PACKET_FIN, PACKET_REQ, PACKET_STAT, packet } from './wire.js';

let root = '';
before(() => {
  root = mkdtempSync(join(tmpdir(), 'berth-test-fsutil-send-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

interface Seen {
  stats: FsPacket[];
  data: Map<number, Buffer>;
  packets: FsPacket[];
}

/** The client's side of FileSend.DiffCopy, which receives: REQs `want(stats)`, then FINs. */
async function client(ch: Channel<FsPacket>, want: (stats: FsPacket[]) => FsPacket[], seen: Seen = { stats: [], data: new Map(), packets: [] }): Promise<Seen> {
  let open = 0;
  for (;;) {
    const p = await ch.recv();
    if (p === null) return seen;
    seen.packets.push(p);
    if (p.type === PACKET_STAT && p.stat) seen.stats.push(p);
    if (p.type === PACKET_STAT && !p.stat) {
      const reqs = want(seen.stats);
      open = reqs.filter((r) => r.type === PACKET_REQ).length;
      for (const r of reqs) await ch.send(r);
      if (open === 0) await ch.send(packet(PACKET_FIN));
    }
    if (p.type === PACKET_DATA) {
      seen.data.set(p.ID, Buffer.concat([seen.data.get(p.ID) ?? Buffer.alloc(0), p.data]));
      if (p.data.length === 0 && --open === 0) await ch.send(packet(PACKET_FIN));
    }
    if (p.type === PACKET_FIN) ch.closeSend();
  }
}

const requestAll = (stats: FsPacket[]): FsPacket[] =>
  stats.flatMap((p, id) => (p.stat && p.stat.mode < 2 ** 19 && p.stat.linkname === '' ? [packet(PACKET_REQ, { ID: id })] : []));

describe('fsutil send', () => {
  it('walks in Go byte order, numbers every STAT, serves REQs and ends with the FIN handshake', async () => {
    const src = join(root, 'tree');
    mkdirSync(join(src, 'a'), { recursive: true });
    chmodSync(join(src, 'a'), 0o755);
    writeFileSync(join(src, 'a', 'c'), 'c data');
    writeFileSync(join(src, 'a-b'), Buffer.alloc(100_000, 'q'));
    writeFileSync(join(src, 'B'), 'upper');
    writeFileSync(join(src, 'é'), 'accent');
    linkSync(join(src, 'a', 'c'), join(src, 'z-hard'));
    symlinkSync('a/c', join(src, 'y-link'));
    const server = createServer().listen(join(src, 's.sock'));
    await new Promise((r) => server.once('listening', r));
    try {
      const [daemon, peer] = channelPair<FsPacket>();
      let bytes = 0;
      const [, seen] = await Promise.all([send(daemon, src, { onBytes: (t) => (bytes = t) }), client(peer, requestAll)]);
      const paths = seen.stats.map((p) => p.stat!.path);
      assert.deepEqual(paths, ['B', 'a', 'a/c', 'a-b', 'y-link', 'z-hard', 'é'], 'sockets skipped, byte order, dirs before their entries');
      const stat = (path: string) => seen.stats.find((p) => p.stat!.path === path)!.stat!;
      assert.equal(stat('a').mode, MODE_DIR + 0o755);
      assert.equal(stat('y-link').mode, MODE_SYMLINK + 0o777);
      assert.equal(stat('y-link').linkname, 'a/c');
      assert.equal(stat('z-hard').linkname, 'a/c');
      assert.equal(seen.data.get(3)!.length, 100_000, 'id 3 is a-b, its index in the list');
      assert.equal(seen.data.get(2)!.toString(), 'c data');
      assert.equal(seen.packets.at(-1)!.type, PACKET_FIN, 'our FIN answers the client FIN');
      assert.ok(daemon.sendClosed, 'then our side is closed');
      assert.ok(bytes > 100_000);
    } finally {
      server.close();
    }
  });

  it('refuses a REQ for an id that is not a file', async () => {
    const src = join(root, 'dir-only');
    mkdirSync(join(src, 'd'), { recursive: true });
    const [daemon, peer] = channelPair<FsPacket>();
    const [err] = await Promise.all([send(daemon, src).then(() => undefined, (e: unknown) => e), client(peer, () => [packet(PACKET_REQ, { ID: 0 })]).catch(() => undefined)]);
    assert.ok(err instanceof InvalidParameterError, String(err));
    assert.match(err.message, /file id 0/);
    assert.ok(daemon.cancelled);
  });

  it('fails with the client error when the client sends ERR', async () => {
    const src = join(root, 'one');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'f'), 'x');
    const [daemon, peer] = channelPair<FsPacket>();
    const [err] = await Promise.all([
      send(daemon, src).then(() => undefined, (e: unknown) => e),
      client(peer, () => [packet(PACKET_ERR, { data: Buffer.from('mkdir /out: read-only file system') })]).catch(() => undefined),
    ]);
    assert.ok(err instanceof InvalidParameterError);
    assert.match(err.message, /could not receive the output: mkdir \/out: read-only file system/);
  });

  it('tells the client when the directory cannot be read', async () => {
    const [daemon, peer] = channelPair<FsPacket>();
    const seen: Seen = { stats: [], data: new Map(), packets: [] };
    const [err] = await Promise.all([send(daemon, join(root, 'missing')).then(() => undefined, (e: unknown) => e), client(peer, requestAll, seen).catch(() => undefined)]);
    assert.ok(err instanceof SystemError, String(err));
    assert.match(err.message, /cannot read the output in .*missing: ENOENT/);
    assert.match(seen.packets.find((p) => p.type === PACKET_ERR)?.data.toString() ?? '', /ENOENT/, 'the client got an ERR packet');
  });
});

describe('sendBytes', () => {
  it('sends a stream in chunks of at most 3 MiB, closes its side and waits for the client', async () => {
    const data = Buffer.alloc(7 * 1024 * 1024 + 5);
    for (let i = 0; i < data.length; i += 4096) data[i] = i % 251;
    const [daemon, peer] = channelPair<Buffer>();
    const got: Buffer[] = [];
    const receiving = (async () => {
      for (let m = await peer.recv(); m !== null; m = await peer.recv()) got.push(m);
      peer.closeSend();
    })();
    await Promise.all([sendBytes(daemon, Readable.from([data.subarray(0, 10), data.subarray(10)])), receiving]);
    assert.ok(got.every((b) => b.length <= MAX_CHUNK));
    assert.ok(Buffer.concat(got).equals(data));
  });

  it('fails with the client error when the client ends the call with one', async () => {
    const [daemon, peer] = channelPair<Buffer>();
    const receiving = (async () => {
      await peer.recv();
      peer.cancel();
    })();
    const [err] = await Promise.all([sendBytes(daemon, Readable.from([Buffer.from('a'), Buffer.from('b')])).then(() => undefined, (e: unknown) => e), receiving]);
    assert.ok(err instanceof UnavailableError, String(err));
    assert.match(err.message, /CANCELLED/);
  });
});
