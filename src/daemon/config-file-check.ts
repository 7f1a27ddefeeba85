/**
 * daemon.json checked against the keys Berth understands (dockerd's names). The file is a flat
 * object of typed keys, so a table of key → type is all it takes: a schema library (zod was
 * 8 MiB resident, for the life of the daemon) is not worth it in a daemon whose idle memory is
 * a product target (bench/container-run). Unknown keys are refused, as dockerd refuses them.
 */
import { LOG_LEVELS } from '../core/logger.js';

type Kind = 'string' | 'boolean' | 'integer' | 'string[]' | 'string-map' | 'log-level' | 'address-pools';

const CONFIG_KEYS: Readonly<Record<string, Kind>> = {
  hosts: 'string[]',
  'data-root': 'string',
  'exec-root': 'string',
  pidfile: 'string',
  'log-level': 'log-level',
  'storage-driver': 'string',
  'default-runtime': 'string',
  'cgroup-parent': 'string',
  debug: 'boolean',
  bridge: 'string',
  bip: 'string',
  'fixed-cidr': 'string',
  ipv6: 'boolean',
  'fixed-cidr-v6': 'string',
  'default-address-pools': 'address-pools',
  iptables: 'boolean',
  'ip-forward': 'boolean',
  'firewall-mode': 'string',
  mtu: 'integer',
  'insecure-registries': 'string[]',
  'registry-mirrors': 'string[]',
  'registry-hosts-dir': 'string',
  'log-opts': 'string-map',
  'storage-budget': 'string-map',
  'keep-removed': 'string',
  'keep-removed-size': 'string',
  ui: 'string',
  'ui-insecure': 'boolean',
  cri: 'boolean',
  'cri-socket': 'string',
  'cni-conf-dir': 'string',
  'cni-bin-dirs': 'string[]',
};

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

const isStringArray = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');

function problemOf(kind: Kind, v: unknown): string | undefined {
  switch (kind) {
    case 'string':
      return typeof v === 'string' ? undefined : `expected a string, got ${describe(v)}`;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `expected true or false, got ${describe(v)}`;
    case 'integer':
      return Number.isInteger(v) ? undefined : `expected an integer, got ${describe(v)}`;
    case 'string[]':
      return isStringArray(v) ? undefined : `expected an array of strings, got ${describe(v)}`;
    case 'string-map':
      return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string') ? undefined : `expected an object of strings, got ${describe(v)}`;
    case 'log-level':
      return typeof v === 'string' && (LOG_LEVELS as readonly string[]).includes(v) ? undefined : `expected one of ${LOG_LEVELS.join(', ')}, got ${describe(v)}`;
    case 'address-pools': {
      const ok = Array.isArray(v) && v.every((p) => typeof p === 'object' && p !== null && !Array.isArray(p) && typeof (p as Record<string, unknown>).base === 'string' && Number.isInteger((p as Record<string, unknown>).size) && Object.keys(p).every((k) => k === 'base' || k === 'size'));
      return ok ? undefined : 'expected an array of {"base": "CIDR", "size": N}';
    }
  }
}

/** Every problem of a parsed daemon.json, as "key: what is wrong"; empty when it is good. */
export function configFileProblems(json: unknown): string[] {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return [`(root): expected an object, got ${describe(json)}`];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(json)) {
    const kind = CONFIG_KEYS[key];
    if (!kind) {
      problems.push(`${key}: not a configuration option Berth knows (see berthd --help)`);
      continue;
    }
    const p = problemOf(kind, value);
    if (p) problems.push(`${key}: ${p}`);
  }
  return problems;
}
