import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { readUpgradeBody } from './upgrade-body.js';

test('an upgrade body that arrives after the headers is read off the socket, stdin bytes kept apart', async () => {
  const socket = new PassThrough();
  const body = '{"Detach":false,"Tty":false}';
  const reading = readUpgradeBody(socket, Buffer.from(body.slice(0, 5)), String(body.length));
  socket.write(body.slice(5, 12));
  socket.write(`${body.slice(12)}stdin bytes`);
  const { body: got, rest } = await reading;
  assert.equal(got.toString(), body);
  assert.equal(rest.toString(), 'stdin bytes');
  assert.equal(socket.isPaused(), true, 'later bytes wait for the stream handler');
});

test('a body already in the head, and no body at all', async () => {
  const socket = new PassThrough();
  const both = await readUpgradeBody(socket, Buffer.from('{}more'), '2');
  assert.deepEqual([both.body.toString(), both.rest.toString()], ['{}', 'more']);
  const none = await readUpgradeBody(socket, Buffer.from('early stdin'), undefined);
  assert.deepEqual([none.body.length, none.rest.toString()], [0, 'early stdin']);
});

test('a bad Content-Length or a connection closed mid-body is refused', async () => {
  await assert.rejects(readUpgradeBody(new PassThrough(), Buffer.alloc(0), 'x'), /invalid Content-Length "x"/);
  const socket = new PassThrough();
  const reading = readUpgradeBody(socket, Buffer.from('{"a"'), '20');
  socket.end();
  await assert.rejects(reading, /connection closed after 4 of 20 body bytes/);
});
