import { access, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, NotFoundError, NotImplementedError, SystemError, UnavailableError } from '../../core/errors.js';
import { runCommand } from '../../core/run-command.js';
import type { SeccompBpfCache } from './seccomp-bpf-cache.js';

export interface RuntimeState {
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped' | string;
  pid: number;
}

/**
 * An OCI runtime driven through its CLI (crun and runc share it). `create` is not here: the
 * per-container monitor runs it, so that it owns the container's stdio and exit status.
 */
export class OciRuntime {
  /**
   * @param binary what to execute: the runtime's read-only mount where there is one
   *   (read-only-runtime.ts), with `env` to say so, else its installed binary.
   * @param hideOnCreate a mount the runtime must not see when it creates a container (the
   *   cgroup2 mount of a hybrid host, for crun); it runs `create` in a mount namespace without it.
   */
  constructor(
    readonly name: string,
    readonly binary: string,
    readonly root: string,
    readonly hideOnCreate?: string,
    private readonly seccompCache?: SeccompBpfCache,
    readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /**
   * Containers without a cgroup of their own (rootless, no delegation): `kill --all` finds their
   * processes through the cgroup, so it would signal nothing; the init is signalled instead, and
   * SIGKILL to it ends every process of its PID namespace.
   */
  cgroupless = false;

  /** Annotations for a bundle with this seccomp profile: a filter compiled before, where the runtime takes one. */
  seccompAnnotations(seccomp: unknown): Record<string, string> {
    return this.seccompCache?.annotationFor(seccomp) ?? {};
  }

  /** After a successful create, keeps what the runtime compiled for the next container. */
  async learnSeccomp(id: string, seccomp: unknown): Promise<void> {
    await this.seccompCache?.learn(this.root, id, seccomp);
  }

  private async exec(args: string[]): Promise<string> {
    try {
      return (await runCommand(this.binary, ['--root', this.root, ...args], { env: this.env })).stdout;
    } catch (err) {
      if (/ENOENT|cannot run/.test(errorMessage(err))) throw new UnavailableError(`OCI runtime ${this.name} (${this.binary}) is not installed: apt-get install ${this.name}`, { cause: err });
      throw err;
    }
  }

  async start(id: string): Promise<void> {
    await this.exec(['start', id]);
  }

  /** Sends a signal to the container's init (`all` to every process in it). */
  async kill(id: string, signal: string, all = false): Promise<void> {
    try {
      await this.exec(['kill', ...(all && !this.cgroupless ? ['--all'] : []), id, signal]);
    } catch (err) {
      // The container can end between our check and the signal: nothing left to signal is success.
      // crun says so with its state file gone: "error opening file `<root>/<id>/status`: No such file or directory".
      if (/not running|process already finished|container not running|no such process|does not exist|no such file or directory/i.test(errorMessage(err))) return;
      throw err;
    }
  }

  /** Whether the runtime still keeps state for `id` (runc and crun both use `<root>/<id>/`). */
  async hasState(id: string): Promise<boolean> {
    return access(join(this.root, id)).then(() => true, () => false);
  }

  /** `delete --force`, skipped when there is no state: each runtime call costs a process spawn. */
  async deleteIfPresent(id: string): Promise<void> {
    if (await this.hasState(id)) await this.delete(id);
  }

  async delete(id: string): Promise<void> {
    try {
      await this.exec(['delete', '--force', id]);
    } catch (err) {
      if (/does not exist|not found|no such file/i.test(errorMessage(err))) return;
      throw err;
    }
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    try {
      const out = JSON.parse(await this.exec(['state', id])) as { status: string; pid: number };
      return { status: out.status, pid: out.pid };
    } catch (err) {
      if (err instanceof SystemError && /does not exist|not found|no such file or directory/i.test(err.message)) return undefined;
      throw err;
    }
  }

  async pause(id: string): Promise<void> {
    if (this.cgroupless) throw new NotImplementedError(`cannot pause container ${id}: pausing needs the cgroup freezer, and a rootless berthd on this host has no cgroup delegation (cgroup v1 or hybrid); stop it instead, or run it on a root berthd`);
    await this.exec(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.exec(['resume', id]);
  }

  /**
   * New cgroup limits from a file of OCI `linux.resources`. A file, not stdin: crun opens
   * /dev/stdin, which a socket (what Node gives a child for stdin) cannot be opened as.
   */
  async update(id: string, resourcesFile: string): Promise<void> {
    await this.exec(['update', '--resources', resourcesFile, id]);
  }

  /** PIDs (host namespace) of every process in the container. */
  async pids(id: string): Promise<number[]> {
    if (this.cgroupless) return await this.pidsByNamespace(id);
    try {
      const out = await this.exec(['ps', '--format', 'json', id]);
      return (JSON.parse(out || '[]') as number[] | null) ?? [];
    } catch (err) {
      if (/does not exist|not found/i.test(errorMessage(err))) throw new NotFoundError(`container ${id} is not known to runtime ${this.name}`);
      throw err;
    }
  }

  /**
   * Without a cgroup, `crun ps` finds nothing: the processes that share the init's PID namespace
   * are the container's (a rootless container always has its own; the host's cannot be joined).
   */
  private async pidsByNamespace(id: string): Promise<number[]> {
    const st = await this.state(id);
    if (!st || st.pid <= 0) throw new NotFoundError(`container ${id} is not known to runtime ${this.name}`);
    const ns = await readlink(`/proc/${st.pid}/ns/pid`);
    const pids: number[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      if ((await readlink(`/proc/${entry}/ns/pid`).catch(() => undefined)) === ns) pids.push(Number(entry));
    }
    return pids;
  }
}
