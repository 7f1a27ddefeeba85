/**
 * The Kubernetes CRI server's parts (engine/cri, api/cri), loaded only when the CRI is on
 * (`--cri`, the default): a daemon with `--cri=false` loads no gRPC code for it.
 */
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lazy } from '../core/lazy.js';
import type { Logger } from '../core/logger.js';
import type { RuntimeCatalog } from '../drivers/runtime/runtime-catalog.js';
import type { ContainerRegistry } from '../engine/containers/container-registry.js';
import type { ContainerService } from '../engine/containers/container-service.js';
import type { ExecService } from '../engine/containers/exec-service.js';
import type { HostSpecFacts } from '../engine/containers/spec-input.js';
import { PodContainers } from '../engine/cri/pod-containers.js';
import { CniOrLoopback, type PodNetwork } from '../engine/cri/pod-network.js';
import { CniPodNetwork } from '../drivers/network/cni/cni-pod-network.js';
import { PodSandboxes } from '../engine/cri/pod-sandboxes.js';
import type { DistributionService } from '../engine/images/distribution/distribution-service.js';
import type { ImageService } from '../engine/images/image-service.js';
import { imageServiceHandlers } from '../api/cri/image-service.js';
import { runtimeServiceHandlers } from '../api/cri/runtime-service.js';
import { CriServer } from '../api/cri/server.js';
import { EngineStreaming, streamUrlsOf } from '../api/cri/engine-streaming.js';
import { StreamingServer } from '../api/cri/streaming/streaming-server.js';
import { BERTH_VERSION } from './version.js';

/** Sandboxes come first: containers restored at daemon start may need theirs to start again. */
export async function startPodSandboxes(opts: { dataRoot: string; execRoot: string; cgroupParent: string; cniConfDir: string; cniBinDirs: string[]; runtimes: RuntimeCatalog; log: Logger }): Promise<{ sandboxes: PodSandboxes; network: PodNetwork }> {
  // Pod networks through the node's CNI config (drivers/network/cni), loopback while there is none.
  const cni = await CniPodNetwork.open({ stateDir: join(opts.dataRoot, 'cni'), confDir: opts.cniConfDir, binDirs: opts.cniBinDirs, log: opts.log });
  const network = new CniOrLoopback(cni);
  const sandboxes = new PodSandboxes({
    dataRoot: opts.dataRoot,
    execRoot: opts.execRoot,
    cgroupParent: opts.cgroupParent,
    runtime: () => opts.runtimes.runtime(undefined),
    network,
    log: opts.log,
  });
  await sandboxes.init();
  return { sandboxes, network };
}

/** The kubelet asks every few seconds: the layers' size the image store keeps, inodes from statfs (no tree walk). */
async function fsUsage(dir: string, used: () => Promise<number>): Promise<{ mountpoint: string; usedBytes: number; inodesUsed: number }> {
  const [size, fs] = await Promise.all([used().catch(() => 0), statfs(dir).catch(() => undefined)]);
  return { mountpoint: dir, usedBytes: size, inodesUsed: fs ? Math.max(0, fs.files - fs.ffree) : 0 };
}

export async function startCriServer(d: {
  socket: string;
  dataRoot: string;
  sandboxes: PodSandboxes;
  network: PodNetwork;
  containers: ContainerService;
  registry: ContainerRegistry;
  execs: ExecService;
  images: ImageService;
  distribution: Lazy<DistributionService>;
  host: HostSpecFacts;
  snapshotterName: string;
  runtimeName: string;
  log: Logger;
}): Promise<{ close(): Promise<void> }> {
  const pods = new PodContainers({ containers: d.containers, registry: d.registry, execs: d.execs, sandboxes: d.sandboxes, host: d.host });
  // Exec, Attach and PortForward URLs point here (SPDY and WebSocket, api/cri/streaming), on loopback as containerd's.
  const streaming = new StreamingServer({ backend: new EngineStreaming({ containers: d.containers, execs: d.execs, pods, sandboxes: d.sandboxes }), log: d.log });
  await streaming.start();
  const server = new CriServer(
    {
      runtime: runtimeServiceHandlers({
        sandboxes: d.sandboxes,
        containers: pods,
        network: d.network,
        streams: streamUrlsOf(streaming),
        version: BERTH_VERSION,
        runtimeName: 'berth',
        info: () => ({
          // Sandboxes need no image: berth-pause (native/berth-pause) is part of Berth.
          sandboxImage: '',
          pauseBinary: 'built in (berth-pause)',
          defaultRuntime: d.runtimeName,
          cgroupDriver: 'cgroupfs',
          cgroupParent: d.host.cgroupParent,
          snapshotter: d.snapshotterName,
          rootDir: join(d.dataRoot, 'cri'),
          enableCDI: false,
        }),
      }),
      image: imageServiceHandlers({
        images: d.images,
        distribution: d.distribution,
        imageFs: () => fsUsage(d.dataRoot, () => d.images.layersSize()),
        // Writable layers are not summed here (a walk of every rootfs per call); 0 until the snapshotter counts them.
        containerFs: () => fsUsage(d.dataRoot, async () => 0),
      }),
    },
    d.log,
  );
  try {
    await server.listen(d.socket);
  } catch (err) {
    await streaming.close();
    throw err;
  }
  d.log.info({ socket: d.socket, streaming: streaming.url }, 'CRI v1 server listening');
  return {
    async close() {
      await server.close();
      await streaming.close();
    },
  };
}
