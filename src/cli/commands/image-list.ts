import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { collect, filtersJson } from '../command-kit.js';
import { formatForCli } from '../format/table.js';
import { goTimeString, humanSize, sinceText, truncateId } from '../../core/human-units.js';

interface ImageSummary {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  SharedSize: number;
  Containers: number;
}

const HEADERS = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
  VirtualSize: 'VIRTUAL SIZE',
};

/** One row per repository:tag, as docker prints them; untagged images show `<none>`. */
export function imageRows(images: ImageSummary[], opts: { noTrunc: boolean; digests: boolean }): Record<string, string>[] {
  const rows: Record<string, string>[] = [];
  for (const img of images) {
    const base = {
      ID: truncateId(img.Id, opts.noTrunc),
      CreatedSince: sinceText(img.Created),
      CreatedAt: goTimeString(img.Created),
      Size: humanSize(img.Size),
      VirtualSize: humanSize(img.Size),
      Containers: img.Containers < 0 ? 'N/A' : String(img.Containers),
      SharedSize: img.SharedSize < 0 ? 'N/A' : humanSize(img.SharedSize),
      UniqueSize: 'N/A',
    };
    const digestOf = (repo: string): string => img.RepoDigests?.find((d) => d.startsWith(`${repo}@`))?.split('@')[1] ?? '<none>';
    const tags = img.RepoTags ?? [];
    if (tags.length === 0) {
      const digested = img.RepoDigests ?? [];
      if (digested.length === 0) rows.push({ ...base, Repository: '<none>', Tag: '<none>', Digest: '<none>' });
      for (const d of digested) {
        const [repo = '<none>', digest = '<none>'] = d.split('@');
        rows.push({ ...base, Repository: repo, Tag: '<none>', Digest: digest });
      }
      continue;
    }
    for (const t of tags) {
      const colon = t.lastIndexOf(':');
      const repo = t.slice(0, colon);
      rows.push({ ...base, Repository: repo, Tag: t.slice(colon + 1), Digest: digestOf(repo) });
    }
  }
  // docker marshals its formatter context with json.Marshal: keys sorted, and <, >, & escaped
  // (`"Digest":"\u003cnone\u003e"`); a toJSON method is how the template engine is told so.
  return rows.map((r) => {
    const row = Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
    Object.defineProperty(row, 'toJSON', { value: () => ({ ...row }), enumerable: false });
    return row;
  });
}

export function defineImageList(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .argument('[repository[:tag]]')
    .description('List images')
    .option('-a, --all', 'show all images (default hides intermediate images)')
    .option('--digests', 'show digests')
    .option('-f, --filter <filter>', 'filter output based on conditions provided', collect)
    .option('--format <string>', "format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template")
    .option('--no-trunc', "don't truncate output")
    .option('-q, --quiet', 'only show image IDs')
    .action(async (repo: string | undefined, opts: { all?: boolean; digests?: boolean; filter?: string[]; format?: string; trunc: boolean; quiet?: boolean }) => {
      const filterFlags = [...(opts.filter ?? []), ...(repo ? [`reference=${repo}`] : [])];
      const images = await ctx.client.json<ImageSummary[]>({
        method: 'GET',
        path: '/images/json',
        query: { all: opts.all ? '1' : undefined, filters: filtersJson(filterFlags), digests: opts.digests ? '1' : undefined },
      });
      const noTrunc = !opts.trunc;
      const rows = imageRows(images, { noTrunc, digests: opts.digests ?? false });
      if (opts.quiet) {
        const seen = new Set<string>();
        for (const r of rows) {
          const id = r.ID as string;
          if (seen.has(id)) continue;
          seen.add(id);
          ctx.out(id);
        }
        return;
      }
      const table = opts.digests
        ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
        : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
      ctx.out(formatForCli(opts.format, table, rows, HEADERS));
    });
}
