import type { Digest } from '../../../core/digest.js';
import { InvalidParameterError } from '../../../core/errors.js';
import { familiarName, familiarString, formatReference, parseReference, type ImageReference } from '../../../oci/reference.js';
import type { ArchiveDeps } from './archive-deps.js';
import { compareStrings } from '../../../core/compare.js';

/** Images to save, in the order first named, each with the full tag references to record for it. */
export type SaveSelection = Map<Digest, string[]>;

/**
 * Resolves `docker save` arguments the way docker does: `busybox` means every tag of that
 * repository, `busybox:1.36` that tag, an ID (full, `sha256:` or a prefix) or a digest reference
 * the image without tags. A name that resolves to nothing throws NotFoundError before any output.
 */
export async function selectImages(deps: ArchiveDeps, names: readonly string[]): Promise<SaveSelection> {
  if (names.length === 0) throw new InvalidParameterError('no image to save: name at least one image');
  const out: SaveSelection = new Map();
  const add = (id: Digest, ref?: string): void => {
    const tags = out.get(id) ?? [];
    if (ref !== undefined && !tags.includes(ref)) tags.push(ref);
    out.set(id, tags);
  };
  for (const name of names) {
    const ref = asReference(name);
    if (ref && ref.tag === undefined && ref.digest === undefined) {
      const tagged = await tagsOfRepository(deps, ref.repository);
      for (const t of tagged) add(t.id, t.ref);
      if (tagged.length > 0) continue;
    }
    const img = await deps.images.resolve(name);
    // Only a name that reached the image through its tag records the tag: `sha256:<hex>` parses
    // as repository "sha256" with a tag, and `abc` may be an ID prefix rather than a repository.
    const tagged = ref?.tag !== undefined && ref.digest === undefined && deps.images.catalog.namesOf(img.id).repoTags.includes(familiarString(ref));
    add(img.id, tagged && ref ? formatReference(ref) : undefined);
  }
  return out;
}

function asReference(name: string): ImageReference | undefined {
  try {
    return parseReference(name);
  } catch {
    return undefined; // an ID: resolve() deals with it
  }
}

async function tagsOfRepository(deps: ArchiveDeps, repository: string): Promise<Array<{ id: Digest; ref: string }>> {
  const out: Array<{ id: Digest; ref: string }> = [];
  // The reference filter narrows the list to images with a tag in the repository (a repository
  // name has no glob characters); their other tags are dropped below.
  for (const image of await deps.images.list({ all: true, filters: { reference: [familiarName(repository)] } })) {
    for (const tag of image.RepoTags) {
      const ref = parseReference(tag);
      if (ref.repository === repository) out.push({ id: image.Id as Digest, ref: formatReference(ref) });
    }
  }
  return out.sort((a, b) => compareStrings(a.ref, b.ref));
}
