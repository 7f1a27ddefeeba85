import type { Digest } from '../../core/digest.js';
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
