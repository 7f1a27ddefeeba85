import type { ServerResponse } from 'node:http';
import { errorMessage } from '../../core/errors.js';

/**
 * A JSON-lines progress stream (pull, push, load, import, build). Once the 200 is sent, errors
 * can only be reported in-band, as an `errorDetail` line that makes the docker CLI fail.
 */
export class JsonLines {
  private started = false;

  constructor(private readonly res: ServerResponse) {}

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.res.writeHead(200, { 'Content-Type': 'application/json' });
  }

  write(message: object): void {
    this.start();
    this.res.write(JSON.stringify(message) + '\r\n');
  }

  fail(err: unknown): void {
    const message = errorMessage(err);
    this.write({ errorDetail: { message }, error: message });
  }

  end(): void {
    this.start();
    this.res.end();
  }
}
