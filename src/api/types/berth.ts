/** Shapes of Berth's own API (`/berth/v1/…`) shared by the daemon and the CLI. */

/** One run of the disk budget's collection. */
export interface GcRun {
  trigger: string;
  started: string;
  finished: string;
  usageBefore: number;
  usageAfter: number;
  freed: number;
  /** Bytes each reclaimer said it freed, in the order they ran. */
  steps: Array<{ kind: string; freed: number }>;
  error?: string;
}

export interface BudgetStatus {
  enabled: boolean;
  /** `filesystem`: percent marks, the data root's filesystem as df shows it; `data-root`: byte marks, what the data root itself takes. */
  measure?: 'filesystem' | 'data-root';
  high?: { mark: string; bytes: number };
  low?: { mark: string; bytes: number };
  graceSeconds?: number;
  usage?: number;
  filesystemSize?: number;
  reclaimable?: Array<{ kind: string; bytes: number }>;
  running?: boolean;
  lastRun?: GcRun | null;
}
