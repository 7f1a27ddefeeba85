import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { BerthError, ConflictError, InvalidParameterError, NotFoundError, errorMessage } from '../../core/errors.js';
import { parseDetachKeys } from '../../core/detach-keys.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { ProcessHandle } from '../../drivers/runtime/container-runtime.js';
import { RuntimeStartError } from '../../drivers/runtime/runtime-start-error.js';
import type { RuntimeCatalog } from '../../drivers/runtime/runtime-catalog.js';
import type { Snapshotter } from '../../drivers/snapshotter/snapshotter.js';
import type { Process } from '../../oci/runtime/runtime-spec-types.js';
import { runDir } from './start-bundle.js';
import type { ContainerRegistry } from './container-registry.js';
import type { ContainerRecord } from './container-types.js';
import { mergeEnv } from './create-request.js';
import { resolveUser } from './user-lookup.js';
import type { PublishEvent } from '../events/event-types.js';
import { publishContainerEvent } from '../events/container-events.js';
import { assertCan } from './container-state.js';

export interface ExecConfig {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
  Env?: string[] | null;
  Cmd?: string[];
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

interface ExecRecord {
  ID: string;
  ContainerID: string;
  config: ExecConfig;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  started: boolean;
  exited: Promise<void> | undefined;
  /** The parsed `DetachKeys`; empty for docker's default. */
  detachKeys: Buffer;
  /** The process never ran (the runtime could not start it). */
  failedToStart?: boolean;
  /** The running process, once started. */
  handle?: ProcessHandle;
}

/** Exec create refuses a key spec docker cannot parse (moby: "Invalid escape keys (…) provided"). */
function execDetachKeys(spec: string | undefined): Buffer {
  if (!spec) return Buffer.alloc(0);
  try {
    return parseDetachKeys(spec);
  } catch (err) {
    throw new InvalidParameterError(`Invalid escape keys (${spec}) provided: ${errorMessage(err)}`);
  }
}

/** `docker exec`: extra processes in a running container, each with its own monitor. */
export class ExecService {
  private readonly execs = new Map<string, ExecRecord>();

  constructor(private readonly d: { registry: ContainerRegistry; runtimes: RuntimeCatalog; snapshotter: Snapshotter; execRoot: string; log: Logger; events?: PublishEvent; /** root's bounding set: what a privileged exec gets. */ capabilities: readonly string[] }) {}

  create(containerRef: string, config: ExecConfig): { Id: string } {
    const r = this.d.registry.get(containerRef);
    assertCan(r, 'exec');
    if (!Array.isArray(config.Cmd) || config.Cmd.length === 0) throw new InvalidParameterError('no exec command specified');
    const detachKeys = execDetachKeys(config.DetachKeys);
    const ID = newId();
    // As dockerd (daemon/exec.go): without a user of its own (the docker CLI sends ""), an exec
    // runs as the container's user, and its inspect shows that user.
    const stored = { ...config, User: config.User || r.Config.User || '' };
    this.execs.set(ID, { ID, ContainerID: r.Id, config: stored, Running: false, ExitCode: null, Pid: 0, started: false, exited: undefined, detachKeys });
    r.ExecIDs = [...(r.ExecIDs ?? []), ID];
    publishContainerEvent(this.d.events, r, `exec_create: ${config.Cmd.join(' ')}`, { execID: ID });
    return { Id: ID };
  }

  get(id: string): ExecRecord {
    const e = this.execs.get(id);
    if (!e) throw new NotFoundError(`No such exec instance: ${id}`);
    return e;
  }

  private stateDir(e: ExecRecord): string {
    return join(runDir(this.d.execRoot, e.ContainerID), 'execs', e.ID);
  }

  /**
   * Starts the process; for an attached start the returned socket carries its output
   * (docker frames, or raw when exec create asked for a TTY) and takes its stdin.
   */
  async start(id: string, opts: { detach: boolean; consoleSize?: [number, number] | undefined }): Promise<Socket | undefined> {
    const e = this.get(id);
    if (e.started) throw new ConflictError(`Error: Exec command ${id} has already run`);
    const r = this.d.registry.get(e.ContainerID);
    assertCan(r, 'exec-start');
    e.started = true;
    try {
      return await this.launch(e, r, opts);
    } catch (err) {
      // docker (daemon/exec.go): a process that never ran exits 126, or 127 when the command is
      // not there, and the CLI reads that from the exec's inspect once the stream has ended.
      const message = errorMessage(err);
      e.ExitCode = (err instanceof RuntimeStartError ? err.exitCode : undefined) ?? 126;
      e.failedToStart = true;
      e.exited = Promise.resolve();
      // runc's words, which docker passes on: "OCI runtime exec failed: exec failed: unable to start…".
      if (err instanceof BerthError && !message.startsWith('OCI runtime exec failed')) err.message = `OCI runtime exec failed: ${message.startsWith('exec failed:') ? '' : 'exec failed: '}${message}`;
      throw err;
    }
  }

