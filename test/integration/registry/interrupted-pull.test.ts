import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BERTH_JS, NODE, run, TestDaemon } from '../../helpers/test-daemon.js';
import { RegistryProcess } from '../../helpers/registry-process.js';
import { ok } from '../../helpers/expect.js';

const SIZE = 200 * 1024 * 1024;

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of createReadStream(path)) hash.update(c as Buffer);
  return hash.digest('hex');
}

/** kill -9 of berthd in the middle of a 200 MB pull from a rate-limited registry, then the pull again. */
describe('an interrupted pull leaves nothing visible and resumes where it stopped', () => {
  let d: TestDaemon;
  let reg: RegistryProcess;
  let name: string;
  let layerHex: string;
  before(async () => {
    d = await TestDaemon.start();
    reg = await RegistryProcess.start();
    const dir = join(d.root, 'big');
    await mkdir(dir);
    const fh = await open(join(dir, 'data.bin'), 'w');
    for (let written = 0; written < SIZE; written += 4 << 20) await fh.write(randomBytes(4 << 20));
    await fh.close();
    ok(await run('/usr/bin/tar', ['-C', dir, '-cf', join(d.root, 'big.tar'), 'data.bin']), 'tar');
    name = `${reg.host}/big/image:1`;
    ok(await d.berth(['import', join(d.root, 'big.tar'), name]), 'import');
    layerHex = (await sha256File(join(d.root, 'big.tar')));
    ok(await d.berth(['push', name]), 'push');
    ok(await d.berth(['rmi', name]), 'rmi');
    // From now on the registry sends 50 MB/s: the pull takes about 4 s.
    await reg.halt();
    await reg.launch(['--rate-limit', '50M']);
  });
  after(async () => {
    await reg?.stop();
    await d?.stop();
  });

  test('kill -9 mid-pull: no image, no torn blob; the next pull fetches only the rest', async () => {
    name = `${reg.host}/big/image:1`;
    const partial = join(d.dataRoot, 'content', 'partial', layerHex);
    const pull = spawn(NODE, [BERTH_JS, 'pull', name], { env: d.env(), stdio: 'ignore' });
    const pullDone = new Promise<void>((r) => pull.once('exit', () => r()));
    let have = 0;
    for (let i = 0; i < 300 && have < 70 * 1024 * 1024; i++) {
      await sleep(50);
      have = (await stat(partial).catch(() => undefined))?.size ?? 0;
    }
    assert.ok(have >= 70 * 1024 * 1024, `the download got going (${have} bytes)`);
    await d.halt('SIGKILL');
    await pullDone;
    const kept = (await stat(partial)).size;
    assert.ok(kept > 0 && kept < SIZE, `a partial download is kept (${kept} of ${SIZE} bytes)`);

    await d.launch();
    assert.equal(ok(await d.berth(['images', '-q']), 'images').stdout.trim(), '', 'no image listed');
    const blobDir = join(d.dataRoot, 'content', 'blobs', 'sha256');
    for (const hex of await readdir(blobDir)) assert.equal(await sha256File(join(blobDir, hex)), hex, `blob ${hex} is whole`);
    assert.ok(!(await readdir(blobDir)).includes(layerHex), 'the unfinished layer is not a blob');

    const sentBefore = reg.blobBytesSent();
    const again = ok(await d.berth(['pull', name]), 'pull again');
    assert.match(again.stdout, /Pull complete/);
    await sleep(200);
    const fetched = reg.blobBytesSent() - sentBefore;
    const rest = SIZE + 10240 - kept;
    // The layer's rest (the tar adds a few KiB to the 200 MiB) plus the config; never the whole again.
    assert.ok(fetched <= rest + 64 * 1024 && fetched >= rest - 64 * 1024 - 2 * 1024 * 1024, `second pull fetched ${fetched} bytes; the rest was about ${rest}`);
    assert.match(reg.logs, /"status":206/, 'the rest came as a Range response');
    process.stdout.write(`# interrupted at ${kept} bytes; the resumed pull fetched ${fetched} bytes of ${SIZE}\n`);
    const id = ok(await d.berth(['image', 'inspect', '--format', '{{.Id}}', name]), 'inspect').stdout.trim();
    assert.match(id, /^sha256:/);
    assert.deepEqual(await readdir(join(d.dataRoot, 'content', 'partial')), [], 'the partial file became the blob');
  });
});
