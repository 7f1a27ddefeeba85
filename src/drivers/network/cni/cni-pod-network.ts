/**
 * Pod networking through CNI, as containerd's CRI plugin (go-cni over libcni) does it. Lifecycle:
 * `open()` reads the config dir; `status()` says whether a pod network is usable (NetworkReady),
 * re-reading the dir so a network add-on that installs its config later turns it ready; `setUp()`
 * runs ADD for the loopback network (`lo`, containerd's `cni-loopback`) and then the pod network
 * (`eth0`) in the sandbox's namespace, caches each result, and returns the pod's addresses; a
 * failed setUp has already run DEL for what it started. `tearDown()` runs DEL for every attachment
 * cached for the sandbox with the config and arguments of its ADD (also after a daemon restart),
 * and is idempotent: nothing cached, or a namespace already gone, is fine. Call it before the
 * namespace is destroyed: plugins undo what they did inside it (the bridge plugin's masquerade
 * rules are found through the container's address there).
 */
import { access } from 'node:fs/promises';
import { InvalidParameterError, UnavailableError } from '../../../core/errors.js';
import { KeyedLock } from '../../../core/keyed-lock.js';
import type { Logger } from '../../../core/logger.js';
import { parseConfList, type CniNetworkConfig } from './cni-config.js';
import { CniConfDir, type CniConfLoad } from './cni-conf-dir.js';
import { findPlugin } from './cni-exec.js';
import { podCapabilityArgs, podCniArgs, validateRuntimeConf, type CniRuntimeConf, type PodDnsConfig, type PodIdentity, type PodPortMapping } from './cni-invocation.js';
import { addNetworkList, checkNetworkList, delNetworkList, type CniInvoker } from './cni-network-list.js';
import { CniResultCache, type CachedAttachment } from './cni-result-cache.js';
import { podIps, type CniResult } from './cni-result.js';

export type { PodDnsConfig, PodPortMapping } from './cni-invocation.js';

export interface PodNetworkRequest extends PodIdentity {
  /** The sandbox's network namespace (a bind-mounted nsfs file). */
  netns: string;
  portMappings: PodPortMapping[];
  dns?: PodDnsConfig | undefined;
  /** The pod's cgroup parent, sent as the `cgroupPath` capability. */
  cgroupParent?: string | undefined;
  /** More capability arguments (`bandwidth`, `io.kubernetes.cri.pod-annotations`…). */
  capabilities?: Record<string, unknown> | undefined;
}

export interface PodNetworkStatus { ready: boolean; reason?: string; message?: string }

export interface PodNetworkSetup {
  /** The pod's addresses on eth0, IPv4 first (the first is the pod IP). */
  ips: string[];
  network: string;
  interface: string;
  result: CniResult;
}

/** The seam the CRI sandboxes use. */
export interface PodNetwork {
  status(): PodNetworkStatus;
  setUp(req: PodNetworkRequest): Promise<PodNetworkSetup>;
  tearDown(req: PodNetworkRequest): Promise<void>;
}

export interface CniPodNetworkOptions {
  /** Berth's CNI state directory, `<data-root>/cni`: the result cache lives in `results/`. */
  stateDir: string;
  confDir?: string;
  binDirs?: readonly string[];
  pluginTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
}

export const DEFAULT_CNI_CONF_DIR = '/etc/cni/net.d';
/** Upstream's install path, then Debian's (containernetworking-plugins). */
export const DEFAULT_CNI_BIN_DIRS = ['/opt/cni/bin', '/usr/lib/cni'] as const;
export const POD_IFNAME = 'eth0';

/** containerd's loopback network: the loopback plugin brings `lo` up in every sandbox. */
const LOOPBACK = parseConfList(JSON.stringify({ cniVersion: '0.3.1', name: 'cni-loopback', plugins: [{ type: 'loopback' }] }), 'built-in loopback network');
const NOT_READY = 'NetworkPluginNotReady';

interface DelPlan { list: CniNetworkConfig; rt: CniRuntimeConf; prev: Record<string, unknown> | undefined }

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

export class CniPodNetwork implements PodNetwork {
  readonly confDir: string;
  readonly binDirs: readonly string[];
  private readonly conf: CniConfDir;
  private readonly cache: CniResultCache;
  private readonly inv: CniInvoker;
  private state: { load: CniConfLoad; loopback: string | undefined; at: number } | undefined;
  private lastRead: Promise<unknown> = Promise.resolve();
  private reads = 0;
  private readonly podLocks = new KeyedLock();

