import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeMountStubs } from './mount-stubs.js';

async function layers(files: { upper: string[]; lower: string[] }): Promise<{ dir: string; snap: { upper: string; lowers: string[] } }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-stubs-'));
  for (const [layer, paths] of Object.entries(files)) {
    await mkdir(join(dir, layer), { recursive: true });
    for (const p of paths) {
      if (p.endsWith('/')) await mkdir(join(dir, layer, p), { recursive: true });
      else {
        await mkdir(join(dir, layer, p, '..'), { recursive: true });
        await writeFile(join(dir, layer, p), p.includes('full') ? 'data' : '');
      }
    }
  }
  const snap = { upper: join(dir, 'upper'), lowers: [join(dir, 'lower')] };
  return { dir, snap };
}

const list = async (d: string): Promise<string[]> => (await readdir(d, { recursive: true })).map(String).sort();

describe('mount stubs', () => {
  test('a secret stub and the directories made for it go; what the image had stays', async () => {
    const { dir, snap } = await layers({ upper: ['run/secrets/tok', 'etc/new'], lower: ['etc/'] });
    try {
      await removeMountStubs(snap.upper, snap.lowers, ['/run/secrets/tok']);
      assert.deepEqual(await list(join(dir, 'upper')), ['etc', 'etc/new']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a directory the image has, a file the image has, a non-empty file and other files in the directory are kept', async () => {
    const { dir, snap } = await layers({ upper: ['run/secrets/tok', 'run/secrets/other', 'srv/full', 'opt/tok'], lower: ['run/', 'opt/tok'] });
    try {
      await removeMountStubs(snap.upper, snap.lowers, ['/run/secrets/tok', '/srv/full', '/opt/tok']);
      assert.deepEqual(await list(join(dir, 'upper')), ['opt', 'opt/tok', 'run', 'run/secrets', 'run/secrets/other', 'srv', 'srv/full']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a symlinked component ends the walk: nothing outside the layer is looked at or removed', async () => {
    const { dir, snap } = await layers({ upper: [], lower: [] });
    try {
      await mkdir(join(dir, 'outside', 'secrets'), { recursive: true });
      await writeFile(join(dir, 'outside', 'secrets', 'tok'), '');
      await symlink(join(dir, 'outside'), join(dir, 'upper', 'run'));
      await removeMountStubs(snap.upper, snap.lowers, ['/run/secrets/tok']);
      assert.deepEqual(await list(join(dir, 'outside')), ['secrets', 'secrets/tok']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
