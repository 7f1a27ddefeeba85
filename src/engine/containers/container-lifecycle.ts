import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../core/logger.js';
import { writeDerivedFile } from '../../core/atomic-write.js';
import { BerthError, ConflictError, errorMessage, NotModifiedError } from '../../core/errors.js';
import type { Snapshotter } from '../../drivers/snapshotter/snapshotter.js';
import type { RuntimeCatalog } from '../../drivers/runtime/runtime-catalog.js';
import { isMonitorAlive, monitorBinaryPath, readExit, startFailureExitCode, startMonitor, waitExit } from '../../drivers/monitor/monitor-client.js';
import { buildRuntimeSpec } from '../../oci/runtime/build-spec.js';
import { runtimeSpecToJson } from '../../oci/runtime/spec-json.js';
import type { AttachHub } from './attach-hub.js';
import type { ContainerRegistry } from './container-registry.js';
import type { ContainerRecord } from './container-types.js';
import { writeEtcFiles } from './etc-files.js';
import type { ExitNotifier } from './exit-notifier.js';
import { parseSignal } from './signals.js';
import { specInputFor, type HostSpecFacts } from './spec-input.js';
import { prepareMounts } from './mount-setup.js';
import { resolveUser } from './user-lookup.js';
import type { ContainerEndpoints } from '../networks/container-endpoints.js';

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
  endpoints: ContainerEndpoints;
  hostGateway: () => string;
}

/** Where a container's runtime-side files live: bundle and monitor state, under the exec root. */
export function runDir(execRoot: string, id: string): string {
  return join(execRoot, 'containers', id);
}

/**
 * Start, stop, kill and exit handling: the container's story from `created` to `exited`, each
 * step through the drivers (snapshotter → spec → monitor → runtime).
 */
export class ContainerLifecycle {
  private readonly watching = new Set<string>();

  constructor(private readonly d: LifecycleDeps) {}

  async start(record: ContainerRecord): Promise<void> {
    if (record.State.Running) {
      if (record.State.Paused) throw new ConflictError(`cannot start a paused container, try unpause instead`);
      throw new NotModifiedError('container already started');
    }
    if (record.State.Status === 'removing' || record.State.Dead) throw new ConflictError(`container ${record.Id} is marked for removal and cannot be started`);
    const runtime = this.d.runtimes.get(record.HostConfig.Runtime);
    const dir = runDir(this.d.execRoot, record.Id);
    const state = join(dir, 'monitor');
    await rm(dir, { recursive: true, force: true });
    await mkdir(state, { recursive: true, mode: 0o700 });
    // A stale runtime entry (from a crash) would make create fail with "already exists".
    await runtime.deleteIfPresent(record.Id).catch(() => undefined);
    try {
      // Independent steps of the start path run together: it is every `docker run`'s latency.
      const [rootfs, net] = await Promise.all([this.d.snapshotter.mountRootfs(record.Id), this.d.endpoints.attach(record)]);
      const hc = record.HostConfig;
      const etc = net.sharedFrom
        ? { hostname: net.sharedFrom.HostnamePath, hosts: net.sharedFrom.HostsPath, resolvConf: net.sharedFrom.ResolvConfPath }
        : await writeEtcFiles(join(record.LogPath, '..'), {
          hostname: record.Config.Hostname,
          domainname: record.Config.Domainname,
          extraHosts: hc.ExtraHosts ?? [],
          hostNetwork: hc.NetworkMode === 'host',
          addresses: net.addresses,
          hostGateway: this.d.hostGateway(),
          dns: (hc.Dns as string[] | undefined) ?? [],
          dnsSearch: (hc.DnsSearch as string[] | undefined) ?? [],
          dnsOptions: (hc.DnsOptions as string[] | undefined) ?? [],
          ...(net.nameservers ? { embeddedDns: net.nameservers } : {}),
        });
      if (record.Mounts) await prepareMounts(record.Mounts, rootfs);
      const user = await resolveUser(rootfs, record.Config.User);
      const spec = buildRuntimeSpec(specInputFor(record, rootfs, user, etc, this.d.host, net.netns));
      await writeDerivedFile(join(dir, 'config.json'), runtimeSpecToJson(spec));
      const [rows, cols] = record.HostConfig.ConsoleSize;
      const started = await startMonitor({
        binary: monitorBinaryPath(),
        id: record.Id,
        bundle: dir,
        runtime: runtime.binary,
        runtimeRoot: runtime.root,
        stateDir: state,
        logPath: record.LogPath,
        tty: record.Config.Tty,
        stdin: record.Config.OpenStdin,
        stdinOnce: record.Config.StdinOnce,
        ...(record.Config.Tty && rows > 0 && cols > 0 ? { consoleSize: [rows, cols] as [number, number] } : {}),
      });
      await this.d.attach.monitorReady(record.Id, state);
      await runtime.start(record.Id);
      record.State = {
        ...record.State,
        Status: 'running',
        Running: true,
        Paused: false,
        Pid: started.pid,
        ExitCode: 0,
        Error: '',
        OOMKilled: false,
        StartedAt: new Date().toISOString(),
        FinishedAt: record.State.FinishedAt,
      };
      await this.d.registry.save(record);
      this.watch(record.Id);
    } catch (err) {
      this.d.attach.cancel(record.Id, err);
      await runtime.delete(record.Id).catch(() => undefined);
      await this.d.snapshotter.unmountRootfs(record.Id).catch(() => undefined);
      await this.d.endpoints.detach(record).catch(() => undefined);
      const message = errorMessage(err);
      record.State.Error = message;
      if (err instanceof BerthError && /runc create failed|crun|OCI runtime/i.test(message) && !/^OCI runtime/.test(message)) {
        // docker's wording, which scripts match on: "OCI runtime create failed: …".
        err.message = `OCI runtime create failed: ${message}`;
      }
      // docker records 127/126 for a command that cannot be found or run.
      record.State.ExitCode = startFailureExitCode(message) ?? 128;
      await this.d.registry.save(record).catch(() => undefined);
      // A failed start ends the run as an exit would: `wait` callers (the docker CLI) return.
      this.d.notifier.exited(record.Id, record.State.ExitCode);
      throw err;
    }
  }

