import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseGetfattrDump } from './read-xattrs.js';

describe('parseGetfattrDump', () => {
  it('reads hex values and octal-escaped names', () => {
    const text = [
      '# file: /r/plain',
      'user.a=0x6869',
      'user.empty=0x',
      'security.capability=0sAQAAAg==',
      '',
      '# file: /r/nl\\012line',
      'trusted.overlay.opaque=0x79',
      '',
      '# file: /r/back\\134slash \\303\\251',
      'user.b=0x00ff',
      '',
    ].join('\n');
    const parsed = parseGetfattrDump(text);
    assert.deepEqual([...parsed.keys()], ['/r/plain', '/r/nl\nline', '/r/back\\slash é']);
    assert.deepEqual(parsed.get('/r/plain')?.get('user.a'), Buffer.from('hi'));
    assert.deepEqual(parsed.get('/r/plain')?.get('user.empty'), Buffer.alloc(0));
    assert.deepEqual(parsed.get('/r/plain')?.get('security.capability'), Buffer.from([1, 0, 0, 2]));
    assert.equal(parsed.get('/r/nl\nline')?.get('trusted.overlay.opaque')?.toString(), 'y');
    assert.deepEqual(parsed.get('/r/back\\slash é')?.get('user.b'), Buffer.from([0, 255]));
  });

  it('gives an empty index for empty output', () => {
    assert.equal(parseGetfattrDump('').size, 0);
  });
});
