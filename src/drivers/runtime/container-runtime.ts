/**
 * The runtime seam: everything the engine asks of a container runtime, modelled on containerd's
 * runtime v2 (shim) task API — Create → Start → State / Pids → Exec → ResizePty / CloseIO →
 * Pause / Resume → Update → Kill → Wait → Delete — plus a sandbox (a set of namespaces that
 * containers join: the base of a pod). The engine holds handles and never learns which binary,
 * root directory, environment or monitor runs a container; crun and runc are profiles of one
 * implementation (monitored-oci-runtime.ts).
 *
 * Lifecycle of a container (any other order is the caller's bug; the runtime answers it with
 * its own error):
 *   create(id, bundle, io)  the process exists, stopped before the user's program (created);
 *                           with io.startNow it already runs (the runtime's `run --detach`)
 *   start(id)               created → running (not after io.startNow)
 *   pause / resume          running ⇄ paused (the cgroup freezer)
 *   kill via handle.signal  any signal; SIGKILL to every process with `all`
 *   handle.wait()           resolves with the exit status once the process is gone
 *   delete(id)              the runtime's state and the cgroup go; idempotent
 * The process outlives the daemon: after a daemon restart, restore(id, bundle) gives a handle to
 * the same process (or its recorded exit).
 */
import type { Socket } from 'node:net';
import type { LinuxResources, Process, RuntimeSpec } from '../../oci/runtime/runtime-spec-types.js';

/** How a container's or exec's process ended. */
export interface ExitStatus {
  /** The exit status, or 128 + the signal number when a signal ended it (docker's rule). */
  code: number;
  /** The signal that ended it, or null when it exited by itself. */
  signal: number | null;
  /** The kernel's OOM killer struck in the container's cgroup (init processes only; read before delete). */
  oomKilled?: boolean;
  /** How many processes it killed there (docker's message tells one from many). */
  oomKills?: number;
  /** When it ended: RFC 3339 with nanoseconds, UTC. */
  at: string;
}

/** The json-file log the monitor writes the container's output to. */
export interface LogOptions {
  path: string;
  /** Rotate at this many bytes (0 or absent: never). */
  maxSize?: number;
  /** Files kept, the live one included. */
  maxFiles?: number;
  /** gzip rotated files. */
  compress?: boolean;
  /** Kubernetes' CRI log format (`<time> <stream> <P|F> <line>`) instead of docker's json-file. */
  format?: 'json-file' | 'cri';
}

/** The process's stdio, owned by the monitor so that it survives the daemon. */
export interface ProcessIo {
  tty: boolean;
  /** Keep stdin open for attach clients. */
  stdin: boolean;
  /** Close the process's stdin when the attached stdin ends (docker's StdinOnce). */
  stdinOnce: boolean;
  /** Initial terminal size (tty only). */
  consoleSize?: readonly [rows: number, cols: number];
  /** Hold the first output until the first attach client comes (a short process may end before). */
  holdOutput?: boolean;
  /** The container's log; none when absent (execs never log). */
  log?: LogOptions;
}

export interface CreateOptions extends ProcessIo {
  /** Create and start in one runtime call (`run --detach`): no start() follows. ~4 ms less per start. */
  startNow?: boolean;
}

/** What the runtime says of a container: the OCI state's status and init pid. */
export interface ContainerState {
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped' | string;
  pid: number;
}

/**
 * One process of a container: its init (from create or restore) or an exec. A handle holds no
 * resource of its own: dropping it leaves the process running, and restore() makes a new one.
 */
export interface ProcessHandle {
  /** The container's ID (and, for an exec, the exec's ID). */
  readonly id: string;
  readonly execId: string | undefined;
  /** The process on the host. */
  readonly pid: number;
  /** Resolves with the exit status once the process is gone; rejects when its monitor died without one. */
  wait(signal?: AbortSignal): Promise<ExitStatus>;
  /** The exit status if the process already ended, else undefined; never waits. */
  exited(): Promise<ExitStatus | undefined>;
  /** Whether the process's monitor still runs (a monitor gone without an exit means a lost process). */
  alive(): Promise<boolean>;
  /**
   * A new attach stream: output from now on (raw with a tty, else docker's multiplexed frames),
   * input to stdin; `end()` ends stdin. The monitor closes it after the process's last output.
   * A socket, not any Duplex: the API hijacks and splices it (half-close, destroy) as one.
   */
  attach(): Promise<Socket>;
  resize(rows: number, cols: number): Promise<void>;
  closeStdin(): Promise<void>;
  /** Opens the log path anew: whoever rotated it away (the kubelet) wants output in a new file. */
  reopenLog(): Promise<void>;
  /** Sends a signal (name with or without SIG, or number); `all` reaches every process of the container (init only). */
  signal(signal: string | number, all?: boolean): Promise<void>;
  /** Forgets a finished process: the runtime's state for an init, the exec's state directory for an exec. */
  delete(): Promise<void>;
}