  /** Follows a running container's monitor until it writes the exit status. */
  watch(id: string): void {
    if (this.watching.has(id)) return;
    this.watching.add(id);
    const state = join(runDir(this.d.execRoot, id), 'monitor');
    void waitExit(state)
      .then(
        (exit) => this.onExit(id, exit.exitCode, ''),
        (err: unknown) => this.onExit(id, 255, `the container monitor ended without recording an exit status: ${errorMessage(err)}`),
      )
      .catch((err: unknown) => this.d.log.error({ err, id }, 'recording container exit failed'))
      .finally(() => this.watching.delete(id));
  }

  private async onExit(id: string, exitCode: number, error: string): Promise<void> {
    const record = this.d.registry.find(id);
    if (!record) return;
    await this.d.registry.exclusive(id, async () => {
      const runtime = this.d.runtimes.get(record.HostConfig.Runtime);
      await Promise.all([
        runtime.delete(id).catch((err: unknown) => this.d.log.warn({ err, id }, 'runtime delete failed')),
        this.d.snapshotter.unmountRootfs(id).catch((err: unknown) => this.d.log.warn({ err, id }, 'unmount failed')),
        this.d.endpoints.detach(record).catch((err: unknown) => this.d.log.warn({ err, id }, 'network teardown failed')),
      ]);
      record.State = {
        ...record.State,
        Status: 'exited',
        Running: false,
        Paused: false,
        Pid: 0,
        ExitCode: exitCode,
        Error: error,
        FinishedAt: new Date().toISOString(),
      };
      await this.d.registry.save(record);
    });
    this.d.notifier.exited(id, exitCode);
    if (record.HostConfig.AutoRemove) await this.d.autoRemove(id).catch((err: unknown) => this.d.log.error({ err, id }, 'auto-remove failed'));
  }

  /** docker stop: the stop signal, then SIGKILL after the timeout. */
  async stop(record: ContainerRecord, opts: { timeout?: number; signal?: string }): Promise<void> {
    if (!record.State.Running) throw new NotModifiedError('container already stopped');
    const runtime = this.d.runtimes.get(record.HostConfig.Runtime);
    const signal = parseSignal(opts.signal ?? record.Config.StopSignal ?? 'SIGTERM');
    const timeout = opts.timeout ?? record.Config.StopTimeout ?? 10;
    const exited = this.d.notifier.add(record.Id, 'not-running');
    if (record.State.Paused) await runtime.resume(record.Id).catch(() => undefined);
    if (timeout !== 0) await runtime.kill(record.Id, signal);
    const inTime = timeout < 0 ? await exited.then(() => true) : await Promise.race([exited.then(() => true), delay(timeout * 1000).then(() => false)]);
    if (!inTime) {
      await runtime.kill(record.Id, 'KILL', true);
      await exited;
    }
  }

  async kill(record: ContainerRecord, signal: string | undefined): Promise<void> {
    if (!record.State.Running) throw new ConflictError(`cannot kill container: ${record.Id}: container ${record.Id} is not running`);
    const sig = parseSignal(signal ?? 'KILL');
    const runtime = this.d.runtimes.get(record.HostConfig.Runtime);
    await runtime.kill(record.Id, sig);
  }

  async pause(record: ContainerRecord, paused: boolean): Promise<void> {
    if (!record.State.Running) throw new ConflictError(`container ${record.Id} is not running`);
    if (paused && record.State.Paused) throw new ConflictError(`container ${record.Id} is already paused`);
    if (!paused && !record.State.Paused) throw new ConflictError(`container ${record.Id} is not paused`);
    const runtime = this.d.runtimes.get(record.HostConfig.Runtime);
    await (paused ? runtime.pause(record.Id) : runtime.resume(record.Id));
    record.State = { ...record.State, Paused: paused, Status: paused ? 'paused' : 'running' };
    await this.d.registry.save(record);
  }

  /**
   * After a daemon restart: containers whose monitor still runs are watched again; those that
   * exited meanwhile get the exit code their monitor recorded.
   */
  async restore(record: ContainerRecord): Promise<void> {
    if (!record.State.Running) return;
    const state = join(runDir(this.d.execRoot, record.Id), 'monitor');
    const exit = await readExit(state);
    if (exit) {
      await this.onExit(record.Id, exit.exitCode, '');
      return;
    }
    if (await isMonitorAlive(state)) {
      await this.d.endpoints.restore(record).catch((err: unknown) => this.d.log.warn({ err, id: record.Id }, 'restoring published ports failed'));
      this.watch(record.Id);
      return;
    }
    await this.onExit(record.Id, 255, 'the container was lost while the daemon was down (host reboot or monitor killed)');
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

