import { existsSync } from 'node:fs';
import { rootlessChildInfo } from './rootless.js';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { atomicWriteFile } from '../core/atomic-write.js';
import { lazy } from '../core/lazy.js';
import { HeapCompactor, IdleTrimmer, QuietRunner } from '../core/idle-trimmer.js';
import { hostAddon } from '../drivers/host/host-addon.js';
import { poolSha256 } from '../drivers/host/host-hash.js';
import { runProgram } from '../drivers/host/host-spawn.js';
import { installNativeOps } from '../core/native-ops.js';
import type { Logger } from '../core/logger.js';
import { createApiServer } from '../api/server.js';
import { buildRoutes } from '../api/route-table.js';
import { buildkitProtocolsPresent } from '../api/buildkit/descriptor-path.js';
import { useUserOverlayXattrs } from '../drivers/fs-tree/read-xattrs.js';
import { chooseSnapshotter } from '../drivers/snapshotter/choose-snapshotter.js';
import { ImageService } from '../engine/images/image-service.js';
import { SystemService } from '../engine/system/system-service.js';
import { ContentStore } from '../store/content/content-store.js';
import { ImageStore } from '../store/metadata/image-store.js';
import { ReferenceStore } from '../store/metadata/reference-store.js';
import { LayerStore } from '../store/layers/layer-store.js';
import { DataRootLock } from './data-root-lock.js';
import { RuntimeCatalog } from '../drivers/runtime/runtime-catalog.js';
import { ContainerStore } from '../store/metadata/container-store.js';
import type { ContainerRecord } from '../engine/containers/container-types.js';
import { ContainerRegistry } from '../engine/containers/container-registry.js';
import { ProcessOwners } from '../engine/system/process-owners.js';
import { ContainerService } from '../engine/containers/container-service.js';
import { ExecService } from '../engine/containers/exec-service.js';
import { VolumeStore } from '../store/metadata/volume-store.js';
import { VolumeService } from '../engine/volumes/volume-service.js';
import { volumeUsage } from '../engine/containers/container-mounts.js';
import { diskUsage } from '../engine/system/disk-usage.js';
import { undelegatedSupport } from '../engine/containers/limits/host-limits.js';
import { readHostFacts } from '../engine/system/host-facts.js';
import { findInitBinary } from './init-binary.js';
import type { DaemonOptions } from './daemon-options.js';
import { listenAll, listenDashboard } from './api-listeners.js';
import { EventJournal } from '../store/events/event-journal.js';
import { EventService } from '../engine/events/event-service.js';
import { HealthMonitor } from '../engine/containers/health/health-monitor.js';
import { fixedBindings } from '../engine/networks/published-ports.js';
import { Listeners } from '../core/listeners.js';
import type { Digest } from '../core/digest.js';
import { RemovedContainers } from '../engine/removed/removed-containers.js';
import { RemovedStore } from '../store/removed/removed-store.js';
import type { RemovedRecord } from '../engine/containers/removed-record.js';
import { buildNetworking } from './networking.js';

export interface RunningDaemon {
  stop(): Promise<void>;
  /** The configuration was reloaded (SIGHUP): docker's daemon `reload` event. */
  reloaded(attributes: Record<string, string>): void;
}

/** A heap grown by this much since the last compaction (a burst: 100 starts, a big pull) is worth one. */
const COMPACT_AFTER_GROWTH = 16 * 1024 * 1024;
const COMPACT_GAP_MS = 60_000;

/**
 * What berthd does when its API goes quiet:
 * - glibc keeps what a burst of streaming freed (megabytes, pinned by a few live allocations
 *   between freed buffers): it goes back once the API is idle (drivers/host/host-addon.ts).
 * - V8 keeps the heap a burst grew to: starting 1,000 containers left berthd at 145-170 MiB
 *   after a plain full collection, where a daemon started with the same 1,000 running holds 80.
 *   5 s after the last request, V8's last-resort collection gives it back (HeapCompactor; bin/berthd
 *   passes --expose-gc; without it, nothing runs): 83 MiB.
 */
