import { ConflictError } from '../../core/errors.js';
import type { ContainerService } from '../../engine/containers/container-service.js';

/**
 * A Kubernetes pod's containers are the kubelet's: the Docker API shows them (ps, inspect, logs,
 * stats, top, exec for debugging) but does not change them, or the kubelet's view and the
 * container would part ways (a stopped container the kubelet thinks running, a renamed one it
 * cannot find). `crictl` and the kubelet change them through the CRI.
 */
export function refusePodContainer(containers: ContainerService, ref: string, action: string, crictl: string): void {
  const r = containers.find(ref);
  if (!r?.Pod) return;
  throw new ConflictError(
    `container ${r.Name.slice(1)} belongs to Kubernetes pod sandbox ${r.Pod.SandboxId.slice(0, 12)} and is read-only through the Docker API: ${action} it through the CRI (the kubelet, or crictl ${crictl} ${r.Id.slice(0, 12)})`,
  );
}
