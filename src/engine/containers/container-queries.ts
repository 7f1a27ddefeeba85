import { ConflictError } from '../../core/errors.js';
import type { Filters } from '../../core/filters.js';
import { runCommand } from '../../core/run-command.js';
import { containerMatches } from './container-filters.js';
import type { ContainerRegistry } from './container-registry.js';
import type { ImageService } from '../images/image-service.js';
import type { Snapshotter } from '../../drivers/snapshotter/snapshotter.js';
import type { RuntimeCatalog } from '../../drivers/runtime/runtime-catalog.js';
import type { Logger } from '../../core/logger.js';
import type { HostSpecFacts } from './spec-input.js';
import { containerSizes } from './container-size.js';
import { assertCan } from './container-state.js';
import { containerStats, type StatsSample } from './container-stats.js';
import { inspectView, summary, type IdAliases } from './container-views.js';
import { linksView } from './legacy-links.js';
import { recordCgroupPath } from './spec-input.js';

/**
 * What reads containers without changing them: `ps` (list with docker's filters and sizes),
 * `inspect`, `top`, `stats` and the counts `info` shows.
 */
export class ContainerQueries {
  constructor(private readonly d: { registry: ContainerRegistry; images: ImageService; snapshotter: Snapshotter; runtimes: RuntimeCatalog; host: HostSpecFacts; log: Logger }) {}

  async list(opts: { all: boolean; limit?: number; size: boolean; filters: Filters }): Promise<Array<Record<string, unknown>>> {
    // Each creation time parsed once, not twice per comparison: at a thousand containers that was
    // a fifth of ps's time in the daemon.
    const records = this.d.registry.all().map((r) => ({ r, at: Date.parse(r.Created) })).sort((a, b) => a.at - b.at).map((e) => e.r);
    const order = new Map<string, number>();
    records.forEach((r, i) => order.set(r.Id, i));
    const f = { ...opts.filters };
    for (const key of ['before', 'since'] as const) if (f[key]?.[0]) f[key] = [this.d.registry.get(f[key][0]).Id];
    let ancestors: Set<string> | undefined;
    if (f.ancestor) {
      ancestors = new Set();
      for (const a of f.ancestor) {
        const img = await this.d.images.catalog.tryResolve(a);
        if (img) ancestors.add(img.id);
      }
    }
    const all = opts.all || (opts.limit !== undefined && opts.limit > 0) || Boolean(f.status) || Boolean(f.exited);
    let out = records.reverse().filter((r) => (all || r.State.Running) && containerMatches(r, f, ancestors, order));
    if (opts.limit !== undefined && opts.limit > 0) out = out.slice(0, opts.limit);
    const linkNames = this.linkNames();
    if (!opts.size) return out.map((r) => summary(r, undefined, linkNames.get(r.Id)));
    return Promise.all(out.map(async (r) => summary(r, await containerSizes(this.d, r), linkNames.get(r.Id))));
  }

  async inspect(ref: string, size = false, idAliases: IdAliases = 'never'): Promise<Record<string, unknown>> {
    const r = this.d.registry.get(ref);
    const view = inspectView(r, { Name: this.d.snapshotter.name, Data: this.d.snapshotter.rootfsData(r.Id) }, size ? await containerSizes(this.d, r) : undefined, idAliases);
    return { ...view, HostConfig: { ...r.HostConfig, Links: linksView(r, (id) => this.d.registry.find(id)) } };
  }

  /** ps's extra names of linked containers: `/parent/alias` for each link to them, as dockerd lists. */
  private linkNames(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const p of this.d.registry.all()) for (const l of p.LegacyLinks ?? []) out.set(l.Id, [...(out.get(l.Id) ?? []), `${p.Name}/${l.Alias}`]);
    return out;
  }

  /** `docker top`: host `ps` rows of the container's processes. */
  async top(ref: string, psArgs: string | undefined): Promise<{ Titles: string[]; Processes: string[][] }> {
    const r = this.d.registry.get(ref);
    assertCan(r, 'top');
    const pids = new Set((await this.d.runtimes.runtime(r.HostConfig.Runtime).pids(r.Id)).map(String));
    const args = (psArgs && psArgs.trim() !== '' ? psArgs : '-ef').split(/\s+/);
    const out = (await runCommand('ps', args)).stdout.trimEnd().split('\n');
    const header = (out[0] ?? '').trim().split(/\s+/);
    const pidCol = header.indexOf('PID');
    if (pidCol < 0) throw new ConflictError(`Couldn't find PID field in ps output`);
    const rows = out.slice(1).map((line) => {
      const cols = line.trim().split(/\s+/);
      return [...cols.slice(0, header.length - 1), cols.slice(header.length - 1).join(' ')];
    });
    return { Titles: header, Processes: rows.filter((row) => pids.has(row[pidCol] ?? '')) };
  }

  /** A stats sample in docker's shape; `prev` gives CPU % its baseline. */
  async stats(ref: string, prev?: StatsSample): Promise<StatsSample> {
    const r = this.d.registry.get(ref);
    return containerStats(r, this.d.host.limits.driver, recordCgroupPath(r, this.d.host.cgroupParent), prev);
  }

  counts(): { total: number; running: number; paused: number; stopped: number } {
    const all = this.d.registry.all();
    const paused = all.filter((r) => r.State.Paused).length;
    const running = all.filter((r) => r.State.Running).length - paused;
    return { total: all.length, running, paused, stopped: all.length - running - paused };
  }
}
