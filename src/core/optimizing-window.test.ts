import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

/**
 * In a Node started as bin/berthd starts berthd (compilers off): a hot function is optimized
 * only inside the window, and nothing more once the window closed. V8 says which tier a
 * function runs in through %GetOptimizationStatus (bit 4: optimized, by Maglev or TurboFan).
 */
interface Statuses {
  outside: boolean;
  short: boolean;
  inside: boolean;
  big: boolean;
  small: boolean;
  after: boolean;
  nested: boolean;
  closed: boolean;
}

function statuses(flags: string[]): Statuses {
  const module = new URL('./optimizing-window.js', import.meta.url).href;
  const script = `
    const { optimizing, optimizingWindow, OPEN_AFTER_MS, OPEN_AT_BYTES } = await import(${JSON.stringify(module)});
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const hot = () => { let s = 0; for (let i = 0; i < 200; i++) s += i % 7; return s; };
    const optimized = (f) => (%GetOptimizationStatus(f) & 16) !== 0;
    const warm = (f) => { for (let i = 0; i < 200000; i++) f(); };
    const a = () => hot(), b = () => hot(), c = () => hot(), s = () => hot();
    warm(a);
    const outside = optimized(a);
    // A path done before OPEN_AFTER_MS opens no window.
    const short = await optimizing(async () => { warm(s); return optimized(s); });
    const inside = await optimizing(async () => { await sleep(OPEN_AFTER_MS + 50); warm(b); return optimized(b); });
    // A path of known size: big enough opens at once, smaller never.
    const g = () => hot(), m = () => hot();
    const big = await optimizing(async () => { warm(g); return optimized(g); }, OPEN_AT_BYTES);
    const small = await optimizing(async () => { await sleep(OPEN_AFTER_MS + 50); warm(m); return optimized(m); }, OPEN_AT_BYTES - 1);
    warm(c);
    // Two windows: the first closed (twice) leaves the second's on; the second closed ends it.
    const d = () => hot(), e = () => hot();
    const first = optimizingWindow(), second = optimizingWindow();
    await sleep(OPEN_AFTER_MS + 50);
    first(); first();
    warm(d);
    second();
    warm(e);
    console.log(JSON.stringify({ outside, short, inside, big, small, after: optimized(c), nested: optimized(d), closed: optimized(e) }));
  `;
  const r = spawnSync(process.execPath, [...flags, '--allow-natives-syntax', '--no-concurrent-recompilation', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Statuses;
}

test('berthd\'s flags: the compilers optimize inside a window only: at once for a path known to be big, after OPEN_AFTER_MS for one of unknown size', () => {
  assert.deepEqual(statuses(['--no-opt', '--no-maglev']), { outside: false, short: false, inside: true, big: true, small: false, after: false, nested: true, closed: false });
});

test('a process started with the compilers on keeps them on', () => {
  const s = statuses([]);
  assert.equal(s.outside, true);
  assert.equal(s.after, true);
});