  constructor(private readonly opts: CniPodNetworkOptions) {
    this.confDir = opts.confDir ?? DEFAULT_CNI_CONF_DIR;
    this.binDirs = opts.binDirs ?? DEFAULT_CNI_BIN_DIRS;
    const env = opts.env ?? process.env;
    const timeoutMs = opts.pluginTimeoutMs ?? 60_000;
    this.conf = new CniConfDir(this.confDir, this.binDirs, env, timeoutMs);
    this.cache = new CniResultCache(opts.stateDir);
    this.inv = { binDirs: this.binDirs, env, timeoutMs, log: opts.log };
  }

  /** A driver whose status is already read. */
  static async open(opts: CniPodNetworkOptions): Promise<CniPodNetwork> {
    const n = new CniPodNetwork(opts);
    await n.refresh();
    return n;
  }

  /** The last status read; asks for a fresh read in the background when the last is over a second old. */
  status(): PodNetworkStatus {
    if ((!this.state || Date.now() - this.state.at > 1000) && this.reads === 0) void this.refresh().catch(() => undefined);
    return this.state ? this.statusOf(this.state.load, this.state.loopback) : { ready: false, reason: NOT_READY, message: 'cni config not read yet' };
  }

  /**
   * Reads the config dir again (only what changed is parsed and checked) and says the status. Each
   * call gets a read that starts after it was made (reads run one at a time), so a config the caller
   * has just written is seen, even while a background read is under way.
   */
  refresh(): Promise<PodNetworkStatus> {
    this.reads++;
    const read = this.lastRead.then(async () => {
      const load = await this.conf.load();
      const loopback = await findPlugin('loopback', this.binDirs);
      this.state = { load, loopback, at: Date.now() };
      return this.statusOf(load, loopback);
    }).finally(() => this.reads--);
    this.lastRead = read.catch(() => undefined);
    return read;
  }

  /** What `crictl info` shows of the network: the dirs, the chosen network and the skipped files. */
  async info(): Promise<{ confDir: string; binDirs: readonly string[]; stateDir: string; network?: { name: string; cniVersion: string; source: string; plugins: string[] }; skipped: CniConfLoad['skipped'] }> {
    await this.refresh();
    const n = this.state?.load.network?.config;
    return {
      confDir: this.confDir,
      binDirs: this.binDirs,
      stateDir: this.opts.stateDir,
      ...(n ? { network: { name: n.name, cniVersion: n.cniVersion, source: n.source, plugins: n.plugins.map((p) => p.type) } } : {}),
      skipped: this.state?.load.skipped ?? [],
    };
  }

  private statusOf(load: CniConfLoad, loopback: string | undefined): PodNetworkStatus {
    const problems: string[] = [];
    if (!load.network) {
      problems.push(`no network config found in ${this.confDir}`);
      for (const s of load.skipped) problems.push(`${s.file}: ${s.reason}`);
    }
    if (!loopback) problems.push(`the loopback plugin is not in ${this.binDirs.join(', ')}`);
    if (problems.length === 0) return { ready: true };
    return { ready: false, reason: NOT_READY, message: `cni plugin not initialized: ${problems.join('; ')}` };
  }

  private runtimeConf(req: PodNetworkRequest, ifName: string, netns: string): CniRuntimeConf {
    const rt = { containerId: req.podId, netns, ifName, args: podCniArgs(req), capabilityArgs: podCapabilityArgs(req.portMappings, req.dns, req.cgroupParent, req.capabilities) };
    validateRuntimeConf(rt);
    return rt;
  }

  private target(req: PodIdentity): string {
    return `pod ${req.podNamespace}/${req.podName} (sandbox ${req.podId.slice(0, 12)})`;
  }

