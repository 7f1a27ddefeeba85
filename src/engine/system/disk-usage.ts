import { join } from 'node:path';
import { directorySize } from '../../drivers/host/directory-size.js';
import type { UsageRecord } from '../build/solve-spec.js';
import type { ContainerService } from '../containers/container-service.js';
import type { ImageService } from '../images/image-service.js';
import type { VolumeService } from '../volumes/volume-service.js';
import { dataRootSize } from './data-root-size.js';

export interface DiskUsageDeps {
  images: ImageService;
  containers: ContainerService;
  volumes: VolumeService;
  volumeUsers: () => Map<string, string[]>;
  dataRoot: string;
  /** The storage driver's directory under the data root (overlay2, vfs). */
  driver: string;
  /** The build cache as usage records (loads the builder on first use). */
  buildCache: () => Promise<UsageRecord[]>;
}

/** docker's BuildCache entry of `GET /system/df`. */
export function buildCacheEntry(r: UsageRecord): Record<string, unknown> {
  return {
    ID: r.id,
    Parent: r.parents[0] ?? '',
    Parents: r.parents,
    Type: r.recordType,
    Description: r.description,
    InUse: r.inUse,
    Shared: r.shared,
    Size: r.size,
    CreatedAt: r.createdAt.toISOString(),
    LastUsedAt: r.lastUsedAt ? r.lastUsedAt.toISOString() : null,
    UsageCount: r.usageCount,
  };
}

/**
 * `GET /system/df`: what images, containers, volumes and the build cache take, in docker's shape.
 * LayersSize is all the image store takes on disk (unpacked layers, their blobs, the records),
 * less what the build cache counts as its own, so that the four totals add up to what `du` says
 * of the data root (less its small change: container configs, logs, the event journal).
 */
export async function diskUsage(d: DiskUsageDeps): Promise<Record<string, unknown>> {
  const images = await d.images.list({ all: true });
  const containers = await d.containers.queries.list({ all: true, size: true, filters: {} });
  const users = d.volumeUsers();
  const volumes = [];
  for (const v of d.volumes.list({}).Volumes) {
    // dockerd's LocalVolumesSize: a volume with mount options is not really local, and is left out.
    if (Object.keys(v.Options).length > 0) continue;
    volumes.push({ ...v, UsageData: { Size: await directorySize(d.volumes.hostPath(v.Name)), RefCount: users.get(v.Name)?.length ?? 0 } });
  }
  const cache = await d.buildCache();
  const cacheSteps = cache.filter((r) => !r.shared && r.recordType === 'regular').reduce((s, r) => s + r.size, 0);
  let store = 0;
  for (const dir of [join(d.dataRoot, 'content'), join(d.dataRoot, 'image'), join(d.dataRoot, d.driver, 'layers'), join(d.dataRoot, d.driver, 'l')]) store += await dataRootSize(dir);
  return { LayersSize: Math.max(0, store - cacheSteps), Images: images, Containers: containers, Volumes: volumes, BuildCache: cache.map(buildCacheEntry) };
}
