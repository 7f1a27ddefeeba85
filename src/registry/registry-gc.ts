import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifest } from './registry-manifests.js';
import type { RegistryStorage, Sha256 } from './registry-storage.js';

export interface GcResult {
  removedBlobs: number;
  freedBytes: number;
}

/**
 * Mark and sweep over the whole registry: blobs reachable from a manifest revision of any
 * repository stay, the rest go, with their repository links. Blobs younger than `graceMs` stay
 * too: they may belong to a push whose manifest has not arrived yet.
 */
export async function collectRegistryGarbage(storage: RegistryStorage, graceMs: number, now = Date.now()): Promise<GcResult> {
  const keep = new Set<string>();
  const repos = await storage.repositories();
  for (const repo of repos) {
    for (const digest of await storage.manifestDigests(repo)) {
      const rev = await storage.manifest(repo, digest);
      if (!rev) continue;
      keep.add(digest);
      try {
        const parsed = parseManifest(await storage.readBlob(digest), rev.mediaType);
        for (const b of [...parsed.blobs, ...parsed.manifests]) keep.add(b);
      } catch {
        // A revision that no longer parses keeps only itself.
      }
    }
  }
  const result: GcResult = { removedBlobs: 0, freedBytes: 0 };
  const removed = new Set<string>();
  for (const hex of await readdir(storage.blobDir)) {
    const digest = `sha256:${hex}`;
    if (keep.has(digest)) continue;
    const st = await stat(join(storage.blobDir, hex)).catch(() => undefined);
    if (!st || now - st.mtimeMs < graceMs) continue;
    await rm(join(storage.blobDir, hex), { force: true });
    removed.add(hex);
    result.removedBlobs++;
    result.freedBytes += st.size;
  }
  for (const repo of repos) for (const hex of removed) await storage.unlinkBlob(repo, `sha256:${hex}` as Sha256);
  return result;
}
