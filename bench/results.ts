/**
 * One measured number of a bench, for the report `npm run bench` writes (bench/run.ts): each bench
 * appends its results as JSON lines to $BENCH_RESULTS when the runner sets it.
 */
import { appendFileSync } from 'node:fs';

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
