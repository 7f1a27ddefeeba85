import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { phaseTimer } from '../../core/phase-timer.js';
import { ConflictError, InvalidParameterError, NotFoundError, SystemError } from '../../core/errors.js';
import { removeTree } from '../../core/native-ops.js';
import { registerLinks } from './legacy-links.js';
import { newId, shortId } from '../../core/ids.js';
import type { Snapshotter } from '../../drivers/snapshotter/snapshotter.js';
import type { RuntimeCatalog } from '../../drivers/runtime/runtime-catalog.js';
import { topLayerId } from '../../core/digest.js';
import type { VolumeService } from '../volumes/volume-service.js';
import { adaptSharedNamespaces, removeShm } from './shared-namespaces.js';
import { ensureVolumes, planMounts, removeVolumes } from './container-mounts.js';
import { prepareMounts } from './mount-setup.js';
import type { ImageService } from '../images/image-service.js';
import type { Filters } from '../../core/filters.js';
import { parseUntil } from '../images/image-service.js';
import { ContainerLifecycle, type LifecycleDeps } from './container-lifecycle.js';
import { runDir, type PodSandboxes } from './start-bundle.js';
import { ContainerQueries } from './container-queries.js';
import { StatsSampler } from './stats-sampler.js';
import type { ContainerRegistry } from './container-registry.js';
import { containerMatches } from './container-filters.js';
import { initialState, type ContainerRecord, type PodMembership } from './container-types.js';
import { containerSizes } from './container-size.js';
import { resolveCreate, validateName, type CreateRequest } from './create-request.js';
import { ExitNotifier, type WaitCondition } from './exit-notifier.js';
import { AttachHub } from './attach-hub.js';
import { randomName } from './name-generator.js';
import { recordCgroupPath, type HostSpecFacts } from './spec-input.js';
import { checkCreateHostConfig } from './limits/create-checks.js';
import { updateContainer, type UpdateRequest } from './limits/container-update.js';
import type { Logger } from '../../core/logger.js';
import type { Socket } from 'node:net';
import type { ContainerEndpoints } from '../networks/container-endpoints.js';
import type { PublishEvent } from '../events/event-types.js';
import { publishContainerEvent } from '../events/container-events.js';
import { logPathFor } from './log-paths.js';
import { parseSignal } from './signals.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long a SIGKILL waits for the container to stop before the API answers anyway. */
const KILL_WAIT_MS = 10_000;
/** The `reason` attribute of the events of what --health-on-failure does. */
const UNHEALTHY = 'unhealthy';
/** The `reason` of the kill of a forced removal (`rm -f` of a running container). */
const REMOVED = 'removed';
import { validateRestartPolicy } from './restart-policy.js';
import type { RemovedBy } from './removed-record.js';
import { healthOnFailure } from '../../core/health-on-failure.js';
import { isoTime } from '../../core/utc-time.js';
import { assertCan } from './container-state.js';
import { runLimited } from '../../core/run-limited.js';
import { settleAll } from '../../core/settle-all.js';

/** `rm` of a running container without force; the API words it as dockerd of the client's version does. */
export class RemoveRunningError extends ConflictError {
  constructor(readonly containerId: string, readonly containerName: string, readonly paused: boolean) {
    super(`cannot remove container "${containerName}": container is ${paused ? 'paused' : 'running'}: stop the container before removing or force remove`);
  }

  /** dockerd before 25 (API 1.44) said it so; docker-py 5 matches "You cannot remove ". */
  legacyMessage(): string {
    return this.paused
      ? `You cannot remove a paused container ${this.containerId}. Unpause and then stop the container before attempting removal or force remove`
      : `You cannot remove a running container ${this.containerId}. Stop the container before attempting removal or force remove`;
  }
}

