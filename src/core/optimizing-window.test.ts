import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

/**
 * In a Node started as bin/berthd starts berthd (compilers off): a hot function is optimized
 * only inside the window, and nothing more once the window closed. V8 says which tier a
 * function runs in through %GetOptimizationStatus (bit 4: optimized, by Maglev or TurboFan).
 */
function statuses(flags: string[]): { outside: boolean; inside: boolean; after: boolean; nested: boolean; closed: boolean } {
  const module = new URL('./optimizing-window.js', import.meta.url).href;
  const script = `
    const { optimizing, optimizingWindow } = await import(${JSON.stringify(module)});
    const hot = () => { let s = 0; for (let i = 0; i < 200; i++) s += i % 7; return s; };
    const optimized = (f) => (%GetOptimizationStatus(f) & 16) !== 0;
    const warm = (f) => { for (let i = 0; i < 200000; i++) f(); };
    const a = () => hot(), b = () => hot(), c = () => hot();
    warm(a);
    const outside = optimized(a);
    const inside = await optimizing(async () => { warm(b); return optimized(b); });
    warm(c);
    // Two windows: the first closed (twice) leaves the second's on; the second closed ends it.
    const d = () => hot(), e = () => hot();
    const first = optimizingWindow(), second = optimizingWindow();
    first(); first();
    warm(d);
    second();
    warm(e);
    console.log(JSON.stringify({ outside, inside, after: optimized(c), nested: optimized(d), closed: optimized(e) }));
  `;
  const r = spawnSync(process.execPath, [...flags, '--allow-natives-syntax', '--no-concurrent-recompilation', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { outside: boolean; inside: boolean; after: boolean; nested: boolean; closed: boolean };
}

test('berthd\'s flags: the compilers optimize inside the window only', () => {
  assert.deepEqual(statuses(['--no-opt', '--no-maglev']), { outside: false, inside: true, after: false, nested: true, closed: false });
});

test('a process started with the compilers on keeps them on', () => {
  const s = statuses([]);
  assert.equal(s.outside, true);
  assert.equal(s.after, true);
});
