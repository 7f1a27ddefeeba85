import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import tarStream from 'tar-stream';
import { hasTarMagic } from './tar-magic.js';

async function firstBlock(format?: 'gnu'): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  // A name past ustar's 100 bytes makes tar-stream write a GNU-style or PAX header first.
  pack.entry({ name: format === 'gnu' ? `${'d/'.repeat(60)}f` : 'f', size: 1 }, 'x');
  pack.finalize();
  await done;
  return Buffer.concat(chunks).subarray(0, 512);
}

describe('hasTarMagic', () => {
  it('knows a ustar header, also one carrying a long name', async () => {
    assert.equal(hasTarMagic(await firstBlock()), true);
    assert.equal(hasTarMagic(await firstBlock('gnu')), true);
  });

  it('refuses what is not a tar: too short, zeros, JSON, gzip', async () => {
    assert.equal(hasTarMagic((await firstBlock()).subarray(0, 261)), false);
    assert.equal(hasTarMagic(Buffer.alloc(512)), false);
    assert.equal(hasTarMagic(Buffer.from(JSON.stringify({ a: 'x'.repeat(600) }))), false);
    assert.equal(hasTarMagic(Buffer.from([0x1f, 0x8b, ...Buffer.alloc(510)])), false);
  });
});
