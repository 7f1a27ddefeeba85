import { MEDIA_TYPES } from '../oci/image-types.js';
import { RegistryError } from './registry-errors.js';
import { checkDigest } from './registry-names.js';
import type { Sha256 } from './registry-storage.js';

/** The spec asks registries to take manifests of at least 4 MiB; larger ones are refused. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export const MANIFEST_TYPES = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifest, MEDIA_TYPES.dockerManifestList] as const;
const INDEX_TYPES: readonly string[] = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList];

export interface ParsedManifest {
  mediaType: string;
  /** Blobs the manifest needs in the repository (config and layers). */
  blobs: Sha256[];
  /** Manifests an index needs in the repository. */
  manifests: Sha256[];
  subject?: Sha256;
  artifactType?: string;
  annotations?: Record<string, string>;
}

interface RawDescriptor {
  mediaType?: unknown;
  digest?: unknown;
  size?: unknown;
  urls?: unknown;
}

function descriptor(d: unknown, where: string): { digest: Sha256; mediaType: string; foreign: boolean } {
  const x = d as RawDescriptor | null;
  if (!x || typeof x !== 'object' || typeof x.mediaType !== 'string' || typeof x.digest !== 'string' || typeof x.size !== 'number' || x.size < 0) {
    throw new RegistryError('MANIFEST_INVALID', `manifest ${where} is not a valid descriptor (mediaType, digest, size)`);
  }
  let digest: Sha256;
  try {
    digest = checkDigest(x.digest);
  } catch {
    throw new RegistryError('MANIFEST_INVALID', `manifest ${where} has an invalid digest "${x.digest.slice(0, 100)}"`);
  }
  return { digest, mediaType: x.mediaType, foreign: Array.isArray(x.urls) && x.urls.length > 0 };
}

/** Checks a pushed manifest: a known media type, matching the body's, and well-formed descriptors. */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  const type = (contentType ?? '').split(';')[0]!.trim();
  if (!(MANIFEST_TYPES as readonly string[]).includes(type)) {
    throw new RegistryError('MANIFEST_INVALID', `unsupported manifest media type "${type.slice(0, 200)}": use one of ${MANIFEST_TYPES.join(', ')}`, undefined, 415);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new RegistryError('MANIFEST_INVALID', 'manifest is not valid JSON');
  }
  if (!json || typeof json !== 'object' || json.schemaVersion !== 2) throw new RegistryError('MANIFEST_INVALID', 'manifest schemaVersion must be 2');
  if (json.mediaType !== undefined && json.mediaType !== type) {
    throw new RegistryError('MANIFEST_INVALID', `manifest mediaType "${String(json.mediaType).slice(0, 200)}" does not match Content-Type "${type}"`);
  }
  const out: ParsedManifest = { mediaType: type, blobs: [], manifests: [] };
  if (INDEX_TYPES.includes(type)) {
    if (!Array.isArray(json.manifests)) throw new RegistryError('MANIFEST_INVALID', 'index has no manifests list');
    json.manifests.forEach((m, i) => out.manifests.push(descriptor(m, `manifests[${i}]`).digest));
  } else {
    out.blobs.push(descriptor(json.config, 'config').digest);
    if (!Array.isArray(json.layers)) throw new RegistryError('MANIFEST_INVALID', 'manifest has no layers list');
    json.layers.forEach((l, i) => {
      const d = descriptor(l, `layers[${i}]`);
      // Foreign layers (Windows base layers) live elsewhere by design.
      if (!d.foreign) out.blobs.push(d.digest);
    });
  }
  if (json.subject !== undefined) out.subject = descriptor(json.subject, 'subject').digest;
  const config = json.config as { mediaType?: string } | undefined;
  const artifactType = typeof json.artifactType === 'string' ? json.artifactType : config?.mediaType;
  if (artifactType !== undefined) out.artifactType = artifactType;
  if (json.annotations && typeof json.annotations === 'object') out.annotations = json.annotations as Record<string, string>;
  return out;
}
