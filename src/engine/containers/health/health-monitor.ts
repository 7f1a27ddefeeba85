import type { Socket } from 'node:net';
import type { Logger } from '../../../core/logger.js';
import { errorMessage } from '../../../core/errors.js';
import type { PublishEvent } from '../../events/event-types.js';
import { publishContainerEvent } from '../../events/container-events.js';
import type { ContainerRegistry } from '../container-registry.js';
import type { ContainerRecord, HealthState } from '../container-types.js';
import type { ExecService } from '../exec-service.js';
import { HEALTH_DEFAULTS, probeCommand } from './health-config.js';
import { isoTime } from '../../../core/utc-time.js';

/** docker keeps this much of a probe's output, and this many probes. */
const MAX_OUTPUT = 4096;
const KEEP_PROBES = 5;

interface Probe {
  exitCode: number;
  output: string;
  start: Date;
  end: Date;
}

interface Follower {
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
}

/** The output of a non-TTY exec: docker frames (8-byte header, then the payload). */
async function collectFrames(socket: Socket): Promise<string> {
  let pending = Buffer.alloc(0);
  let out = '';
  for await (const chunk of socket) {
    pending = Buffer.concat([pending, chunk as Buffer]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      if (out.length < MAX_OUTPUT) out += pending.subarray(8, 8 + size).toString('utf8');
      pending = pending.subarray(8 + size);
    }
  }
  return out.slice(0, MAX_OUTPUT);
}

/**
 * docker's health checks (daemon/health.go): the probe runs as an exec in the container every
 * interval (start interval during the start period), with a timeout; `retries` failures in a
 * row make the container unhealthy, one success makes it healthy. Each change of status is a
 * `health_status: …` event; the last 5 probes are kept in State.Health.Log. Turning unhealthy
 * calls onUnhealthy (podman's --health-on-failure).
 */
export class HealthMonitor {
  private readonly followers = new Map<string, Follower>();

  constructor(private readonly d: { registry: ContainerRegistry; execs: ExecService; log: Logger; events?: PublishEvent; onUnhealthy?: (id: string) => Promise<void> }) {}

  /** After a start (or a daemon restart that found the container running). */
  follow(r: ContainerRecord, restored: boolean): void {
    this.stop(r.Id);
    if (!probeCommand(r.Config.Healthcheck as never)) return;
    if (!restored || !r.State.Health) r.State.Health = { Status: 'starting', FailingStreak: 0, Log: r.State.Health?.Log ?? [] };
    const f: Follower = { timer: undefined, stopped: false };
    this.followers.set(r.Id, f);
    this.schedule(r, f);
  }

  stop(id: string): void {
    const f = this.followers.get(id);
    if (!f) return;
    f.stopped = true;
    if (f.timer) clearTimeout(f.timer);
    this.followers.delete(id);
  }

  stopAll(): void {
    for (const id of [...this.followers.keys()]) this.stop(id);
  }

  private settings(r: ContainerRecord): { interval: number; timeout: number; startPeriod: number; startInterval: number; retries: number } {
    const h = (r.Config.Healthcheck ?? {}) as { Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number };
    return {
      interval: (h.Interval || HEALTH_DEFAULTS.interval) / 1e6,
      timeout: (h.Timeout || HEALTH_DEFAULTS.timeout) / 1e6,
      startPeriod: (h.StartPeriod || HEALTH_DEFAULTS.startPeriod) / 1e6,
      startInterval: (h.StartInterval || HEALTH_DEFAULTS.startInterval) / 1e6,
      retries: h.Retries || HEALTH_DEFAULTS.retries,
    };
  }

  private inStartPeriod(r: ContainerRecord, startPeriodMs: number, at = Date.now()): boolean {
    return at - Date.parse(r.State.StartedAt) < startPeriodMs;
  }

  private schedule(r: ContainerRecord, f: Follower): void {
    const s = this.settings(r);
    const wait = r.State.Health?.Status === 'starting' && this.inStartPeriod(r, s.startPeriod) ? s.startInterval : s.interval;
    f.timer = setTimeout(() => {
      // A paused container cannot run a probe: that is not a failure of the service.
      if (r.State.Paused) {
        if (!f.stopped) this.schedule(r, f);
        return;
      }
      void this.probe(r, s.timeout)
        .then((result) => (f.stopped ? undefined : this.record(r, result)))
        .catch((err: unknown) => this.d.log.warn({ err, id: r.Id }, 'health probe failed to run'))
        .finally(() => {
          if (!f.stopped) this.schedule(r, f);
        });
    }, wait);
  }

  private async probe(r: ContainerRecord, timeoutMs: number): Promise<Probe> {
    const start = new Date();
    const cmd = probeCommand(r.Config.Healthcheck as never) ?? [];
    let execId: string;
    try {
      execId = this.d.execs.create(r.Id, { Cmd: cmd, AttachStdout: true, AttachStderr: true }).Id;
    } catch (err) {
      return { exitCode: -1, output: errorMessage(err), start, end: new Date() };
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.d.execs.killProcess(execId);
    }, timeoutMs);
    try {
      const socket = await this.d.execs.start(execId, { detach: false });
      const output = socket ? await collectFrames(socket) : '';
      await this.d.execs.settled(execId);
      const code = this.d.execs.inspect(execId).ExitCode as number | null;
      if (timedOut) return { exitCode: -1, output: `Health check exceeded timeout (${timeoutMs / 1000}s)`, start, end: new Date() };
      return { exitCode: code ?? -1, output, start, end: new Date() };
    } catch (err) {
      return { exitCode: -1, output: errorMessage(err), start, end: new Date() };
    } finally {
      clearTimeout(timer);
      this.d.execs.discard(execId);
    }
  }

  private async record(r: ContainerRecord, p: Probe): Promise<void> {
    // Under the container's lock: a save racing the exit's save could bring back an old state.
    const changed = await this.d.registry.exclusive(r.Id, () => this.apply(r, p));
    if (changed) publishContainerEvent(this.d.events, r, `health_status: ${changed}`);
    // Each failed probe of an unhealthy container, as podman: one found unhealthy after a daemon
    // restart is acted on too. Not awaited: the action stops this follower, whose chain this is.
    if (p.exitCode !== 0 && r.State.Health?.Status === 'unhealthy' && r.State.Running && this.d.onUnhealthy) {
      void this.d.onUnhealthy(r.Id).catch((err: unknown) => this.d.log.warn({ err, id: r.Id }, 'the health-on-failure action failed'));
    }
  }

  private async apply(r: ContainerRecord, p: Probe): Promise<string | undefined> {
    if (!r.State.Running || r.State.Restarting || !this.d.registry.find(r.Id)) return undefined;
    const s = this.settings(r);
    const h: HealthState = r.State.Health ?? { Status: 'starting', FailingStreak: 0, Log: [] };
    const before = h.Status;
    h.Log = [...h.Log, { Start: isoTime(p.start), End: isoTime(p.end), ExitCode: p.exitCode, Output: p.output }].slice(-KEEP_PROBES);
    if (p.exitCode === 0) {
      h.FailingStreak = 0;
      h.Status = 'healthy';
    } else if (!(h.Status === 'starting' && this.inStartPeriod(r, s.startPeriod, p.start.getTime()))) {
      // Failures during the start period do not count while the container never was healthy.
      h.FailingStreak++;
      if (h.FailingStreak >= s.retries) h.Status = 'unhealthy';
    }
    r.State.Health = h;
    await this.d.registry.save(r).catch((err: unknown) => this.d.log.warn({ err, id: r.Id }, 'saving the health state failed'));
    return h.Status !== before ? h.Status : undefined;
  }
}
