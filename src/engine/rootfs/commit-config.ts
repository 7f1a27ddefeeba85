import type { Digest } from '../../core/digest.js';
import type { HistoryEntry, ImageConfig, ImageRunConfig } from '../../oci/image-types.js';

export interface CommitConfigInput {
  parent: ImageConfig;
  /** The committed layer's diff ID; null when the container changed nothing (no layer is added). */
  diffId: Digest | null;
  /** The container's config before `--change`, kept as `container_config` like docker does. */
  containerConfig: ImageRunConfig;
  /** The new image's run config: the container's with the `--change` instructions applied. */
  config: ImageRunConfig;
  containerId: string;
  author: string | undefined;
  comment: string | undefined;
  /** RFC 3339 time of the commit. */
  created: string;
}

/** Fields of the parent's config that describe the platform, which a commit keeps as they are. */
const PLATFORM_FIELDS = ['architecture', 'os', 'os.version', 'os.features', 'variant'];

/**
 * The config of a committed image, as docker's NewChildImage builds it: the parent's platform,
 * rootfs and history; the container's run config; a history entry whose `created_by` is the
 * container's command and which is marked `empty_layer` when the container changed nothing.
 * Top-level keys are sorted like docker's MarshalJSON, empty strings omitted like Go's omitempty.
 */
export function buildCommitConfig(input: CommitConfigInput): Buffer {
  const parent = input.parent as ImageConfig & Record<string, unknown>;
  const createdBy = (input.containerConfig.Cmd ?? []).join(' ');
  const entry: HistoryEntry = {
    created: input.created,
    ...(input.author ? { author: input.author } : {}),
    ...(createdBy ? { created_by: createdBy } : {}),
    ...(input.comment ? { comment: input.comment } : {}),
    ...(input.diffId === null ? { empty_layer: true } : {}),
  };
  const config: Record<string, unknown> = {
    ...(input.author ? { author: input.author } : {}),
    ...(input.comment ? { comment: input.comment } : {}),
    config: input.config,
    container: input.containerId,
    container_config: input.containerConfig,
    created: input.created,
    history: [...(input.parent.history ?? []), entry],
    rootfs: { type: 'layers', diff_ids: [...(input.parent.rootfs?.diff_ids ?? []), ...(input.diffId === null ? [] : [input.diffId])] },
  };
  for (const field of PLATFORM_FIELDS) if (parent[field] !== undefined) config[field] = parent[field];
  const sorted = Object.fromEntries(Object.keys(config).sort().map((key) => [key, config[key]]));
  return Buffer.from(JSON.stringify(sorted));
}
