/**
 * The one ContainerRuntime: an OCI runtime CLI (crun or runc, an OciRuntime profile: binary,
 * environment, --root, the mount to hide at create, the seccomp cache) whose processes are owned
 * by berth-monitor (native/berth-monitor). The monitor runs the runtime's create/run/exec, owns
 * stdio and reaps the process, so containers outlive the daemon; everything else is one runtime
 * call. Nothing outside this directory needs to know that the monitor exists.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDerivedFile } from '../../core/atomic-write.js';
import { errnoCode, NotFoundError } from '../../core/errors.js';
import type { LinuxResources, Process, RuntimeSpec } from '../../oci/runtime/runtime-spec-types.js';
import type { CgroupDriver } from '../cgroups/cgroup-driver.js';
import { isMonitorAlive, monitorBinaryPath, readExit, startMonitor, type MonitorOptions } from '../monitor/monitor-client.js';
import type { ContainerRuntime, ContainerState, CreateOptions, ProcessHandle, ProcessIo, Sandbox, SandboxOptions } from './container-runtime.js';
import { MonitoredProcess, signalName, type ProcessOwner } from './monitored-process.js';
import type { OciRuntime } from './oci-runtime.js';
import { createOciSandbox, removeOciSandbox, restoreOciSandbox, type SandboxRuntime } from './oci-sandbox.js';
import { RuntimeStartError } from './runtime-start-error.js';

/** Where the monitor of a container's init keeps its state, inside the bundle (as containerd's shim does). */
export const INIT_STATE = 'monitor';
/** The file the runtime writes the init's pid to (native/berth-monitor/main.c's layout). */
const INIT_PID_FILE = 'container.pid';

export interface MonitoredOciRuntimeOptions {
  /** The berth-monitor executable; the one node-gyp built by default. */
  monitorBinary?: string;
  /** Reads the OOM-kill counter of a container's cgroup for its exit status; none: never OOM-killed. */
  cgroups?: Pick<CgroupDriver, 'oomKills'>;
  /** The berth-pause executable sandboxes run; the one node-gyp built by default. */
  pauseBinary?: string;
}

export class MonitoredOciRuntime implements ContainerRuntime, ProcessOwner, SandboxRuntime {
  /** Bundles of the containers this runtime created or restored (exec and OOM verdicts need them). */
  private readonly bundles = new Map<string, string>();
  /** Seccomp profiles crun compiles for the first time in the next create of each id. */
  private readonly toLearn = new Map<string, unknown>();
  private readonly monitorBinary: string;

  constructor(readonly profile: OciRuntime, private readonly opts: MonitoredOciRuntimeOptions = {}) {
    this.monitorBinary = opts.monitorBinary ?? monitorBinaryPath();
  }

  get name(): string {
    return this.profile.name;
  }

  adaptSpec(id: string, spec: RuntimeSpec): RuntimeSpec {
    const seccomp = spec.linux.seccomp;
    const compiled = this.profile.seccompAnnotations(seccomp);
    if (Object.keys(compiled).length > 0) spec.annotations = { ...spec.annotations, ...compiled };
    else if (seccomp !== undefined) this.toLearn.set(id, seccomp);
    return spec;
  }

  private monitorOptions(id: string, bundle: string, stateDir: string, io: ProcessIo): MonitorOptions {
    const size = io.tty && io.consoleSize && io.consoleSize[0] > 0 && io.consoleSize[1] > 0 ? io.consoleSize : undefined;
    return {
      binary: this.monitorBinary,
      id,
      bundle,
      runtime: this.profile.binary,
      env: this.profile.env,
      runtimeRoot: this.profile.root,
      stateDir,
      tty: io.tty,
      stdin: io.stdin,
      stdinOnce: io.stdinOnce,
      ...(size ? { consoleSize: size } : {}),
      ...(io.holdOutput ? { holdOutput: true } : {}),
      ...(io.log ? { logPath: io.log.path, logMaxSize: io.log.maxSize ?? 0, logMaxFiles: io.log.maxFiles ?? 1, logCompress: io.log.compress === true, ...(io.log.format === 'cri' ? { logFormat: 'cri' as const } : {}) } : {}),
    };
  }

