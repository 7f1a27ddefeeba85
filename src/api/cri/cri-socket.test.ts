import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { test } from 'node:test';
import { silentLogger } from '../../core/logger.js';
import { CriSocket, type CriConnections } from './cri-socket.js';

/** Writes `hello`, resolves with what comes back before the server closes the connection. */
function exchange(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(path, () => c.write('hello'));
    let got = '';
    c.on('data', (b: Buffer) => (got += b.toString()));
    c.on('close', () => resolve(got));
    c.on('error', reject);
  });
}

test('the first connection loads the server once; bytes sent before the load are not lost; a failed load is tried again', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-cri-socket-'));
  const path = join(dir, 'sub', 'cri.sock');
  let loads = 0;
  const echo: CriConnections = {
    serve(connection: Duplex) {
      connection.once('data', (b: Buffer) => connection.end(`echo ${b.toString()}`));
    },
    close: async () => undefined,
  };
  const socket = new CriSocket(async () => {
    loads++;
    await new Promise((r) => setTimeout(r, 50)); // the client's bytes arrive meanwhile
    if (loads === 1) throw new Error('broken install');
    return echo;
  }, silentLogger());
  try {
    await socket.listen(path);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal(loads, 0, 'nothing is loaded before a connection');
    assert.equal(await exchange(path), '', 'a connection of a failed load is closed');
    const answers = await Promise.all([exchange(path), exchange(path)]);
    assert.deepEqual(answers, ['echo hello', 'echo hello']);
    assert.equal(loads, 2);
  } finally {
    await socket.close();
    await rm(dir, { recursive: true, force: true });
  }
});
