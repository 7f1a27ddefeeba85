import { InvalidParameterError } from '../../core/errors.js';
import { labelsMatch, parseBool, type Filters } from '../../core/filters.js';
import type { ContainerRecord } from './container-types.js';
import { portsSummary } from './container-views.js';

const ALLOWED = new Set(['status', 'name', 'label', 'ancestor', 'exited', 'id', 'before', 'since', 'health', 'isolation', 'network', 'publish', 'expose', 'volume', 'is-task']);
const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

/**
 * `publish=`/`expose=` values as moby reads them: `PORT[/PROTO]` or `FIRST-LAST[/PROTO]`, tcp by
 * default, each port as `N/proto`.
 */
export function portFilter(key: string, values: readonly string[] | undefined): Set<string> | undefined {
  if (!values) return undefined;
  const out = new Set<string>();
  for (const v of values) {
    if (v.includes(':')) throw new InvalidParameterError(`filter for '${key}' should not contain ':': ${v}`);
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/.exec(v);
    const first = Number(m?.[1]);
    const last = m?.[2] === undefined ? first : Number(m[2]);
    if (!m || first > 65535 || last > 65535 || last < first) throw new InvalidParameterError(`error while looking up for ${key} ${v}: invalid port or port range`);
    for (let p = first; p <= last; p++) out.add(`${p}/${m[3] ?? 'tcp'}`);
  }
  return out;
}

/** `ps --filter`: docker's keys and semantics; `ancestorIds` are the image IDs an ancestor filter names. */
export function containerMatches(r: ContainerRecord, f: Filters, ancestorIds: Set<string> | undefined, order: Map<string, number>): boolean {
  for (const key of Object.keys(f)) if (!ALLOWED.has(key)) throw new InvalidParameterError(`invalid filter '${key}'`);
  if (f.status) {
    for (const s of f.status) if (!STATUSES.has(s)) throw new InvalidParameterError(`invalid filter 'status=${s}'`);
    if (!f.status.includes(r.State.Status)) return false;
  }
  if (f.name && !f.name.some((n) => new RegExp(n).test(r.Name.slice(1)) || new RegExp(n).test(r.Name))) return false;
  if (f.id && !f.id.some((i) => r.Id.startsWith(i))) return false;
  if (!labelsMatch(f.label, r.Config.Labels)) return false;
  if (f.exited) {
    if (r.State.Running || r.State.Status !== 'exited') return false;
    if (!f.exited.some((c) => Number(c) === r.State.ExitCode)) return false;
  }
  if (ancestorIds && !ancestorIds.has(r.Image)) return false;
  if (f.health) {
    for (const h of f.health) if (!['starting', 'healthy', 'unhealthy', 'none'].includes(h)) throw new InvalidParameterError(`Unrecognised filter value for health: ${h}`);
    if (!f.health.includes(r.State.Health?.Status ?? 'none')) return false;
  }
  // docker's: a mount's destination, or its volume name (a bind's host path).
  if (f.volume && !(r.Mounts ?? []).some((m) => f.volume?.some((v) => v === m.Destination || v === (m.Name || m.Source)))) return false;
  if (f['is-task'] && parseBool('is-task', f['is-task'][0] ?? 'false')) return false;
  if (f.isolation && !f.isolation.includes(String(r.HostConfig.Isolation ?? ''))) return false;
  // moby: a network's name, or a prefix of its ID.
  if (f.network) {
    const networks = Object.entries(r.NetworkSettings?.Networks ?? {});
    if (!f.network.some((v) => networks.some(([name, ep]) => name === v || (ep.NetworkID ?? '').startsWith(v)))) return false;
  }
  const publish = portFilter('publish', f.publish);
  const expose = portFilter('expose', f.expose);
  if ((publish || expose) && !portsSummary(r).some((p) => publish?.has(`${String(p.PublicPort)}/${String(p.Type)}`) || expose?.has(`${String(p.PrivatePort)}/${String(p.Type)}`))) return false;
  const pos = order.get(r.Id) ?? 0;
  for (const [key, cmp] of [['before', (p: number, q: number) => p < q], ['since', (p: number, q: number) => p > q]] as const) {
    const ref = f[key]?.[0];
    if (ref === undefined) continue;
    const refPos = order.get(ref);
    if (refPos === undefined) throw new InvalidParameterError(`No such container: ${ref}`);
    if (!cmp(pos, refPos)) return false;
  }
  return true;
}
