import { constants } from 'node:os';
import { phaseTimer } from '../../core/phase-timer.js';
import type { Logger } from '../../core/logger.js';
import { ConflictError, errorMessage } from '../../core/errors.js';
import type { Snapshotter } from '../../drivers/snapshotter/snapshotter.js';
import type { RuntimeCatalog } from '../../drivers/runtime/runtime-catalog.js';
import type { ContainerRuntime, ExitStatus, ProcessHandle } from '../../drivers/runtime/container-runtime.js';
import { RuntimeStartError } from '../../drivers/runtime/runtime-start-error.js';
import { releaseShm } from './shared-namespaces.js';
import type { AttachHub } from './attach-hub.js';
import type { ContainerRegistry } from './container-registry.js';
import type { ContainerRecord } from './container-types.js';
import type { ExitNotifier } from './exit-notifier.js';
import { parseSignal } from './signals.js';
import { recordCgroupPath, type HostSpecFacts } from './spec-input.js';
import { oomVerdict } from './limits/oom-verdict.js';
import type { PublishEvent } from '../events/event-types.js';
import { publishContainerEvent } from '../events/container-events.js';
import { explainExit, lastLogLines, type ExitCause } from './exit-explanation.js';
import { restartsOnBoot, shouldRestart } from './restart-policy.js';
import { RestartManager } from './restart-manager.js';
import type { ContainerEndpoints } from '../networks/container-endpoints.js';
import { isoTime } from '../../core/utc-time.js';
import { assertCan } from './container-state.js';
import { freshRunDir, logOptions, prepareBundle, runDir, type PodSandboxes } from './start-bundle.js';

export interface LifecycleDeps {
  registry: ContainerRegistry;
  snapshotter: Snapshotter;
  runtimes: RuntimeCatalog;
  notifier: ExitNotifier;
  execRoot: string;
  host: HostSpecFacts;
  log: Logger;
  attach: AttachHub;
  /** Called after a container with AutoRemove exits. */
  autoRemove: (id: string) => Promise<void>;
  /** Starts a container again for its restart policy (volumes prepared, under its lock). */
  restartContainer: (id: string) => Promise<void>;
  events?: PublishEvent;
  endpoints: ContainerEndpoints;
  hostGateway: () => string;
  /** The pod sandboxes (CRI) a container with `Pod` joins. */
  sandboxes?: PodSandboxes;
  /** Called after each start and each exit (health checks follow these). */
  onStarted?: (r: ContainerRecord, restored: boolean) => void;
  onExited?: (r: ContainerRecord) => void;
}

/**
 * Start, stop, kill and exit handling: the container's story from `created` to `exited`, each
 * step through the drivers (snapshotter → spec → monitor → runtime).
 */
export class ContainerLifecycle {
  private readonly watching = new Set<string>();
  /** The init process of each container started or restored: its exit, attach and resize. */
  private readonly handles = new Map<string, ProcessHandle>();
  /** The user's stop or kill in flight per container: its exit is theirs, not a crash. */
  private readonly userStops = new Map<string, { action: 'stop' | 'kill'; signal: string; at: number; reason?: string }>();
  /** Restart policies carried out: back-off, timers, what a user's action does to a pending restart. */
  readonly restarts: RestartManager;

  constructor(private readonly d: LifecycleDeps) {
    this.restarts = new RestartManager(d, d.restartContainer);
  }

  /** `created`/`exited` → `running`: the bundle, then the runtime's process, then the record. */
  async start(record: ContainerRecord): Promise<void> {
    assertCan(record, 'start');
    if (record.State.Restarting) this.restarts.cancel(record.Id);
    const runtime = this.d.runtimes.runtime(record.HostConfig.Runtime);
    // Each start's phases go to the debug log: it is every `docker run`'s latency.
    const { mark, phases } = phaseTimer();
    const dir = await freshRunDir(this.d.execRoot, record);
    try {
      mark('prepared');
      await prepareBundle(this.d, record, runtime, dir, mark);
      const started = await this.createProcess(record, runtime, dir, mark);
      await this.markRunning(record, started.pid);
      mark('saved');
      this.d.log.debug({ id: record.Id, ms: phases }, 'container started');
      this.watch(record.Id, started);
      this.announceStart(record);
    } catch (err) {
      await this.failStart(record, runtime, err);
      throw err;
    }
  }

