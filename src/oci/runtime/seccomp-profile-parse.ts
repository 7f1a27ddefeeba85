/**
 * Reads a seccomp profile in docker's format (the JSON `--security-opt seccomp=file.json`
 * sends, and docker's own default.json) into typed form, refusing what docker or the
 * runtime would refuse. Type checks happen here so that seccomp-profile.ts can trust its input.
 */
import { errorMessage, InvalidParameterError } from '../../core/errors.js';
import type {
  LinuxSeccompArg,
  SeccompAction,
  SeccompArch,
  SeccompOperator,
} from './runtime-spec-types.js';

/** A condition on a rule: capabilities the container has, native arch names, minimum kernel. */
export interface SeccompFilter {
  caps?: string[];
  arches?: string[];
  /** "<kernel>.<major>", e.g. "4.8". */
  minKernel?: string;
}

export interface DockerSyscallRule {
  names?: string[];
  /** Deprecated single-name form, still accepted by docker. */
  name?: string;
  action: SeccompAction;
  errnoRet?: number;
  args?: LinuxSeccompArg[];
  comment?: string;
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
}

export interface SeccompArchMapEntry {
  architecture: SeccompArch;
  subArchitectures: SeccompArch[] | null;
}

/** docker's profile format: an OCI `linux.seccomp` plus `archMap` and conditional rules. */
export interface DockerSeccompProfile {
  defaultAction?: SeccompAction | '';
  defaultErrnoRet?: number;
  architectures?: SeccompArch[];
  archMap?: SeccompArchMapEntry[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: DockerSyscallRule[] | null;
}

const ACTIONS: readonly string[] = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
];
const OPERATORS: readonly string[] = [
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
];

function fail(detail: string): never {
  throw new InvalidParameterError(`Decoding seccomp profile failed: ${detail}`);
}

type Obj = Record<string, unknown>;

function object(v: unknown, where: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${where} must be an object`);
  return v as Obj;
}
function str(v: unknown, where: string): string {
  if (typeof v !== 'string') fail(`${where} must be a string`);
  return v;
}
function uint(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`${where} must be a non-negative integer`);
  return v;
}
function strings(v: unknown, where: string): string[] {
  if (!Array.isArray(v)) fail(`${where} must be an array of strings`);
  return v.map((s, i) => str(s, `${where}[${i}]`));
}
function oneOf<T extends string>(v: unknown, allowed: readonly string[], where: string): T {
  const s = str(v, where);
  if (!allowed.includes(s)) fail(`${where}: unknown value ${JSON.stringify(s)}`);
  return s as T;
}
function arch(v: unknown, where: string): SeccompArch {
  const s = str(v, where);
  if (!s.startsWith('SCMP_ARCH_')) fail(`${where}: unknown architecture ${JSON.stringify(s)}`);
  return s as SeccompArch;
}

/** Sets `out[key]` only when the input has it, as exactOptionalPropertyTypes requires. */
function opt<O, K extends keyof O>(out: O, key: K, raw: Obj, read: (v: unknown) => O[K]): void {
  const v = raw[key as string];
  if (v !== undefined && v !== null) out[key] = read(v);
}

const KERNEL_VERSION = /^(\d+)\.(\d+)$/;

function filter(v: unknown, where: string): SeccompFilter {
  const raw = object(v, where);
  const out: SeccompFilter = {};
  opt(out, 'caps', raw, (x) => strings(x, `${where}.caps`));
  opt(out, 'arches', raw, (x) => strings(x, `${where}.arches`));
  opt(out, 'minKernel', raw, (x) => {
    const s = str(x, `${where}.minKernel`);
    const m = KERNEL_VERSION.exec(s);
    if (!m || Number(m[1]) > 255 || Number(m[2]) > 255 || (m[1] === '0' && m[2] === '0')) {
      fail(`invalid kernel version: ${JSON.stringify(s)}, expected "<kernel>.<major>"`);
    }
    return s;
  });
  return out;
}

function arg(v: unknown, where: string): LinuxSeccompArg {
  const raw = object(v, where);
  const out: LinuxSeccompArg = {
    index: uint(raw['index'], `${where}.index`),
    value: uint(raw['value'] ?? 0, `${where}.value`),
    op: oneOf<SeccompOperator>(raw['op'], OPERATORS, `${where}.op`),
  };
  if (raw['valueTwo']) out.valueTwo = uint(raw['valueTwo'], `${where}.valueTwo`);
  return out;
}

function rule(v: unknown, where: string): DockerSyscallRule {
  const raw = object(v, where);
  const out: DockerSyscallRule = { action: oneOf<SeccompAction>(raw['action'], ACTIONS, `${where}.action`) };
  opt(out, 'names', raw, (x) => strings(x, `${where}.names`));
  opt(out, 'name', raw, (x) => str(x, `${where}.name`));
  if (out.name && out.names && out.names.length > 0) {
    fail("both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'");
  }
  opt(out, 'errnoRet', raw, (x) => uint(x, `${where}.errnoRet`));
  opt(out, 'args', raw, (x) => {
    if (!Array.isArray(x)) fail(`${where}.args must be an array`);
    return x.map((a, i) => arg(a, `${where}.args[${i}]`));
  });
  opt(out, 'comment', raw, (x) => str(x, `${where}.comment`));
  opt(out, 'includes', raw, (x) => filter(x, `${where}.includes`));
  opt(out, 'excludes', raw, (x) => filter(x, `${where}.excludes`));
  return out;
}

function archMapEntry(v: unknown, where: string): SeccompArchMapEntry {
  const raw = object(v, where);
  const subs = raw['subArchitectures'];
  return {
    architecture: arch(raw['architecture'], `${where}.architecture`),
    subArchitectures: subs === null || subs === undefined ? null : strings(subs, where).map((s) => arch(s, where)),
  };
}

/** Checks a decoded JSON value against docker's profile format. */
export function toDockerSeccompProfile(value: unknown): DockerSeccompProfile {
  const raw = object(value, 'profile');
  const out: DockerSeccompProfile = {};
  opt(out, 'defaultAction', raw, (x) => (x === '' ? '' : oneOf<SeccompAction>(x, ACTIONS, 'defaultAction')));
  opt(out, 'defaultErrnoRet', raw, (x) => uint(x, 'defaultErrnoRet'));
  opt(out, 'architectures', raw, (x) => strings(x, 'architectures').map((a) => arch(a, 'architectures')));
  opt(out, 'archMap', raw, (x) => {
    if (!Array.isArray(x)) fail('archMap must be an array');
    return x.map((e, i) => archMapEntry(e, `archMap[${i}]`));
  });
  opt(out, 'flags', raw, (x) => strings(x, 'flags'));
  opt(out, 'listenerPath', raw, (x) => str(x, 'listenerPath'));
  opt(out, 'listenerMetadata', raw, (x) => str(x, 'listenerMetadata'));
  opt(out, 'syscalls', raw, (x) => {
    if (!Array.isArray(x)) fail('syscalls must be an array');
    return x.map((r, i) => rule(r, `syscalls[${i}]`));
  });
  return out;
}

/** Parses the profile text a client sent (`--security-opt seccomp=<file>` sends the file's content). */
export function parseSeccompProfile(json: string): DockerSeccompProfile {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new InvalidParameterError(`Decoding seccomp profile failed: ${errorMessage(err)}`, { cause: err });
  }
  return toDockerSeccompProfile(value);
}
