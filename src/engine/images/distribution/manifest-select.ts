import { InvalidParameterError, NotImplementedError } from '../../../core/errors.js';
import { hostPlatform, MEDIA_TYPES, type Descriptor, type ImageIndex, type ImageManifest } from '../../../oci/image-types.js';

export const MANIFEST_ACCEPT = [MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.dockerManifest, MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest].join(', ');

const LAYER_TYPES: readonly string[] = [MEDIA_TYPES.ociLayer, MEDIA_TYPES.ociLayerGzip, MEDIA_TYPES.ociLayerZstd, MEDIA_TYPES.dockerLayer, MEDIA_TYPES.dockerLayerGzip];

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** `linux/arm64/v8` or `linux/amd64`; empty means the host's platform. */
export function parsePlatform(value: string | undefined): Platform {
  if (!value) return hostPlatform();
  const [os, architecture, variant] = value.toLowerCase().split('/');
  if (!os || !architecture) throw new InvalidParameterError(`invalid platform "${value}": use os/arch[/variant], e.g. linux/amd64`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export function isIndex(mediaType: string | undefined): boolean {
  return mediaType === MEDIA_TYPES.dockerManifestList || mediaType === MEDIA_TYPES.ociIndex;
}

/** The index entry for `want`, as docker picks it (variant only when asked; arm64 defaults to v8). */
export function selectManifest(index: ImageIndex, want: Platform): Descriptor {
  const candidates = index.manifests.filter((m) => m.platform?.os === want.os && m.platform.architecture === want.architecture);
  const pick = want.variant ? candidates.find((m) => (m.platform?.variant ?? (want.architecture === 'arm64' ? 'v8' : '')) === want.variant) : candidates.find((m) => !m.platform?.variant || m.platform.variant === 'v8') ?? candidates[0];
  if (!pick) {
    const p = `${want.os}/${want.architecture}${want.variant ? `/${want.variant}` : ''}`;
    throw new InvalidParameterError(`no matching manifest for ${p} in the manifest list entries`);
  }
  return pick;
}

/** Checks an image manifest's shape and that Berth can unpack its layers. */
export function checkImageManifest(m: ImageManifest): void {
  if (!m.config?.digest || !Array.isArray(m.layers)) throw new InvalidParameterError('the registry sent a manifest without config or layers');
  for (const l of m.layers) {
    if (!LAYER_TYPES.includes(l.mediaType)) throw new NotImplementedError(`layer media type "${l.mediaType}" of ${l.digest} is not supported: Berth pulls tar, gzip and zstd layers`);
  }
}