  /**
   * The runtime's process for the bundle, with the waiting attach clients connected before it
   * runs. The runtime's `run` saves a `start` (a process, ~4 ms of every docker run). Output that
   * comes before berthd connects a waiting attach client is held for it by the monitor; with more
   * than one waiting, only create-then-start gives every one of them the first bytes.
   */
  private async createProcess(record: ContainerRecord, runtime: ContainerRuntime, dir: string, mark: (phase: string) => void): Promise<ProcessHandle> {
    const [rows, cols] = record.HostConfig.ConsoleSize;
    const waiting = this.d.attach.waiting(record.Id);
    const runNow = waiting <= 1;
    const log = logOptions(record);
    const started = await runtime.create(record.Id, dir, {
      tty: record.Config.Tty,
      stdin: record.Config.OpenStdin,
      stdinOnce: record.Config.StdinOnce,
      ...(record.Config.Tty && rows > 0 && cols > 0 ? { consoleSize: [rows, cols] as [number, number] } : {}),
      ...(log ? { log } : {}),
      ...(runNow ? { startNow: true, holdOutput: waiting === 1 } : {}),
    });
    this.handles.set(record.Id, started);
    mark('created');
    await this.d.attach.monitorReady(record.Id, started);
    mark('attached');
    if (!runNow) await runtime.start(record.Id);
    mark('started');
    return started;
  }

  private async markRunning(record: ContainerRecord, pid: number): Promise<void> {
    // Its addresses were fsynced while the runtime started; the record says them only once they are on disk.
    await this.d.endpoints.leasesDurable();
    record.State = { ...record.State, Status: 'running', Running: true, Paused: false, Restarting: false, Pid: pid, ExitCode: 0, Error: '', OOMKilled: false, StartedAt: isoTime(), FinishedAt: record.State.FinishedAt };
    await this.d.registry.save(record);
  }

  private announceStart(record: ContainerRecord): void {
    for (const m of record.Mounts ?? []) {
      if (m.Type === 'volume' && m.Name) this.d.events?.({ type: 'volume', action: 'mount', id: m.Name, attributes: { container: record.Id, destination: m.Destination, driver: 'local', propagation: m.Propagation ?? '', 'read/write': String(m.RW) } });
    }
    publishContainerEvent(this.d.events, record, 'start');
    this.d.onStarted?.(record, false);
  }

  /** Undoes a start that failed half-way, records why, and ends the run as an exit would. */
  private async failStart(record: ContainerRecord, runtime: ContainerRuntime, err: unknown): Promise<void> {
    this.d.attach.cancel(record.Id, err);
    await runtime.delete(record.Id).catch(() => undefined);
    await this.d.snapshotter.unmountRootfs(record.Id).catch(() => undefined);
    await this.d.endpoints.detach(record).catch(() => undefined);
    await releaseShm(this.d.execRoot, record.Id).catch(() => undefined);
    const message = errorMessage(err);
    record.State.Error = message;
    if (err instanceof RuntimeStartError && !message.startsWith('OCI runtime')) {
      // docker's wording, which scripts match on: "OCI runtime create failed: …".
      err.message = `OCI runtime create failed: ${message}`;
    }
    // docker records 127/126 for a command that cannot be found or run.
    record.State.ExitCode = (err instanceof RuntimeStartError ? err.exitCode : undefined) ?? 128;
    record.State = { ...record.State, Status: record.State.StartedAt.startsWith('0001') ? 'created' : 'exited', Running: false, Restarting: false, Pid: 0 };
    record.LastExit = { ...explainExit(record, { exitCode: record.State.ExitCode, signal: null }, []), Reason: 'start-failed', Message: `the container could not start: ${message}` };
    await this.d.registry.save(record).catch(() => undefined);
    // `wait` callers (the docker CLI) return.
    this.d.notifier.exited(record.Id, record.State.ExitCode);
  }

