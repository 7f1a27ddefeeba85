import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseConfList } from '../../src/drivers/network/cni/cni-config.js';

// The install script's CNI step, run against directories of the test's own (never /etc/cni/net.d).
const SCRIPT = resolve(import.meta.dirname, '../../../scripts/install-cni-config.sh');
const sh = promisify(execFile);
const made: string[] = [];
after(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});

async function tempRoot(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'hcni-install-'));
  made.push(d);
  return d;
}

test('writes the default bridge conflist into an empty (or missing) dir, once; a second run changes nothing', async () => {
  const conf = join(await tempRoot(), 'etc/cni/net.d');
  const first = await sh('bash', [SCRIPT, conf]);
  assert.match(first.stdout, /wrote .*10-berth-cni\.conflist/);
  const file = join(conf, '10-berth-cni.conflist');
  const text = await readFile(file, 'utf8');
  const net = parseConfList(text, file);
  assert.equal(net.name, 'berth-cni');
  assert.equal(net.cniVersion, '1.0.0');
  assert.deepEqual(net.plugins.map((p) => p.type), ['bridge', 'portmap']);
  assert.equal(net.plugins[0]!.raw.bridge, 'berth-cni0');
  assert.deepEqual(net.plugins[0]!.raw.ipam, { type: 'host-local', ranges: [[{ subnet: '10.88.0.0/16' }]], routes: [{ dst: '0.0.0.0/0' }] });
  assert.deepEqual(net.plugins[1]!.capabilities, { portMappings: true });
  assert.equal((await stat(file)).mode & 0o777, 0o644);
  const mtime = (await stat(file)).mtimeMs;

  const second = await sh('bash', [SCRIPT, conf]);
  assert.match(second.stdout, /already has a network config \(10-berth-cni\.conflist\); not writing/);
  assert.equal((await stat(file)).mtimeMs, mtime);
  assert.deepEqual(await readdir(conf), ['10-berth-cni.conflist'], 'no temp file left');
});

test('leaves a dir that has any network config alone, whatever its name, and reads BERTH_CNI_CONF_DIR', async () => {
  for (const other of ['87-podman.conflist', '10-flannel.conf', 'calico.json']) {
    const conf = join(await tempRoot(), 'net.d');
    await mkdir(conf);
    await writeFile(join(conf, other), '{}');
    const r = await sh('bash', [SCRIPT], { env: { ...process.env, BERTH_CNI_CONF_DIR: conf } });
    assert.match(r.stdout, /not writing Berth's default/);
    assert.deepEqual(await readdir(conf), [other]);
  }
});
