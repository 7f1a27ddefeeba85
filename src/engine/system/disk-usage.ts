import { directorySize } from '../../drivers/host/directory-size.js';
import type { ContainerService } from '../containers/container-service.js';
import type { ImageService } from '../images/image-service.js';
import type { VolumeService } from '../volumes/volume-service.js';

/** `GET /system/df`: what images, containers and volumes take, in docker's shape. */
export async function diskUsage(d: { images: ImageService; containers: ContainerService; volumes: VolumeService; volumeUsers: () => Map<string, string[]> }): Promise<Record<string, unknown>> {
  const images = await d.images.list({ all: true });
  const containers = await d.containers.list({ all: true, size: true, filters: {} });
  const users = d.volumeUsers();
  const volumes = [];
  for (const v of d.volumes.list({}).Volumes) {
    // dockerd's LocalVolumesSize: a volume with mount options is not really local, and is left out.
    if (Object.keys(v.Options).length > 0) continue;
    volumes.push({ ...v, UsageData: { Size: await directorySize(d.volumes.hostPath(v.Name)), RefCount: users.get(v.Name)?.length ?? 0 } });
  }
  return { LayersSize: await d.images.layersSize(), Images: images, Containers: containers, Volumes: volumes, BuildCache: [] };
}
