/**
 * A ProcessHandle over one berth-monitor state directory. Everything it knows is on disk (the
 * monitor's pid, sockets and exit file), so a handle made after a daemon restart is as good as
 * the one create() returned.
 */
import { constants } from 'node:os';
import type { Socket } from 'node:net';
import { errnoCode, InvalidParameterError } from '../../core/errors.js';
import { removeTree } from '../../core/native-ops.js';
import { connectAttach, isMonitorAlive, readExit, sendControl, waitExit, type MonitorExit } from '../monitor/monitor-client.js';
import type { ExitStatus, ProcessHandle } from './container-runtime.js';

/** What the handle asks of its runtime: the init's signals, deletion and OOM verdict go through it. */
export interface ProcessOwner {
  kill(id: string, signal: string | number, all: boolean): Promise<void>;
  delete(id: string): Promise<void>;
  /** OOM kills counted in the container's cgroup so far (0 when unknown). */
  oomKills(id: string): Promise<number>;
}

/** SIGTERM, TERM or 15 → the runtime's name without SIG ("TERM"); the runtimes take either. */
export function signalName(signal: string | number): string {
  if (typeof signal === 'number' || /^\d+$/.test(signal)) {
    const n = Number(signal);
    const name = Object.entries(constants.signals).find(([, v]) => v === n)?.[0];
    if (!name) throw new InvalidParameterError(`invalid signal: ${signal}`);
    return name.replace(/^SIG/, '');
  }
  const name = signal.toUpperCase().replace(/^SIG/, '');
  if (!(`SIG${name}` in constants.signals)) throw new InvalidParameterError(`invalid signal: ${signal}`);
  return name;
}

export class MonitoredProcess implements ProcessHandle {
  constructor(
    readonly id: string,
    readonly pid: number,
    private readonly stateDir: string,
    private readonly owner: ProcessOwner,
    readonly execId: string | undefined = undefined,
  ) {}

  private async status(exit: MonitorExit): Promise<ExitStatus> {
    const status: ExitStatus = { code: exit.exitCode, signal: exit.signal, at: exit.finishedAt };
    // The counter lives in the container's cgroup, which delete() removes: read it now.
    if (this.execId === undefined) {
      status.oomKills = await this.owner.oomKills(this.id).catch(() => 0);
      status.oomKilled = status.oomKills > 0;
    }
    return status;
  }

  async wait(signal?: AbortSignal): Promise<ExitStatus> {
    return await this.status(await waitExit(this.stateDir, undefined, signal));
  }

  async exited(): Promise<ExitStatus | undefined> {
    const exit = await readExit(this.stateDir);
    return exit ? await this.status(exit) : undefined;
  }

  alive(): Promise<boolean> {
    return isMonitorAlive(this.stateDir);
  }

  attach(): Promise<Socket> {
    return connectAttach(this.stateDir);
  }

  async resize(rows: number, cols: number): Promise<void> {
    await sendControl(this.stateDir, `resize ${rows} ${cols}`);
  }

  async reopenLog(): Promise<void> {
    await sendControl(this.stateDir, 'reopen-log');
  }

  async closeStdin(): Promise<void> {
    await sendControl(this.stateDir, 'close-stdin');
  }

  async signal(signal: string | number, all = false): Promise<void> {
    const name = signalName(signal);
    if (this.execId === undefined) return await this.owner.kill(this.id, name, all);
    // The runtimes signal a container's init only; an exec is signalled by its pid, as
    // containerd's shim does. A pid whose monitor is gone may be another process's by now.
    if (!(await this.alive())) return;
    try {
      process.kill(this.pid, `SIG${name}` as NodeJS.Signals);
    } catch (err) {
      if (errnoCode(err) !== 'ESRCH') throw err;
    }
  }

  async delete(): Promise<void> {
    if (this.execId === undefined) await this.owner.delete(this.id);
    else await removeTree(this.stateDir);
  }
}
