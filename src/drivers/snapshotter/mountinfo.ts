import { readFile, realpath } from 'node:fs/promises';

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

/** Whether `path` is a mount point (false if it does not exist). */
export async function isMountPoint(path: string): Promise<boolean> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return false;
  }
  return (await mountPoints()).has(real);
}