  /** Follows a running container's monitor until it writes the exit status. */
  watch(id: string, handle: ProcessHandle): void {
    if (this.watching.has(id)) return;
    this.watching.add(id);
    void handle.wait()
      .then(
        (exit: ExitStatus) => this.onExit(id, { exitCode: exit.code, signal: exit.signal }, ''),
        (err: unknown) => this.onExit(id, { exitCode: 255, signal: null, lost: `the container monitor ended without recording an exit status: ${errorMessage(err)}` }, `the container monitor ended without recording an exit status: ${errorMessage(err)}`),
      )
      .catch((err: unknown) => this.d.log.error({ err, id }, 'recording container exit failed'))
      .finally(() => this.watching.delete(id));
  }

  private async onExit(id: string, given: ExitCause, error: string, boot = false): Promise<void> {
    const record = this.d.registry.find(id);
    if (!record) return;
    const { mark, phases } = phaseTimer();
    const cause: ExitCause = { ...given };
    const user = this.userStops.get(id);
    // A kill with a signal the process survives (HUP to reload) is not why it ends much later.
    if (user && (user.action === 'stop' || Date.now() - user.at < KILL_CAUSE_MS)) cause.user = { action: user.action, signal: user.signal, ...(user.reason ? { reason: user.reason } : {}) };
    this.userStops.delete(id);
    const exitCode = cause.exitCode;
    const logs = await lastLogLines(record.LogPath);
    mark('logs');
    let restartIn: number | undefined;
    await this.d.registry.exclusive(id, async () => {
      mark('exclusive');
      this.handles.delete(id);
      // Read before the runtime deletes the cgroup, which holds the OOM-kill counter and the peak.
      const { driver } = this.d.host.limits;
      const cgroup = recordCgroupPath(record, this.d.host.cgroupParent);
      const [oom, peak] = await Promise.all([oomVerdict(driver, cgroup, record, exitCode), driver.memoryPeak(cgroup).catch(() => 0)]);
      mark('read');
      // An --rm container's removal, next, does all of this itself, beside its other steps: done
      // here too, it would only come first and add its time to every `docker run --rm`.
      if (!record.HostConfig.AutoRemove) {
        await this.tearDown(record, mark);
        mark('tornDown');
      }
      const policy = record.HostConfig.RestartPolicy;
      const manual = record.HasBeenManuallyStopped === true;
      const restart = !record.HostConfig.AutoRemove && (boot ? restartsOnBoot(policy, exitCode, manual, record.RestartCount) : shouldRestart(policy, exitCode, manual, record.RestartCount));
      const finishedAt = isoTime();
      // The explanation reads OOMKilled from the state: give it this exit's verdict.
      record.State = { ...record.State, OOMKilled: oom.oomKilled };
      record.LastExit = { ...explainExit(record, cause, logs), ...(peak > 0 ? { PeakMemory: peak } : {}) };
      if (restart) restartIn = this.restarts.nextDelay(id, record.State.StartedAt, boot);
      record.State = {
        ...record.State,
        Status: restart ? 'restarting' : 'exited',
        Running: restart,
        Restarting: restart,
        Paused: false,
        Pid: 0,
        ExitCode: exitCode,
        OOMKilled: oom.oomKilled,
        Error: error || oom.explanation,
        FinishedAt: finishedAt,
      };
      // Journaled before the exit is saved: a kill -9 between the two finds the container still
      // running at the next start, whose monitor's exit.json announces the death again (at least
      // once, never lost); saved first, a container could be exited with no die on record.
      for (const m of record.Mounts ?? []) {
        if (m.Type === 'volume' && m.Name) this.d.events?.({ type: 'volume', action: 'unmount', id: m.Name, attributes: { container: record.Id, driver: 'local' } });
      }
      if (record.State.OOMKilled) publishContainerEvent(this.d.events, record, 'oom');
      const ran = Math.max(0, Math.round((Date.parse(finishedAt) - Date.parse(record.State.StartedAt)) / 1000));
      publishContainerEvent(this.d.events, record, 'die', { exitCode: String(exitCode), execDuration: String(ran) });
      if (cause.user?.action === 'stop') publishContainerEvent(this.d.events, record, 'stop', user?.reason ? { reason: user.reason } : {});
      // An --rm container's next record is "removing", written at once by its removal: the
      // exit needs no fsync of its own (a crash between them ends the same way at the next
      // start: the monitor's exit.json is read again and the container removed).
      if (restart || !record.HostConfig.AutoRemove) await this.d.registry.save(record);
    });
    this.d.onExited?.(record);
    mark('recorded');
    this.d.notifier.exited(id, exitCode);
    if (restartIn !== undefined) this.restarts.schedule(record, restartIn, boot);
    else if (record.HostConfig.AutoRemove) {
      await this.d.autoRemove(id).catch(async (err: unknown) => {
        this.d.log.error({ err, id }, 'auto-remove failed');
        // What the removal did not get to: nothing of the run may stay mounted or attached.
        if (this.d.registry.find(id)) await this.d.registry.exclusive(id, () => this.tearDown(record, mark));
      });
      mark('removed');
    }
    this.d.log.debug({ id, ms: phases }, 'container exit handled');
  }

