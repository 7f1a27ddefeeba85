import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ProgressRenderer } from './pull-progress.js';

function capture(tty: boolean): { r: ProgressRenderer; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (b: Buffer) => (text += b.toString()));
  return { r: new ProgressRenderer(out, tty), text: () => text };
}

test('off a terminal: each layer status once, no bars', () => {
  const { r, text } = capture(false);
  r.handle({ status: 'Pulling from x', id: '1' });
  r.handle({ status: 'Downloading', id: 'aaa', progressDetail: { current: 1, total: 10 }, progress: '[=>  ] 1B/10B' });
  r.handle({ status: 'Downloading', id: 'aaa', progressDetail: { current: 5, total: 10 } });
  r.handle({ status: 'Pull complete', id: 'aaa' });
  r.handle({ status: 'Digest: sha256:x' });
  assert.equal(text(), '1: Pulling from x\naaa: Downloading\naaa: Pull complete\nDigest: sha256:x\n');
});

test('on a terminal: one line per layer, redrawn in place with its bar', () => {
  const { r, text } = capture(true);
  r.handle({ status: 'Pulling fs layer', id: 'aaa' });
  r.handle({ status: 'Pulling fs layer', id: 'bbb' });
  r.handle({ status: 'Downloading', id: 'aaa', progressDetail: { current: 5, total: 10 }, progress: '[=====>    ] 5B/10B' });
  // aaa is two lines up from the cursor: up 2, clear, redraw, back down 2.
  assert.equal(text(), 'aaa: Pulling fs layer\nbbb: Pulling fs layer\n\x1b[2A\r\x1b[2Kaaa: Downloading [=====>    ] 5B/10B\r\x1b[2B');
});
