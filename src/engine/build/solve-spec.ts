import type { Digest } from '../../core/digest.js';

/** A `context:NAME` frontend attribute: a directory of the client's session, or an image. */
export type NamedContext = { kind: 'local'; session: string } | { kind: 'image'; ref: string };

/**
 * One exporter of a Solve request. `index` is its position in the request's list: the session's
 * FileSend calls say which output they are for with it.
 */
export type ExportSpec =
  | { type: 'image'; index: number; names: string[] }
  | { type: 'docker' | 'oci'; index: number; names: string[] }
  | { type: 'local' | 'tar'; index: number };

/** A Dockerfile build asked for through BuildKit's Solve (frontend `dockerfile.v0`). */
export interface SolveSpec {
  /** The Dockerfile's name in the client's 'dockerfile' directory. */
  dockerfile: string;
  target?: string;
  buildArgs: Map<string, string | null>;
  labels: Record<string, string>;
  /** `no-cache`: true for every stage, or the stage names whose steps must not come from cache. */
  noCache: boolean | string[];
  /** HostConfig fields for RUN containers (NetworkMode, ExtraHosts, ShmSize). */
  runHostConfig: Record<string, unknown>;
  /** `context:NAME` attributes, by NAME (lower case, as stage names are). */
  namedContexts: Record<string, NamedContext>;
  /** Images whose steps may serve as cache (`cache-from` type=registry/inline refs present locally). */
  cacheFrom: string[];
  exports: ExportSpec[];
  /** Attributes accepted but without effect here, said once in the progress stream. */
  notes: string[];
  /** `build-arg:BUILDKIT_SYNTAX`: the frontend image asked for, over the Dockerfile's `# syntax=`. */
  syntax?: string;
}

/** What Solve answers: the built image and the exporter response buildx reads. */
export interface SolveResult {
  imageId: Digest;
  exporterResponse: Record<string, string>;
}

/** A BuildKit usage record (`docker buildx du`), as the Control.DiskUsage reply carries it. */
export interface UsageRecord {
  id: string;
  mutable: boolean;
  inUse: boolean;
  size: number;
  parents: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  usageCount: number;
  description: string;
  recordType: 'regular' | 'exec.cachemount' | 'source.local';
  shared: boolean;
}

/** Control.Prune's options, as buildx sends them (`prune -f`, `--all`, `--keep-storage`, `--filter`). */
export interface PruneUsageOptions {
  all?: boolean;
  keepDuration?: number;
  keepBytes?: number;
  filters?: string[];
}
