import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { readXattrTree } from '../../drivers/fs-tree/read-xattrs.js';
import { packTar } from '../../drivers/fs-tree/tar-packer.js';
import { walkTree } from '../../drivers/fs-tree/walk-tree.js';

/**
 * `docker export`: the container's whole merged filesystem as an uncompressed tar, entries named
 * relative to the root (`bin/`, `bin/sh`) without the root itself, as docker writes them. Every
 * file type a tar can hold is kept with its owner, mode, mtime, xattrs, symlink target, device
 * numbers and hardlinks; sockets are skipped (tar has no type for them). Errors reading the tree
 * fail the stream, not the call: the caller sends headers first, as docker does.
 */
export function exportRootfs(mountedRootfs: string, log?: (msg: string) => void): Readable {
  const root = resolve(mountedRootfs);
  return packTar({ confineTo: root, ...(log ? { log } : {}) }, async (packer) => {
    const xattrs = await readXattrTree(root);
    for await (const entry of walkTree(root)) await packer.addPath(entry.abs, entry.rel, entry.meta, xattrs.get(entry.abs));
  });
}
