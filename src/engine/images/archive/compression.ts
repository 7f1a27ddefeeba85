import { open } from 'node:fs/promises';
import type { Digest } from '../../../core/digest.js';
import { MAGIC_LENGTH, detectCompression, type Compression } from '../../../core/compression.js';
import { NotImplementedError } from '../../../core/errors.js';
import { MEDIA_TYPES } from '../../../oci/image-types.js';
import type { ContentStore } from '../../../store/content/content-store.js';

/** The compression a layer media type implies, or undefined for types we cannot read. */
export function layerCompression(mediaType: string): Compression | undefined {
  switch (mediaType) {
    case MEDIA_TYPES.ociLayer:
    case MEDIA_TYPES.dockerLayer:
      return 'none';
    case MEDIA_TYPES.ociLayerGzip:
    case MEDIA_TYPES.dockerLayerGzip:
      return 'gzip';
    case MEDIA_TYPES.ociLayerZstd:
      return 'zstd';
    default:
      return undefined;
  }
}

/** The OCI layer media type for a compression found by sniffing (docker archives name none). */
export function layerMediaType(kind: Compression): string {
  if (kind === 'gzip') return MEDIA_TYPES.ociLayerGzip;
  if (kind === 'zstd') return MEDIA_TYPES.ociLayerZstd;
  if (kind === 'none') return MEDIA_TYPES.ociLayer;
  throw new NotImplementedError(`${kind}-compressed layers are not supported: use uncompressed, gzip or zstd layers`);
}

/** Sniffs a stored blob's compression from its first bytes. */
export async function blobCompression(content: ContentStore, digest: Digest): Promise<Compression> {
  const fh = await open(content.blobPath(digest), 'r');
  try {
    const buf = Buffer.alloc(MAGIC_LENGTH);
    const { bytesRead } = await fh.read(buf, 0, MAGIC_LENGTH, 0);
    return detectCompression(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}
