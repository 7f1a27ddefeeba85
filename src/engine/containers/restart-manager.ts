import type { Logger } from '../../core/logger.js';
import type { ContainerRegistry } from './container-registry.js';
import type { ContainerRecord } from './container-types.js';
import type { ExitNotifier } from './exit-notifier.js';
import { nextRestartDelay } from './restart-policy.js';

/**
 * Restart policies carried out (docker's restartmanager): the back-off between restarts of one
 * container, the pending restart timers, and what a user's stop, kill, start or rm does to a
 * container waiting for its restart. Whether an exit restarts at all is restart-policy.ts's.
 */
export class RestartManager {
  /** Restart back-off per container (ms of the last wait) and the pending restart timers. */
  private readonly backoff = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /**
   * Restarts due at daemon start wait for the daemon's own start to finish: its networking
   * sweep takes every veth and namespace no running container owned when it began, and would
   * take those of a container it watched restart meanwhile.
   */
  private bootDone: Promise<void> = Promise.resolve();

  constructor(
    private readonly d: { registry: ContainerRegistry; notifier: ExitNotifier; log: Logger },
    /** Starts the container again (volumes prepared, under its lock). */
    private readonly restartContainer: (id: string) => Promise<void>,
  ) {}

  /** Holds back restarts at boot until the returned function is called. */
  holdBootRestarts(): () => void {
    let release = (): void => undefined;
    this.bootDone = new Promise<void>((resolve) => {
      release = resolve;
    });
    return release;
  }

  /** A start by the user: the restart count and back-off begin again (docker's ResetRestartManager). */
  reset(record: ContainerRecord): void {
    this.cancel(record.Id);
    this.backoff.delete(record.Id);
    record.RestartCount = 0;
    record.HasBeenManuallyStopped = false;
  }

  cancel(id: string): boolean {
    const timer = this.timers.get(id);
    if (!timer) return false;
    clearTimeout(timer);
    this.timers.delete(id);
    return true;
  }

  /** The wait before the next restart of a container that ran from `startedAt` (0 at boot), kept for the one after. */
  nextDelay(id: string, startedAt: string, boot: boolean): number {
    const ms = boot ? 0 : nextRestartDelay(this.backoff.get(id) ?? 0, Date.now() - Date.parse(startedAt));
    this.backoff.set(id, ms);
    return ms;
  }

  /** A container waiting for its restart is stopped instead (stop, kill, rm -f during the back-off). */
  async abandon(record: ContainerRecord): Promise<void> {
    this.cancel(record.Id);
    record.HasBeenManuallyStopped = true;
    record.State = { ...record.State, Status: 'exited', Running: false, Restarting: false, Paused: false, Pid: 0 };
    await this.d.registry.save(record);
    this.d.notifier.exited(record.Id, record.State.ExitCode);
  }

  /** rm -f of a container waiting for its restart: it is not restarted. */
  async forget(record: ContainerRecord): Promise<void> {
    if (record.State.Restarting) await this.abandon(record);
    this.backoff.delete(record.Id);
  }

  /** At daemon start the count begins again (moby starts with ResetRestartManager). */
  schedule(record: ContainerRecord, ms: number, boot = false): void {
    this.cancel(record.Id);
    this.d.log.info({ id: record.Id, inMs: ms, restartCount: record.RestartCount + 1 }, 'restarting the container for its restart policy');
    const timer = setTimeout(() => {
      this.timers.delete(record.Id);
      void this.bootDone.then(() => this.restartNow(record, boot));
    }, ms);
    this.timers.set(record.Id, timer);
  }

  private restartNow(record: ContainerRecord, boot: boolean): void {
    if (!this.d.registry.find(record.Id) || !record.State.Restarting) return;
    if (boot) this.reset(record);
    else record.RestartCount++;
    this.restartContainer(record.Id).catch(async (err: unknown) => {
      this.d.log.warn({ err, id: record.Id }, 'restart for the restart policy failed');
      if (record.State.Restarting) await this.abandon(record).catch(() => undefined);
    });
  }
}
