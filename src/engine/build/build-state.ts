import { posix } from 'node:path';
import type { Digest } from '../../core/digest.js';
import { InvalidParameterError } from '../../core/errors.js';
import type { HealthConfig, ImageConfig, ImageRunConfig } from '../../oci/image-types.js';
import type { Instruction } from '../../oci/dockerfile/instructions.js';
import { processWord, processWordWithMatches, ShellLexError, type EnvLookup } from '../../oci/dockerfile/shell-lex.js';
import { parseGoDuration } from '../images/archive/change-parser.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** Build args every Dockerfile may use without declaring them (and that stay out of history). */
export const PROXY_ARGS: ReadonlySet<string> = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

/**
 * One stage's state while its instructions run, as docker's dispatchState: the current image,
 * the run config the next image gets, and the ARGs in scope.
 */
export class StageState {
  imageId: Digest | null;
  runConfig: ImageRunConfig;
  /** Declared ARGs in this stage, in order, with their value (undefined: declared, no value). */
  readonly args = new Map<string, string | undefined>();
  /** A CMD ran in this stage: a later ENTRYPOINT keeps it. */
  cmdSet = false;
  /** MAINTAINER: the image's author. */
  maintainer: string | undefined;

  constructor(
    readonly escape: string,
    /** `--build-arg` values; null asks for the ARG's default. */
    private readonly buildArgs: ReadonlyMap<string, string | null>,
    private readonly usedArgs: Set<string>,
    imageId: Digest | null,
    base: ImageConfig | null,
  ) {
    this.imageId = imageId;
    this.runConfig = structuredClone(base?.config ?? {});
    const env = this.runConfig.Env ?? [];
    if (!env.some((e) => e.startsWith('PATH='))) this.runConfig.Env = [...env, `PATH=${DEFAULT_PATH}`];
  }

  get shell(): string[] {
    return this.runConfig.Shell ?? DEFAULT_SHELL;
  }

  envMap(): Map<string, string> {
    const m = new Map<string, string>();
    for (const e of this.runConfig.Env ?? []) {
      const eq = e.indexOf('=');
      m.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? '' : e.slice(eq + 1));
    }
    return m;
  }

  /** ENV wins over ARG of the same name (docker's documented rule). */
  lookup(): EnvLookup {
    const env = this.envMap();
    return (name) => env.get(name) ?? this.argValue(name);
  }

  argValue(name: string): string | undefined {
    if (this.args.has(name)) return this.args.get(name);
    if (PROXY_ARGS.has(name)) return this.buildArgs.get(name) ?? undefined;
    return undefined;
  }

  /** Expands one word of an instruction, naming the instruction when the word is bad. */
  expand(word: string, _ins: Instruction): string {
    try {
      return processWord(word, this.lookup(), this.escape);
    } catch (err) {
      if (err instanceof ShellLexError) throw new InvalidParameterError(`failed to process "${word}": ${err.message}`);
      throw err;
    }
  }

  /** `ARG name[=default]`: the --build-arg value wins over the default. */
  declareArg(word: string, ins: Instruction, meta: ReadonlyMap<string, string | undefined>): string {
    const eq = word.indexOf('=');
    const name = eq < 0 ? word : word.slice(0, eq);
    let value: string | undefined;
    if (eq >= 0) value = processWordWithMatches(word.slice(eq + 1), this.lookup(), this.escape).result;
    else if (meta.has(name)) value = meta.get(name);
    const given = this.buildArgs.get(name);
    if (given !== undefined && given !== null) value = given;
    this.usedArgs.add(name);
    this.args.set(name, value);
    if (name === '' || /\s/.test(name)) throw new InvalidParameterError(`ARG names can not be blank`);
    return eq < 0 ? name : `${name}=${word.slice(eq + 1)}`;
  }

  /** `KEY=value` for every ARG with a value that ENV does not shadow, sorted: RUN's extra env. */
  runArgs(): string[] {
    const env = this.envMap();
    const out: string[] = [];
    for (const [name, value] of this.args) if (value !== undefined && !env.has(name)) out.push(`${name}=${value}`);
    for (const name of PROXY_ARGS) {
      const v = this.buildArgs.get(name);
      if (!this.args.has(name) && v !== undefined && v !== null && !env.has(name)) out.push(`${name}=${v}`);
    }
    return out.sort();
  }

  /** The args that go into RUN's history and cache key (proxy args left out, as docker does). */
  historyArgs(): string[] {
    const env = this.envMap();
    const out: string[] = [];
    for (const [name, value] of this.args) if (value !== undefined && !env.has(name) && !PROXY_ARGS.has(name)) out.push(`${name}=${value}`);
    return out.sort();
  }
}

