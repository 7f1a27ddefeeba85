/**
 * The CRI's gRPC server (api/cri) over the engine's pods, containers and images: loaded by the
 * CRI socket at its first connection (daemon/cri-wiring.ts), so an idle daemon carries no gRPC.
 */
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lazy } from '../core/lazy.js';
import type { Logger } from '../core/logger.js';
import type { ContainerRegistry } from '../engine/containers/container-registry.js';
import type { ContainerService } from '../engine/containers/container-service.js';
import type { ExecService } from '../engine/containers/exec-service.js';
import type { HostSpecFacts } from '../engine/containers/spec-input.js';
import { PodContainers } from '../engine/cri/pod-containers.js';
import type { PodNetwork } from '../engine/cri/pod-network.js';
import type { PodSandboxes } from '../engine/cri/pod-sandboxes.js';
import type { DistributionService } from '../engine/images/distribution/distribution-service.js';
import type { ImageService } from '../engine/images/image-service.js';
import type { CriConnections } from '../api/cri/cri-socket.js';
import { imageServiceHandlers } from '../api/cri/image-service.js';
import { runtimeServiceHandlers } from '../api/cri/runtime-service.js';
import { CriServer } from '../api/cri/server.js';
import { EngineStreaming, streamUrlsOf } from '../api/cri/engine-streaming.js';
import { StreamingServer } from '../api/cri/streaming/streaming-server.js';
import { BERTH_VERSION } from './version.js';

/** The kubelet asks every few seconds: the layers' size the image store keeps, inodes from statfs (no tree walk). */
async function fsUsage(dir: string, used: () => Promise<number>): Promise<{ mountpoint: string; usedBytes: number; inodesUsed: number }> {
  const [size, fs] = await Promise.all([used().catch(() => 0), statfs(dir).catch(() => undefined)]);
  return { mountpoint: dir, usedBytes: size, inodesUsed: fs ? Math.max(0, fs.files - fs.ffree) : 0 };
}

export interface CriDeps {
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
}

/** The CRI's gRPC server and the streaming server its Exec, Attach and PortForward URLs point to. */
export async function startCriGrpc(d: CriDeps): Promise<CriConnections> {
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
  d.log.info({ streaming: streaming.url }, 'CRI v1 gRPC server loaded');
  return {
    serve: (connection) => server.serve(connection),
    async close() {
      await server.close();
      await streaming.close();
    },
  };
}
