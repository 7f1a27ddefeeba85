import { createHash } from 'node:crypto';
import { InvalidParameterError } from './errors.js';

/** An OCI content digest, `sha256:<64 hex>`. Only sha256 is accepted, as docker does for storage. */
export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(value: string): value is Digest {
  return DIGEST_RE.test(value);
}

export function parseDigest(value: string): Digest {
  if (!isDigest(value)) throw new InvalidParameterError(`invalid digest "${value}": expected sha256:<64 lowercase hex>`);
  return value;
}

export function sha256Digest(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function digestHex(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

/** OCI chain ID: chain(L0) = diff(L0); chain(Ln) = sha256(chain(Ln-1) + " " + diff(Ln)). */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const diffId of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? diffId : sha256Digest(`${prev} ${diffId}`));
  }
  return out;
}

/** The snapshot ID (hex of the top chain ID) a rootfs on these layers is made on; null for no layers. */
export function topLayerId(layers: readonly { diffId: Digest }[]): string | null {
  const top = chainIds(layers.map((l) => l.diffId)).at(-1);
  return top ? digestHex(top) : null;
}
