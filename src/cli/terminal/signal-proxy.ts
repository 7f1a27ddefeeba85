/**
 * Signal proxy (docker's ForwardAllSignals): while the CLI is attached, signals it receives go to
 * the container as `POST /containers/{id}/kill?signal=NAME` (no SIG prefix) instead of ending the
 * CLI. Node cannot catch every signal; these are the ones a user or supervisor sends.
 * SIGWINCH is not forwarded: terminal size changes travel as resize calls instead.
 */
import type { EngineClient } from '../../client/engine-client.js';

export const PROXIED_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR2', 'SIGALRM'] as const;

/** Starts forwarding; returns the function that stops it (default signal handling comes back). */
export function proxySignals(client: EngineClient, containerId: string): () => void {
  const handler = (signal: NodeJS.Signals): void => {
    client
      .noContent({ method: 'POST', path: `/containers/${encodeURIComponent(containerId)}/kill`, query: { signal: signal.slice(3) } })
      .catch(() => undefined); // docker only logs this at debug level
  };
  for (const s of PROXIED_SIGNALS) process.on(s, handler);
  return () => {
    for (const s of PROXIED_SIGNALS) process.removeListener(s, handler);
  };
}
