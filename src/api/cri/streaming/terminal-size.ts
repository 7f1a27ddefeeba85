import type { Readable } from 'node:stream';
import type { TerminalSize } from './backend.js';

/**
 * The resize channel carries JSON objects {"Width":W,"Height":H} one after another (client-go
 * writes them with a json.Encoder; the kubelet reads them with a json.Decoder, which matches field
 * names case-insensitively). This splits the byte stream at the end of each top-level object,
 * wherever the chunks were cut.
 */
export class TerminalSizeDecoder {
  private text = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private scanned = 0;
  /** Set once a value that is not a size arrived: the kubelet stops reading resizes then too. */
  broken = false;

  push(chunk: Buffer | string): TerminalSize[] {
    if (this.broken) return [];
    this.text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const out: TerminalSize[] = [];
    for (; this.scanned < this.text.length; this.scanned++) {
      const c = this.text[this.scanned];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{') {
        if (this.depth++ === 0) this.start = this.scanned;
      } else if (c === '}') {
        if (--this.depth === 0) {
          const size = parseSize(this.text.slice(this.start, this.scanned + 1));
          if (!size) {
            this.broken = true;
            return out;
          }
          out.push(size);
        }
      } else if (this.depth === 0 && c !== undefined && !/\s/.test(c)) {
        this.broken = true;
        return out;
      }
    }
    if (this.depth === 0) {
      this.text = '';
      this.scanned = 0;
    }
    return out;
  }
}

function parseSize(json: string): TerminalSize | undefined {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  let width = 0;
  let height = 0;
  for (const [k, n] of Object.entries(v)) {
    const key = k.toLowerCase();
    if (key !== 'width' && key !== 'height') continue;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffff) return undefined;
    if (key === 'width') width = n;
    else height = n;
  }
  return { width, height };
}

/** The sizes a resize stream carries, until it ends. */
export async function* terminalSizes(source: Readable): AsyncGenerator<TerminalSize> {
  const decoder = new TerminalSizeDecoder();
  try {
    for await (const chunk of source as AsyncIterable<Buffer | string>) {
      yield* decoder.push(chunk);
      if (decoder.broken) return;
    }
  } catch {
    // The stream was torn down with its session (a reset, a closed connection): no more sizes.
  }
}

/** An iterable that ends at once: the sizes of a session without a terminal. */
export async function* noTerminalSizes(): AsyncGenerator<TerminalSize> {
  // nothing to yield
}
