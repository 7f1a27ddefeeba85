import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What `du -sbx` says of a directory: apparent bytes of every file and directory, hardlinks once,
 * on the directory's own filesystem only (a running container's rootfs is an overlay mounted
 * under the data root; its files are the layers' and its upper dir's, already counted).
 */
export async function dataRootSize(root: string): Promise<number> {
  const top = await lstat(root).catch(() => undefined);
  if (!top) return 0;
  const seen = new Set<string>();
  const walk = async (dir: string): Promise<number> => {
    let total = 0;
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const p = join(dir, name);
      const st = await lstat(p).catch(() => undefined);
      if (!st || st.dev !== top.dev) continue;
      if (st.nlink > 1 && !st.isDirectory()) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      total += st.size;
      if (st.isDirectory()) total += await walk(p);
    }
    return total;
  };
  return top.size + (await walk(root));
}
