import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidParameterError } from '../../core/errors.js';
import { parseApiMount, parseBind, parseTmpfs } from './mount-plan.js';

const invalid = (fn: () => unknown, message: RegExp): void => {
  assert.throws(fn, (err: unknown) => err instanceof InvalidParameterError && message.test(err.message));
};

describe('parseBind (-v)', () => {
  it('reads a bind with modes, a named volume and an anonymous one', () => {
    const b = parseBind('/host:/ctr:ro,rslave');
    assert.deepEqual([b.Type, b.Source, b.Destination, b.RW, b.Propagation], ['bind', '/host', '/ctr', false, 'rslave']);
    const v = parseBind('data:/data:nocopy');
    assert.deepEqual([v.Type, v.Name, v.RW, v.CopyUp], ['volume', 'data', true, false]);
    const a = parseBind('/anon/');
    assert.deepEqual([a.Type, a.Name, a.Destination, a.CopyUp], ['volume', '', '/anon', true]);
  });

  it('refuses relative container paths, unknown modes and ro+rw', () => {
    invalid(() => parseBind('/x:relative'), /must be an absolute path/);
    invalid(() => parseBind('/x:/y:zz'), /^invalid mode: zz$/);
    invalid(() => parseBind('/x:/y:ro,rw'), /invalid mode/);
    invalid(() => parseBind('a:b:c:d'), /invalid volume specification/);
  });
});

describe('parseApiMount (--mount) and parseTmpfs (--tmpfs)', () => {
  it('reads bind, volume and tmpfs mounts', () => {
    assert.equal(parseApiMount({ Type: 'bind', Source: '/h', Target: '/c', ReadOnly: true }).RW, false);
    assert.equal(parseApiMount({ Type: 'volume', Source: 'vol', Target: '/c', VolumeOptions: { NoCopy: true } }).CopyUp, false);
    assert.deepEqual(parseApiMount({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024, Mode: 0o1777 } }).TmpfsOptions, ['nosuid', 'nodev', 'noexec', 'size=1024', 'mode=1777']);
    invalid(() => parseApiMount({ Type: 'nfs', Target: '/c' }), /mount type unknown/);
  });

  it('turns --tmpfs sizes into bytes and refuses unknown options', () => {
    assert.deepEqual(parseTmpfs('/run', 'size=64m').TmpfsOptions, ['noexec', 'nosuid', 'nodev', `size=${64 * 1024 * 1024}`]);
    invalid(() => parseTmpfs('/run', 'bogus'), /invalid tmpfs option/);
  });
});
