/**
 * Terminal size for container TTYs (docker's tty.go): the size goes into `ConsoleSize` at create
 * time, again through `POST …/resize` once the process runs (retried, since the process may not
 * have its TTY yet), and again on every terminal resize.
 */
import type { EngineClient } from '../../client/engine-client.js';

interface SizedStream {
  isTTY?: boolean;
  rows?: number;
  columns?: number;
}

export interface ResizeTarget {
  kind: 'containers' | 'exec';
  id: string;
}

/** `[rows, columns]` of a terminal output, `[0, 0]` when it is not a terminal. */
export function consoleSize(out: unknown): [number, number] {
  const s = out as SizedStream;
  if (s.isTTY !== true) return [0, 0];
  return [s.rows ?? 0, s.columns ?? 0];
}

export async function resizeTo(client: EngineClient, target: ResizeTarget, rows: number, cols: number): Promise<void> {
  if (rows === 0 && cols === 0) return;
  await client.noContent({ method: 'POST', path: `/${target.kind}/${encodeURIComponent(target.id)}/resize`, query: { h: rows, w: cols } });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** docker's initTtySize: one try, then up to 10 more, waiting 10 ms, 20 ms, … between them. */
export async function initTtySize(
  client: EngineClient, target: ResizeTarget, out: unknown, stderr: NodeJS.WritableStream, active: () => boolean = () => true,
): Promise<void> {
  const attempt = async (): Promise<boolean> => {
    const [rows, cols] = consoleSize(out);
    try {
      await resizeTo(client, target, rows, cols);
      return true;
    } catch {
      return false;
    }
  };
  if (await attempt()) return;
  for (let retry = 0; retry < 10; retry++) {
    await sleep((retry + 1) * 10);
    // The session may be over already (a short-lived command): then there is nothing to size.
    if (!active() || (await attempt())) return;
  }
  stderr.write('failed to resize tty, using default size\n');
}

/**
 * Sends the size now and on every terminal resize ('resize' fires on SIGWINCH after Node has
 * refreshed rows/columns). Returns the function that stops watching.
 */
export function monitorTtySize(client: EngineClient, target: ResizeTarget, out: NodeJS.WritableStream, stderr: NodeJS.WritableStream): () => void {
  let active = true;
  void initTtySize(client, target, out, stderr, () => active);
  const onResize = (): void => {
    const [rows, cols] = consoleSize(out);
    resizeTo(client, target, rows, cols).catch(() => undefined);
  };
  out.on('resize', onResize);
  return () => {
    active = false;
    out.removeListener('resize', onResize);
  };
}