export interface ContainerServiceDeps {
  registry: ContainerRegistry;
  images: ImageService;
  volumes: VolumeService;
  snapshotter: Snapshotter;
  runtimes: RuntimeCatalog;
  dataRoot: string;
  execRoot: string;
  host: HostSpecFacts;
  log: Logger;
  events?: PublishEvent;
  endpoints: ContainerEndpoints;
  /** `--add-host x:host-gateway` points here. */
  hostGateway: () => string;
  /** The daemon's json-file log options (`berthd --log-opt`), merged into each new container's. */
  logOpts?: Readonly<Record<string, string>>;
  /** What the host firewall will keep from other hosts of these published ports (create's warnings). */
  portWarnings?: (portBindings: Record<string, unknown> | null | undefined) => Promise<string[]>;
  /** Keeps the record of a container being removed (engine/removed), before its files go. */
  keepRemoved?: (r: ContainerRecord, by: RemovedBy) => Promise<void>;
  /** After each start (`restored`: found running at daemon start) and each exit: health checks follow these. */
  onStarted?: (r: ContainerRecord, restored: boolean) => void;
  onExited?: (r: ContainerRecord) => void;
  /** After a container is gone (its execs are forgotten). */
  onRemoved?: (id: string) => void;
  /** The pod sandboxes (CRI) that pod containers join at start. */
  sandboxes?: PodSandboxes;
}

/** Who asks for a change: `pod` is the CRI (the kubelet), the one caller that may change a pod's containers. */
export interface Caller {
  pod?: boolean;
}

/** What the CRI adds to a create: the pod the container belongs to and its log file. */
export interface PodCreateOptions {
  membership: PodMembership;
  /** The kubelet's log path (absolute), written in the CRI format; none when empty. */
  logPath: string;
}

/** How many containers a daemon start adopts at once. */
const RESTORE_CONCURRENCY = 32;

/** The container service: what `docker create/start/stop/rm/ps/inspect/wait…` do. */
export class ContainerService {
  readonly notifier = new ExitNotifier();
  readonly attachHub = new AttachHub();
  /** Containers whose --health-on-failure action is under way: a user's start, stop, kill or restart waits for it. */
  private readonly healthActions = new Map<string, Promise<void>>();

  readonly lifecycle: ContainerLifecycle;
  /** list, inspect, top, stats and counts: what reads containers without changing them. */
  readonly queries: ContainerQueries;
  /** One stats sampler per watched container, shared by the stats stream and the dashboard. */
  readonly sampler: StatsSampler;

  constructor(private readonly d: ContainerServiceDeps) {
    const deps: LifecycleDeps = {
      registry: d.registry,
      snapshotter: d.snapshotter,
      runtimes: d.runtimes,
      notifier: this.notifier,
      execRoot: d.execRoot,
      host: d.host,
      log: d.log,
      attach: this.attachHub,
      autoRemove: (id) => this.remove(id, { force: true, volumes: true, by: 'auto-remove' }),
      restartContainer: async (id) => {
        const r = this.get(id);
        await this.prepareVolumes(r);
        await this.d.registry.exclusive(r.Id, () => this.lifecycle.start(r));
      },
      ...(d.events ? { events: d.events } : {}),
      endpoints: d.endpoints,
      hostGateway: d.hostGateway,
      ...(d.sandboxes ? { sandboxes: d.sandboxes } : {}),
      ...(d.onStarted ? { onStarted: d.onStarted } : {}),
      ...(d.onExited ? { onExited: d.onExited } : {}),
    };
    this.lifecycle = new ContainerLifecycle(deps);
    this.queries = new ContainerQueries(d);
    this.sampler = new StatsSampler({ sample: (id, prev) => this.queries.stats(id, prev), isRunning: (id) => d.registry.find(id)?.State.Running === true });
  }

  /** Loads records, sweeps half-made containers, and re-attaches to those still running. */
  async init(): Promise<void> {
    const releaseRestarts = this.lifecycle.restarts.holdBootRestarts();
    try {
      await this.loadAndRestore();
    } finally {
      releaseRestarts();
    }
  }

