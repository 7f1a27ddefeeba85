import { InvalidParameterError } from '../../core/errors.js';
import type { Filters } from '../../core/filters.js';
import type { EngineEvent } from './event-types.js';

const KEYS = new Set(['container', 'event', 'image', 'label', 'type', 'volume', 'network', 'daemon', 'plugin', 'node', 'service', 'secret', 'config', 'scope']);
const TYPES = new Set(['builder', 'container', 'image', 'volume', 'network', 'daemon', 'plugin', 'node', 'service', 'secret', 'config']);

export function checkEventFilters(f: Filters): void {
  for (const key of Object.keys(f)) if (!KEYS.has(key)) throw new InvalidParameterError(`invalid filter '${key}'`);
  for (const t of f.type ?? []) if (!TYPES.has(t)) throw new InvalidParameterError(`invalid filter 'type=${t}'`);
  for (const s of f.scope ?? []) if (s !== 'local' && s !== 'swarm') throw new InvalidParameterError(`invalid filter 'scope=${s}'`);
}

/** A filter key that is absent matches everything (docker's ExactMatch / FuzzyMatch). */
function exact(f: Filters, key: string, ...values: Array<string | undefined>): boolean {
  const want = f[key];
  if (!want || want.length === 0) return true;
  return values.some((v) => v !== undefined && v !== '' && want.includes(v));
}

function fuzzy(f: Filters, key: string, ...values: Array<string | undefined>): boolean {
  const want = f[key];
  if (!want || want.length === 0) return true;
  return values.some((v) => v !== undefined && v !== '' && want.some((w) => v === w || v.startsWith(w)));
}

function stripTag(ref: string): string {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash && !ref.startsWith('sha256:') ? ref.slice(0, colon) : ref;
}

function labelsMatch(want: string[] | undefined, attrs: Record<string, string>): boolean {
  if (!want) return true;
  return want.every((l) => {
    const eq = l.indexOf('=');
    return eq < 0 ? l in attrs : attrs[l.slice(0, eq)] === l.slice(eq + 1);
  });
}

/** moby's events Filter.Include: every key given must match. */
export function eventMatches(e: EngineEvent, f: Filters): boolean {
  const a = e.Actor.Attributes;
  const imageName = e.Type === 'image' ? a.name : a.image;
  return (
    exact(f, 'event', e.Action, e.Action.split(':', 1)[0]) &&
    exact(f, 'type', e.Type) &&
    exact(f, 'scope', e.scope) &&
    (e.Type !== 'daemon' || exact(f, 'daemon', e.Actor.ID, a.name)) &&
    fuzzy(f, 'container', ...(e.Type === 'container' ? [e.Actor.ID, a.name] : [])) &&
    exact(f, 'volume', ...(e.Type === 'volume' ? [e.Actor.ID] : [])) &&
    fuzzy(f, 'network', ...(e.Type === 'network' ? [e.Actor.ID, a.name] : [])) &&
    exact(f, 'image', e.Actor.ID, imageName, stripTag(e.Actor.ID), imageName === undefined ? undefined : stripTag(imageName)) &&
    exact(f, 'plugin', ...(e.Type === 'plugin' ? [e.Actor.ID, a.name] : [])) &&
    exact(f, 'node', a['node.id'], a['node.name']) &&
    exact(f, 'service', ...(e.Type === 'service' ? [e.Actor.ID, a.name] : [])) &&
    exact(f, 'secret', ...(e.Type === 'secret' ? [e.Actor.ID, a.name] : [])) &&
    exact(f, 'config', ...(e.Type === 'config' ? [e.Actor.ID, a.name] : [])) &&
    labelsMatch(f.label, a)
  );
}
