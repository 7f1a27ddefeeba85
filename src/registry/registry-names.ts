import { RegistryError } from './registry-errors.js';

/** The spec's repository name grammar: no `..`, no empty or upper-case parts, no escapes. */
const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const ANY_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function checkName(name: string): string {
  if (name.length > 255 || !NAME.test(name)) throw new RegistryError('NAME_INVALID', `invalid repository name "${name.slice(0, 300)}"`);
  return name;
}

export function isTag(ref: string): boolean {
  return TAG.test(ref);
}

/** Only sha256 is stored; other well-formed algorithms are refused as unsupported digests. */
export function checkDigest(value: string | null | undefined): `sha256:${string}` {
  if (value && DIGEST.test(value)) return value as `sha256:${string}`;
  const why = value && ANY_DIGEST.test(value) ? 'only sha256 digests are supported' : 'malformed digest';
  throw new RegistryError('DIGEST_INVALID', `invalid digest "${String(value ?? '').slice(0, 200)}": ${why}`);
}

export type RegistryRoute =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'uploads'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'referrers'; name: string; digest: string };

/**
 * Splits a /v2/ path. The name is everything before the last `/blobs/`, `/manifests/`, … part
 * and is checked against the name grammar, so `..`, `%2e` and the like never reach the disk.
 */
export function parseRegistryPath(pathname: string): RegistryRoute | undefined {
  if (pathname === '/v2/' || pathname === '/v2') return { kind: 'base' };
  if (pathname === '/v2/_catalog') return { kind: 'catalog' };
  const m = /^\/v2\/(.+?)\/(tags\/list|manifests\/([^/]+)|blobs\/uploads\/?([^/]*)|blobs\/([^/]+)|referrers\/([^/]+))$/.exec(pathname);
  if (!m) return undefined;
  const name = checkName(m[1]!);
  if (m[2] === 'tags/list') return { kind: 'tags', name };
  if (m[3] !== undefined) return { kind: 'manifest', name, reference: m[3] };
  if (m[2]!.startsWith('blobs/uploads')) return m[4] ? { kind: 'upload', name, id: m[4] } : { kind: 'uploads', name };
  if (m[5] !== undefined) return { kind: 'blob', name, digest: m[5] };
  return { kind: 'referrers', name, digest: m[6]! };
}
