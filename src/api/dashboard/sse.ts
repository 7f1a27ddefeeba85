import type { ServerResponse } from 'node:http';

/** Proxies drop a quiet connection; a comment every 20 s keeps an idle stream open. */
const KEEPALIVE_MS = 20_000;

/**
 * One Server-Sent Events response. Each `send` is one message; nothing is queued for a client
 * that went away (the dashboard closes its streams while its tab is hidden and opens them again
 * for the current state, so there is never a backlog to replay).
 */
export class SseStream {
  private readonly keepalive: NodeJS.Timeout;
  private readonly closers: Array<() => void> = [];
  closed = false;

  constructor(private readonly res: ServerResponse) {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    this.keepalive = setInterval(() => this.res.write(': keepalive\n\n'), KEEPALIVE_MS);
    this.keepalive.unref();
    res.once('close', () => this.close());
  }

  send(event: string, data: unknown): void {
    if (this.closed) return;
    this.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Runs `fn` when the client goes (or the stream is closed here). */
  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closers.push(fn);
  }

  /** Resolves when the client goes. */
  done(): Promise<void> {
    return new Promise((resolve) => this.onClose(resolve));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepalive);
    for (const fn of this.closers.splice(0)) fn();
    if (!this.res.writableEnded) this.res.end();
  }
}
