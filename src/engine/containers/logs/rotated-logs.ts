import { readFile } from 'node:fs/promises';
import { errnoCode } from '../../../core/errors.js';
import { zlib } from '../../../core/node-builtins.js';

/** The most rotated files a reader looks for (docker's max-file has no upper bound; this is plenty). */
const MAX_ROTATED = 1000;

/** `<log>.N` or `<log>.N.gz`, whichever exists (the plain one while compression is in progress). */
export async function readRotated(path: string, n: number): Promise<Buffer | undefined> {
  for (const [name, gz] of [[`${path}.${n}`, false], [`${path}.${n}.gz`, true]] as const) {
    try {
      const data = await readFile(name);
      return gz ? zlib().gunzipSync(data) : data;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue;
      // A file being compressed right now may be truncated: skip it rather than fail the read.
      if (gz) return undefined;
      throw err;
    }
  }
  return undefined;
}

function splitLines(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, start)) {
    out.push(data.subarray(start, nl));
    start = nl + 1;
  }
  return out;
}

function countLines(data: Buffer): number {
  let n = 0;
  for (let i = data.indexOf(0x0a); i !== -1; i = data.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * The entries of a log's rotated files (`<log>.1` is the newest), oldest first, that come before
 * the live file. With `tail`, only as many as the live file lacks to make `tail` lines.
 */
export async function* rotatedLogLines(path: string, tail: number | undefined): AsyncGenerator<Buffer> {
  let need = Infinity;
  if (tail !== undefined) {
    let live = 0;
    try {
      live = countLines(await readFile(path));
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    need = tail - live;
    if (need <= 0) return;
  }
  const files: Buffer[][] = [];
  let have = 0;
  for (let n = 1; n <= MAX_ROTATED && have < need; n++) {
    const data = await readRotated(path, n);
    if (!data) break;
    const lines = splitLines(data);
    files.unshift(lines);
    have += lines.length;
  }
  const all = files.flat();
  yield* need === Infinity ? all : all.slice(Math.max(0, all.length - need));
}
