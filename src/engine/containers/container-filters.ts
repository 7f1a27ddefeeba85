import { InvalidParameterError } from '../../core/errors.js';
import { labelsMatch, parseBool, type Filters } from '../images/image-filters.js';
import type { ContainerRecord } from './container-types.js';

const ALLOWED = new Set(['status', 'name', 'label', 'ancestor', 'exited', 'id', 'before', 'since', 'health', 'isolation', 'network', 'publish', 'expose', 'volume', 'is-task']);
const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

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
