/**
 * One measured number of a bench, for the report `npm run bench` writes (bench/run.ts): each bench
 * appends its results as JSON lines to $BENCH_RESULTS when the runner sets it.
 */
import { appendFileSync } from 'node:fs';
import type { RunResult } from '../test/helpers/test-daemon.js';

export interface BenchResult {
  /** e.g. "container-run" */
  bench: string;
  /** e.g. "run --rm true (median of 10)" */
  metric: string;
  /** e.g. "docker CLI → dockerd" */
  engine: string;
  value: number;
  unit: string;
}

/** A line of context for the report (a peer that could not run, a memory target). */
export function recordNote(bench: string, note: string): void {
  const file = process.env.BENCH_RESULTS;
  if (file) appendFileSync(file, `${JSON.stringify({ bench, note })}\n`);
}

export function recordResult(r: BenchResult): void {
  const file = process.env.BENCH_RESULTS;
  if (file && Number.isFinite(r.value)) appendFileSync(file, `${JSON.stringify(r)}\n`);
}

/**
 * The console table of a bench with two timings per engine: both in seconds, then each
 * relative to the first row's.
 */
export function printTwoTimingTable(columns: readonly [string, string], rows: ReadonlyArray<{ name: string; times: readonly [number, number] }>, baseline: string): void {
  const base = rows[0]?.times;
  const ratio = (a: number, b: number | undefined): string => (b ? (a / b).toFixed(2) : '-');
  const [c1, c2] = columns;
  process.stdout.write(`\n${'engine'.padEnd(24)}${`${c1} s`.padStart(10)}${`${c2} s`.padStart(10)}${`${c1} ×`.padStart(10)}${`${c2} ×`.padStart(10)}\n`);
  for (const r of rows) {
    const [a, b] = r.times;
    process.stdout.write(`${r.name.padEnd(24)}${a.toFixed(3).padStart(10)}${b.toFixed(3).padStart(10)}${ratio(a, base?.[0]).padStart(10)}${ratio(b, base?.[1]).padStart(10)}\n`);
  }
  process.stdout.write(`(× = time relative to ${baseline}; lower is faster)\n`);
}

/** The middle of the sorted values (the upper one of an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** Seconds `fn` took; a failed command ends the bench with its output. */
export async function timedOk(fn: () => Promise<RunResult>, what = 'command'): Promise<number> {
  const t0 = performance.now();
  const r = await fn();
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}${r.stdout ? `\n${r.stdout}` : ''}`);
  return (performance.now() - t0) / 1000;
}