/** A set of namespaces that containers join (a pod), held open by a pause process. */
export interface SandboxOptions {
  /** The cgroup the pause process lives in (cgroupfs path, as the containers' cgroupsPath). */
  cgroupsPath: string;
  /** The sandbox's host name, which every container joining its UTS namespace shares. */
  hostname?: string;
  /** An existing network namespace (a bind mount the network driver made) instead of a new one. */
  netns?: string;
  /** Containers join the sandbox's PID namespace too (Kubernetes' shareProcessNamespace). */
  sharePid?: boolean;
  /** The sandbox and its containers use this IPC namespace and the host's /dev/shm (Kubernetes' hostIPC). */
  hostIpc?: string;
  /** Bytes of the /dev/shm tmpfs all containers of the sandbox share; 64 MiB when absent. */
  shmSize?: number;
}

export interface Sandbox {
  readonly id: string;
  /** The pause process. */
  readonly pid: number;
  /** Namespace paths containers join (OCI `linux.namespaces[].path`). */
  readonly namespaces: { network: string; ipc: string; uts: string; pid?: string };
  /** The host directory mounted at every member's /dev/shm (POSIX shared memory across the pod). */
  readonly shm: string;
  /** Rewrites a container's spec to join this sandbox (namespaces, /dev/shm; its hostname is the sandbox's). */
  join(spec: RuntimeSpec): RuntimeSpec;
}

export interface ContainerRuntime {
  /** The profile's name (crun, runc): what `docker inspect` shows as HostConfig.Runtime. */
  readonly name: string;
  /**
   * Runtime-specific additions to a spec before the engine writes the bundle (crun takes a
   * seccomp filter compiled for an earlier container); create() learns from what it was given.
   */
  adaptSpec(id: string, spec: RuntimeSpec): RuntimeSpec;
  /**
   * Creates the container from `bundle` (a directory with config.json; the monitor's state goes
   * into `<bundle>/monitor`). Resolves when the process exists and its attach socket listens.
   * A process that cannot start rejects with RuntimeStartError, its `reason` saying why.
   */
  create(id: string, bundle: string, opts: CreateOptions): Promise<ProcessHandle>;
  start(id: string): Promise<void>;
  /** Another process in a running container; its state goes into `<bundle>/execs/<execId>`. */
  exec(id: string, execId: string, process: Process, io: ProcessIo): Promise<ProcessHandle>;
  /**
   * Signals the container's init (`all`: every process of it), as the shim's Kill: for callers
   * that hold the container's ID but no handle. Nothing left to signal is success.
   */
  kill(id: string, signal: string | number, all?: boolean): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** Host PIDs of every process in the container. */
  pids(id: string): Promise<number[]>;
  /** New cgroup limits for a running container (the runtime's `update`, OCI resources). */
  update(id: string, resources: LinuxResources): Promise<void>;
  /** The runtime's view, or undefined when it keeps no state for `id`. */
  state(id: string): Promise<ContainerState | undefined>;
  /** Removes the runtime's state and cgroup (a running container is killed first); idempotent. */
  delete(id: string): Promise<void>;
  /**
   * After a daemon restart: a handle to the container's init as its monitor left it — running,
   * or exited with its status kept (handle.exited()). Undefined when no monitor ever ran there.
   */
  restore(id: string, bundle: string): Promise<ProcessHandle | undefined>;
  /** Starts a sandbox's pause process (bundle and state in `dir`, made here). */
  createSandbox(id: string, dir: string, opts: SandboxOptions): Promise<Sandbox>;
  /** The sandbox a running pause process holds, after a daemon restart; undefined when it is gone. */
  restoreSandbox(id: string, dir: string, opts: Pick<SandboxOptions, 'sharePid' | 'hostIpc'>): Promise<Sandbox | undefined>;
  /** Stops the pause process, deletes its runtime state, unmounts its /dev/shm and removes `dir`. */
  removeSandbox(id: string, dir: string): Promise<void>;
}
