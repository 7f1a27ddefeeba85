import { EventEmitter } from 'node:events';
import type { Logger } from '../../core/logger.js';
import type { EventJournal } from '../../store/events/event-journal.js';
import type { Filters } from '../../core/filters.js';
import { checkEventFilters, eventMatches } from './event-filters.js';
import type { EngineEvent, EventInput } from './event-types.js';

/** A time bound of `GET /events`, in nanoseconds since the epoch. */
export type EventTime = bigint;

/** docker's since/until: `SECONDS[.NANOS]` (the CLI turns durations and dates into that). */
export function parseEventTime(text: string): EventTime | undefined {
  const m = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(text.trim());
  if (!m) return undefined;
  return BigInt(m[1] as string) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
}

/** Microsecond resolution: timeNano is a JSON number, exact to about 256 ns at today's values. */
function nowNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n + ((process.hrtime.bigint() / 1000n) % 1000n) * 1000n;
}

/**
 * The engine's event stream: every publish is journaled on disk (so `events --since` sees
 * history from before a daemon restart) and handed to live subscribers.
 */
export class EventService {
  private readonly live = new EventEmitter();
  private lastNanos = 0n;

  constructor(private readonly journal: EventJournal, private readonly log: Logger) {
    this.live.setMaxListeners(0);
    // Times stay increasing across daemon restarts too (a burst may have run ahead of the clock).
    const last = journal.readAll<EngineEvent>().at(-1)?.timeNano;
    if (typeof last === 'number') this.lastNanos = BigInt(last);
  }

  readonly publish = (input: EventInput): void => {
    // Strictly increasing times keep `since`/`until` bounds exact for events of one moment.
    let t = nowNanos();
    if (t <= this.lastNanos) t = this.lastNanos + 1000n;
    this.lastNanos = t;
    const attrs = input.attributes ?? {};
    const legacy = input.type === 'container' ? { status: input.action, id: input.id, ...(attrs.image !== undefined ? { from: attrs.image } : {}) } : input.type === 'image' ? { status: input.action, id: input.id } : {};
    const event: EngineEvent = {
      ...legacy,
      Type: input.type,
      Action: input.action,
      Actor: { ID: input.id, Attributes: attrs },
      scope: 'local',
      time: Number(t / 1_000_000_000n),
      timeNano: Number(t),
    };
    try {
      this.journal.append(event);
    } catch (err) {
      this.log.warn({ err }, 'cannot journal an event; it is only sent to live listeners');
    }
    this.live.emit('event', event);
  };

  /** Journaled events in [since, until], oldest first. */
  history(filters: Filters, since: EventTime | undefined, until: EventTime | undefined): EngineEvent[] {
    checkEventFilters(filters);
    return this.journal.readAll<EngineEvent>().filter((e) => {
      if (typeof e?.timeNano !== 'number' || !e.Actor) return false;
      const t = BigInt(e.timeNano);
      return (since === undefined || t >= since) && (until === undefined || t <= until) && eventMatches(e, filters);
    });
  }

  /** Live events matching the filters until the returned function is called. */
  subscribe(filters: Filters, onEvent: (e: EngineEvent) => void): () => void {
    checkEventFilters(filters);
    const listener = (e: EngineEvent): void => {
      if (eventMatches(e, filters)) onEvent(e);
    };
    this.live.on('event', listener);
    return () => this.live.off('event', listener);
  }

  close(): void {
    this.journal.close();
  }
}
