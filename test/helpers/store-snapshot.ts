import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/**
 * Everything that makes up a daemon's image store, as one comparable value: the content blobs,
 * image and layer records, the references file and the storage driver's layer directories.
 */
export async function storeSnapshot(dataRoot: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      const rel = relative(dataRoot, p);
      if (e.isDirectory()) {
        out[rel + '/'] = 'dir';
        if (depth > 0) await walk(p, depth - 1);
      } else if (e.isFile() && rel.endsWith('.json')) out[rel] = await readFile(p, 'utf8');
      else out[rel] = 'file';
    }
  };
  await walk(join(dataRoot, 'content'), 3);
  await walk(join(dataRoot, 'image'), 2);
  await walk(join(dataRoot, 'overlay2', 'layers'), 0);
  await walk(join(dataRoot, 'vfs', 'layers'), 0);
  return out;
}
