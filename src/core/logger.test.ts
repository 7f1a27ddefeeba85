import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loggerTo } from './logger.js';

function capture(level = 'info'): { lines: Array<Record<string, unknown>>; raw: string[]; log: ReturnType<typeof loggerTo> } {
  const raw: string[] = [];
  const log = loggerTo((line) => raw.push(line), level, 'berthd');
  return {
    raw,
    log,
    get lines() {
      return raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
  };
}

test("one JSON object a line, in pino's shape: level, time, svc, the fields, then msg", () => {
  const c = capture();
  c.log.info({ path: '/_ping', status: 200 }, 'request');
  c.log.warn('plain message');
  assert.equal(c.raw.length, 2);
  assert.ok(c.raw.every((l) => l.endsWith('}\n') && !l.slice(0, -1).includes('\n')));
  assert.match(c.raw[0] ?? '', /^\{"level":30,"time":\d+,"svc":"berthd","path":"\/_ping","status":200,"msg":"request"\}\n$/);
  assert.deepEqual({ ...c.lines[1], time: 0 }, { level: 40, time: 0, svc: 'berthd', msg: 'plain message' });
});

test('lines below the level are not written; the level can change and is checked', () => {
  const c = capture('info');
  c.log.debug('hidden');
  c.log.level = 'debug';
  c.log.debug('shown');
  assert.deepEqual(c.lines.map((l) => l.msg), ['shown']);
  assert.equal(c.log.level, 'debug');
  assert.throws(() => (c.log.level = 'loud'), /unknown log level "loud": use one of debug, info, warn, error, fatal/);
  assert.equal(c.log.level, 'debug');
  c.log.level = 'silent';
  c.log.fatal('not even this');
  assert.equal(c.raw.length, 1);
  assert.throws(() => loggerTo(() => undefined, 'verbose'), /unknown log level "verbose"/);
});

test('errors keep their class, message, stack, own fields and cause', () => {
  const c = capture();
  const cause = new RangeError('inner');
  const err = Object.assign(new Error('outer', { cause }), { code: 'ENOENT', path: '/x' });
  c.log.error({ err }, 'failed');
  c.log.error(new TypeError('bare'));
  const [first, second] = c.lines as Array<{ err: Record<string, unknown>; msg: string }>;
  assert.equal(first?.err.type, 'Error');
  assert.equal(first?.err.message, 'outer');
  assert.match(String(first?.err.stack), /^Error: outer\n {4}at /);
  assert.equal(first?.err.code, 'ENOENT');
  assert.equal(first?.err.path, '/x');
  assert.equal((first?.err.cause as Record<string, unknown>).type, 'RangeError');
  assert.equal(second?.err.type, 'TypeError');
  assert.equal(second?.msg, 'bare');
});

test('a cycle or a bigint in the fields does not make the log call throw', () => {
  const c = capture();
  const a: Record<string, unknown> = { name: 'a' };
  a.self = a;
  c.log.info({ a, big: 12n }, 'odd fields');
  assert.deepEqual(c.lines[0]?.a, { name: 'a', self: '[Circular]' });
  assert.equal(c.lines[0]?.big, '12');
});

test('a daemon whose log reader went away keeps running (EPIPE on stderr is not fatal)', async () => {
  const { spawn } = await import('node:child_process');
  const script = `import { createLogger } from ${JSON.stringify(new URL('./logger.js', import.meta.url).href)};
    const log = createLogger('info');
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 2000; i++) log.info({ i }, 'a line nobody reads');
    await new Promise((r) => setTimeout(r, 100));
    process.stdout.write('survived');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.destroy(); // the reader goes away before the first line
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0);
  assert.equal(out, 'survived');
});
