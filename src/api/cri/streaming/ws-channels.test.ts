import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { WebSocketChannels, type ChannelCodec, type ChannelMode } from './ws-channels.js';

/** A loopback WebSocket whose server end speaks the channel protocol; the client end is raw. */
async function pair(codec: ChannelCodec, modes: ChannelMode[]): Promise<{ channels: WebSocketChannels; client: WebSocket; received: Array<Buffer | string>; stop: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const serverSide = once(wss, 'connection');
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const received: Array<Buffer | string> = [];
  client.on('message', (m: Buffer, isBinary: boolean) => received.push(isBinary ? m : m.toString()));
  await once(client, 'open');
  const [ws] = (await serverSide) as [WebSocket];
  const channels = new WebSocketChannels(ws, codec, modes);
  const stop = async (): Promise<void> => {
    client.terminate();
    await new Promise((r) => wss.close(r));
  };
  return { channels, client, received, stop };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'condition never held');
}

test('binary channels: the first byte is the channel; v5 [255, n] ends channel n', async () => {
  const p = await pair({ binary: true, streamClose: true }, ['read', 'write', 'ignore']);
  try {
    const input: Buffer[] = [];
    const stdin = p.channels.channel(0);
    stdin.on('data', (c: Buffer) => input.push(c));
    const ended = once(stdin, 'end');
    p.client.send(Buffer.from([0, 0x61, 0x62]));
    p.client.send(Buffer.from([2, 0x7a])); // a channel the session ignores
    p.client.send(Buffer.from([255, 0]));
    await ended;
    assert.equal(Buffer.concat(input).toString(), 'ab');
    p.channels.channel(1).write('out');
    p.channels.channel(2).write('dropped: the client did not ask for it');
    await until(() => p.received.length >= 1);
    assert.deepEqual(p.received, [Buffer.from([1, 0x6f, 0x75, 0x74])]);
  } finally {
    await p.stop();
  }
});

test('base64 channels: an ASCII digit, then the data in base64, both ways', async () => {
  const p = await pair({ binary: false, streamClose: false }, ['read', 'write']);
  try {
    const input: Buffer[] = [];
    p.channels.channel(0).on('data', (c: Buffer) => input.push(c));
    p.client.send(`0${Buffer.from('hello').toString('base64')}`);
    await until(() => input.length > 0);
    assert.equal(Buffer.concat(input).toString(), 'hello');
    p.channels.channel(1).write(Buffer.from([0, 255, 10]));
    await until(() => p.received.length >= 1);
    assert.deepEqual(p.received, [`1${Buffer.from([0, 255, 10]).toString('base64')}`]);
  } finally {
    await p.stop();
  }
});

test('close() is a normal closure that ends every channel', async () => {
  const p = await pair({ binary: true, streamClose: false }, ['read', 'write']);
  try {
    const code = new Promise<number>((resolve) => p.client.on('close', (c: number) => resolve(c)));
    const ended = once(p.channels.channel(0), 'end');
    p.channels.channel(0).resume();
    await p.channels.close();
    assert.equal(await code, 1000);
    await ended;
  } finally {
    await p.stop();
  }
});
