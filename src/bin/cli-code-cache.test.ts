import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTokenLine, bundleToken, cachesFor, decodeCodeCache, encodeCodeCache, loadBundle, trainCodeCache } from './cli-code-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-code-cache-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = '0123456789abcdef0123456789abcdef';
// A bundle as scripts/bundle.mjs leaves it: CommonJS, a hashbang, `done`, the build token last.
const bundleSource = (token: string, answer = 42): string =>
  `#!/usr/bin/env node\n"use strict";\nfunction answer() { return ${answer}; }\nglobalThis.__bcliRuns = (globalThis.__bcliRuns ?? 0) + 1;\nmodule.exports = { answer, dir: __dirname, done: Promise.resolve() };${buildTokenLine(token)}`;

function writeBundle(name: string, source: string): string {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
}

describe('the CLI code cache', () => {
  it('reads the build token the bundle ends with, and none from a bundle without', () => {
    assert.equal(bundleToken(bundleSource(TOKEN)), TOKEN);
    assert.equal(bundleToken('module.exports = 1;\n'), undefined);
    assert.equal(bundleToken(`${buildTokenLine(TOKEN)}\nmodule.exports = 1;\n`), undefined, 'only as the last line');
  });

  it('takes a cache only for the bundle it was made from', () => {
    const file = encodeCodeCache(TOKEN, Buffer.from('v8 data'));
    assert.equal(decodeCodeCache(file, TOKEN)?.toString(), 'v8 data');
    assert.equal(decodeCodeCache(file, TOKEN.replace('0', '1')), undefined, 'another build');
    assert.equal(decodeCodeCache(file, undefined), undefined, 'a bundle without a token');
    assert.equal(decodeCodeCache(undefined, TOKEN), undefined, 'no cache file');
    assert.equal(decodeCodeCache(Buffer.from('garbage'), TOKEN), undefined);
    assert.equal(decodeCodeCache(encodeCodeCache(TOKEN, Buffer.alloc(0)), TOKEN), undefined, 'a header alone');
  });

  it('runs the bundle as CommonJS with a trained cache, which V8 takes', async () => {
    const bundle = writeBundle('trained.cjs', bundleSource(TOKEN));
    const cache = join(dir, 'trained.codecache');
    const argv = process.argv;
    try {
      assert.equal(await trainCodeCache(bundle, cache, [['version'], ['ps']]), true);
    } finally {
      process.argv = argv;
    }
    assert.ok(readFileSync(cache).toString('latin1').startsWith(`berth-code-cache 1 ${TOKEN}\n`));
    const loaded = loadBundle(bundle, cache, true);
    assert.ok(loaded, 'the cache fits');
    assert.equal(loaded.cacheUsed, true);
    const exports = loaded.run() as { answer(): number; dir: string };
    assert.equal(exports.answer(), 42);
    assert.equal(exports.dir, dir);
  });

  it('leaves a missing or stale cache to Node: nothing is loaded from it', () => {
    const cache = join(dir, 'stale.codecache');
    const bundle = writeBundle('stale.cjs', bundleSource(TOKEN));
    assert.equal(loadBundle(bundle, join(dir, 'missing.codecache'), true), undefined, 'missing');
    // A rebuilt bundle of the very same length: V8 alone would take the old cache.
    writeFileSync(cache, encodeCodeCache(TOKEN, Buffer.from('v8 data')));
    const rebuilt = writeBundle('rebuilt.cjs', bundleSource(TOKEN.replace('0', '9'), 43));
    assert.equal(readFileSync(rebuilt).length, readFileSync(bundle).length);
    assert.equal(loadBundle(rebuilt, cache, true), undefined, 'stale');
  });

  it('takes the first cache that fits: a command\'s own, else the general one', async () => {
    const bundle = writeBundle('two.cjs', bundleSource(TOKEN));
    const general = join(dir, 'two.codecache');
    const argv = process.argv;
    try {
      assert.equal(await trainCodeCache(bundle, general, [['version']]), true);
    } finally {
      process.argv = argv;
    }
    const foreign = join(dir, 'two.version.codecache');
    writeFileSync(foreign, encodeCodeCache(TOKEN.replace('0', '9'), Buffer.from('made for another bundle')));
    const loaded = loadBundle(bundle, [foreign, join(dir, 'missing.codecache'), general], true);
    assert.ok(loaded, 'the general cache fits');
    assert.equal(loaded.cacheUsed, true);
    assert.equal(loadBundle(bundle, [foreign], true), undefined);
  });

  it('cachesFor: a command\'s own cache first; an option or a strange word gets the general one', () => {
    assert.deepEqual(cachesFor('/d', ['version']), ['/d/berth.bundle.version.codecache', '/d/berth.bundle.codecache']);
    assert.deepEqual(cachesFor('/d', ['image-ls', 'x']), ['/d/berth.bundle.image-ls.codecache', '/d/berth.bundle.codecache']);
    for (const argv of [[], ['-H', 'unix:///x', 'ps'], ['../../etc/x'], ['Run'], ['a.b']]) assert.deepEqual(cachesFor('/d', argv), ['/d/berth.bundle.codecache'], argv.join(' '));
  });

  it('still runs the bundle when V8 rejects the cache (another Node, other V8 flags)', () => {
    const bundle = writeBundle('foreign.cjs', bundleSource(TOKEN, 44));
    const cache = join(dir, 'foreign.codecache');
    writeFileSync(cache, encodeCodeCache(TOKEN, Buffer.from('not what V8 wrote, or another V8 wrote it')));
    const loaded = loadBundle(bundle, cache, true);
    assert.ok(loaded);
    assert.equal(loaded.cacheUsed, false);
    assert.equal((loaded.run() as { answer(): number }).answer(), 44);
  });
});

describe('berth-start.cjs, what bin/berth runs', () => {
  const bin = import.meta.dirname;
  const built = ['berth-start.cjs', 'berth.bundle.cjs', 'berth.bundle.codecache'].every((f) => existsSync(join(bin, f)));
  const cli = (where: string): { code: number | null; out: string } => {
    const r = spawnSync(process.execPath, [join(where, 'berth-start.cjs'), '--version'], { encoding: 'utf8', env: { ...process.env, NODE_COMPILE_CACHE: '' } });
    return { code: r.status, out: r.stdout + r.stderr };
  };

  it("answers alike with the build's cache, without one, and with one of another build", { skip: !built && 'scripts/bundle.mjs has not run' }, () => {
    const copy = mkdtempSync(join(dir, 'bin-'));
    for (const f of ['berth-start.cjs', 'berth.bundle.cjs', 'berth.bundle.codecache']) copyFileSync(join(bin, f), join(copy, f));
    const expected = { code: 0, out: 'Berth version 0.1.0\n' };
    assert.deepEqual(cli(copy), expected, 'with the cache');
    writeFileSync(join(copy, 'berth.bundle.codecache'), encodeCodeCache('f'.repeat(32), readFileSync(join(bin, 'berth.bundle.codecache'))));
    assert.deepEqual(cli(copy), expected, 'with a cache of another build');
    writeFileSync(join(copy, 'berth.bundle.codecache'), encodeCodeCache(bundleToken(readFileSync(join(copy, 'berth.bundle.cjs'), 'utf8')) ?? '', Buffer.from('another V8')));
    assert.deepEqual(cli(copy), expected, 'with a cache V8 rejects');
    rmSync(join(copy, 'berth.bundle.codecache'));
    assert.deepEqual(cli(copy), expected, 'without a cache');
  });
});