/** Go's `%q` of a string slice: `["a" "b"]`. */
export function goQuoteList(list: readonly string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

function setEnv(config: ImageRunConfig, key: string, value: string): void {
  const env = (config.Env ?? []).filter((e) => (e.indexOf('=') < 0 ? e : e.slice(0, e.indexOf('='))) !== key);
  const idx = (config.Env ?? []).findIndex((e) => e.split('=')[0] === key);
  if (idx >= 0) {
    const copy = [...(config.Env ?? [])];
    copy[idx] = `${key}=${value}`;
    config.Env = copy;
  } else config.Env = [...env, `${key}=${value}`];
}

/** Exec form as is; shell form run by the stage's shell. */
export function commandLine(ins: Instruction, shell: readonly string[]): string[] {
  const args = ins.node.next;
  if (ins.node.json) return [...args];
  return [...shell, args.join(' ')];
}

function parseExposed(spec: string): string[] {
  const m = /^(?:[0-9.]*:)?(?:\d*:)?(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!m) throw new InvalidParameterError(`Invalid containerPort: ${spec}`);
  const first = Number(m[1]);
  const last = m[2] !== undefined ? Number(m[2]) : first;
  if (last < first) throw new InvalidParameterError(`invalid range specified for container: ${spec}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  return Array.from({ length: last - first + 1 }, (_, i) => `${first + i}/${proto}`);
}

/** A relative WORKDIR builds on the previous one. */
export function joinWorkdir(current: string | undefined, requested: string): string {
  const joined = requested.startsWith('/') ? requested : posix.join(current || '/', requested);
  const clean = posix.normalize(joined);
  return clean.length > 1 ? clean.replace(/\/+$/, '') : clean;
}

function healthcheck(ins: Instruction): HealthConfig {
  const node = ins.node;
  const typ = (node.next[0] as string).toUpperCase();
  if (typ === 'NONE') return { Test: ['NONE'] };
  const out: HealthConfig = { Test: node.json ? ['CMD', ...node.next.slice(1)] : ['CMD-SHELL', node.next.slice(1).join(' ')] };
  const dur = (flag: string, key: 'Interval' | 'Timeout' | 'StartPeriod' | 'StartInterval'): void => {
    const v = ins.flags.get(flag)?.[0];
    if (v === undefined || v === '') return;
    const ns = parseGoDuration(v, `--${flag}`);
    if (ns !== 0 && ns < 1e6) throw new InvalidParameterError(`Interval "${flag}" cannot be less than 1ms`);
    out[key] = ns;
  };
  dur('interval', 'Interval');
  dur('timeout', 'Timeout');
  dur('start-period', 'StartPeriod');
  dur('start-interval', 'StartInterval');
  const retries = ins.flags.get('retries')?.[0];
  if (retries !== undefined && retries !== '') {
    if (!/^-?\d+$/.test(retries)) throw new InvalidParameterError(`strconv.ParseInt: parsing "${retries}": invalid syntax`);
    if (Number(retries) < 0) throw new InvalidParameterError('--retries cannot be negative');
    out.Retries = Number(retries);
  }
  return out;
}

/**
 * Applies an instruction that changes only the config (no filesystem change) and returns the
 * history comment docker records for it (`ENV a=b`).
 */
export function applyMetadata(state: StageState, ins: Instruction, meta: ReadonlyMap<string, string | undefined>): string {
  const c = state.runConfig;
  const n = ins.node;
  const x = (w: string): string => state.expand(w, ins);
  switch (ins.name) {
    case 'ENV':
    case 'LABEL': {
      const parts: string[] = [];
      const pairs: Array<[string, string]> = [];
      for (let i = 0; i + 1 < n.next.length; i += 2) pairs.push([x(n.next[i] as string), x(n.next[i + 1] as string)]);
      for (const [k, v] of pairs) {
        if (k === '') throw new InvalidParameterError(`${ins.name} names can not be blank`);
        if (ins.name === 'ENV') setEnv(c, k, v);
        else c.Labels = { ...(c.Labels ?? {}), [k]: v };
        parts.push(`${k}=${v}`);
      }
      return `${ins.name} ${parts.join(' ')}`;
    }
    case 'MAINTAINER':
      state.maintainer = x(n.next[0] as string);
      return `MAINTAINER ${state.maintainer}`;
    case 'EXPOSE': {
      const ports = n.next.map(x);
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      for (const p of ports) for (const port of parseExposed(p)) c.ExposedPorts[port] = {};
      return `EXPOSE ${[...ports].sort().join(' ')}`;
    }
    case 'VOLUME': {
      const vols = n.next.map(x);
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const v of vols) {
        if (v.trim() === '') throw new InvalidParameterError('VOLUME specified can not be an empty string');
        c.Volumes[v.trim()] = {};
      }
      return `VOLUME [${vols.join(' ')}]`;
    }
    case 'USER':
      c.User = x(n.next[0] as string);
      return `USER ${c.User}`;
    case 'WORKDIR':
      c.WorkingDir = joinWorkdir(c.WorkingDir, x(n.next[0] as string));
      return `WORKDIR ${c.WorkingDir}`;
    case 'STOPSIGNAL': {
      const sig = x(n.next[0] as string);
      if (!/^(\d+|(SIG)?[A-Z][A-Z0-9]*([+-]\d+)?)$/i.test(sig)) throw new InvalidParameterError(`Invalid signal: ${sig}`);
      c.StopSignal = sig;
      return `STOPSIGNAL ${sig}`;
    }
    case 'CMD':
      c.Cmd = commandLine(ins, state.shell);
      state.cmdSet = true;
      return `CMD ${goQuoteList(c.Cmd)}`;
    case 'ENTRYPOINT':
      c.Entrypoint = n.next.length === 0 ? null : commandLine(ins, state.shell);
      // An ENTRYPOINT resets the CMD inherited from the base image (not one set in this stage: docker tracks that).
      if (!state.cmdSet) c.Cmd = null;
      return `ENTRYPOINT ${goQuoteList(c.Entrypoint ?? [])}`;
    case 'SHELL':
      c.Shell = [...n.next];
      return `SHELL [${n.next.join(' ')}]`;
    case 'HEALTHCHECK': {
      const hc = healthcheck(ins);
      c.Healthcheck = hc;
      // Go's %q of docker's HealthConfig struct, as its legacy builder writes it into history.
      return `HEALTHCHECK &{${goQuoteList(hc.Test ?? [])} "${fmtDuration(hc.Interval)}" "${fmtDuration(hc.Timeout)}" "${fmtDuration(hc.StartPeriod)}" ${goQuoteRune(hc.Retries ?? 0)}}`;
    }
    case 'ONBUILD': {
      const trigger = n.original.replace(/^\s*onbuild\s+/i, '');
      c.OnBuild = [...(c.OnBuild ?? []), trigger];
      return `ONBUILD ${trigger}`;
    }
    case 'ARG': {
      const declared = n.next.map((w) => state.declareArg(w, ins, meta));
      return `ARG ${declared.join(' ')}`;
    }
  }
  throw new InvalidParameterError(`${ins.name} is not a metadata instruction`);
}

/** Go's %q of an integer: a quoted character literal ('\x00', 'A'). */
function goQuoteRune(n: number): string {
  if (n >= 0x20 && n < 0x7f) return n === 0x27 || n === 0x5c ? `'\\${String.fromCharCode(n)}'` : `'${String.fromCharCode(n)}'`;
  if (n < 0x100) return `'\\x${n.toString(16).padStart(2, '0')}'`;
  return `'\\u${n.toString(16).padStart(4, '0')}'`;
}

/** Go's time.Duration String() for whole units (0s, 30s, 1m30s, 500ms). */
function fmtDuration(ns: number | undefined): string {
  if (!ns) return '0s';
  if (ns < 1e9) return ns % 1e6 === 0 ? `${ns / 1e6}ms` : ns % 1e3 === 0 ? `${ns / 1e3}µs` : `${ns}ns`;
  let s = ns / 1e9;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${Number(s.toFixed(9))}s`;
}
