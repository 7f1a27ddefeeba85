import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// bin/berth in a checkout of the test's own, whose "node" prints what it was asked to run.
const LAUNCHER = resolve(import.meta.dirname, '../../../bin/berth');
const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function checkout(opts: { node?: boolean; entry?: boolean } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'berth-launcher-test-'));
  made.push(root);
  mkdirSync(join(root, 'bin'));
  copyFileSync(LAUNCHER, join(root, 'bin/berth'));
  chmodSync(join(root, 'bin/berth'), 0o755);
  if (opts.node !== false) {
    mkdirSync(join(root, 'node_modules/.bin'), { recursive: true });
    writeFileSync(join(root, 'node_modules/.bin/node'), '#!/bin/sh\nprintf "%s|" "$NODE_COMPILE_CACHE" "$@"\n', { mode: 0o755 });
  }
  if (opts.entry !== false) {
    mkdirSync(join(root, 'dist/src/bin'), { recursive: true });
    writeFileSync(join(root, 'dist/src/bin/berth-start.cjs'), '');
  }
  return root;
}

function launch(path: string, args: string[], cwd?: string, extraEnv: Record<string, string> = {}): { code: number | null; out: string; err: string } {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', TMPDIR: '/tmp', HOME: '/home/someone', ...extraEnv };
  const r = spawnSync(path, args, { encoding: 'utf8', env, ...(cwd ? { cwd } : {}) });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('bin/berth', () => {
  it('runs berth-start.cjs with the checkout\'s node and a compile cache, the arguments intact', () => {
    const root = checkout();
    const r = launch(join(root, 'bin/berth'), ['run', '--rm', 'a b', '']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `/home/someone/.cache/berth/node-compile-cache|${root}/dist/src/bin/berth-start.cjs|run|--rm|a b||`);
  });

  it('finds its checkout through a symlink (/usr/local/bin/berth) and from a relative path', () => {
    const root = checkout();
    const links = mkdtempSync(join(tmpdir(), 'berth-launcher-link-'));
    made.push(links);
    symlinkSync(join(root, 'bin/berth'), join(links, 'berth'));
    assert.equal(launch(join(links, 'berth'), ['version']).out, `/home/someone/.cache/berth/node-compile-cache|${root}/dist/src/bin/berth-start.cjs|version|`);
    assert.equal(launch('bin/berth', ['version'], root).out, `/home/someone/.cache/berth/node-compile-cache|${root}/dist/src/bin/berth-start.cjs|version|`);
  });

  it('keeps the compile cache in the user\'s own cache directory, never a shared /tmp one', () => {
    const root = checkout();
    const bin = join(root, 'bin/berth');
    assert.equal(launch(bin, ['version'], undefined, { XDG_CACHE_HOME: '/home/someone/xdg' }).out, `/home/someone/xdg/berth/node-compile-cache|${root}/dist/src/bin/berth-start.cjs|version|`);
    assert.equal(launch(bin, ['version'], undefined, { NODE_COMPILE_CACHE: '/mine' }).out, `/mine|${root}/dist/src/bin/berth-start.cjs|version|`);
    const noHome = spawnSync(bin, ['version'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TMPDIR: '/tmp' } });
    assert.equal(noHome.stdout, `|${root}/dist/src/bin/berth-start.cjs|version|`, 'no home: no cache');
  });

  it('says how to build when the build output or Node is missing (status 125)', () => {
    const noEntry = launch(join(checkout({ entry: false }), 'bin/berth'), ['version']);
    assert.equal(noEntry.code, 125);
    assert.match(noEntry.err, /build output .*berth-start\.cjs is missing; run: bash .*scripts\/setup\.sh/);
    const noNode = launch(join(checkout({ node: false }), 'bin/berth'), ['version']);
    assert.equal(noNode.code, 125);
    assert.match(noNode.err, /Node 24 not found at .*node_modules\/\.bin\/node/);
  });
});
