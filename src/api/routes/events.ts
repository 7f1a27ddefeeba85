import { InvalidParameterError } from '../../core/errors.js';
import { parseEventTime, type EventService, type EventTime } from '../../engine/events/event-service.js';
import type { EngineEvent } from '../../engine/events/event-types.js';
import { JSON_TYPE, queryFilters } from '../http-context.js';
import type { Route } from '../route.js';

function timeParam(query: URLSearchParams, name: string): EventTime | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  const t = parseEventTime(v);
  if (t === undefined) throw new InvalidParameterError(`invalid value for ${name}: "${v}" is not a unix timestamp`);
  return t;
}

/**
 * `GET /events`: journaled events from `since`, then live ones until `until` (or until the client
 * goes). Live events are subscribed to before the journal is read, so none falls in between.
 */
export function eventRoutes(events: EventService): Route[] {
  return [
    {
      method: 'GET',
      path: '/events',
      handler: async ({ req, res, query }) => {
        const filters = queryFilters(query);
        const since = timeParam(query, 'since');
        const until = timeParam(query, 'until');
        if (since !== undefined && until !== undefined && until < since) throw new InvalidParameterError('`since` time must be before `until` time');
        let lastSent = -1;
        const pending: EngineEvent[] = [];
        let replaying = true;
        const send = (e: EngineEvent): void => {
          if (e.timeNano <= lastSent) return;
          if (until !== undefined && BigInt(e.timeNano) > until) return;
          lastSent = e.timeNano;
          res.write(JSON.stringify(e) + '\n');
        };
        const unsubscribe = events.subscribe(filters, (e) => (replaying ? pending.push(e) : send(e)));
        let timer: NodeJS.Timeout | undefined;
        const finish = (): void => {
          unsubscribe();
          if (timer) clearTimeout(timer);
          if (!res.writableEnded) res.end();
        };
        req.socket.once('close', finish);
        res.writeHead(200, { 'Content-Type': JSON_TYPE });
        res.flushHeaders();
        const now = BigInt(Date.now()) * 1_000_000n;
        if (since !== undefined || until !== undefined) for (const e of events.history(filters, since, until)) send(e);
        replaying = false;
        for (const e of pending.splice(0)) send(e);
        if (until !== undefined) {
          if (until <= now) return finish();
          timer = setTimeout(finish, Number((until - now) / 1_000_000n) + 1);
        }
      },
    },
  ];
}
