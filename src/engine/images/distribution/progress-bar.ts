import type { ProgressMessage, ProgressSink } from '../archive/progress.js';

function human(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(i === 1 ? 1 : 2)}${units[i]}`;
}

/** docker's progress text (`[====>   ] 1.2MB/3.4MB`), sent beside progressDetail for older clients. */
export function progressText(current: number, total: number): string {
  const width = 50;
  const filled = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  const bar = `${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}`;
  return `[${bar}] ${human(current)}/${human(total)}`;
}

/** Per-layer progress, at most one byte update per layer every 100 ms. */
export class LayerProgress {
  private readonly last = new Map<string, number>();

  constructor(private readonly sink: ProgressSink) {}

  status(id: string, status: string, extra: Partial<ProgressMessage> = {}): void {
    this.sink({ status, id, progressDetail: {}, ...extra });
  }

  bytes(id: string, status: string, current: number, total: number): void {
    const now = Date.now();
    if (current < total && now - (this.last.get(id) ?? 0) < 100) return;
    this.last.set(id, now);
    this.sink({ status, id, progressDetail: { current, total }, progress: progressText(current, total) });
  }
}

export { runLimited } from '../../../core/run-limited.js';
