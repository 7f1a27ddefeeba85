import { InvalidParameterError } from '../core/errors.js';

/**
 * An image reference normalised the way docker does: `busybox` is
 * `docker.io/library/busybox:latest`, `localhost:5000/x` keeps its registry.
 */
export interface ImageReference {
  /** Full repository name, e.g. `docker.io/library/busybox`. */
  repository: string;
  tag?: string;
  digest?: string;
}

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const HEX64 = /^[a-f0-9]{64}$/;

/** Parses and normalises a reference; without tag or digest the tag stays unset. */
export function parseReference(input: string): ImageReference {
  if (input.length === 0) throw new InvalidParameterError('invalid reference format: the image name is empty');
  if (HEX64.test(input)) {
    throw new InvalidParameterError(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  }
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new InvalidParameterError(`invalid reference format: "${input}" has an invalid digest`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidParameterError(`invalid reference format: "${input}" has an invalid tag`);
  }
  const repository = normaliseName(rest, input);
  return { repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** As parseReference, with `latest` as the tag when neither tag nor digest is given. */
export function parseReferenceWithDefaultTag(input: string): ImageReference {
  const ref = parseReference(input);
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = DEFAULT_TAG;
  return ref;
}

function normaliseName(name: string, input: string): string {
  if (name.length === 0) throw new InvalidParameterError(`invalid reference format: "${input}"`);
  const parts = name.split('/');
  let domain = DEFAULT_DOMAIN;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    if (!DOMAIN.test(first)) throw new InvalidParameterError(`invalid reference format: "${input}" has an invalid registry "${first}"`);
    domain = first;
    parts.shift();
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && parts.length === 1) parts.unshift('library');
  for (const part of parts) {
    if (part !== part.toLowerCase() && COMPONENT.test(part.toLowerCase())) {
      throw new InvalidParameterError(`invalid reference format: repository name (${parts.join('/')}) must be lowercase`);
    }
    if (!COMPONENT.test(part)) throw new InvalidParameterError(`invalid reference format: "${input}"`);
  }
  const full = `${domain}/${parts.join('/')}`;
  if (full.length > 255) throw new InvalidParameterError(`invalid reference format: repository name must not be more than 255 characters`);
  return full;
}

/** `docker.io/library/busybox` → `busybox`; `docker.io/me/x` → `me/x`; others unchanged. */
export function familiarName(repository: string): string {
  if (repository.startsWith(`${DEFAULT_DOMAIN}/library/`) && repository.split('/').length === 3) {
    return repository.slice(`${DEFAULT_DOMAIN}/library/`.length);
  }
  if (repository.startsWith(`${DEFAULT_DOMAIN}/`)) return repository.slice(DEFAULT_DOMAIN.length + 1);
  return repository;
}

/** Full string form: `docker.io/library/busybox:latest` or `...@sha256:…`. */
export function formatReference(ref: ImageReference): string {
  let s = ref.repository;
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** What docker shows in RepoTags/RepoDigests: `busybox:latest`. */
export function familiarString(ref: ImageReference): string {
  return formatReference({ ...ref, repository: familiarName(ref.repository) });
}

/** Whether an input names the repository only (no tag, no digest). */
export function isNameOnly(input: string): boolean {
  const ref = parseReference(input);
  return ref.tag === undefined && ref.digest === undefined;
}
