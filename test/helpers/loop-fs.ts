import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unmountUnder } from './mounts.js';

function must(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * A small ext4 filesystem of the test's own: an image file under the temp dir, attached to a loop
 * device the kernel picks (`losetup --find --show`), mounted at `mountPoint`. destroy() unmounts
 * everything under it, detaches that one device and removes the file, also after a failure.
 */
export class LoopFs {
  private constructor(readonly dir: string, readonly image: string, readonly device: string, readonly mountPoint: string) {}

  static async create(megabytes: number): Promise<LoopFs> {
    const dir = await mkdtemp(join(tmpdir(), 'berth-loopfs-'));
    const image = join(dir, 'fs.img');
    const mountPoint = join(dir, 'mnt');
    must('truncate', ['-s', `${megabytes}M`, image]);
    must('mkfs.ext4', ['-q', '-F', image]);
    const device = must('losetup', ['--find', '--show', image]);
    try {
      await mkdir(mountPoint);
      must('mount', [device, mountPoint]);
    } catch (err) {
      spawnSync('losetup', ['-d', device]);
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return new LoopFs(dir, image, device, mountPoint);
  }

  /** Used bytes, as df counts them (blocks not free). */
  async used(): Promise<{ used: number; size: number }> {
    const s = await statfs(this.mountPoint);
    return { used: (s.blocks - s.bfree) * s.bsize, size: s.blocks * s.bsize };
  }

  async destroy(): Promise<void> {
    await unmountUnder(this.mountPoint);
    spawnSync('losetup', ['-d', this.device]);
    await rm(this.dir, { recursive: true, force: true });
  }
}
