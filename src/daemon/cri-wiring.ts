/**
 * The Kubernetes CRI's parts loaded when the CRI is on (`--cri`, the default): the pod sandboxes
 * and the CRI socket. The gRPC server behind the socket (daemon/cri-grpc-wiring.ts) is loaded at
 * the socket's first connection (api/cri/cri-socket.ts); a daemon with `--cri=false` loads neither.
 */
import { join } from 'node:path';
import type { Logger } from '../core/logger.js';
import type { RuntimeCatalog } from '../drivers/runtime/runtime-catalog.js';
import { CriSocket } from '../api/cri/cri-socket.js';
import type { CriDeps } from './cri-grpc-wiring.js';
import { CniOrLoopback, type PodNetwork } from '../engine/cri/pod-network.js';
import { CniPodNetwork } from '../drivers/network/cni/cni-pod-network.js';
import { PodSandboxes } from '../engine/cri/pod-sandboxes.js';

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

/** The CRI socket, served from the first connection on by the gRPC server, loaded then. */
export async function startCriServer(d: CriDeps & { socket: string }): Promise<{ close(): Promise<void> }> {
  const socket = new CriSocket(async () => (await import('./cri-grpc-wiring.js')).startCriGrpc(d), d.log);
  await socket.listen(d.socket);
  d.log.info({ socket: d.socket }, 'CRI v1 server listening (its gRPC server loads at the first call)');
  return socket;
}
