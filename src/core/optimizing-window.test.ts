import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

interface Statuses {
  outside: boolean;
  small: boolean;
  big: boolean;
  after: boolean;
  nested: boolean;
  closed: boolean;
}

/**
 * In a Node started as bin/berthd starts berthd (compilers off), a hot function is optimized
 * only inside an open window. V8 says which tier a function runs in through
 * %GetOptimizationStatus (bit 4: optimized, by Maglev or TurboFan).
 */
function statuses(flags: string[]): Statuses {
  const module = new URL('./optimizing-window.js', import.meta.url).href;
  const script = `
    const { optimizingWindow, OPEN_AT_BYTES } = await import(${JSON.stringify(module)});
    const hot = () => { let s = 0; for (let i = 0; i < 200; i++) s += i % 7; return s; };
    const optimized = (f) => (%GetOptimizationStatus(f) & 16) !== 0;
    const warm = (f) => { for (let i = 0; i < 200000; i++) f(); };
    const inWindow = (bytes, f) => { const close = optimizingWindow(bytes); warm(f); close(); return optimized(f); };
    const a = () => hot(), s = () => hot(), b = () => hot(), c = () => hot(), d = () => hot(), e = () => hot();
    warm(a);
    const outside = optimized(a);
    const small = inWindow(OPEN_AT_BYTES - 1, s);
    const big = inWindow(OPEN_AT_BYTES, b);
    warm(c);
    // Two windows: the first closed (twice) leaves the second's on; the second closed ends it.
    const first = optimizingWindow(OPEN_AT_BYTES), second = optimizingWindow(OPEN_AT_BYTES);
    first(); first();
    warm(d);
    second();
    warm(e);
    console.log(JSON.stringify({ outside, small, big, after: optimized(c), nested: optimized(d), closed: optimized(e) }));
  `;
  const r = spawnSync(process.execPath, [...flags, '--allow-natives-syntax', '--no-concurrent-recompilation', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Statuses;
}

test('berthd\'s flags: the compilers optimize inside the window of a big transfer only', () => {
  assert.deepEqual(statuses(['--no-opt', '--no-maglev']), { outside: false, small: false, big: true, after: false, nested: true, closed: false });
});

test('a process started with the compilers on keeps them on', () => {
  const s = statuses([]);
  assert.equal(s.outside, true);
  assert.equal(s.after, true);
});
