import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { InvalidParameterError } from '../../../core/errors.js';
import { readTarEntries } from '../../../drivers/snapshotter/read-tar-entries.js';
import { layerTar } from './archive-fixtures.js';
import { decompressInput } from '../../../core/compression.js';

const WORDS = { invalid: 'invalid archive', unreadable: 'cannot read archive', failed: 'cannot extract archive', inconsistentCodes: [] };

/** Names in a (possibly compressed) tar, read the way PUT /containers/{id}/archive reads it. */
async function names(input: Buffer): Promise<string[]> {
  const out: string[] = [];
  await readTarEntries(await decompressInput(Readable.from([input])), WORDS, async (h, content) => {
    out.push(h.name);
    content.resume();
  });
  return out;
}

describe('decompressInput', () => {
  it('reads gzip, bzip2 and xz (through Debian’s tools, as docker runs xz)', async () => {
    const { tar } = await layerTar({ 'a.txt': 'a' });
    for (const input of [tar, gzipSync(tar), execFileSync('bzip2', ['-c'], { input: tar }), execFileSync('xz', ['-c'], { input: tar })]) {
      assert.deepEqual(await names(input), ['a.txt']);
    }
  });

  it('a corrupt stream is InvalidParameterError in the stream, not a host failure', async () => {
    const { tar } = await layerTar({ 'a.txt': 'x'.repeat(100_000) });
    const corrupt = (buf: Buffer): Buffer => {
      const copy = Buffer.from(buf);
      copy.fill(0x55, Math.floor(copy.length / 2), Math.floor(copy.length / 2) + 32);
      return copy;
    };
    for (const [kind, input] of [
      ['gzip', corrupt(gzipSync(tar))],
      // bzip2 checks a block's CRC only after writing it out: damage inside shows as a bad tar.
      ['bzip2', Buffer.from('BZh91AY&SYxxxxxxxxxxxx')],
      ['xz', corrupt(execFileSync('xz', ['-c'], { input: tar }))],
      ['zstd', execFileSync('sh', ['-c', 'cat | zstd -q -c --long=31'], { input: tar })],
    ] as const) {
      await assert.rejects(names(input), (err: unknown) => {
        assert.ok(err instanceof InvalidParameterError, `${kind}: ${String(err)}`);
        assert.match(err.message, new RegExp(`^invalid ${kind} stream: `));
        return true;
      });
    }
  });
});
