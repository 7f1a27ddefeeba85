/**
 * Milliseconds since start, per named phase, for debug logs of hot paths. It reads
 * process.hrtime: the `performance` global loads perf_hooks (eight modules) into the daemon.
 */
export interface PhaseTimer {
  mark(phase: string): void;
  readonly phases: Record<string, number>;
}

export function phaseTimer(): PhaseTimer {
  const t0 = process.hrtime.bigint();
  const phases: Record<string, number> = {};
  return {
    phases,
    mark(phase: string): void {
      phases[phase] = Math.round(Number(process.hrtime.bigint() - t0) / 1e5) / 10;
    },
  };
}
