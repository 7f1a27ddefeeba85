import { posix } from 'node:path';
import { InvalidParameterError } from '../../../core/errors.js';
import type { HealthConfig, ImageRunConfig } from '../../../oci/image-types.js';
import { envLookup, parseJsonArray, processWord, splitWords, type EnvLookup } from './shell-words.js';

/** The Dockerfile instructions docker accepts in `--change` (import and commit). */
export const CHANGE_INSTRUCTIONS: ReadonlySet<string> = new Set([
  'CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

interface Instruction {
  name: string;
  args: string;
  original: string;
}

/**
 * Applies `--change` lines to a copy of `base`, as docker's BuildFromConfig does: the lines are
 * joined and parsed as one Dockerfile (comments, `\` continuations), every instruction is checked
 * before any is applied, then each is applied in order.
 */
export function applyChanges(base: ImageRunConfig, changes: readonly string[]): ImageRunConfig {
  const instructions = parseDockerfileLines(changes.join('\n'));
  for (const ins of instructions) {
    if (!CHANGE_INSTRUCTIONS.has(ins.name)) throw new InvalidParameterError(`dockerfile instruction "${ins.name}" is not allowed in --change`);
  }
  const config = structuredClone(base);
  let cmdSet = false;
  for (const ins of instructions) {
    if (ins.args === '') throw new InvalidParameterError(`${ins.name} requires at least one argument`);
    if (ins.name === 'CMD') cmdSet = true;
    apply(config, ins, cmdSet);
  }
  return config;
}

export function parseDockerfileLines(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (/^\s*#/.test(line) || (pending === '' && line.trim() === '')) continue;
    const continued = /\\\s*$/.exec(line);
    pending += continued ? line.slice(0, continued.index) : line;
    if (continued) continue;
    const m = /^\s*(\S+)\s*([\s\S]*?)\s*$/.exec(pending);
    if (m) out.push({ name: (m[1] as string).toUpperCase(), args: m[2] as string, original: pending.trim() });
    pending = '';
  }
  if (pending.trim() !== '') {
    const m = /^\s*(\S+)\s*([\s\S]*?)\s*$/.exec(pending) as RegExpExecArray;
    out.push({ name: (m[1] as string).toUpperCase(), args: m[2] as string, original: pending.trim() });
  }
  return out;
}

function apply(config: ImageRunConfig, ins: Instruction, cmdSet: boolean): void {
  const env = envLookup(config.Env);
  const word = (): string => processWord(ins.args, env);
  switch (ins.name) {
    case 'CMD':
      config.Cmd = commandForm(ins.args, config.Shell);
      break;
    case 'ENTRYPOINT':
      config.Entrypoint = commandForm(ins.args, config.Shell);
      // docker: an ENTRYPOINT resets an inherited CMD unless this change set gives one
      if (!cmdSet) config.Cmd = null;
      break;
    case 'ENV':
      for (const [k, v] of nameValues(ins, env)) config.Env = [...(config.Env ?? []).filter((e) => e.split('=')[0] !== k), `${k}=${v}`];
      break;
    case 'LABEL':
      config.Labels = { ...(config.Labels ?? {}), ...Object.fromEntries(nameValues(ins, env)) };
      break;
    case 'EXPOSE':
      config.ExposedPorts = { ...(config.ExposedPorts ?? {}) };
      for (const spec of splitWords(ins.args)) for (const port of exposedPorts(processWord(spec, env))) config.ExposedPorts[port] = {};
      break;
    case 'VOLUME': {
      config.Volumes = { ...(config.Volumes ?? {}) };
      const paths = parseJsonArray(ins.args) ?? splitWords(ins.args).map((w) => processWord(w, env));
      for (const p of paths) {
        if (p.trim() === '') throw new InvalidParameterError('VOLUME specified can not be an empty string');
        config.Volumes[p.trim()] = {};
      }
      break;
    }
    case 'USER':
      config.User = word();
      break;
    case 'WORKDIR':
      config.WorkingDir = workdir(config.WorkingDir, word());
      break;
    case 'STOPSIGNAL':
      config.StopSignal = stopSignal(word());
      break;
    case 'ONBUILD':
      config.OnBuild = [...(config.OnBuild ?? []), onBuildTrigger(ins)];
      break;
    case 'HEALTHCHECK':
      config.Healthcheck = healthcheck(ins.args);
      break;
  }
}

/** Exec form (JSON array) as is; shell form wrapped in the image's shell, text untouched. */
function commandForm(args: string, shell: string[] | undefined): string[] {
  return parseJsonArray(args) ?? [...(shell ?? ['/bin/sh', '-c']), args];
}

/** `k=v k2="v 2"`, or the legacy `k value with spaces` (one pair); values expanded with the env before the line. */
function nameValues(ins: Instruction, env: EnvLookup): Array<[string, string]> {
  const words = splitWords(ins.args);
  if (!(words[0] ?? '').includes('=')) {
    const legacy = /^(\S+)\s+([\s\S]+)$/.exec(ins.args);
    if (!legacy) throw new InvalidParameterError(`${ins.name} must have two arguments`);
    return [[processWord(legacy[1] as string, env), processWord(legacy[2] as string, env)]];
  }
  return words.map((w) => {
    if (w.indexOf('=') <= 0) throw new InvalidParameterError(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    const processed = processWord(w, env);
    const eq = processed.indexOf('=');
    return [processed.slice(0, eq), processed.slice(eq + 1)];
  });
}

function exposedPorts(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  const first = Number(m?.[1]);
  const last = m?.[2] !== undefined ? Number(m[2]) : first;
  if (!m || first < 1 || last > 65535 || last < first) throw new InvalidParameterError(`invalid port "${spec}" in EXPOSE: expected port[-port][/tcp|udp|sctp]`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  return Array.from({ length: last - first + 1 }, (_, i) => `${first + i}/${proto}`);
}

/** A relative WORKDIR builds on the previous one, as in a Dockerfile. */
function workdir(current: string | undefined, requested: string): string {
  const joined = requested.startsWith('/') ? requested : posix.join('/', current ?? '/', requested);
  const clean = posix.normalize(joined);
  return clean.length > 1 ? clean.replace(/\/+$/, '') : clean;
}

function stopSignal(signal: string): string {
  if (!/^(\d+|(SIG)?[A-Z][A-Z0-9]*([+-]\d+)?)$/i.test(signal)) throw new InvalidParameterError(`Invalid signal: ${signal}`);
  return signal;
}

function onBuildTrigger(ins: Instruction): string {
  const trigger = (/^\S+/.exec(ins.args)?.[0] ?? '').toUpperCase();
  if (trigger === 'ONBUILD') throw new InvalidParameterError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger === 'FROM' || trigger === 'MAINTAINER') throw new InvalidParameterError(`${trigger} isn't allowed as an ONBUILD trigger`);
  return ins.original.replace(/^\s*ONBUILD\s+/i, '');
}

const DURATION_FLAGS: Record<string, keyof HealthConfig> = {
  interval: 'Interval',
  timeout: 'Timeout',
  'start-period': 'StartPeriod',
  'start-interval': 'StartInterval',
};

/** `HEALTHCHECK [--interval=… --timeout=… --start-period=… --start-interval=… --retries=N] CMD …` or `NONE`. */
function healthcheck(args: string): HealthConfig {
  const out: HealthConfig = {};
  let rest = args;
  for (let flag = /^--([a-z-]+)=(\S*)\s*/.exec(rest); flag; flag = /^--([a-z-]+)=(\S*)\s*/.exec(rest)) {
    const [, name = '', value = ''] = flag;
    rest = rest.slice(flag[0].length);
    const key = DURATION_FLAGS[name];
    if (key) (out as Record<string, number>)[key] = parseGoDuration(value, `--${name}`);
    else if (name === 'retries' && /^\d+$/.test(value)) out.Retries = Number(value);
    else throw new InvalidParameterError(name === 'retries' ? `invalid --retries value "${value}": expected a whole number` : `Unknown flag: ${name}`);
  }
  const [kind = '', ...cmdWords] = rest.split(/\s+/);
  const cmd = rest.slice(kind.length).trim();
  if (kind.toUpperCase() === 'NONE') {
    if (cmdWords.length > 0 || Object.keys(out).length > 0) throw new InvalidParameterError('HEALTHCHECK NONE takes no arguments');
    return { Test: ['NONE'] };
  }
  if (kind.toUpperCase() !== 'CMD') throw new InvalidParameterError(`Unknown type "${kind.toUpperCase()}" in HEALTHCHECK (try CMD)`);
  if (cmd === '') throw new InvalidParameterError('Missing command after HEALTHCHECK CMD');
  const exec = parseJsonArray(cmd);
  return { Test: exec ? ['CMD', ...exec] : ['CMD-SHELL', cmd], ...out };
}

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration (`1m30s`, `500ms`), in nanoseconds as docker stores them. */
export function parseGoDuration(value: string, what = 'duration'): number {
  const parts = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/.test(value) ? value.match(/\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)/g) : value === '0' ? [] : null;
  if (!parts) throw new InvalidParameterError(`invalid ${what} "${value}": expected a duration like 30s or 1m30s`);
  let total = 0;
  for (const p of parts) {
    const [, num = '0', unit = 's'] = /^(\d+(?:\.\d+)?)(\D+)$/.exec(p) ?? [];
    total += Number(num) * (UNIT_NS[unit] ?? 0);
  }
  return Math.round(total);
}
