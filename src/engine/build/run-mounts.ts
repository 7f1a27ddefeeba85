import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidParameterError, NotImplementedError } from '../../core/errors.js';
import { resolveInRoot } from '../../drivers/host/resolve-in-root.js';
import type { SourceTree } from './build-context.js';

/** A `RUN --mount=…` as BuildKit reads it: comma-separated key=value, `type` defaulting to bind. */
export interface RunMount {
  type: 'bind' | 'cache' | 'tmpfs';
  target: string;
  fields: Map<string, string>;
}

const BOOL_KEYS = new Set(['rw', 'readwrite', 'ro', 'readonly']);

export function parseRunMount(spec: string): RunMount {
  const fields = new Map<string, string>();
  for (const part of spec.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    if (eq < 0 && !BOOL_KEYS.has(key)) throw new InvalidParameterError(`invalid field '${part}' must be a key=value pair`);
    fields.set(key, eq < 0 ? 'true' : part.slice(eq + 1));
  }
  const type = fields.get('type') ?? 'bind';
  if (type === 'secret' || type === 'ssh') throw new NotImplementedError(`RUN --mount=type=${type} is not supported by this Berth version yet`);
  if (type !== 'bind' && type !== 'cache' && type !== 'tmpfs') throw new InvalidParameterError(`unsupported mount type "${type}"`);
  const target = fields.get('target') ?? fields.get('dst') ?? fields.get('destination');
  if (!target) throw new InvalidParameterError('mount destination (target) is required');
  if (fields.has('from')) throw new NotImplementedError('RUN --mount with from= is not supported by this Berth version yet');
  return { type, target, fields };
}

const truthy = (v: string | undefined): boolean => v !== undefined && v !== 'false';

/**
 * The mounts for the RUN container, and what of them the cache key depends on: a context bind
 * by its content, a tmpfs by its options; a cache mount never (its content is the point).
 */
export async function runMountPlan(mounts: readonly RunMount[], context: SourceTree, cacheDir: string): Promise<{ mounts: Array<Record<string, unknown>>; key: string[] }> {
  const out: Array<Record<string, unknown>> = [];
  const key: string[] = [];
  for (const m of mounts) {
    if (m.type === 'tmpfs') {
      const size = Number(m.fields.get('size') ?? 0);
      out.push({ Type: 'tmpfs', Target: m.target, ...(size > 0 ? { TmpfsOptions: { SizeBytes: size } } : {}) });
      key.push(`tmpfs:${m.target}:${size}`);
    } else if (m.type === 'bind') {
      const source = m.fields.get('source') ?? m.fields.get('src') ?? '.';
      const [item] = await context.resolve(source, 'RUN --mount');
      const abs = item?.abs ?? (await resolveInRoot(context.root, source));
      const rw = truthy(m.fields.get('rw')) || truthy(m.fields.get('readwrite'));
      out.push({ Type: 'bind', Source: abs, Target: m.target, ReadOnly: !rw });
      key.push(`bind:${m.target}:${rw}:${item ? await context.hashItem(item) : ''}`);
    } else {
      const id = m.fields.get('id') ?? m.target;
      const dir = join(cacheDir, createHash('sha256').update(id).digest('hex'));
      if (!(await lstat(dir).catch(() => null))) {
        await mkdir(dir, { recursive: true });
        await chmod(dir, parseInt(m.fields.get('mode') ?? '755', 8));
        await chown(dir, Number(m.fields.get('uid') ?? 0), Number(m.fields.get('gid') ?? 0));
      }
      out.push({ Type: 'bind', Source: dir, Target: m.target, ReadOnly: false });
      key.push(`cache:${m.target}`);
    }
  }
  return { mounts: out, key };
}
