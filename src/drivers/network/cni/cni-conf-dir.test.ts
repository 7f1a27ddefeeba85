import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CniConfDir } from './cni-conf-dir.js';

/** A stand-in plugin that answers VERSION with the given versions. */
async function fakePlugin(dir: string, name: string, versions: string[]): Promise<void> {
  const answer = JSON.stringify({ cniVersion: '1.0.0', supportedVersions: versions });
  await writeFile(join(dir, name), `#!/bin/sh\n[ "$CNI_COMMAND" = VERSION ] && echo '${answer}' && exit 0\nexit 1\n`);
  await chmod(join(dir, name), 0o755);
}

const list = (name: string, version: string, ...types: string[]): string => JSON.stringify({ cniVersion: version, name, plugins: types.map((type) => ({ type })) });

describe('CNI config directory: the first usable file wins', () => {
  const made: string[] = [];
  after(async () => {
    for (const d of made) await rm(d, { recursive: true, force: true });
  });

  async function dirs(): Promise<{ conf: string; bin: string; bin2: string; dir: CniConfDir }> {
    const root = await mkdtemp(join(tmpdir(), 'hcni-unit-'));
    made.push(root);
    const conf = join(root, 'net.d');
    const bin = join(root, 'bin');
    const bin2 = join(root, 'bin2');
    await mkdir(bin);
    await mkdir(bin2);
    return { conf, bin, bin2, dir: new CniConfDir(conf, [bin, bin2], { PATH: process.env.PATH ?? '' }, 5000) };
  }

  it('a missing directory is no config; one written later is picked up by the next load', async () => {
    const { conf, bin, dir } = await dirs();
    assert.deepEqual(await dir.load(), { skipped: [] });
    await fakePlugin(bin, 'bridge', ['0.4.0', '1.0.0']);
    await mkdir(conf);
    await writeFile(join(conf, '10-net.conflist'), list('net', '1.0.0', 'bridge'));
    const load = await dir.load();
    assert.equal(load.network?.config.name, 'net');
    assert.deepEqual(load.network?.pluginPaths, [join(bin, 'bridge')]);
  });

  it('skips, in lexical order, a file that does not parse, one whose plugin is missing and one at a version its plugin lacks', async () => {
    const { conf, bin, bin2, dir } = await dirs();
    await mkdir(conf);
    await fakePlugin(bin, 'bridge', ['0.3.1', '0.4.0']);
    await fakePlugin(bin2, 'portmap', ['0.4.0', '1.0.0']);
    await writeFile(join(conf, '00-broken.conflist'), '{ not json');
    await writeFile(join(conf, '05-missing.conflist'), list('missing', '0.4.0', 'bridge', 'flannel'));
    await writeFile(join(conf, '07-new.conflist'), list('new', '1.0.0', 'bridge', 'portmap'));
    await writeFile(join(conf, '10-good.conf'), JSON.stringify({ cniVersion: '0.4.0', name: 'good', type: 'bridge' }));
    await writeFile(join(conf, '20-later.conflist'), list('later', '0.4.0', 'portmap'));
    await writeFile(join(conf, '01-ignored.txt'), 'x');
    const load = await dir.load();
    assert.equal(load.network?.config.name, 'good');
    assert.equal(load.network?.config.source, join(conf, '10-good.conf'));
    assert.deepEqual(load.skipped.map((s) => s.file.slice(conf.length + 1)), ['00-broken.conflist', '05-missing.conflist', '07-new.conflist']);
    assert.match(load.skipped[0]!.reason, /error parsing configuration list/);
    assert.match(load.skipped[1]!.reason, /plugin "flannel" is not in /);
    assert.match(load.skipped[2]!.reason, /plugin "bridge" .* does not support cniVersion 1\.0\.0 \(it supports 0\.3\.1, 0\.4\.0\)/);

    // A change to a file is seen: the good one removed, the next usable one wins.
    await rm(join(conf, '10-good.conf'));
    assert.equal((await dir.load()).network?.config.name, 'later');
    // A plugin binary replaced by one that supports the version makes the earlier file usable.
    await fakePlugin(bin, 'bridge', ['0.4.0', '1.0.0']);
    await utimes(join(bin, 'bridge'), new Date(), new Date(Date.now() + 5000));
    await writeFile(join(conf, '20-later.conflist'), list('later', '0.4.0', 'portmap') + ' ');
    assert.equal((await dir.load()).network?.config.name, 'new');
  });
});
