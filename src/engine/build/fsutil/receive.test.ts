import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, linkSync, lstatSync, lutimesSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InvalidParameterError, UnavailableError } from '../../../core/errors.js';
import type { FsPacket } from '../solve-types.js';
import { channelPair, scriptedClient, type ScriptedEntry } from './memory-channel.js';
import { receive } from './receive.js';
import { send } from './send.js';
import { MODE_CHAR_DEVICE, MODE_DEVICE, MODE_DIR, MODE_SETUID, MODE_SYMLINK, PACKET_DATA, PACKET_ERR, packet } from './wire.js';

const asRoot = process.getuid?.() === 0;
let root = '';
let n = 0;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'berth-test-fsutil-'));
});
after(() => {
  // Read-only directories the tests made would stop a non-root rm.
  execFileSync('chmod', ['-R', 'u+w', root]);
  rmSync(root, { recursive: true, force: true });
});

/** A fresh dest beside an `outside` dir with a sentinel, so that a test can see nothing leaked. */
function arena(): { dest: string; outside: string; before: string[] } {
  const base = join(root, `arena-${n++}`);
  mkdirSync(join(base, 'outside'), { recursive: true });
  writeFileSync(join(base, 'outside', 'sentinel'), 'keep');
  mkdirSync(join(base, 'dest'));
  return { dest: join(base, 'dest'), outside: join(base, 'outside'), before: listTree(base) };
}

function listTree(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const st = lstatSync(join(dir, name));
    out.push(`${prefix}${name} ${st.mode.toString(8)} ${st.isFile() ? readFileSync(join(dir, name), 'hex') : ''}`);
    if (st.isDirectory()) out.push(...listTree(join(dir, name), `${prefix}${name}/`));
  }
  return out;
}

async function roundTrip(src: string, dest: string): Promise<number> {
  const [daemon, client] = channelPair<FsPacket>();
  let bytes = 0;
  await Promise.all([receive(daemon, dest, { onBytes: (t) => (bytes = t) }), send(client, src)]);
  return bytes;
}