  async create(id: string, bundle: string, opts: CreateOptions): Promise<ProcessHandle> {
    const stateDir = join(bundle, INIT_STATE);
    // A stale runtime entry (a crash between create and delete) would fail create with "already
    // exists", and a stale exit file would read as this run's exit.
    await this.profile.deleteIfPresent(id).catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    this.bundles.set(id, bundle);
    const seccomp = this.toLearn.get(id);
    this.toLearn.delete(id);
    let started;
    try {
      started = await startMonitor(
        {
          ...this.monitorOptions(id, bundle, stateDir, opts),
          ...(opts.startNow ? { runNow: true } : {}),
          ...(this.profile.hideOnCreate !== undefined ? { hideMount: this.profile.hideOnCreate } : {}),
        },
        (message) => new RuntimeStartError(message, 'create'),
      );
    } catch (err) {
      // What a failed create left (runc keeps a half-made container) must not block the next one.
      await this.delete(id).catch(() => undefined);
      throw err;
    }
    if (seccomp !== undefined) void this.profile.learnSeccomp(id, seccomp);
    return new MonitoredProcess(id, started.pid, stateDir, this);
  }

  async start(id: string): Promise<void> {
    await this.profile.start(id);
  }

  private bundleOf(id: string): string {
    const bundle = this.bundles.get(id);
    if (bundle === undefined) throw new NotFoundError(`container ${id} is not known to runtime ${this.name}: create or restore it first`);
    return bundle;
  }

  async exec(id: string, execId: string, process: Process, io: ProcessIo): Promise<ProcessHandle> {
    const bundle = this.bundleOf(id);
    const stateDir = join(bundle, 'execs', execId);
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const processFile = join(stateDir, 'process.json');
    // The runtime applying the size at exec closes a start-up race the monitor's resize leaves.
    const size = io.tty && io.consoleSize && io.consoleSize[0] > 0 && io.consoleSize[1] > 0 ? io.consoleSize : undefined;
    const proc: Process = { ...process, terminal: io.tty };
    if (size) proc.consoleSize = { height: size[0], width: size[1] };
    else delete proc.consoleSize;
    await writeDerivedFile(processFile, JSON.stringify(proc));
    const started = await startMonitor({ ...this.monitorOptions(id, bundle, stateDir, io), execProcessFile: processFile }, (message) => new RuntimeStartError(message, 'exec'));
    return new MonitoredProcess(id, started.pid, stateDir, this, execId);
  }

  async pause(id: string): Promise<void> {
    await this.profile.pause(id);
  }

  async resume(id: string): Promise<void> {
    await this.profile.resume(id);
  }

  async pids(id: string): Promise<number[]> {
    return await this.profile.pids(id);
  }

  async update(id: string, resources: LinuxResources): Promise<void> {
    const file = join(this.bundleOf(id), 'resources.json');
    await writeDerivedFile(file, JSON.stringify(resources));
    await this.profile.update(id, file);
  }

  async state(id: string): Promise<ContainerState | undefined> {
    return await this.profile.state(id);
  }

  async kill(id: string, signal: string | number, all = false): Promise<void> {
    await this.profile.kill(id, signalName(signal), all);
  }

  async delete(id: string): Promise<void> {
    await this.profile.deleteIfPresent(id);
    this.bundles.delete(id);
  }

  async oomKills(id: string): Promise<number> {
    const bundle = this.bundles.get(id);
    if (!this.opts.cgroups || bundle === undefined) return 0;
    const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as Partial<RuntimeSpec>;
    const path = spec.linux?.cgroupsPath;
    return path ? await this.opts.cgroups.oomKills(path) : 0;
  }

  async restore(id: string, bundle: string): Promise<ProcessHandle | undefined> {
    const stateDir = join(bundle, INIT_STATE);
    const [exit, alive] = await Promise.all([readExit(stateDir).catch(() => undefined), isMonitorAlive(stateDir)]);
    const pid = await readPid(join(stateDir, INIT_PID_FILE));
    if (!exit && !alive && pid === undefined) return undefined;
    this.bundles.set(id, bundle);
    return new MonitoredProcess(id, pid ?? 0, stateDir, this);
  }

  createSandbox(id: string, dir: string, opts: SandboxOptions): Promise<Sandbox> {
    return createOciSandbox(this, id, dir, opts, this.opts.pauseBinary);
  }

  restoreSandbox(id: string, dir: string, opts: Pick<SandboxOptions, 'sharePid' | 'hostIpc'>): Promise<Sandbox | undefined> {
    return restoreOciSandbox(this, id, dir, opts);
  }

  removeSandbox(id: string, dir: string): Promise<void> {
    return removeOciSandbox(this, id, dir);
  }
}

/** A few bytes in the exec root: read synchronously (see readMonitorPid). */
async function readPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}
