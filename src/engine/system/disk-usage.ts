import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerService } from '../containers/container-service.js';
import type { ImageService } from '../images/image-service.js';
import type { VolumeService } from '../volumes/volume-service.js';

/** Bytes of regular files under a directory, hardlinks counted once, without following links. */
export async function directorySize(dir: string, seen = new Set<string>()): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await directorySize(p, seen);
    else if (e.isFile()) {
      const st = await lstat(p).catch(() => undefined);
      if (!st) continue;
      const key = `${st.dev}:${st.ino}`;
      if (st.nlink > 1 && seen.has(key)) continue;
      seen.add(key);
      total += st.size;
    }
  }
  return total;
}

/** `GET /system/df`: what images, containers and volumes take, in docker's shape. */
export async function diskUsage(d: { images: ImageService; containers: ContainerService; volumes: VolumeService; volumeUsers: () => Map<string, string[]> }): Promise<Record<string, unknown>> {
  const images = await d.images.list({ all: true });
  const containers = await d.containers.list({ all: true, size: true, filters: {} });
  const users = d.volumeUsers();
  const volumes = [];
  for (const v of d.volumes.list({}).Volumes) {
    volumes.push({ ...v, UsageData: { Size: await directorySize(d.volumes.hostPath(v.Name)), RefCount: users.get(v.Name)?.length ?? 0 } });
  }
  return { LayersSize: await d.images.layersSize(), Images: images, Containers: containers, Volumes: volumes, BuildCache: [] };
}
