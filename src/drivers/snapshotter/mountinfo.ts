import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Undoes the octal escapes (`\040` for a space…) that mountinfo uses in paths. */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points of this process's mount namespace, as listed in /proc/self/mountinfo. */
export async function mountPoints(): Promise<Set<string>> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    // Fields: id parent major:minor root mount-point options…
    const field = line.split(' ')[4];
    if (field !== undefined) out.add(unescapeMountPath(field));
  }
  return out;
}

/**
 * Whether a filesystem of its own (an overlay, a tmpfs) is mounted at `path`: its device differs
 * from its parent directory's (false if it does not exist). Not mountinfo: the kernel writes that
 * table whole on every read, and with a thousand containers (two mounts each) reading it at every
 * start and removal made starting them all quadratic. A bind mount from the same filesystem looks
 * like a directory here; no caller asks about one.
 */
export async function isMountPoint(path: string): Promise<boolean> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return false;
  }
  if (real === '/') return true;
  try {
    const [self, parent] = await Promise.all([stat(real), stat(dirname(real))]);
    return self.dev !== parent.dev;
  } catch (err) {
    // A mount whose filesystem is gone (ENOTCONN, ESTALE) is still a mount to take down.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
