import { readFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';

/** Mount points under `root`, deepest first, read from the kernel's own table. */
export async function mountsUnder(root: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const points = text
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined && (p === root || p.startsWith(`${root}/`)))
    .map((p) => p.replace(/\\040/g, ' '));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** The mounts a running berthd keeps for itself (its runtimes' read-only binaries), not leftovers. */
export function isDaemonMount(path: string): boolean {
  return /\/runtime-bin\/[^/]+$/.test(path);
}

/** Mounts under `root` that are not the daemon's own: what a test may have left behind. */
export async function strayMountsUnder(root: string): Promise<string[]> {
  return (await mountsUnder(root)).filter((p) => !isDaemonMount(p));
}

/** Unmounts whatever a test left mounted under its own root (never anything else). */
export async function unmountUnder(root: string): Promise<void> {
  for (const p of await mountsUnder(root)) spawnSync('umount', ['-l', p]);
}
