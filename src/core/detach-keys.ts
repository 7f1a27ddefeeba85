/**
 * Detach keys (moby/term `ToBytes` and `EscapeProxy`): a comma-separated key sequence such as
 * `ctrl-p,ctrl-q` (the default) or `ctrl-a,x`. On a TTY stream the daemon watches the attached
 * stdin for it and, when typed, ends the stream without stopping the container; the CLI watches
 * its own input too, as docker's does.
 */

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const NAMED: Record<string, number> = { 'ctrl-@': 0, 'ctrl-[': 27, 'ctrl-\\': 28, 'ctrl-]': 29, 'ctrl-^': 30, 'ctrl-_': 31 };
for (let i = 0; i < 26; i++) NAMED[`ctrl-${String.fromCharCode(97 + i)}`] = i + 1;

/** `ctrl-p,ctrl-q` → bytes; a single character stands for itself. Unknown names throw (docker's message). */
export function parseDetachKeys(spec: string): Buffer {
  const codes: number[] = [];
  for (const key of spec.split(',')) {
    if (key.length === 1) {
      codes.push(key.charCodeAt(0));
      continue;
    }
    const code = NAMED[key.toLowerCase()];
    if (code === undefined) throw new Error(`Unknown character: '${key}'`);
    codes.push(code);
  }
  return Buffer.from(codes);
}

/**
 * Watches input for the detach sequence. Bytes that might start the sequence are held back; if
 * the next byte does not continue it, they are released in order, so typing ctrl-p alone still
 * reaches the container (as docker's EscapeProxy does).
 */
export class DetachKeyFilter {
  private matched = 0;

  constructor(private readonly keys: Buffer) {}

  /** Returns the bytes to forward and whether the full sequence was typed (input after it is dropped). */
  feed(chunk: Buffer): { forward: Buffer; detached: boolean } {
    if (this.keys.length === 0) return { forward: chunk, detached: false };
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) {
          this.matched = 0;
          return { forward: Buffer.from(out), detached: true };
        }
        continue;
      }
      for (let i = 0; i < this.matched; i++) out.push(this.keys[i] ?? 0);
      this.matched = 0;
      // The byte that broke a partial match may itself start a new one.
      if (byte === this.keys[0]) {
        if (this.keys.length === 1) return { forward: Buffer.from(out), detached: true };
        this.matched = 1;
      } else out.push(byte);
    }
    return { forward: Buffer.from(out), detached: false };
  }

  /** Held-back bytes, for when input ends in the middle of a possible sequence. */
  flush(): Buffer {
    const held = this.keys.subarray(0, this.matched);
    this.matched = 0;
    return Buffer.from(held);
  }
}
