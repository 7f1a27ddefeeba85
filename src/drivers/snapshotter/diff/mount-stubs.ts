import { lstat, rm, rmdir } from 'node:fs/promises';
import { join, posix } from 'node:path';

/**
 * Removes what the runtime made in a RUN container's rootfs only to mount onto (an empty file
 * for a secret, the directories above it), as BuildKit's mount stub cleaner does, so a
 * `--mount=type=secret` leaves no `/run/secrets/<id>` in the image. Only paths that are new in
 * the container's own layer (none of the image's layers has them) and still empty go. Walked
 * from the root down without following symlinks: a symlinked component ends the walk.
 * Only for a rootfs with its own upper layer: a full copy (vfs) cannot tell a stub from the image's.
 */
export async function removeMountStubs(upper: string, lowers: readonly string[], targets: readonly string[]): Promise<void> {
  for (const target of targets) {
    const parts = posix.normalize(`/${target}`).split('/').filter((p) => p !== '' && p !== '..');
    let firstNew = -1;
    for (let n = 1; n <= parts.length; n++) {
      const rel = parts.slice(0, n).join('/');
      const up = await lstat(join(upper, rel)).catch(() => null);
      if (!up || up.isSymbolicLink()) break;
      let inLower = false;
      let linked = false;
      for (const l of lowers) {
        const st = await lstat(join(l, rel)).catch(() => null);
        if (st?.isSymbolicLink()) linked = true;
        if (st) inLower = true;
      }
      if (linked) break;
      if (!inLower) {
        firstNew = n;
        break;
      }
    }
    if (firstNew < 0) continue;
    // Deepest first: the stub file if empty, then each new directory while it is empty.
    const leaf = join(upper, parts.join('/'));
    const st = await lstat(leaf).catch(() => null);
    if (st?.isFile() && st.size === 0) await rm(leaf, { force: true });
    else if (!st?.isDirectory()) continue;
    for (let n = parts.length; n >= firstNew; n--) {
      const dir = join(upper, parts.slice(0, n).join('/'));
      const d = await lstat(dir).catch(() => null);
      if (d?.isDirectory() && !(await rmdir(dir).then(() => true, () => false))) break;
    }
  }
}