function apiQuietWork(): { busy(): void; idle(): void } {
  const gc = (globalThis as { gc?: (opts: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void }).gc;
  const compactor = gc
    ? new HeapCompactor(() => {
        gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
        hostAddon().trim();
      }, () => getHeapStatistics().total_heap_size, COMPACT_AFTER_GROWTH, COMPACT_GAP_MS)
    : undefined;
  const parts = [new IdleTrimmer(() => hostAddon().trim(), 100), ...(compactor ? [new QuietRunner(() => compactor.maybeCompact(), 5000)] : [])];
  return {
    busy: () => {
      compactor?.busy();
      parts.forEach((p) => p.busy());
    },
    idle: () => parts.forEach((p) => p.idle()),
  };
}

/**
 * The composition root: builds stores, drivers, services and the API, then listens.
 * `paths.uiAssets`: the built dashboard (dist/ui), found by the entry point that knows where it was installed.
 */
export async function startDaemon(opts: DaemonOptions, log: Logger, paths: { uiAssets: string }): Promise<RunningDaemon> {
  // Host programs (the runtime, nft, ip, mount…) start by posix_spawn, not a fork of this heap;
  // files are written atomically and trees removed in one pool task each (core/native-ops.ts).
  installNativeOps({ runProgram, atomicWrite: (...a) => hostAddon().atomicWrite(...a), removeTree: (path) => hostAddon().removeTree(path), ...(hostAddon().sha256Available() ? { sha256: poolSha256 } : {}) });
  if (process.getuid?.() !== 0) log.warn('berthd is not running as root: containers, mounts and networks will fail');
  else if (rootlessChildInfo()) log.info({ dataRoot: opts.dataRoot, execRoot: opts.execRoot }, 'rootless: running in a user namespace of the calling user');
  await mkdir(opts.dataRoot, { recursive: true, mode: 0o710 });
  await mkdir(opts.execRoot, { recursive: true, mode: 0o700 });
  const lock = new DataRootLock(opts.dataRoot);
  await lock.acquire();
  const cleanups: Array<() => Promise<void>> = [() => lock.release()];
  try {
    const image = join(opts.dataRoot, 'image');
    const content = new ContentStore(join(opts.dataRoot, 'content'));
    const images = new ImageStore(join(image, 'images'));
    const refs = new ReferenceStore(join(image, 'repositories.json'));
    const layers = new LayerStore(join(image, 'layers'));
    for (const store of [content, images, refs, layers]) await store.init();
    // LastTagTime refreshes still in memory reach the disk before the daemon stops.
    cleanups.push(() => images.flush());
    // Rootless: overlay in a user namespace takes its xattrs in user.overlay.* (mounted userxattr).
    if (rootlessChildInfo()) useUserOverlayXattrs();
    const snapshotter = await chooseSnapshotter(opts.dataRoot, opts.storageDriver, (msg) => log.warn(msg));
    log.info({ driver: snapshotter.name }, 'storage driver ready');

    const events = new EventService(new EventJournal(join(opts.dataRoot, 'events')), log);
    cleanups.push(async () => events.close());
    const runtimes = new RuntimeCatalog(opts.execRoot, opts.defaultRuntime, (msg) => log.warn(msg), undefined, rootlessChildInfo() !== undefined);
    await runtimes.init();
    cleanups.push(() => runtimes.close());
    const containerStore = new ContainerStore<ContainerRecord>(join(opts.dataRoot, 'containers'));
    await containerStore.init();
    const facts = await readHostFacts();
    // Rootless: no cgroup is delegated to the user on this kind of host (v1 or hybrid; a v2
    // delegated subtree is not used yet), so containers get no cgroup and limits are discarded.
    const rootless = rootlessChildInfo() !== undefined;
    if (rootless) facts.limits.cgroups = undelegatedSupport(facts.limits.cgroups);
    const registry = new ContainerRegistry(containerStore);
    // Each image stored: heard by the disk budget, which is built last (and only with a budget).
    const imageAdded = new Listeners<[Digest]>();
    const imageService = new ImageService({ content, images, refs, layers, snapshotter, log, usage: registry, publish: events.publish, onAdded: (id) => imageAdded.emit(id) });
    // Before containers load: a removal a crash interrupted keeps its record when it is finished.
    const removed = new RemovedContainers(new RemovedStore<RemovedRecord>(join(opts.dataRoot, 'removed')), opts.keepRemoved, log, events.publish);
    await removed.init();
    cleanups.push(async () => removed.close());
    const networking = await buildNetworking(opts, registry, log, events.publish);
    cleanups.push(() => networking.networks.dns.closeAll());
    cleanups.push(async () => networking.networks.guard.close());
    cleanups.push(async () => networking.networks.firewall.close());
    // Veth deletions a removal left to the kernel end before the daemon does.
    cleanups.push(() => networking.endpoints.settled());
    const volumes = new VolumeService(new VolumeStore(join(opts.dataRoot, 'volumes')), log, { usage: () => volumeUsage(registry.all()), publish: events.publish });
    await volumes.init();
    // Kubernetes' pod sandboxes, before the containers that join them (daemon/cri-wiring.ts).
    const cri = opts.cri ? await import('./cri-wiring.js') : undefined;
    const pods = cri && opts.cri ? await cri.startPodSandboxes({ dataRoot: opts.dataRoot, execRoot: opts.execRoot, cgroupParent: opts.cgroupParent, cniConfDir: opts.cri.cniConfDir, cniBinDirs: opts.cri.cniBinDirs, runtimes, log }) : undefined;
    const execs = new ExecService({ registry, runtimes, snapshotter, execRoot: opts.execRoot, log, events: events.publish, capabilities: facts.limits.security.capabilities });
    // Health actions (--health-on-failure) act through the container service, built next.
    const health = new HealthMonitor({ registry, execs, log, events: events.publish, onUnhealthy: (id) => containers.actOnUnhealthy(id) });
    cleanups.push(async () => health.stopAll());
    const containers = new ContainerService({
      registry,
      images: imageService,
      volumes,
      snapshotter,
      runtimes,
      dataRoot: opts.dataRoot,
      execRoot: opts.execRoot,
      host: { cgroupParent: opts.cgroupParent, kernelRelease: facts.kernel, initBinary: await findInitBinary(), limits: facts.limits, rootless },
      log,
      events: events.publish,
      endpoints: networking.endpoints,
      hostGateway: () => networking.networks.hostGateway(),
      portWarnings: (bindings) => networking.networks.firewall.warnings(fixedBindings(bindings)),
      logOpts: opts.logOpts,
      keepRemoved: (r, by) => removed.keep(r, by),
      onStarted: (r, restored) => health.follow(r, restored),
      onExited: (r) => health.stop(r.Id),
      onRemoved: (id) => execs.forgetContainer(id),
      ...(pods ? { sandboxes: { running: (id: string) => pods.sandboxes.sandbox(id) } } : {}),
    });
    // Features an idle daemon does not use are loaded on first use (core/lazy.ts).
    const changes = lazy(async () => new (await import('../engine/rootfs/container-changes.js')).ContainerChanges({ containers, images: imageService, content, snapshotter, log }));
    // Restores containers and starts those whose restart policy says so (host reboot) through the
    // normal start path: whatever start needs (volumes, networks) must be ready before this.
    await containers.init();
    // A crash mid-load or mid-delete can leave blobs and layers nobody references.
    await imageService.gc();
    const archives = lazy(async () => new (await import('../engine/images/image-archives.js')).ImageArchives({ images: imageService, content }));
    const distribution = lazy(async () => {
      const [{ DistributionService }, { RegistryHostsDir }] = await Promise.all([import('../engine/images/distribution/distribution-service.js'), import('../engine/images/distribution/registry-hosts-dir.js')]);
      return new DistributionService({ images: imageService, content, settings: { insecureRegistries: opts.insecureRegistries, mirrors: opts.registryMirrors, hostsDir: new RegistryHostsDir(opts.registryHostsDir) } });
    });
    const system = new SystemService(
      {
        dataRoot: opts.dataRoot,
        execRoot: opts.execRoot,
        defaultRuntime: runtimes.defaultName,
        runtimes: runtimes.paths(),
        debug: opts.debug,
        startedAt: new Date(),
        pid: process.pid,
      },
      imageService,
      {
        containerCounts: async () => containers.queries.counts(),
        diskUsage: () => diskUsage({ images: imageService, containers, volumes, volumeUsers: () => volumeUsage(registry.all()), dataRoot: opts.dataRoot, driver: snapshotter.name, buildCache: async () => (await builds()).usage() }),
        warnings: () => [...runtimes.warnings(), ...networking.networks.guard.warnings().map((w) => `WARNING: ${w}`)],
        insecureRegistries: opts.insecureRegistries,
        registryMirrors: opts.registryMirrors,
        facts,
      },
    );

    const builds = lazy(async () => new (await import('../engine/build/build-service.js')).BuildService({ containers, images: imageService, content, snapshotter, log, dir: join(opts.dataRoot, 'build') }));
    const plugins = lazy(async () => {
      const service = new (await import('../engine/plugins/plugin-service.js')).PluginService(join(opts.dataRoot, 'plugins'));
      await service.init();
      return service;
    });
    // BuildKit's API (buildx, compose) on Berth's builder; its gRPC code loads on the first request.
    let buildkitEndpoint: { close(): void } | undefined;
    const buildkit = buildkitProtocolsPresent()
      ? lazy(async () => {
          const ep = new (await import('../api/buildkit/endpoint.js')).BuildkitEndpoint(builds, log);
          buildkitEndpoint = ep;
          return ep;
        })
      : undefined;
    // The disk budget (off unless configured): engine/system/storage-budget.ts.
    const budget = opts.storageBudget ? await (await import('../engine/system/budget-wiring.js')).startStorageBudget({ spec: opts.storageBudget, dataRoot: opts.dataRoot, images: imageService, imageAdded, builds, events, removed, containerImage: (id) => registry.find(id)?.Image, log }) : undefined;
    if (budget) cleanups.push(() => budget.stop());
    if (!buildkit) log.warn('BuildKit protocol definitions missing from this build (dist/protos): serving the legacy builder only; rebuild with network access to the Go module proxy');
    cleanups.push(async () => buildkitEndpoint?.close());
    // Contexts of builds (and BuildKit solves) a crash interrupted.
    await rm(join(opts.dataRoot, 'build', 'contexts'), { recursive: true, force: true });
    await rm(join(opts.dataRoot, 'build', 'solves'), { recursive: true, force: true });
    let dashboardAccess: { url: string; token: string } | undefined;
    const routes = buildRoutes({ system, images: imageService, archives, containers, execs, changes, volumes, events, networks: networking.api, distribution, builds, plugins, buildkit, processes: new ProcessOwners(() => registry.all()), removed, budget, dashboard: () => dashboardAccess });
    cleanups.push(async () => containers.sampler.close());
    const server = createApiServer({
      routes,
      log,
      serverName: 'Berth/0.1.0 (linux)',
      activity: apiQuietWork(),
    });
    // Before the socket answers, so that whoever sees the daemon up also finds its pidfile.
    await atomicWriteFile(opts.pidfile, `${process.pid}\n`);
    cleanups.push(() => rm(opts.pidfile, { force: true }));
    // Rootless containers live in this daemon's namespaces (their network hangs on its netns and
    // slirp4netns), which end with it, and the next daemon's user namespace could not adopt them:
    // they end first, as dockerd's do without live-restore. Their records stay running, so the
    // next start sees them exited and applies their restart policies, as after a reboot.
    if (rootless) cleanups.push(() => endRootlessContainers(registry.all().filter((r) => r.State.Running), runtimes, log));
    const listeners = await listenAll(server, opts, log);
    if (opts.ui) {
      // Loaded only when asked for: a daemon without --ui carries none of it.
      const { loadOrCreateToken } = await import('../api/dashboard/ui-token.js');
      const { createDashboardServer } = await import('../api/dashboard/dashboard-server.js');
      const token = await loadOrCreateToken(opts.dataRoot);
      const dashboard = await createDashboardServer({ token, assetsDir: paths.uiAssets, routes, services: { containers, events }, log, secure: opts.ui.tls !== undefined });
      const listener = await listenDashboard(dashboard, opts.ui, log).catch(async (err: unknown) => {
        for (const l of listeners) await l.close().catch(() => undefined);
        throw err;
      });
      listeners.push(listener);
      dashboardAccess = { url: listener.url, token };
    }
    if (cri && pods && opts.cri) {
      const criServer = await cri.startCriServer({
        socket: opts.cri.socket,
        dataRoot: opts.dataRoot,
        sandboxes: pods.sandboxes,
        network: pods.network,
        containers,
        registry,
        execs,
        images: imageService,
        distribution,
        host: { cgroupParent: opts.cgroupParent, kernelRelease: facts.kernel, initBinary: undefined, limits: facts.limits },
        snapshotterName: snapshotter.name,
        runtimeName: runtimes.defaultName,
        log,
      });
      listeners.push({ close: () => criServer.close() });
    }
    return {
      async stop() {
        await Promise.all(listeners.map((l) => l.close()));
        for (const c of cleanups.reverse()) await c().catch(() => undefined);
      },
      reloaded(attributes) {
        events.publish({ type: 'daemon', action: 'reload', id: 'berthd', attributes: { name: hostname(), ...attributes } });
      },
    };
  } catch (err) {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    throw err;
  }
}

/** SIGTERM to each container's init, SIGKILL to those alive after their stop timeout (at most 10 s). */
async function endRootlessContainers(running: ContainerRecord[], runtimes: RuntimeCatalog, log: Logger): Promise<void> {
  const alive = (pid: number): boolean => pid > 0 && existsSync(`/proc/${pid}`);
  await Promise.all(running.map(async (r) => {
    const runtime = runtimes.runtime(r.HostConfig.Runtime);
    await runtime.kill(r.Id, r.Config.StopSignal ?? 'SIGTERM').catch(() => undefined);
    const until = Date.now() + Math.min(r.Config.StopTimeout ?? 10, 10) * 1000;
    while (alive(r.State.Pid) && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
    if (alive(r.State.Pid)) await runtime.kill(r.Id, 'SIGKILL').catch((err: unknown) => log.warn({ err, id: r.Id }, 'cannot end a rootless container at shutdown'));
  }));
}
