/**
 * `--env-file`, `--label-file`, `-e`, `-l` (docker cli `opts/file.go`, `opts/env.go`):
 *
 * - a file has one `KEY=VALUE` per line; leading whitespace is dropped, lines starting with `#`
 *   and empty lines are skipped, the value is taken as is (quotes included);
 * - a bare `KEY` takes the value from the host environment, and is dropped if that is unset;
 * - a key containing whitespace is an error; a UTF-8 BOM on the first line is ignored.
 */
import { readFileSync } from 'node:fs';
import { FlagError } from './run-units.js';

export type EnvLookup = (key: string) => string | undefined;

export const hostEnv: EnvLookup = (key) => process.env[key];

const WHITESPACES = ' \t';

/** Parses file content; `lookup` resolves bare keys (labels pass none: bare keys are dropped). */
export function parseKeyValueLines(content: string, filename: string, lookup: EnvLookup | undefined): string[] {
  const lines: string[] = [];
  const raw = content.split(/\r?\n/);
  if (raw[raw.length - 1] === '') raw.pop();
  raw.forEach((text, index) => {
    if (text.includes('\uFFFD')) {
      throw new FlagError(`env file ${filename} contains invalid utf8 bytes at line ${index + 1}`);
    }
    const line = (index === 0 ? text.replace(/^\uFEFF/, '') : text).replace(/^\s+/, '');
    if (line.length === 0 || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const variable = (eq < 0 ? line : line.slice(0, eq)).replace(/^[ \t]+/, '');
    if ([...WHITESPACES].some((w) => variable.includes(w))) {
      throw new FlagError(`poorly formatted environment: variable '${variable}' contains whitespaces`);
    }
    if (variable.length === 0) throw new FlagError(`poorly formatted environment: no variable name on line '${line}'`);
    if (eq >= 0) {
      lines.push(`${variable}=${line.slice(eq + 1)}`);
      return;
    }
    const value = lookup?.(variable);
    if (value !== undefined) lines.push(`${variable.trim()}=${value}`);
  });
  return lines;
}

function readFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new FlagError(`open ${path}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
  }
}

/**
 * `-e KEY=VAL` is kept as is; `-e KEY` takes the host value, or is dropped when the host has
 * none. An empty key is an error.
 */
export function validateEnv(value: string, lookup: EnvLookup): string | undefined {
  const eq = value.indexOf('=');
  const key = eq < 0 ? value : value.slice(0, eq);
  if (key === '') throw new FlagError(`invalid environment variable: ${value}`);
  if (eq >= 0) return value;
  const host = lookup(key);
  return host === undefined ? undefined : `${key}=${host}`;
}

/** Env files first, then `-e` flags, which therefore win (docker's ReadKVEnvStrings). */
export function readEnv(files: readonly string[], flags: readonly string[], lookup: EnvLookup = hostEnv): string[] {
  const out: string[] = [];
  for (const f of files) out.push(...parseKeyValueLines(readFile(f), f, lookup));
  for (const e of flags) {
    const v = validateEnv(e, lookup);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** Labels: label files, then `-l` flags, into a map (a bare `-l key` has an empty value). */
export function readLabels(files: readonly string[], flags: readonly string[]): Record<string, string> {
  const kv: string[] = [];
  for (const f of files) kv.push(...parseKeyValueLines(readFile(f), f, undefined));
  for (const l of flags) {
    const eq = l.indexOf('=');
    if ((eq < 0 ? l : l.slice(0, eq)).trim() === '') throw new FlagError(`invalid label '${l}': empty name`);
    kv.push(l);
  }
  return kvToMap(kv);
}

/** `k=v` strings → map; a string without `=` maps to "" (docker's ConvertKVStringsToMap). */
export function kvToMap(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) out[v] = '';
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}
