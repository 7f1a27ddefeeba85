import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { newId } from '../../core/ids.js';
import { BuildContext } from './build-context.js';

/** A build's hold on an unpacked context; release it when the build is done. */
export interface ContextLease {
  ctx: BuildContext;
  release(): void;
}

interface Entry {
  ctx: BuildContext;
  users: number;
  /** Still in the cache: its directory stays after the last build using it ends. */
  kept: boolean;
  removed?: boolean;
}

/** How many unpacked small contexts are kept (each at most SMALL_CONTEXT_BYTES). */
const KEPT_CONTEXTS = 4;

/**
 * Unpacked build contexts, kept for the next build that sends the very same tar: the docker CLI
 * sends the same bytes for an unchanged context (its tar leaves out access and change times), so
 * a rebuild unpacks nothing, and the digests of its COPY sources are already known. The key is a
 * digest of the tar itself (and of the Dockerfile name, which picks the ignore file): a context
 * whose content changed in any way, even to the same size and mtime, is a different tar.
 * Only small contexts of plain files and directories are kept, and only while nothing has
 * written to them (SourceTree.reusable: a RUN's read-write bind mount of the context taints it);
 * one build at a time uses a kept directory.
 */
export class ContextCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    /** `<data-root>/build/contexts`, emptied at every daemon start. */
    private readonly dir: string,
    private readonly onRemoveError: (err: unknown) => void,
  ) {}

  async open(body: Readable, dockerfileName: string, log: (m: string) => void): Promise<ContextLease> {
    const tar = await BuildContext.read(body);
    const key = 'all' in tar ? createHash('sha256').update(`${dockerfileName}\0`).update(tar.all).digest('hex') : undefined;
    let entry = key === undefined ? undefined : this.entries.get(key);
    // One build at a time per directory: a RUN may bind the context read-write.
    if (key !== undefined && entry?.ctx.tree.reusable && entry.users === 0) {
      // Most recently used last: eviction takes the first.
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      const inUse = entry !== undefined && entry.users > 0 && entry.ctx.tree.reusable;
      if (key !== undefined && entry && !inUse) this.forget(key, entry);
      entry = { ctx: await BuildContext.unpack(join(this.dir, newId()), tar, dockerfileName, log), users: 0, kept: false };
      // A concurrent build of the same tar has its own copy, removed at its end.
      if (key !== undefined && !inUse && entry.ctx.tree.reusable) this.keep(key, entry);
    }
    const held = entry;
    held.users++;
    let released = false;
    return {
      ctx: held.ctx,
      release: () => {
        if (released) return;
        released = true;
        held.users--;
        if (held.kept && !held.ctx.tree.reusable && key !== undefined) this.forget(key, held);
        this.removeIfDone(held);
      },
    };
  }

  /** Drops every kept context no build is using (`docker builder prune`). */
  clear(): void {
    for (const [key, entry] of [...this.entries]) this.forget(key, entry);
  }

  private keep(key: string, entry: Entry): void {
    // Another build of the same tar may have kept its copy while this one was unpacked.
    const other = this.entries.get(key);
    if (other) this.forget(key, other);
    entry.kept = true;
    this.entries.set(key, entry);
    while (this.entries.size > KEPT_CONTEXTS) {
      const [oldest, e] = this.entries.entries().next().value as [string, Entry];
      this.forget(oldest, e);
    }
  }

  private forget(key: string, entry: Entry): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
    entry.kept = false;
    this.removeIfDone(entry);
  }

  /** Removes a context no longer kept once its last build ends, after that build's answer. */
  private removeIfDone(entry: Entry): void {
    if (entry.kept || entry.users > 0 || entry.removed) return;
    entry.removed = true;
    void entry.ctx.remove().catch(this.onRemoveError);
  }
}
