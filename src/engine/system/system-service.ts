import { hostPlatform } from '../../oci/image-types.js';
import type { ImageService } from '../images/image-service.js';
import { cgroupWarnings } from '../containers/limits/host-limits.js';
import type { HostFacts } from './host-facts.js';
import { isoTime } from '../../core/utc-time.js';

export const BERTH_VERSION = '0.1.0';

export interface DaemonSettings {
  dataRoot: string;
  execRoot: string;
  defaultRuntime: string;
  runtimes: Record<string, string>;
  debug: boolean;
  startedAt: Date;
  pid: number;
}

export interface ContainerCounts {
  total: number;
  running: number;
  paused: number;
  stopped: number;
}

/** What `info` and `system df` read from the rest of the engine (given when the daemon is built). */
export interface SystemSources {
  containerCounts(): Promise<ContainerCounts>;
  diskUsage(): Promise<Record<string, unknown>>;
  /** Warnings for `info` (runtimes missing, a route over a network…), asked at each call. */
  warnings(): string[];
  insecureRegistries: string[];
  registryMirrors: string[];
  /** The host as the daemon found it at start. */
  facts: HostFacts;
}

/** `docker info`'s Insecure Registries and Registry Mirrors, in dockerd's RegistryConfig shape. */
function registryConfig(insecure: string[], mirrors: string[]): Record<string, unknown> {
  const cidrs = ['127.0.0.0/8', ...insecure.filter((e) => e.includes('/'))];
  const indexConfigs: Record<string, unknown> = { 'docker.io': { Name: 'docker.io', Mirrors: mirrors, Secure: true, Official: true } };
  for (const host of insecure.filter((e) => !e.includes('/'))) indexConfigs[host] = { Name: host, Mirrors: [], Secure: false, Official: false };
  return { IndexConfigs: indexConfigs, InsecureRegistryCIDRs: cidrs, Mirrors: mirrors };
}

/** `docker version` and `docker info`: what the daemon is and what host it runs on. */
export class SystemService {
  private readonly registryConfig: Record<string, unknown>;

  constructor(
    private readonly settings: DaemonSettings,
    private readonly images: ImageService,
    private readonly sources: SystemSources,
  ) {
    this.registryConfig = registryConfig(sources.insecureRegistries, sources.registryMirrors);
  }

  diskUsage(): Promise<Record<string, unknown>> {
    return this.sources.diskUsage();
  }



  async version(apiVersion: string, minApiVersion: string): Promise<Record<string, unknown>> {
    const facts = this.sources.facts;
    const { architecture, os } = hostPlatform();
    return {
      Platform: { Name: 'Berth Engine' },
      Components: [
        { Name: 'Engine', Version: BERTH_VERSION, Details: { ApiVersion: apiVersion, MinAPIVersion: minApiVersion, Os: os, Arch: architecture, KernelVersion: facts.kernel, NodeVersion: process.version } },
      ],
      Version: BERTH_VERSION,
      ApiVersion: apiVersion,
      MinAPIVersion: minApiVersion,
      GitCommit: 'berth',
      GoVersion: `node ${process.version}`,
      Os: os,
      Arch: architecture,
      KernelVersion: facts.kernel,
      BuildTime: '',
    };
  }

  async info(): Promise<Record<string, unknown>> {
    const facts = this.sources.facts;
    const counts = await this.sources.containerCounts();
    const images = await this.images.list({ all: true });
    const { architecture } = hostPlatform();
    const cgroupVersion = facts.cgroupLayout === 'v2' ? '2' : '1';
    // What the host's cgroups can limit, as create and update see it (docker info prints a warning for each gap).
    const cg = this.sources.facts.limits.cgroups;
    return {
      ID: '',
      Containers: counts.total,
      ContainersRunning: counts.running,
      ContainersPaused: counts.paused,
      ContainersStopped: counts.stopped,
      Images: images.length,
      Driver: this.images.storageDriver,
      DriverStatus: [['Backing Filesystem', 'extfs']],
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
      MemoryLimit: cg.memoryLimit,
      SwapLimit: cg.swapLimit,
      CpuCfsPeriod: cg.cpuCfs,
      CpuCfsQuota: cg.cpuCfs,
      CPUShares: cg.cpuShares,
      CPUSet: cg.cpuset,
      PidsLimit: cg.pidsLimit,
      IPv4Forwarding: true,
      Debug: this.settings.debug,
      NFd: 0,
      OomKillDisable: cg.oomKillDisable,
      NGoroutines: 0,
      SystemTime: isoTime(),
      LoggingDriver: 'json-file',
      CgroupDriver: 'cgroupfs',
      CgroupVersion: cgroupVersion,
      NEventsListener: 0,
      KernelVersion: facts.kernel,
      OperatingSystem: facts.os,
      OSVersion: '',
      OSType: 'linux',
      Architecture: architecture === 'amd64' ? 'x86_64' : architecture,
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: this.registryConfig,
      NCPU: facts.ncpu,
      MemTotal: facts.memTotal,
      DockerRootDir: this.settings.dataRoot,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: facts.hostname,
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: BERTH_VERSION,
      Runtimes: Object.fromEntries(Object.entries(this.settings.runtimes).map(([name, path]) => [name, { path }])),
      DefaultRuntime: this.settings.defaultRuntime,
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: true,
      // Berth has no containerd or docker-init; dockerd always shows these (older clients read `Expected` too).
      ContainerdCommit: { ID: '' },
      RuncCommit: { ID: '' },
      InitCommit: { ID: '' },
      Isolation: '',
      InitBinary: 'docker-init',
      SecurityOptions: ['name=seccomp,profile=builtin', ...(cgroupVersion === '2' ? ['name=cgroupns'] : [])],
      Warnings: [
        ...(facts.cgroupLayout === 'hybrid' ? ['WARNING: the host uses a hybrid cgroup layout (v1 controllers plus a cgroup2 mount); Berth uses the v1 controllers'] : []),
        ...this.sources.warnings(),
        ...cgroupWarnings(cg),
      ],
    };
  }
}