  private async loadAndRestore(): Promise<void> {
    for (const orphan of await this.d.registry.load()) {
      this.d.log.warn({ id: orphan }, 'removing a container whose create did not finish');
      await this.d.snapshotter.removeRootfs(orphan).catch(() => undefined);
      await rm(join(this.d.dataRoot, 'containers', orphan), { recursive: true, force: true });
    }
    const adopt: ContainerRecord[] = [];
    const autoRemove: ContainerRecord[] = [];
    for (const r of this.d.registry.all()) {
      if (r.State.Status === 'removing') {
        // A removal a crash interrupted is finished, never shown as a container with half a rootfs.
        this.d.log.warn({ id: r.Id }, 'finishing the removal of a container');
        await this.keepRecord(r, 'user');
        await this.d.runtimes.runtime(r.HostConfig.Runtime).delete(r.Id).catch(() => undefined);
        await this.d.snapshotter.removeRootfs(r.Id).catch((err: unknown) => this.d.log.error({ err, id: r.Id }, 'removing the rootfs failed'));
        await this.d.registry.forget(r);
        publishContainerEvent(this.d.events, r, 'destroy');
        continue;
      }
      // As dockerd's restore: an AutoRemove container that is not running goes (one that still
      // runs, or exited while the daemon was down, goes through its exit as usual).
      if (r.HostConfig.AutoRemove && !r.State.Running) autoRemove.push(r);
      else adopt.push(r);
    }
    // Each container is adopted on its own (its monitor, exit file and ports): side by side, a
    // thousand are back in well under a second instead of one thread-pool round trip after another.
    await runLimited(adopt, RESTORE_CONCURRENCY, (r) => this.lifecycle.restore(r).catch((err: unknown) => this.d.log.error({ err, id: r.Id }, 'restoring container failed')));
    // Namespaces, veths, leases and rules a crash left behind go; running containers keep theirs.
    await this.d.endpoints.reconcile(this.d.registry.all()).catch((err: unknown) => this.d.log.error({ err }, 'reconciling networking failed'));
    for (const r of autoRemove) {
      this.d.log.warn({ id: r.Id }, 'removing an --rm container that is not running');
      await this.remove(r.Id, { force: true, volumes: true, by: 'auto-remove' }).catch((err: unknown) => this.d.log.error({ err, id: r.Id }, 'auto-remove failed'));
    }
  }

  get(ref: string): ContainerRecord {
    return this.d.registry.get(ref);
  }

  /** The container, or undefined when there is none by that name or ID. */
  find(ref: string): ContainerRecord | undefined {
    return this.d.registry.find(ref);
  }

