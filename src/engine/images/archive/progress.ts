/** One JSON message of docker's progress stream (`docker load`, `docker import`, pull, push). */
export type ProgressMessage = {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  /** docker's rendered bar, for clients that do not draw progressDetail themselves. */
  progress?: string;
  stream?: string;
  aux?: unknown;
  error?: string;
  errorDetail?: { message: string };
};

export type ProgressSink = (msg: ProgressMessage) => void;
