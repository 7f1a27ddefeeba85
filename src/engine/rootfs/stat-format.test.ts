import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FileMeta } from '../../drivers/fs-tree/file-meta.js';
import { goFileMode, rfc3339Nano } from './stat-format.js';

function meta(kind: FileMeta['kind'], mode: number): FileMeta {
  return { kind, mode, uid: 0, gid: 0, size: 0, mtimeNs: 0n, dev: 0n, ino: 0n, nlink: 1, rdev: 0n };
}

describe('goFileMode', () => {
  it("uses Go's FileMode bits, unsigned", () => {
    assert.equal(goFileMode(meta('file', 0o100644)), 0o644);
    assert.equal(goFileMode(meta('directory', 0o40755)), 2147484141); // 1<<31 | 0755
    assert.equal(goFileMode(meta('symlink', 0o120777)), 2 ** 27 + 0o777);
    assert.equal(goFileMode(meta('character-device', 0o20666)), 2 ** 26 + 2 ** 21 + 0o666);
    assert.equal(goFileMode(meta('block-device', 0o60660)), 2 ** 26 + 0o660);
    assert.equal(goFileMode(meta('fifo', 0o10644)), 2 ** 25 + 0o644);
    assert.equal(goFileMode(meta('socket', 0o140755)), 2 ** 24 + 0o755);
  });

  it('maps setuid, setgid and sticky to their Go bits', () => {
    assert.equal(goFileMode(meta('file', 0o104755)), 2 ** 23 + 0o755);
    assert.equal(goFileMode(meta('file', 0o102755)), 2 ** 22 + 0o755);
    assert.equal(goFileMode(meta('directory', 0o41777)), 2 ** 31 + 2 ** 20 + 0o777);
    assert.ok(goFileMode(meta('directory', 0o47777)) > 0);
  });
});

describe('rfc3339Nano', () => {
  it("formats like Go's time.Time JSON in UTC", () => {
    assert.equal(rfc3339Nano(1580608922n * 1_000_000_000n), '2020-02-02T02:02:02Z');
    assert.equal(rfc3339Nano(1580608922_123456789n), '2020-02-02T02:02:02.123456789Z');
    assert.equal(rfc3339Nano(1580608922_120000000n), '2020-02-02T02:02:02.12Z');
    assert.equal(rfc3339Nano(-1n), '1969-12-31T23:59:59.999999999Z');
  });
});