  async setUp(req: PodNetworkRequest): Promise<PodNetworkSetup> {
    return await this.podLocks.run(req.podId, async () => {
      const status = await this.refresh();
      const network = this.state?.load.network?.config;
      if (!status.ready || !network) throw new UnavailableError(`cannot set up the network of ${this.target(req)}: ${status.message}`);
      if (!(await exists(req.netns))) throw new InvalidParameterError(`cannot set up the network of ${this.target(req)}: its network namespace ${req.netns} does not exist`);
      const target = this.target(req);
      const started: Array<{ list: CniNetworkConfig; rt: CniRuntimeConf }> = [];
      let result: CniResult | undefined;
      try {
        // `lo` and the pod network are apart (their own interfaces): both ADDs run at once.
        const adds = ([[LOOPBACK, 'lo'], [network, POD_IFNAME]] as const).map(async ([list, ifName]) => {
          const rt = this.runtimeConf(req, ifName, req.netns);
          started.push({ list, rt });
          const added = await addNetworkList(this.inv, list, rt, target);
          await this.cache.write({ containerId: rt.containerId, ifName, networkName: list.name, netns: rt.netns, config: list.listJson, cniArgs: rt.args, capabilityArgs: rt.capabilityArgs, result: added.raw });
          return added;
        });
        const settled = await Promise.allSettled(adds);
        for (const s of settled) if (s.status === 'rejected') throw s.reason;
        result = (settled[1] as PromiseFulfilledResult<CniResult>).value;
      } catch (err) {
        // As containerd does for a sandbox whose network failed: undo what ran, so no address or rule leaks.
        for (const { list, rt } of started.reverse()) {
          const cached = await this.cache.read(list.name, rt.containerId, rt.ifName);
          await delNetworkList(this.inv, list, rt, cached?.result, target)
            .then(() => this.cache.remove(list.name, rt.containerId, rt.ifName))
            .catch((e: unknown) => this.opts.log?.warn({ err: e, sandbox: req.podId, network: list.name }, 'CNI DEL after a failed ADD failed'));
        }
        throw err;
      }
      return { ips: podIps([result!], POD_IFNAME), network: network.name, interface: POD_IFNAME, result: result! };
    });
  }

  /**
   * DEL of every attachment cached for the sandbox (pod network first, loopback last), with its
   * ADD's config, CNI_ARGS and capability arguments: port mappings removed need the ones added. With
   * no cache for the current network (an ADD that died before caching), DEL runs with the current
   * config, which plugins take as a no-op when they hold nothing. The first failure is thrown after
   * every attachment was tried; a failed attachment keeps its cache for the next try.
   */
  async tearDown(req: PodNetworkRequest): Promise<void> {
    await this.podLocks.run(req.podId, async () => {
      // An unreadable config dir must not stop a teardown: the cache has what DEL needs.
      await this.refresh().catch(() => undefined);
      // The spec lets DEL run without a namespace when it is gone; plugins then release what is outside it.
      const netns = (await exists(req.netns)) ? req.netns : '';
      const cached = await this.cache.attachmentsOf(req.podId);
      const current = this.state?.load.network?.config;
      const plans: Array<() => DelPlan> = cached.sort((x, y) => Number(x.ifName === 'lo') - Number(y.ifName === 'lo')).map((a) => () => this.planFromCache(req, a, netns, current));
      if (current && !cached.some((a) => a.ifName === POD_IFNAME)) plans.unshift(() => ({ list: current, rt: this.runtimeConf(req, POD_IFNAME, netns), prev: undefined }));
      let first: unknown;
      for (const plan of plans) {
        try {
          const { list, rt, prev } = plan();
          await delNetworkList(this.inv, list, rt, prev, this.target(req));
          await this.cache.remove(list.name, rt.containerId, rt.ifName);
        } catch (err) {
          first ??= err;
          this.opts.log?.warn({ err, sandbox: req.podId }, 'CNI DEL failed');
        }
      }
      if (first !== undefined) throw first;
    });
  }

  private planFromCache(req: PodNetworkRequest, a: CachedAttachment, netns: string, current: CniNetworkConfig | undefined): DelPlan {
    let list: CniNetworkConfig | undefined;
    try {
      list = parseConfList(a.config, `the cached config of network "${a.networkName}"`);
    } catch {
      // A cache whose config no longer parses (Berth never writes one): the network's config of now.
      list = [LOOPBACK, current].find((l) => l?.name === a.networkName);
      if (!list) throw new UnavailableError(`cannot tear down network "${a.networkName}" of ${this.target(req)}: its cached config does not parse and no config of that name is in ${this.confDir}`);
    }
    // libcni's GetNetworkListCachedConfig: the ADD's CNI_ARGS and capability arguments win.
    const rt = { ...this.runtimeConf(req, a.ifName, netns), ...(a.cniArgs.length ? { args: a.cniArgs } : {}), capabilityArgs: a.capabilityArgs };
    return { list, rt, prev: a.result };
  }

  /** CHECK of the pod network (spec 0.4.0 on): throws what a plugin finds wrong. */
  async check(req: PodNetworkRequest): Promise<void> {
    await this.podLocks.run(req.podId, async () => {
      for (const a of await this.cache.attachmentsOf(req.podId)) {
        const { list, rt, prev } = this.planFromCache(req, a, req.netns, this.state?.load.network?.config);
        await checkNetworkList(this.inv, list, rt, prev, this.target(req));
      }
    });
  }
}