describe('fsutil receive', () => {
  it('copies a tree with every kind of entry, its modes, owners, times and hard links', async () => {
    const src = join(root, 'src');
    mkdirSync(join(src, 'dir/sub'), { recursive: true });
    const big = Buffer.alloc(200 * 1024, 'x');
    big.write('end', big.length - 3);
    writeFileSync(join(src, 'dir/big'), big);
    writeFileSync(join(src, 'empty'), '');
    writeFileSync(join(src, 'suid'), '#!/bin/sh\n');
    chmodSync(join(src, 'suid'), 0o4755);
    writeFileSync(join(src, 'dir/sub/ro'), 'read only');
    chmodSync(join(src, 'dir/sub/ro'), 0o444);
    linkSync(join(src, 'dir/big'), join(src, 'hard'));
    symlinkSync('/etc/passwd', join(src, 'abs-link'));
    symlinkSync('../empty', join(src, 'dir/rel-link'));
    execFileSync('mkfifo', [join(src, 'fifo')]);
    mkdirSync(join(src, 'sticky'));
    chmodSync(join(src, 'sticky'), 0o1777);
    chmodSync(join(src, 'dir/sub'), 0o550);
    if (asRoot) chownSync(join(src, 'dir/big'), 1234, 5678);
    utimesSync(join(src, 'dir/big'), 1000, 1_500_000_000.25);
    lutimesSync(join(src, 'abs-link'), 1000, 1_400_000_000);
    utimesSync(join(src, 'dir/sub'), 1000, 1_300_000_000);
    utimesSync(join(src, 'dir'), 1000, 1_200_000_000);
    const { dest } = arena();

    const bytes = await roundTrip(src, dest);

    assert.deepEqual(listTree(dest), listTree(src));
    assert.ok(bytes > big.length, 'progress counts the packets received');
    const s = (p: string) => lstatSync(join(dest, p));
    assert.equal(s('suid').mode & 0o7777, 0o4755);
    assert.equal(s('sticky').mode & 0o7777, 0o1777);
    assert.equal(s('dir/sub').mode & 0o7777, 0o550);
    assert.equal(s('hard').ino, s('dir/big').ino, 'hard link kept');
    assert.equal(readlinkSync(join(dest, 'abs-link')), '/etc/passwd');
    assert.equal(readlinkSync(join(dest, 'dir/rel-link')), '../empty');
    assert.ok(s('fifo').isFIFO());
    // Within a microsecond: the wire's nanoseconds pass through a JS number.
    const near = (p: string, ms: number, why?: string) => assert.ok(Math.abs(s(p).mtimeMs - ms) < 0.001, `${p}: ${s(p).mtimeMs} ${why ?? ''}`);
    near('dir/big', 1_500_000_000_250);
    near('abs-link', 1_400_000_000_000);
    near('dir/sub', 1_300_000_000_000, 'a directory keeps its time though entries were made in it');
    near('dir', 1_200_000_000_000);
    if (asRoot) assert.deepEqual([s('dir/big').uid, s('dir/big').gid], [1234, 5678]);
  });

  it('sets the xattrs a client may set and drops trusted.*', async (t) => {
    const { dest } = arena();
    const [daemon, client] = channelPair<FsPacket>();
    const xattrs = { 'user.berth': Buffer.from('yes'), 'trusted.overlay.opaque': Buffer.from('y') };
    await Promise.all([receive(daemon, dest), scriptedClient(client, [{ stat: { path: 'f', mode: 0o644, xattrs }, data: Buffer.from('x') }])]);
    let out: string;
    try {
      out = execFileSync('getfattr', ['-d', '-m', '-', join(dest, 'f')], { encoding: 'utf8' });
    } catch {
      t.skip('getfattr is not available');
      return;
    }
    if (out === '' && !asRoot) {
      t.skip('this filesystem keeps no user xattrs');
      return;
    }
    assert.match(out, /user\.berth="yes"/);
    assert.doesNotMatch(out, /trusted/);
  });

  /** Runs the daemon's receive against a scripted client; returns what each side ended with. */
  async function hostile(entries: ScriptedEntry[], extra: FsPacket[] = []) {
    const a = arena();
    const [daemon, client] = channelPair<FsPacket>();
    const [received, script] = await Promise.all([receive(daemon, a.dest).then(() => undefined, (e: unknown) => e), scriptedClient(client, entries, extra)]);
    assert.deepEqual(listTree(join(a.dest, '..', 'outside')), ['sentinel 100644 6b656570'], 'nothing outside dest changed');
    return { err: received, script, dest: a.dest, daemon };
  }

  const refused = (err: unknown, pattern: RegExp): void => {
    assert.ok(err instanceof InvalidParameterError, `an InvalidParameterError, not ${String(err)}`);
    assert.match(err.message, pattern);
  };

  it('refuses a path with ..', async () => {
    const r = await hostile([{ stat: { path: '../outside/sentinel', mode: 0o644 }, data: Buffer.from('pwned') }]);
    refused(r.err, /"\.\.\/outside\/sentinel".*leaves/);
    assert.equal(r.script.errors.length, 1, 'the client is told why (ERR packet)');
    assert.ok(r.daemon.cancelled, 'and the call is cancelled');
  });

  it('refuses an absolute path and an unclean one', async () => {
    refused((await hostile([{ stat: { path: '/etc/evil', mode: 0o644 } }])).err, /"\/etc\/evil".*absolute/);
    refused((await hostile([{ stat: { path: 'a/./b', mode: 0o644 } }])).err, /not clean/);
  });

  it('refuses a file written through a symlink sent before it', async () => {
    const out = join(root, `arena-${n}`, 'outside');
    const r = await hostile([
      { stat: { path: 'link', mode: MODE_SYMLINK + 0o777, linkname: out } },
      { stat: { path: 'link/pwned', mode: 0o644 }, data: Buffer.from('pwned') },
    ]);
    refused(r.err, /"link\/pwned".*parent directory was not sent/);
  });

  it('refuses an entry sent twice or out of order', async () => {
    const twice = await hostile([
      { stat: { path: 'a', mode: MODE_SYMLINK + 0o777, linkname: '/' } },
      { stat: { path: 'a', mode: MODE_DIR + 0o755 } },
    ]);
    refused(twice.err, /"a".*out of order or twice/);
    refused((await hostile([{ stat: { path: 'b', mode: 0o644 } }, { stat: { path: 'a', mode: 0o644 } }])).err, /"a".*out of order/);
  });

  it('refuses hard links to anything but a file sent before', async () => {
    refused((await hostile([{ stat: { path: 'h', mode: 0o644, linkname: '../outside/sentinel' } }])).err, /"h" as a hard link/);
    refused((await hostile([{ stat: { path: 'h', mode: 0o644, linkname: '/etc/passwd' } }])).err, /hard link to "\/etc\/passwd"/);
    const viaDir = await hostile([{ stat: { path: 'd', mode: MODE_DIR + 0o755 } }, { stat: { path: 'h', mode: 0o644, linkname: 'd' } }]);
    refused(viaDir.err, /hard link to "d"/);
  });

  it('refuses data for a file id it did not request', async () => {
    const r = await hostile([{ stat: { path: 'f', mode: 0o644 }, data: Buffer.from('x') }], [packet(PACKET_DATA, { ID: 7, data: Buffer.from('stray') })]);
    refused(r.err, /file id 7/);
  });

  it('fails with the client error when the client sends ERR', async () => {
    const r = await hostile([{ stat: { path: 'f', mode: 0o644 } }], [packet(PACKET_ERR, { data: Buffer.from('open /ctx/f: permission denied') })]);
    refused(r.err, /could not send .*: open \/ctx\/f: permission denied/);
  });

  it('fails when the client ends the call before FIN', async () => {
    const a = arena();
    const [daemon, client] = channelPair<FsPacket>();
    const failed = receive(daemon, a.dest).then(() => undefined, (e: unknown) => e);
    client.closeSend();
    const err = await failed;
    assert.ok(err instanceof UnavailableError, String(err));
  });

  it('keeps few descriptors open when the client interleaves many files', async () => {
    const { dest } = arena();
    const entries: ScriptedEntry[] = [];
    for (let i = 0; i < 80; i++) entries.push({ stat: { path: `f${String(i).padStart(2, '0')}`, mode: 0o600 } });
    const extra: FsPacket[] = [];
    for (let round = 0; round < 3; round++) for (let id = 0; id < 80; id++) extra.push(packet(PACKET_DATA, { ID: id, data: Buffer.from(`${id}.${round};`) }));
    for (let id = 0; id < 80; id++) extra.push(packet(PACKET_DATA, { ID: id }));
    const [daemon, client] = channelPair<FsPacket>();
    const [, script] = await Promise.all([receive(daemon, dest), scriptedClient(client, entries, extra, { answer: false })]);
    assert.ok(script.finished);
    assert.equal(readFileSync(join(dest, 'f41'), 'utf8'), '41.0;41.1;41.2;');
    assert.equal(readdirSync(dest).length, 80);
  });

  it('skips device nodes and still copies the rest', async () => {
    const r = await hostile([
      { stat: { path: 'null', mode: MODE_DEVICE + MODE_CHAR_DEVICE + 0o666, devmajor: 1, devminor: 3 } },
      { stat: { path: 'sda', mode: MODE_DEVICE + 0o660, devmajor: 8, devminor: 0 } },
      { stat: { path: 'z', mode: MODE_SETUID + 0o755 }, data: Buffer.from('zz') },
    ]);
    assert.equal(r.err, undefined);
    assert.ok(r.script.finished, 'the FIN handshake completed');
    assert.deepEqual(r.script.requested, [2], 'ids count every STAT, devices included');
    assert.deepEqual(readdirSync(r.dest), ['z']);
    assert.equal(lstatSync(join(r.dest, 'z')).mode & 0o7777, 0o4755);
    assert.equal(readFileSync(join(r.dest, 'z'), 'utf8'), 'zz');
  });
});
