/**
 * A pod's network, as the CRI sees it: set up when the sandbox starts, torn down when it stops.
 * The engine makes the pod's network namespace (a bind mount) and hands its path here; what goes
 * into it is the implementation's: CNI plugins (drivers/network/cni, as containerd and CRI-O do),
 * or, without a CNI configuration, nothing but loopback.
 */
import { setLoopbackUp } from '../../drivers/network/host-links.js';

/** One CRI PortMapping (protocol as the CRI names it: TCP, UDP, SCTP). */
export interface PodPortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort: number;
  hostIp: string;
}

export interface PodDnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface PodNetworkRequest {
  podId: string;
  /** The pod's network namespace (a bind-mounted path). */
  netns: string;
  podName: string;
  podNamespace: string;
  podUid: string;
  portMappings: PodPortMapping[];
  dns: PodDnsConfig;
  /** The pod's cgroup parent (CNI's bandwidth and portmap plugins may want it). */
  cgroupParent?: string;
}

/** The CRI NetworkReady condition. */
export interface PodNetworkStatus {
  ready: boolean;
  reason?: string;
  message?: string;
}

export interface PodNetwork {
  /** The status as last read (cheap: the kubelet asks every few seconds). */
  status(): PodNetworkStatus;
  /** The status read now, where reading costs something (a config directory). */
  refresh?(): Promise<PodNetworkStatus>;
  /** Attaches the namespace; resolves with the pod's addresses (first the primary). */
  setUp(req: PodNetworkRequest): Promise<{ ips: string[] }>;
  /** Detaches it; called on stop, also for a pod whose setUp failed halfway. Idempotent. */
  tearDown(req: PodNetworkRequest): Promise<void>;
}

/**
 * Without a CNI configuration: loopback only, and NetworkReady false, as containerd reports it
 * (reason NetworkPluginNotReady) — so a kubelet schedules only host-network pods until a network
 * plugin is installed, while crictl can still run pods that need no network.
 */
export class LoopbackPodNetwork implements PodNetwork {
  status(): PodNetworkStatus {
    return { ready: false, reason: 'NetworkPluginNotReady', message: 'Network plugin returns error: no CNI configuration: pods get a network namespace with loopback only' };
  }

  async setUp(req: PodNetworkRequest): Promise<{ ips: string[] }> {
    await setLoopbackUp(req.netns);
    return { ips: [] };
  }

  async tearDown(): Promise<void> {
    // Nothing outside the namespace, which the engine removes.
  }
}

/** A network that can read its configuration again now (CNI's config directory). */
export interface RefreshablePodNetwork extends PodNetwork {
  refresh(): Promise<PodNetworkStatus>;
}

/**
 * CNI when the node has a network configuration, loopback only while it has none: pods that
 * need no network (and crictl on a fresh node) still run, and NetworkReady stays what CNI says,
 * so a kubelet schedules only host-network pods until a network add-on installs its config.
 * (containerd refuses every pod sandbox then.) tearDown always asks CNI: it finds what its cache
 * says was attached, and a DEL of what never was is harmless by the CNI spec.
 */
export class CniOrLoopback implements PodNetwork {
  private readonly loopback = new LoopbackPodNetwork();

  constructor(private readonly cni: RefreshablePodNetwork) {}

  status(): PodNetworkStatus {
    return this.cni.status();
  }

  refresh(): Promise<PodNetworkStatus> {
    return this.cni.refresh();
  }

  async setUp(req: PodNetworkRequest): Promise<{ ips: string[] }> {
    const status = await this.cni.refresh().catch(() => this.cni.status());
    return status.ready ? await this.cni.setUp(req) : await this.loopback.setUp(req);
  }

  async tearDown(req: PodNetworkRequest): Promise<void> {
    await this.cni.tearDown(req);
  }
}
