import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../core/logger.js';
import { EventJournal } from '../../store/events/event-journal.js';
import { eventMatches } from './event-filters.js';
import { EventService, parseEventTime } from './event-service.js';
import type { EngineEvent } from './event-types.js';

const ev = (type: EngineEvent['Type'], action: string, id: string, attrs: Record<string, string> = {}): EngineEvent => ({ Type: type, Action: action, Actor: { ID: id, Attributes: attrs }, scope: 'local', time: 1, timeNano: 1e9 });

test("event filters: docker's keys and matching", () => {
  const die = ev('container', 'die', 'abc123', { name: 'web', image: 'busybox:latest', exitCode: '1', team: 'blue' });
  assert.ok(eventMatches(die, { container: ['web'] }));
  assert.ok(eventMatches(die, { container: ['abc'] }), 'ID prefix');
  assert.ok(!eventMatches(die, { container: ['db'] }));
  assert.ok(eventMatches(die, { image: ['busybox'] }), 'image without its tag');
  assert.ok(eventMatches(die, { label: ['team=blue'] }) && eventMatches(die, { label: ['team'] }) && !eventMatches(die, { label: ['team=red'] }));
  assert.ok(eventMatches(ev('container', 'health_status: healthy', 'x'), { event: ['health_status'] }));
  assert.ok(!eventMatches(ev('volume', 'create', 'v1'), { container: ['v1'] }), 'a container filter drops other types');
  assert.ok(eventMatches(ev('volume', 'create', 'v1'), { type: ['volume'], volume: ['v1'] }));
  assert.deepEqual(parseEventTime('1700000000.5'), 1_700_000_000_500_000_000n);
  assert.equal(parseEventTime('yesterday'), undefined);
});

test('the journal keeps history across reopen, bounded, and skips a torn last line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-unit-events-'));
  try {
    const events = new EventService(new EventJournal(dir, 4096), silentLogger());
    for (let i = 0; i < 100; i++) events.publish({ type: 'volume', action: 'create', id: `v${i}` });
    events.close();
    assert.deepEqual(readdirSync(dir).sort(), ['events.log', 'events.log.1']);
    appendFileSync(join(dir, 'events.log'), '{"Type":"volume","Act');
    const again = new EventService(new EventJournal(dir, 4096), silentLogger());
    again.publish({ type: 'volume', action: 'destroy', id: 'v99' });
    const all = again.history({}, undefined, undefined);
    assert.ok(all.length > 10 && all.length < 100, `bounded: ${all.length}`);
    assert.equal(all.at(-1)?.Action, 'destroy', 'the record after a torn line is intact');
    const times = all.map((e) => e.timeNano);
    assert.deepEqual(times, [...times].sort((a, b) => a - b));
    assert.equal(again.history({ event: ['destroy'] }, undefined, undefined).length, 1);
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
