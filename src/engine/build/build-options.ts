import type { SshAgent } from './solve-types.js';
import type { Digest } from '../../core/digest.js';
import { familiarString, parseReference } from '../../oci/reference.js';
import type { SourceTree } from './build-context.js';

export interface BuildOptions {
  dockerfile: string;
  tags: string[];
  target?: string;
  noCache: boolean;
  cacheFrom: string[];
  rm: boolean;
  forceRm: boolean;
  buildArgs: Map<string, string | null>;
  labels: Record<string, string>;
  /** HostConfig fields for RUN containers (NetworkMode, ExtraHosts, Memory, CpuShares…). */
  runHostConfig: Record<string, unknown>;
  /** A URL to fetch the context (a tarball) or the Dockerfile from, instead of the request body. */
  remote?: string;
  /** --pull: always look for a newer base image (there is no registry yet: said, not ignored). */
  pull?: boolean;
  /** BuildKit's `no-cache=stage,…`: only these stages' steps skip the cache. */
  noCacheStages?: string[];
  /** BuildKit's session secrets (`RUN --mount=type=secret`); the legacy builder has none. */
  secret?: (id: string) => Promise<Buffer | null>;
  /** BuildKit's forwarded SSH agents (`RUN --mount=type=ssh`, `buildx build --ssh`). */
  sshAgent?: (id: string) => Promise<SshAgent | null>;
  /** BuildKit's `context:NAME`: an image or a directory standing in for a stage or image name. */
  namedContexts?: Map<string, { image: Digest; ref: string } | { tree: SourceTree }>;
  /** BuildKit builds only the stages the target needs; the legacy builder builds every one before it. */
  onlyNeededStages?: boolean;
}

/** The build's sources: the Dockerfile's text, the context, a directory for temporary files. */
export interface BuildSource {
  dockerfile: string;
  tree: SourceTree;
  scratchDir: string;
}

export type NamedContextSource = NonNullable<BuildOptions['namedContexts']> extends Map<string, infer V> ? V : never;

/**
 * The `context:NAME` standing in for a FROM or --from name, looked up as BuildKit's dockerui
 * does: by the name as written, else by its familiar form without `:latest`
 * (`docker.io/library/alpine:latest` finds `context:alpine`).
 */
export function namedContextFor(opts: BuildOptions, name: string): NamedContextSource | undefined {
  const contexts = opts.namedContexts;
  if (!contexts || contexts.size === 0) return undefined;
  const lower = name.toLowerCase();
  const direct = contexts.get(lower);
  if (direct) return direct;
  try {
    return contexts.get(familiarString(parseReference(lower)).replace(/:latest$/, ''));
  } catch {
    return undefined;
  }
}
