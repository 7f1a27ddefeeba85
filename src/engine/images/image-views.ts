import type { Digest } from '../../core/digest.js';
import type { HistoryEntry, ImageConfig } from '../../oci/image-types.js';
import type { ImageRecord } from '../../store/metadata/image-store.js';

/** Docker's `GET /images/json` entry. */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  Labels: Record<string, string>;
  Containers: number;
}

/** Docker's `GET /images/{name}/json`. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  DockerVersion: string;
  Author: string;
  Config: Record<string, unknown>;
  Architecture: string;
  Variant?: string;
  Os: string;
  Size: number;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
  /** Shown below API 1.45 only (the route drops them): the committing container and its config. */
  Container: string;
  ContainerConfig: Record<string, unknown>;
}

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export function unixSeconds(iso: string | undefined): number {
  if (!iso) return 0;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/** docker shows the zero time for images that never had one. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** The container config as docker's inspect shows it: every key present, nulls where unset. */
export function inspectConfig(config: ImageConfig): Record<string, unknown> {
  const c = config.config ?? {};
  return {
    Hostname: '',
    Domainname: '',
    User: c.User ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(c.ExposedPorts ? { ExposedPorts: c.ExposedPorts } : {}),
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: c.Env ?? null,
    Cmd: c.Cmd ?? null,
    ...(c.Healthcheck ? { Healthcheck: c.Healthcheck } : {}),
    ...(c.ArgsEscaped ? { ArgsEscaped: true } : {}),
    Image: '',
    Volumes: c.Volumes ?? null,
    WorkingDir: c.WorkingDir ?? '',
    Entrypoint: c.Entrypoint ?? null,
    OnBuild: c.OnBuild ?? null,
    Labels: c.Labels ?? null,
    ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
    ...(c.Shell ? { Shell: c.Shell } : {}),
  };
}

export function buildSummary(
  record: ImageRecord,
  config: ImageConfig,
  names: { repoTags: string[]; repoDigests: string[] },
  size: number,
  containers: number,
): ImageSummary {
  return {
    Id: record.id,
    ParentId: record.parent ?? '',
    RepoTags: names.repoTags,
    RepoDigests: names.repoDigests,
    Created: unixSeconds(config.created),
    Size: size,
    SharedSize: -1,
    Labels: config.config?.Labels ?? {},
    Containers: containers,
  };
}

export function buildInspect(
  record: ImageRecord,
  config: ImageConfig,
  names: { repoTags: string[]; repoDigests: string[] },
  size: number,
  graphDriver: { Name: string; Data: Record<string, string> | null },
): ImageInspect {
  return {
    Id: record.id,
    RepoTags: names.repoTags,
    RepoDigests: names.repoDigests,
    Parent: record.parent ?? '',
    Comment: config.comment ?? '',
    Created: config.created ?? ZERO_TIME,
    DockerVersion: config.docker_version ?? '',
    Author: config.author ?? '',
    Config: inspectConfig(config),
    Architecture: config.architecture,
    ...(config.variant ? { Variant: config.variant } : {}),
    Os: config.os,
    Size: size,
    GraphDriver: graphDriver,
    RootFS: { Type: 'layers', Layers: config.rootfs.diff_ids },
    Metadata: { LastTagTime: record.lastTagTime ?? ZERO_TIME },
    // docker's legacy builder and commit keep the container's config; compose v1 reads it on recreate.
    Container: config.container ?? '',
    // A commit records the container's whole Config (Image, Hostname…): shown as stored, as dockerd does.
    ContainerConfig: { ...inspectConfig({ ...config, config: config.container_config ?? {} }), ...(config.container_config ?? {}) },
  };
}

/** Newest first, as docker prints history; only the top entry carries the image ID. */
export function buildHistory(id: Digest, config: ImageConfig, layerSizes: number[], tags: string[]): HistoryItem[] {
  const items: HistoryItem[] = [];
  const history: HistoryEntry[] = config.history && config.history.length > 0
    ? config.history
    : config.rootfs.diff_ids.map(() => ({ created: config.created ?? '', created_by: '', comment: '' }));
  let layer = 0;
  for (const h of history) {
    const empty = h.empty_layer === true;
    items.push({
      Id: '<missing>',
      Created: unixSeconds(h.created),
      CreatedBy: h.created_by ?? '',
      Tags: null,
      Size: empty ? 0 : (layerSizes[layer] ?? 0),
      Comment: h.comment ?? '',
    });
    if (!empty) layer++;
  }
  items.reverse();
  const top = items[0];
  if (top) {
    top.Id = id;
    top.Tags = tags;
  }
  return items;
}