  async create(body: CreateRequest, name: string | undefined, pod?: PodCreateOptions): Promise<{ Id: string; Warnings: string[] }> {
    // Each create's phases go to the debug log, as a start's: it is in every `docker run`'s latency.
    const { mark, phases } = phaseTimer();
    const imageName = typeof body.Image === 'string' ? body.Image : '';
    const image = await this.d.images.resolve(imageName);
    mark('image');
    const resolved = resolveCreate(body, imageName, image.config, this.d.logOpts);
    adaptSharedNamespaces(resolved.hostConfig, (ref) => this.d.registry.find(ref));
    this.d.runtimes.runtime(resolved.hostConfig.Runtime);
    const limits = this.d.host.limits;
    const warnings = await checkCreateHostConfig(resolved.hostConfig, limits.cgroups, limits.security);
    warnings.push(...((await this.d.portWarnings?.(resolved.hostConfig.PortBindings)) ?? []));
    const mounts = planMounts(body.HostConfig ?? {}, resolved.config.Volumes, (ref) => this.get(ref));
    const networking = this.d.endpoints.plan(resolved.hostConfig.NetworkMode, body.NetworkingConfig, typeof body.MacAddress === 'string' ? body.MacAddress : undefined);
    const legacyLinks = registerLinks(resolved.hostConfig, (ref) => this.d.registry.find(ref));
    const id = newId();
    let fullName: string;
    if (name) fullName = validateName(name);
    else {
      let retry = 0;
      do fullName = `/${randomName(retry++)}`;
      while (this.d.registry.hasName(fullName));
    }
    this.d.registry.reserveName(fullName, id);
    mark('checked');
    const dir = join(this.d.dataRoot, 'containers', id);
    let newVolumes: string[] = [];
    try {
      newVolumes = await ensureVolumes(mounts, this.d.volumes);
      await mkdir(dir, { recursive: true, mode: 0o710 });
      mark('volumes');
      await this.d.snapshotter.createRootfs(id, topLayerId(image.record.layers));
      mark('rootfs');
      if (resolved.config.Hostname === '') resolved.config.Hostname = shortId(id);
      const record: ContainerRecord = {
        Id: id,
        Created: isoTime(),
        Name: fullName,
        Path: resolved.path,
        Args: resolved.args,
        Config: resolved.config,
        // Links live resolved in LegacyLinks; inspect shows them from there, as dockerd's link index.
        HostConfig: { ...resolved.hostConfig, Links: null, Runtime: resolved.hostConfig.Runtime || this.d.runtimes.defaultName },
        Image: image.id,
        State: initialState(),
        Driver: this.d.snapshotter.name,
        RestartCount: 0,
        LogPath: pod ? pod.logPath : logPathFor(dir, id, resolved.hostConfig.LogConfig.Type),
        ResolvConfPath: join(dir, 'resolv.conf'),
        HostnamePath: join(dir, 'hostname'),
        HostsPath: join(dir, 'hosts'),
        ExecIDs: null,
        Mounts: mounts,
        NetworkSettings: networking,
        ...(legacyLinks.length > 0 ? { LegacyLinks: legacyLinks } : {}),
        ...(pod ? { Pod: pod.membership } : {}),
      };
      await this.d.registry.save(record);
      mark('saved');
      publishContainerEvent(this.d.events, record, 'create');
      this.d.log.debug({ id, ms: phases }, 'container created');
      return { Id: id, Warnings: warnings };
    } catch (err) {
      this.d.registry.releaseName(fullName, id);
      await removeVolumes(newVolumes, this.d.volumes);
      await this.d.snapshotter.removeRootfs(id).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Volumes that need a kernel mount of their own (tmpfs) get it before their container starts. */
  private async prepareVolumes(r: ContainerRecord): Promise<void> {
    const names = (r.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Name).map((m) => m.Name as string);
    await this.d.volumes.prepare(names);
  }

  /**
   * Runs `fn` under the container's lock, as the archive API on a container that is not running
   * does in docker: a start waits until `fn` is done with the rootfs and the volumes it bound
   * there. `fn` learns whether the container runs after all (a start that came first). New
   * volumes are made ready and filled from the image first (docker does that at create), and the
   * record saved, so that a later start copies nothing over what `fn` wrote.
   */
  async withFilesystem<T>(r: ContainerRecord, fn: (running: boolean) => Promise<T>): Promise<T> {
    await this.prepareVolumes(r);
    return await this.d.registry.exclusive(r.Id, async () => {
      if (r.State.Running) return await fn(true);
      if ((r.Mounts ?? []).some((m) => m.CopyUp === true || m.Type === 'bind')) {
        const rootfs = await this.d.snapshotter.mountRootfs(r.Id);
        await prepareMounts(r.Mounts ?? [], rootfs);
        await this.d.registry.save(r);
      }
      return await fn(false);
    });
  }

  /**
   * A Kubernetes pod's containers are the kubelet's: the Docker API shows them (ps, inspect, logs,
   * stats, top, exec for debugging) but does not change them, or the kubelet's view and the
   * container would part ways (a stopped container the kubelet thinks running, a renamed one it
   * cannot find). Only a caller that says `pod` (the CRI) changes them. One guard, here, so that
   * no path to these actions (routes, prune, the dashboard) can forget it.
   */
  private refusePod(r: ContainerRecord, by: Caller, action: string, crictl: string): void {
    if (!r.Pod || by.pod === true) return;
    throw new ConflictError(
      `container ${r.Name.slice(1)} belongs to Kubernetes pod sandbox ${r.Pod.SandboxId.slice(0, 12)} and is read-only through the Docker API: ${action} it through the CRI (the kubelet, or crictl ${crictl} ${r.Id.slice(0, 12)})`,
    );
  }

  async start(ref: string, by: Caller = {}): Promise<void> {
    const r = this.get(ref);
    this.refusePod(r, by, 'start', 'start');
    await this.afterHealthAction(r.Id);
    try {
      await this.prepareVolumes(r);
      await this.d.registry.exclusive(r.Id, () => {
        if (!r.State.Running || r.State.Restarting) this.lifecycle.restarts.reset(r);
        return this.lifecycle.start(r);
      });
    } catch (err) {
      // As docker: a --rm container that cannot start is removed (`run --rm` waits for that).
      if (r.HostConfig.AutoRemove && !r.State.Running) {
        await this.remove(r.Id, { force: true, volumes: true, by: 'auto-remove' }).catch((e: unknown) => this.d.log.warn({ err: e, id: r.Id }, 'auto-remove after a failed start failed'));
      }
      throw err;
    }
  }

  async stop(ref: string, opts: { timeout?: number; signal?: string } & Caller): Promise<void> {
    const r = this.get(ref);
    this.refusePod(r, opts, 'stop', 'stop');
    await this.afterHealthAction(r.Id);
    await this.lifecycle.stop(r, opts);
  }

  async restart(ref: string, opts: { timeout?: number; signal?: string }): Promise<void> {
    const r = this.get(ref);
    this.refusePod(r, {}, 'restart', 'stop');
    await this.afterHealthAction(r.Id);
    if (r.State.Running) await this.lifecycle.stop(r, opts);
    await this.prepareVolumes(r);
    await this.d.registry.exclusive(r.Id, () => {
      this.lifecycle.restarts.reset(r);
      return this.lifecycle.start(r);
    });
    publishContainerEvent(this.d.events, r, 'restart');
  }

  /**
   * Podman's --health-on-failure (the `berth.health-on-failure` label), once the container has
   * turned unhealthy. kill and stop are a user's (the restart policy does not bring it back, as
   * in podman); restart is a `docker restart` that keeps counting in RestartCount, so that a
   * container restarted over and over for its health shows it. Each event says `reason=unhealthy`.
   */
  async actOnUnhealthy(id: string): Promise<void> {
    const r = this.d.registry.find(id);
    // One action at a time: probes go on failing while a graceful stop waits for the process. Nor
    // while the user's stop does: the restart would bring back what they are stopping.
    if (!r || !r.State.Running || r.State.Restarting || this.healthActions.has(id) || this.lifecycle.beingStopped(id)) return;
    const action = healthOnFailure(r.Config.Labels);
    if (action === 'none') return;
    const done = this.healthAction(r, action).finally(() => this.healthActions.delete(id));
    this.healthActions.set(id, done);
    await done;
  }

  private async healthAction(r: ContainerRecord, action: 'kill' | 'restart' | 'stop'): Promise<void> {
    this.d.log.info({ id: r.Id, action }, 'the container is unhealthy: acting on its health-on-failure');
    if (action === 'kill') return await this.kill(r.Id, 'KILL', UNHEALTHY);
    await this.lifecycle.stop(r, { reason: UNHEALTHY });
    if (action === 'stop') return;
    await this.prepareVolumes(r);
    const restarted = await this.d.registry.exclusive(r.Id, async () => {
      if (r.State.Running) return false;
      r.HasBeenManuallyStopped = false;
      r.RestartCount++;
      await this.lifecycle.start(r);
      return true;
    });
    if (restarted) publishContainerEvent(this.d.events, r, 'restart', { reason: UNHEALTHY });
  }

  /**
   * The user's start, stop, kill or restart comes after a health action under way, not amid it:
   * a stop between its stop and its start would find nothing to stop, and then the container runs.
   */
  private async afterHealthAction(id: string): Promise<void> {
    await this.healthActions.get(id)?.catch(() => undefined);
  }

  /**
   * Sends the signal. SIGKILL (the default) returns once the container has stopped, as dockerd's
   * does: clients inspect or remove it right after (`rm` would otherwise meet a running container).
   */
  async kill(ref: string, signal: string | undefined, reason?: string): Promise<void> {
    const r = this.get(ref);
    // A kill with a reason is the engine's own (health-on-failure), never the Docker API's.
    if (!reason) {
      this.refusePod(r, {}, 'stop', 'stop');
      await this.afterHealthAction(r.Id);
    }
    const waits = r.State.Running && !r.State.Restarting && parseSignal(signal ?? 'KILL') === 'KILL';
    const stopped = waits ? this.notifier.watch(r.Id, 'not-running') : undefined;
    try {
      await this.lifecycle.kill(r, signal, reason);
      // Bounded: a client is never hung by a container that outlives SIGKILL (D state, a lost monitor).
      if (stopped) await Promise.race([stopped.done, sleep(KILL_WAIT_MS, undefined, { ref: false })]);
    } finally {
      stopped?.cancel();
    }
  }

  async pause(ref: string, paused: boolean, by: Caller = {}): Promise<void> {
    const r = this.get(ref);
    this.refusePod(r, by, paused ? 'stop' : 'start', paused ? 'stop' : 'start');
    await this.d.registry.exclusive(r.Id, () => this.lifecycle.pause(r, paused));
  }

  async remove(ref: string, opts: { force: boolean; volumes: boolean; by?: RemovedBy } & Caller): Promise<void> {
    const r = this.get(ref);
    this.refusePod(r, opts, 'remove', 'rm');
    if (r.State.Restarting && opts.force) await this.lifecycle.restarts.forget(r);
    if (r.State.Running) {
      if (!opts.force) {
        throw new RemoveRunningError(r.Id, r.Name.slice(1), r.State.Paused);
      }
      const exited = this.notifier.add(r.Id, 'not-running');
      if (r.State.Paused) await this.d.runtimes.runtime(r.HostConfig.Runtime).resume(r.Id).catch(() => undefined);
      // A kill of the user's (dockerd's rm -f sends one too, with its event), so the exit says why.
      await this.lifecycle.kill(r, 'KILL', REMOVED, true);
      await exited;
    }
    const { mark, phases } = phaseTimer();
    await this.d.registry.exclusive(r.Id, async () => {
      if (!this.d.registry.find(r.Id)) return;
      // The `removing` mark (a crash from here on is finished at the next start) and the kept
      // record are written as the runtime's state goes: nothing of the container's own is deleted
      // before both are on disk. A crash between them leaves a kept record beside a container still
      // there, whose removal at the next start keeps no second one.
      //
      // An AutoRemove container is the exception: one that is not running is removed at the next
      // start whatever its record says (as dockerd's restore does), so its rootfs, /dev/shm and
      // addresses go beside the mark and the kept record (4-5 ms of every `docker run --rm`).
      // Only its exec state waits for both: the monitor's exit.json there is what a restart
      // reads its exit from while the record on disk still says running.
      r.State = { ...r.State, Status: 'removing', Running: false, Restarting: false, Dead: true };
      const recorded = settleAll([
        this.d.runtimes.runtime(r.HostConfig.Runtime).delete(r.Id).catch(() => undefined),
        this.d.registry.save(r).then(() => mark('marked')),
        this.keepRecord(r, opts.by ?? 'user').then(() => mark('kept')),
      ]);
      // The files and the addresses do not depend on each other (the log the record copied goes
      // with the container's directory, last): side by side, their waits overlap.
      const files = (): Promise<unknown> => Promise.all([this.d.snapshotter.removeRootfs(r.Id), removeShm(this.d.execRoot, r.Id)]);
      const addresses = async (): Promise<void> => {
        await this.d.endpoints.detach(r, { removing: true }).catch((err: unknown) => this.d.log.warn({ err, id: r.Id }, 'network teardown failed'));
        await this.d.endpoints.release(r);
        mark('released');
      };
      const execState = (): Promise<void> => removeTree(runDir(this.d.execRoot, r.Id));
      if (r.HostConfig.AutoRemove) {
        await settleAll([recorded.then(execState), files().then(() => mark('files')), addresses()]);
      } else {
        await recorded;
        await settleAll([Promise.all([files(), execState()]).then(() => mark('files')), addresses()]);
      }
      if (opts.volumes) {
        // Anonymous volumes go with their container (`rm -v`), unless another container still uses them.
        const anonymous = (r.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Name && this.d.volumes.isAnonymous(m.Name)).map((m) => m.Name as string);
        for (const name of anonymous) await this.d.volumes.remove(name, false, r.Id).catch((err: unknown) => this.d.log.warn({ err, volume: name }, 'keeping an anonymous volume'));
      }
      // Journaled before the record goes (after the volumes' events, as dockerd orders them): a
      // kill -9 between the two is finished at the next start, which announces it again (at
      // least once, never lost).
      publishContainerEvent(this.d.events, r, 'destroy');
      await this.d.registry.forget(r);
      mark('forgotten');
    });
    this.d.log.debug({ id: r.Id, ms: phases }, 'container removed');
    this.attachHub.cancel(r.Id, new NotFoundError(`container ${r.Id} was removed`));
    this.d.onRemoved?.(r.Id);
    this.notifier.removed(r.Id, r.State.ExitCode);
  }

  /**
   * The removed container's record is kept before its files go; one that cannot be written (a
   * full disk) does not stop the removal, which may be what frees the disk.
   */
  private async keepRecord(r: ContainerRecord, by: RemovedBy): Promise<void> {
    await this.d.keepRemoved?.(r, by).catch((err: unknown) => this.d.log.error({ err, id: r.Id }, 'keeping the record of the removed container failed'));
  }

  /**
   * An attach (docker's ContainerAttach): with `stream`, a way to the container's monitor, now
   * if it runs, else at its next start. The wait for a start is registered at once, as the docker
   * CLI starts the container as soon as the attach is answered; a running container's monitor is
   * reached only when `open` is called, after any logs were sent, so no output comes twice.
   * Bytes from the monitor are docker frames (no TTY) or raw (TTY); bytes to it are stdin.
   */
  attach(ref: string, opts: { stream: boolean }): { record: ContainerRecord; open: (() => Promise<Socket>) | undefined } {
    const r = this.get(ref);
    assertCan(r, 'attach', ref);
    publishContainerEvent(this.d.events, r, 'attach');
    if (!opts.stream) return { record: r, open: undefined };
    if (r.State.Running) return { record: r, open: async () => this.attachHub.now(await this.lifecycle.handle(r)) };
    const started = this.attachHub.waitForStart(r.Id);
    return { record: r, open: () => started };
  }

  /** An attached client typed the detach keys; the container goes on. */
  detached(ref: string): void {
    const r = this.d.registry.find(ref);
    if (r) publishContainerEvent(this.d.events, r, 'detach');
  }

  async resize(ref: string, height: number, width: number): Promise<void> {
    const r = this.get(ref);
    assertCan(r, 'resize');
    if (!r.Config.Tty) return;
    await (await this.lifecycle.handle(r)).resize(height, width);
  }

  async rename(ref: string, newName: string): Promise<void> {
    const r = this.get(ref);
    this.refusePod(r, {}, 'name', 'inspect');
    const name = validateName(newName);
    if (name === r.Name) throw new ConflictError(`Renaming a container with the same name as its current name`);
    this.d.registry.reserveName(name, r.Id);
    const old = r.Name;
    r.Name = name;
    try {
      await this.d.registry.save(r);
    } catch (err) {
      r.Name = old;
      this.d.registry.releaseName(name, r.Id);
      throw err;
    }
    this.d.registry.releaseName(old, r.Id);
    publishContainerEvent(this.d.events, r, 'rename', { oldName: old });
  }

  /**
   * Resolves as docker's wait does: `not-running` returns at once for a stopped container. Not
   * async on purpose: an unknown container throws NotFound right away, so the API can still
   * answer 404 before it sends the early headers the docker CLI waits for.
   */
  /**
   * Resolves with the exit code when the condition is met. With `signal`, the caller may give
   * up (its client went away): the wait is forgotten and the promise rejects with the reason.
   * The docker CLI's `run -d` leaves one such wait behind per container.
   */
  wait(ref: string, condition: WaitCondition, signal?: AbortSignal): Promise<number> {
    const r = this.get(ref);
    if (condition === 'not-running' && !r.State.Running) return Promise.resolve(r.State.ExitCode);
    if (!signal) return this.notifier.add(r.Id, condition);
    const w = this.notifier.watch(r.Id, condition);
    return new Promise<number>((resolve, reject) => {
      const onAbort = (): void => {
        w.cancel();
        reject(signal.reason);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      void w.done.then((code) => {
        signal.removeEventListener('abort', onAbort);
        resolve(code);
      });
    });
  }

  /**
   * `DELETE /containers/{parent/alias}?link=1`: the parent forgets that link; both containers stay
   * (dockerd's rmLink). Takes effect in the parent's files at its next start.
   */
  async removeLink(ref: string): Promise<void> {
    const name = ref.startsWith('/') ? ref : `/${ref}`;
    const cut = name.lastIndexOf('/');
    if (cut === 0) {
      this.get(ref);
      throw new SystemError('Conflict, cannot remove the default link name of the container');
    }
    const parent = this.d.registry.find(name.slice(0, cut));
    const alias = name.slice(cut + 1);
    const link = parent?.LegacyLinks?.find((l) => l.Alias === alias);
    if (!parent || !link) throw new NotFoundError(`No such container: ${ref}`);
    await this.d.registry.exclusive(parent.Id, async () => {
      parent.LegacyLinks = (parent.LegacyLinks ?? []).filter((l) => l !== link);
      await this.d.registry.save(parent);
    });
  }

  async prune(filters: Filters): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const r of this.d.registry.all()) {
      if (r.State.Running || r.State.Status === 'paused') continue;
      if (filters.label && !containerMatches(r, { label: filters.label }, undefined, new Map())) continue;
      if (filters.until?.[0] !== undefined && Date.parse(r.Created) >= parseUntil(filters.until[0])) continue;
      const { rw } = await containerSizes(this.d, r);
      await this.remove(r.Id, { force: false, volumes: false, by: 'prune' }).then(() => {
        deleted.push(r.Id);
        reclaimed += rw;
      }, (err: unknown) => {
        if (!(err instanceof NotFoundError) && !(err instanceof ConflictError)) throw err;
      });
    }
    return { ContainersDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  /** `docker update`: new limits, written into the running container's cgroup, and the restart policy. */
  async update(ref: string, req: UpdateRequest, by: Caller = {}): Promise<{ Warnings: string[] }> {
    const r = this.get(ref);
    this.refusePod(r, by, 'update', 'update');
    if (typeof req !== 'object' || req === null || Array.isArray(req)) throw new InvalidParameterError('update config must be a JSON object');
    const { RestartPolicy: restart, ...resources } = req;
    // The docker CLI always sends a RestartPolicy; an empty name leaves the policy as it is.
    const policy = restart?.Name ? validateRestartPolicy(restart, r.HostConfig.AutoRemove) : undefined;
    const limits = this.d.host.limits;
    const warnings = await this.d.registry.exclusive(r.Id, async () => {
      const w = await updateContainer(r, resources, { driver: limits.driver, support: limits.cgroups, cgroupPath: recordCgroupPath(r, this.d.host.cgroupParent), save: (rec) => this.d.registry.save(rec) });
      if (policy) {
        r.HostConfig = { ...r.HostConfig, RestartPolicy: policy };
        await this.d.registry.save(r);
      }
      return w;
    });
    publishContainerEvent(this.d.events, r, 'update');
    return { Warnings: warnings };
  }


}