  private async launch(e: ExecRecord, r: ContainerRecord, opts: { detach: boolean; consoleSize?: [number, number] | undefined }): Promise<Socket | undefined> {
    // docker (daemon/exec.go): the terminal is exec create's; start's `Tty` only shapes the stream.
    const tty = e.config.Tty === true;
    const bundle = JSON.parse(await readFile(join(runDir(this.d.execRoot, r.Id), 'config.json'), 'utf8')) as { process: Process };
    const rootfs = await this.d.snapshotter.mountRootfs(r.Id);
    const user = await resolveUser(rootfs, e.config.User ?? r.Config.User, (r.HostConfig.GroupAdd as string[] | null | undefined) ?? []);
    // Root's real bounding set: granting one it lacks (CAP_SYS_RESOURCE here) fails the exec.
    const caps = e.config.Privileged ? [...this.d.capabilities] : undefined;
    const proc: Process = {
      ...bundle.process,
      args: e.config.Cmd ?? [],
      env: mergeEnv(bundle.process.env, e.config.Env ?? []),
      cwd: e.config.WorkingDir || bundle.process.cwd,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      ...(caps ? { capabilities: { bounding: caps, effective: caps, permitted: caps } } : {}),
    };
    const size = opts.consoleSize ?? e.config.ConsoleSize ?? undefined;
    const runtime = this.d.runtimes.runtime(r.HostConfig.Runtime);
    const started = await runtime.exec(r.Id, e.ID, proc, {
      tty,
      stdin: e.config.AttachStdin === true && !opts.detach,
      stdinOnce: true,
      holdOutput: !opts.detach,
      ...(tty && size && size[0] > 0 && size[1] > 0 ? { consoleSize: size } : {}),
    });
    e.handle = started;
    e.Running = true;
    e.Pid = started.pid;
    publishContainerEvent(this.d.events, r, `exec_start: ${(e.config.Cmd ?? []).join(' ')}`, { execID: e.ID });
    const attach = opts.detach ? undefined : await started.attach();
    e.exited = started.wait().then(async (exit) => {
      e.Running = false;
      e.ExitCode = exit.code;
      publishContainerEvent(this.d.events, r, 'exec_die', { execID: e.ID, exitCode: String(e.ExitCode) });
      await started.delete().catch(() => undefined);
    });
    return attach;
  }

  async resize(id: string, h: number, w: number): Promise<void> {
    const e = this.get(id);
    if (!e.Running) throw new ConflictError(`exec ${id} is not running`);
    await e.handle?.resize(h, w);
  }

  /** The client typed the detach keys: the process goes on without it. */
  detached(id: string): void {
    const e = this.execs.get(id);
    const r = e && this.d.registry.find(e.ContainerID);
    if (e && r) publishContainerEvent(this.d.events, r, 'exec_detach', { execID: e.ID });
  }

  /** Waits for the exec's exit status to be recorded (the CLI inspects right after the stream ends). */
  async settled(id: string): Promise<void> {
    await this.get(id).exited;
  }

  inspect(id: string): Record<string, unknown> {
    const e = this.get(id);
    const cmd = e.config.Cmd ?? [];
    return {
      CanRemove: false,
      ContainerID: e.ContainerID,
      DetachKeys: e.config.DetachKeys ?? '',
      ExitCode: e.ExitCode,
      ID: e.ID,
      OpenStderr: e.config.AttachStderr === true,
      OpenStdin: e.config.AttachStdin === true,
      OpenStdout: e.config.AttachStdout === true,
      ProcessConfig: { arguments: cmd.slice(1), entrypoint: cmd[0] ?? '', privileged: e.config.Privileged === true, tty: e.config.Tty === true, user: e.config.User ?? '' },
      Running: e.Running,
      Pid: e.Pid,
    };
  }

  /** Whether the exec's process never ran: dockerd 20.10 reported every such exec as 126. */
  failedToStart(id: string): boolean {
    return this.get(id).failedToStart === true;
  }

  /** Forgets one finished exec (health probes are not kept, as in docker). */
  discard(id: string): void {
    const e = this.execs.get(id);
    if (!e) return;
    this.execs.delete(id);
    const r = this.d.registry.find(e.ContainerID);
    if (r?.ExecIDs) r.ExecIDs = r.ExecIDs.filter((x) => x !== id);
    if (r?.ExecIDs?.length === 0) r.ExecIDs = null;
  }

  /** Kills a running exec's process (a health probe past its timeout). */
  killProcess(id: string): void {
    const e = this.execs.get(id);
    if (e?.Running && e.handle) void e.handle.signal('KILL').catch(() => undefined);
  }

  /** Forgets the execs of a removed container. */
  forgetContainer(containerId: string): void {
    for (const [id, e] of this.execs) if (e.ContainerID === containerId) this.execs.delete(id);
  }
}
