/**
 * Image references as the docker CLI spells them on the wire (distribution/reference): the pull
 * and commit calls take the fully qualified name (`docker.io/library/alpine`), messages print the
 * familiar one (`alpine:latest`).
 */

export interface ImageRef {
  /** `docker.io/library/alpine`, `localhost:5000/x`. */
  fullName: string;
  /** `alpine`, `localhost:5000/x`. */
  familiarName: string;
  tag?: string;
  digest?: string;
}

const DEFAULT_DOMAIN = 'docker.io';

/** Parses `name[:tag][@digest]`; a name without a registry is on docker.io (`library/` for one component). */
export function parseImageRef(ref: string): ImageRef {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  const hasDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  let domain = hasDomain ? first : DEFAULT_DOMAIN;
  let path = hasDomain ? rest.slice(slash + 1) : rest;
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  const familiar = domain === DEFAULT_DOMAIN ? path.replace(/^library\//, '') : `${domain}/${path}`;
  return { fullName: `${domain}/${path}`, familiarName: familiar, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** docker's `reference.FamiliarString(reference.TagNameOnly(ref))`: `alpine` → `alpine:latest`. */
export function familiarWithTag(ref: ImageRef): string {
  if (ref.digest !== undefined) return `${ref.familiarName}${ref.tag !== undefined ? `:${ref.tag}` : ''}@${ref.digest}`;
  return `${ref.familiarName}:${ref.tag ?? 'latest'}`;
}
