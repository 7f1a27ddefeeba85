import { readdir, readFile, rmdir } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** Every cgroup hierarchy's mount point (v1 controllers, the cgroup2 mount), from the kernel's table. */
async function cgroupMounts(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fstype = line.slice(sep + 3).split(' ')[0];
    if (fstype === 'cgroup' || fstype === 'cgroup2') out.push(line.split(' ')[4] as string);
  }
  return out;
}

/** Children first, so that each directory is empty when it is removed. */
async function walkDepthFirst(dir: string, visit: (d: string) => Promise<void>): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) await walkDepthFirst(join(dir, e.name), visit);
  await visit(dir);
}

/**
 * Removes a test daemon's own cgroup parent in every hierarchy: processes still in it (a container
 * a failed test left running) are killed by cgroup membership, never by name, then the empty
 * cgroups are removed.
 */
export async function removeCgroupParent(parent: string): Promise<void> {
  if (!basename(parent).startsWith('berth-test-')) throw new Error(`refusing to remove cgroup ${parent}: not a test's`);
  for (const mount of await cgroupMounts()) {
    await walkDepthFirst(join(mount, parent), async (dir) => {
      const procs = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
      for (const pid of procs.split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      for (let i = 0; i < 20; i++) {
        try {
          await rmdir(dir);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    });
  }
}
