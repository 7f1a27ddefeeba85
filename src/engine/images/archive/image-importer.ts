import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { sha256Digest, type Digest } from '../../../core/digest.js';
import { InvalidParameterError, NotFoundError, SystemError, UnavailableError, errnoCode, errorMessage } from '../../../core/errors.js';
import { hostPlatform, MEDIA_TYPES, type ImageConfig } from '../../../oci/image-types.js';
import { formatReference, parseReference } from '../../../oci/reference.js';
import type { ArchiveDeps } from './archive-deps.js';
import { archiveError } from './archive-error.js';
import { applyChanges } from './change-parser.js';
import { decompressInput } from '../../../core/compression.js';
import { LeaseSet } from './lease-set.js';
import { isoTime } from '../../../core/utc-time.js';

export interface ImportOptions {
  /** Repository to tag the image with; may carry a tag (`repo:tag`), which `tag` overrides. */
  repo?: string;
  tag?: string;
  /** The commit message; docker's default is "Imported from <source>". */
  message?: string;
  /** `--change` Dockerfile instructions. */
  changes: string[];
  /** `os/arch[/variant]`; the host's by default. */
  platform?: string;
  /** What the default message names: `-` (the request body) or the URL fetched. */
  source?: string;
}

/**
 * `docker import`: a root filesystem tarball (plain, gzip or zstd) becomes a one-layer image.
 * The layer is stored uncompressed, so its blob digest is its diff ID. Returns the image ID.
 */
export async function importImage(deps: ArchiveDeps, input: Readable, opts: ImportOptions): Promise<Digest> {
  // Everything the user typed is checked before a byte is stored.
  const target = targetReference(opts.repo, opts.tag);
  const runConfig = applyChanges({}, opts.changes);
  const platform = parsePlatform(opts.platform);
  const leases = new LeaseSet(deps.images.leases);
  let id: Digest | undefined;
  try {
    // A truncated or corrupt tarball is the user's: classified as an archive error.
    const layer = await deps.content.writeStream(await decompressInput(input), { lease: (d) => leases.add(d) }).catch((err: unknown) => {
      throw archiveError(err);
    });
    const created = isoTime();
    const comment = opts.message || `Imported from ${opts.source ?? '-'}`;
    const config: ImageConfig = {
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant !== undefined ? { variant: platform.variant } : {}),
      created,
      comment,
      config: runConfig,
      rootfs: { type: 'layers', diff_ids: [layer.digest] },
      history: [{ created, created_by: '', comment }],
    };
    const bytes = Buffer.from(JSON.stringify(config));
    leases.add(sha256Digest(bytes));
    id = await deps.images.addImage({
      config: bytes,
      layers: [{ diffId: layer.digest, digest: layer.digest, mediaType: MEDIA_TYPES.ociLayer, size: layer.size }],
    });
    if (target !== undefined) await deps.images.tag(id, target, undefined);
    return id;
  } catch (err) {
    // A fresh config has a fresh ID (it holds the creation time), so the image is this call's own.
    if (id !== undefined) await deps.images.remove(id, { force: true }).catch(() => undefined);
    leases.release();
    await deps.images.gc().catch(() => undefined);
    throw err;
  } finally {
    leases.release();
  }
}

function targetReference(repo: string | undefined, tag: string | undefined): string | undefined {
  if (!repo) return undefined;
  const ref = parseReference(repo);
  if (ref.digest !== undefined) throw new InvalidParameterError('cannot import digest reference');
  if (tag) {
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new InvalidParameterError(`invalid tag "${tag}": use letters, digits, '_', '.' and '-', at most 128 characters`);
    ref.tag = tag;
  }
  return formatReference({ repository: ref.repository, tag: ref.tag ?? 'latest' });
}

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', i386: '386' };

/** `linux/arm64/v8` → its parts; only Linux images can run here. */
export function parsePlatform(spec: string | undefined): { os: string; architecture: string; variant?: string } {
  if (!spec) return hostPlatform();
  const [os = '', arch, variant, extra] = spec.toLowerCase().split('/');
  if (os !== 'linux' || extra !== undefined || arch === '') {
    throw new InvalidParameterError(`invalid platform "${spec}": expected linux[/arch[/variant]]`);
  }
  const architecture = arch === undefined ? hostPlatform().architecture : (ARCH_ALIASES[arch] ?? arch);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/**
 * Opens `docker import <url>`'s source. Like docker, a bare `host/path` means http. Failures
 * follow docker's: a 404 or an unknown host is NotFound, a 400 InvalidParameter, an unreachable
 * host Unavailable.
 */
export async function fetchImportSource(url: string): Promise<Readable> {
  const address = url.includes('://') ? url : `http://${url}`;
  let parsed: URL;
  try {
    parsed = new URL(address);
  } catch (err) {
    throw new InvalidParameterError(`invalid import source "${url}": not a URL`, { cause: err });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidParameterError(`invalid import source "${url}": only http and https URLs can be imported`);
  }
  let res: Response;
  try {
    res = await fetch(parsed);
  } catch (err) {
    // fetch's own message is "fetch failed"; the cause says what did.
    const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
    const msg = `failed to GET ${parsed.href}: ${errorMessage(cause)}`;
    if (errnoCode(cause) === 'ENOTFOUND') throw new NotFoundError(msg, { cause: err }); // as docker does for DNS
    throw new UnavailableError(msg, { cause: err });
  }
  if (res.status >= 400) {
    const body = (await res.text().catch(() => '')).trim().slice(0, 512);
    const msg = `failed to GET ${parsed.href} with status ${res.status} ${res.statusText}${body ? `: ${body}` : ''}`;
    if (res.status === 404) throw new NotFoundError(msg);
    if (res.status === 400) throw new InvalidParameterError(msg);
    throw new SystemError(msg);
  }
  return res.body ? Readable.fromWeb(res.body as WebReadableStream<Uint8Array>) : Readable.from([]);
}
