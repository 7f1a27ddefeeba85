import { readFile } from 'node:fs/promises';
import { atomicWriteJson } from '../../core/atomic-write.js';
import type { Digest } from '../../core/digest.js';
import { errnoCode } from '../../core/errors.js';

/**
 * Names → image IDs, kept in one file like docker's repositories.json:
 * `{ "Repositories": { "docker.io/library/busybox": { "docker.io/library/busybox:latest": "sha256:…" } } }`.
 * Mutations are serialised and each one is written atomically before it is acknowledged.
 */
export class ReferenceStore {
  private repos: Record<string, Record<string, Digest>> = {};
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly file: string) {}

  async init(): Promise<void> {
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as { Repositories?: Record<string, Record<string, Digest>> };
      this.repos = parsed.Repositories ?? {};
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      this.repos = {};
    }
  }

  /** Image ID for a full reference string (`repo:tag` or `repo@digest`). */
  get(ref: string): Digest | undefined {
    const repo = repositoryOf(ref);
    return this.repos[repo]?.[ref];
  }

  /** All references pointing to an image, sorted. */
  referencesTo(id: Digest): string[] {
    const out: string[] = [];
    for (const refs of Object.values(this.repos)) for (const [ref, target] of Object.entries(refs)) if (target === id) out.push(ref);
    return out.sort();
  }

  all(): Array<{ ref: string; id: Digest }> {
    const out: Array<{ ref: string; id: Digest }> = [];
    for (const refs of Object.values(this.repos)) for (const [ref, id] of Object.entries(refs)) out.push({ ref, id });
    return out;
  }

  /**
   * Points `ref` at `id`; returns the image it pointed to before, if another. A reference that
   * already points there is not written again (as dockerd's reference store returns early): a
   * rebuild tagging the same image costs no file write.
   */
  async set(ref: string, id: Digest): Promise<Digest | undefined> {
    return this.mutate(() => {
      const repo = repositoryOf(ref);
      if (this.repos[repo]?.[ref] === id) return { result: undefined, changed: false };
      const refs = (this.repos[repo] ??= {});
      const previous = refs[ref];
      refs[ref] = id;
      return { result: previous };
    });
  }

  async delete(ref: string): Promise<boolean> {
    return this.mutate(() => {
      const repo = repositoryOf(ref);
      const refs = this.repos[repo];
      if (!refs || !(ref in refs)) return { result: false };
      delete refs[ref];
      if (Object.keys(refs).length === 0) delete this.repos[repo];
      return { result: true };
    });
  }

  /** Runs `change` after the mutations before it and writes the file unless it says nothing changed. */
  private async mutate<T>(change: () => { result: T; changed?: boolean }): Promise<T> {
    const run = this.queue.then(async () => {
      const before = structuredClone(this.repos);
      const { result, changed = true } = change();
      if (!changed) return result;
      try {
        await atomicWriteJson(this.file, { Repositories: this.repos });
      } catch (err) {
        this.repos = before;
        throw err;
      }
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function repositoryOf(ref: string): string {
  const at = ref.indexOf('@');
  if (at >= 0) return ref.slice(0, at);
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
}
