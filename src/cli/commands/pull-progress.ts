import type { JsonMessage } from '../../client/engine-client.js';

/**
 * docker's rendering of a pull or push stream: on a terminal one line per layer, redrawn in
 * place with its bar; elsewhere each status once, without bars.
 */
export class ProgressRenderer {
  private readonly order: string[] = [];
  private readonly lastStatus = new Map<string, string>();

  constructor(private readonly out: NodeJS.WritableStream, private readonly tty: boolean) {}

  handle(m: JsonMessage): void {
    if (m.status === undefined) return;
    if (!m.id) {
      this.out.write(`${m.status}\n`);
      return;
    }
    const bar = this.tty && m.progressDetail?.total ? ` ${m.progress ?? `${m.progressDetail.current ?? 0}/${m.progressDetail.total}`}` : '';
    const line = `${m.id}: ${m.status}${bar}`;
    if (!this.tty) {
      if (this.lastStatus.get(m.id) === m.status) return;
      this.lastStatus.set(m.id, m.status);
      this.out.write(`${line}\n`);
      return;
    }
    const index = this.order.indexOf(m.id);
    if (index < 0) {
      this.order.push(m.id);
      this.out.write(`${line}\n`);
      return;
    }
    const up = this.order.length - index;
    this.out.write(`\x1b[${up}A\r\x1b[2K${line}\r\x1b[${up}B`);
  }
}