  /** What a run leaves once its process is gone: runtime state, rootfs mount, network, /dev/shm. */
  private async tearDown(record: ContainerRecord, mark: (phase: string) => void): Promise<void> {
    const id = record.Id;
    const runtime = this.d.runtimes.runtime(record.HostConfig.Runtime);
    await Promise.all([
      runtime.delete(id).catch((err: unknown) => this.d.log.warn({ err, id }, 'runtime delete failed')).then(() => mark('runtimeDeleted')),
      this.d.snapshotter.unmountRootfs(id).catch((err: unknown) => this.d.log.warn({ err, id }, 'unmount failed')).then(() => mark('unmounted')),
      this.d.endpoints.detach(record).catch((err: unknown) => this.d.log.warn({ err, id }, 'network teardown failed')).then(() => mark('detached')),
      releaseShm(this.d.execRoot, id).catch((err: unknown) => this.d.log.warn({ err, id }, 'unmounting /dev/shm failed')),
    ]);
  }

  /** A running container's init process (attach, resize). */
  async handle(record: ContainerRecord): Promise<ProcessHandle> {
    const known = this.handles.get(record.Id);
    if (known) return known;
    const handle = await this.d.runtimes.runtime(record.HostConfig.Runtime).restore(record.Id, runDir(this.d.execRoot, record.Id));
    if (!handle) throw new ConflictError(`container ${record.Id} is not running`);
    return handle;
  }

  /** Whether a stop (or a recent kill) is on its way to ending the container, as onExit reads its cause. */
  beingStopped(id: string): boolean {
    const user = this.userStops.get(id);
    return user !== undefined && (user.action === 'stop' || Date.now() - user.at < KILL_CAUSE_MS);
  }

  /** docker stop: the stop signal, then SIGKILL after the timeout. A reason (`unhealthy`) goes into its events. */
  async stop(record: ContainerRecord, opts: { timeout?: number; signal?: string; reason?: string }): Promise<void> {
    assertCan(record, 'stop');
    const runtime = this.d.runtimes.runtime(record.HostConfig.Runtime);
    const signal = parseSignal(opts.signal ?? record.Config.StopSignal ?? 'SIGTERM');
    const timeout = opts.timeout ?? record.Config.StopTimeout ?? 10;
    if (record.State.Restarting) {
      await this.restarts.abandon(record);
      publishContainerEvent(this.d.events, record, 'stop');
      return;
    }
    record.HasBeenManuallyStopped = true;
    const why = opts.reason ? { reason: opts.reason } : {};
    this.userStops.set(record.Id, { action: 'stop', signal: `SIG${signal.replace(/^SIG/, '')}`, at: Date.now(), ...why });
    const exited = this.d.notifier.add(record.Id, 'not-running');
    if (record.State.Paused) await runtime.resume(record.Id).catch(() => undefined);
    publishContainerEvent(this.d.events, record, 'kill', { signal: String(signalNumber(signal)), ...why });
    if (timeout !== 0) await runtime.kill(record.Id, signal);
    const inTime = timeout < 0 ? await exited.then(() => true) : await Promise.race([exited.then(() => true), delay(timeout * 1000).then(() => false)]);
    if (!inTime) {
      await runtime.kill(record.Id, 'KILL', true);
      await exited;
    }
  }

