import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateToken, TOKEN_FILE, tokenMatches } from './ui-token.js';

test('the login token: made once (0600), kept across restarts, a damaged file replaced', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hui-token-'));
  try {
    const a = await loadOrCreateToken(dir);
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal((await stat(join(dir, TOKEN_FILE))).mode & 0o777, 0o600);
    assert.equal(await loadOrCreateToken(dir), a, 'the same token after a restart');
    await writeFile(join(dir, TOKEN_FILE), 'garbage\n');
    const b = await loadOrCreateToken(dir);
    assert.notEqual(b, a);
    assert.equal((await readFile(join(dir, TOKEN_FILE), 'utf8')).trim(), b);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('tokens compare whole, in constant time', () => {
  const t = 'ab'.repeat(32);
  assert.equal(tokenMatches(t, t), true);
  assert.equal(tokenMatches(t.slice(0, 63), t), false);
  assert.equal(tokenMatches(`${t.slice(0, 63)}c`, t), false);
  assert.equal(tokenMatches(undefined, t), false);
  assert.equal(tokenMatches(null, t), false);
});