  /** `all` signals every process of the container, not only its first (a forced removal's). */
  async kill(record: ContainerRecord, signal: string | undefined, reason?: string, all = false): Promise<void> {
    assertCan(record, 'kill');
    const sig = parseSignal(signal ?? 'KILL');
    if (record.State.Restarting) {
      // docker: a kill during the back-off only makes sure the restart does not happen.
      await this.restarts.abandon(record);
      return;
    }
    record.HasBeenManuallyStopped = true;
    this.userStops.set(record.Id, { action: 'kill', signal: `SIG${sig.replace(/^SIG/, '')}`, at: Date.now(), ...(reason ? { reason } : {}) });
    const runtime = this.d.runtimes.runtime(record.HostConfig.Runtime);
    publishContainerEvent(this.d.events, record, 'kill', { signal: String(signalNumber(sig)), ...(reason ? { reason } : {}) });
    await runtime.kill(record.Id, sig, all);
  }

  async pause(record: ContainerRecord, paused: boolean): Promise<void> {
    assertCan(record, paused ? 'pause' : 'unpause');
    const runtime = this.d.runtimes.runtime(record.HostConfig.Runtime);
    await (paused ? runtime.pause(record.Id) : runtime.resume(record.Id));
    record.State = { ...record.State, Paused: paused, Status: paused ? 'paused' : 'running' };
    await this.d.registry.save(record);
    publishContainerEvent(this.d.events, record, paused ? 'pause' : 'unpause');
  }

  /**
   * A start the daemon did not finish (killed between mounting and recording): its rootfs mount
   * and a created-but-never-started runtime container are leftovers of no record.
   */
  private async sweepInterruptedStart(record: ContainerRecord): Promise<void> {
    const runtime = this.d.runtimes.runtime(record.HostConfig.Runtime);
    const handle = await runtime.restore(record.Id, runDir(this.d.execRoot, record.Id));
    if (handle && (await handle.alive())) {
      this.d.log.warn({ id: record.Id }, 'removing a container process whose start did not finish');
      await runtime.delete(record.Id).catch(() => undefined);
    }
    await this.d.snapshotter.unmountRootfs(record.Id).catch((err: unknown) => this.d.log.warn({ err, id: record.Id }, 'unmount failed'));
    await releaseShm(this.d.execRoot, record.Id).catch((err: unknown) => this.d.log.warn({ err, id: record.Id }, 'unmounting /dev/shm failed'));
  }

  /**
   * After a daemon restart: containers whose monitor still runs are watched again; those that
   * exited meanwhile get the exit code their monitor recorded.
   */
  async restore(record: ContainerRecord): Promise<void> {
    if (!record.State.Running) {
      await this.sweepInterruptedStart(record);
      // A container the user stopped, or that exited while no daemon watched: its policy decides
      // at daemon start as docker's does (`always` even after a stop), if it ever ran.
      const policy = record.HostConfig.RestartPolicy;
      if (record.State.Status === 'exited' && !record.HostConfig.AutoRemove && restartsOnBoot(policy, record.State.ExitCode, record.HasBeenManuallyStopped === true, record.RestartCount)) {
        record.State = { ...record.State, Status: 'restarting', Running: true, Restarting: true };
        this.restarts.schedule(record, 0, true);
      }
      return;
    }
    const handle = await this.d.runtimes.runtime(record.HostConfig.Runtime).restore(record.Id, runDir(this.d.execRoot, record.Id));
    const exit = await handle?.exited();
    if (exit) {
      await this.onExit(record.Id, { exitCode: exit.code, signal: exit.signal }, '', true);
      return;
    }
    if (handle && (await handle.alive())) {
      await this.d.endpoints.restore(record).catch((err: unknown) => this.d.log.warn({ err, id: record.Id }, 'restoring published ports failed'));
      this.handles.set(record.Id, handle);
      this.watch(record.Id, handle);
      this.d.onStarted?.(record, true);
      return;
    }
    const why = 'the container was lost while the daemon was down (host reboot, or its monitor was killed)';
    await this.onExit(record.Id, { exitCode: 255, signal: null, lost: why }, why, true);
  }
}

/** How long after a user's kill an exit is still put down to it. */
const KILL_CAUSE_MS = 30_000;

function signalNumber(name: string): number {
  return (constants.signals as Record<string, number>)[`SIG${name.replace(/^SIG/, '')}`] ?? 0;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

