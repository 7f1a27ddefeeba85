/**
 * Runs every benchmark of bench/ in turn (`npm run bench`), then writes one table of all their
 * results (Berth beside dockerd and podman, same machine, same run; medians and ratios) and adds it,
 * dated, to the top of docs/benchmarks.md, keeping earlier runs below.
 *
 *   npm run bench                         run, print, and record in docs/benchmarks.md
 *   npm run bench -- --install-peers      first apt-get install docker.io and podman when missing
 *   npm run bench -- --no-record          print only
 *   npm run bench -- --scale              also bench/scale.ts (10, 100, 1,000 containers; ~10 min)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchResult } from './results.js';

const here = import.meta.dirname;
const REPO = resolve(here, '../..');
const DOC = join(REPO, 'docs/benchmarks.md');
const args = new Set(process.argv.slice(2));

/** Engines in the table's column order; the ratio columns divide by dockerd's value. */
const COLUMNS = ['berth CLI → berthd', 'docker CLI → berthd', 'docker CLI → dockerd', 'podman', 'containerd 1.6 (CRI)', 'raw crun run (floor)', 'raw runc run (floor)'];
const BASELINE = 'docker CLI → dockerd';
/** Rows dockerd has no part in (the CRI) take their ratio against containerd. */
const CRI_BASELINE = 'containerd 1.6 (CRI)';

function installPeers(): void {
  const missing = [['/usr/sbin/dockerd', 'docker.io'], ['/usr/bin/podman', 'podman']].filter(([bin]) => !existsSync(bin as string)).map(([, pkg]) => pkg as string);
  if (missing.length === 0) return;
  process.stdout.write(`installing peers from Debian: ${missing.join(' ')}\n`);
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) process.stdout.write('apt-get install failed: benches run without the missing peers\n');
}

function fmt(v: number | undefined, unit: string): string {
  if (v === undefined) return '–';
  return unit === 's' ? v.toFixed(3) : v.toFixed(1);
}

function table(results: BenchResult[]): string {
  const out = [`| bench | metric | unit | ${COLUMNS.join(' | ')} | berthd ÷ dockerd (berth CLI; CRI rows: ÷ containerd) | berthd ÷ dockerd (docker CLI) |`, `|---|---|---|${COLUMNS.map(() => '---:').join('|')}|---:|---:|`];
  const keys = [...new Set(results.map((r) => `${r.bench}\u0000${r.metric}`))];
  for (const key of keys) {
    const [bench, metric] = key.split('\u0000') as [string, string];
    const rows = results.filter((r) => r.bench === bench && r.metric === metric);
    const unit = rows[0]?.unit ?? '';
    const value = (engine: string): number | undefined => rows.find((r) => r.engine === engine || (engine === 'berth CLI → berthd' && r.engine === 'berthd'))?.value;
    const base = value(BASELINE) ?? value(CRI_BASELINE);
    const ratio = (engine: string): string => {
      const v = value(engine);
      return v !== undefined && base ? `${(v / base).toFixed(2)}×` : '–';
    };
    out.push(`| ${bench} | ${metric} | ${unit} | ${COLUMNS.map((c) => fmt(value(c), unit)).join(' | ')} | ${ratio('berth CLI → berthd')} | ${ratio('docker CLI → berthd')} |`);
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  if (args.has('--install-peers')) installPeers();
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-results-'));
  const resultsFile = join(dir, 'results.jsonl');
  await writeFile(resultsFile, '');
  let failed = 0;
  const started = new Date();
  // Benches that record no rows (they print their own comparison) go into the report as printed.
  const printed: string[] = [];
  try {
    // Helpers other benches run (cni-floor: bench/cri.ts, in its own namespace) are not benches.
    // The scale bench makes 1,110 containers per engine (about ten minutes): only when asked.
    const skip = ['run.js', 'peers.js', 'results.js', 'process-cpu.js', 'cni-floor.js', ...(args.has('--scale') ? [] : ['scale.js'])];
    for (const file of readdirSync(here).filter((f) => f.endsWith('.js') && !skip.includes(f)).sort()) {
      process.stdout.write(`\n== ${file}\n`);
      const before = (await readFile(resultsFile, 'utf8')).length;
      const r = spawnSync(process.execPath, [join(here, file)], { stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, BENCH_RESULTS: resultsFile } });
      process.stdout.write(r.stdout ?? '');
      if (r.status !== 0) failed++;
      if ((await readFile(resultsFile, 'utf8')).length === before && r.stdout?.trim()) printed.push(`### ${file.replace(/\.js$/, '')}\n\n\`\`\`\n${r.stdout.trim()}\n\`\`\`\n`);
    }
    const lines = (await readFile(resultsFile, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as BenchResult | { bench: string; note: string });
    const results = lines.filter((l): l is BenchResult => !('note' in l));
    const notes = lines.filter((l): l is { bench: string; note: string } => 'note' in l).map((l) => `- ${l.bench}: ${l.note}`);
    const version = (cmd: string, a: string[]): string => spawnSync(cmd, a, { encoding: 'utf8' }).stdout?.trim().split('\n')[0] ?? 'not installed';
    const section = [
      `## ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      '',
      `Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}; dockerd: ${existsSync('/usr/sbin/dockerd') ? version('/usr/sbin/dockerd', ['--version']) : 'not installed'}; podman: ${existsSync('/usr/bin/podman') ? version('/usr/bin/podman', ['--version']) : 'not installed'}; docker CLI: ${version('/usr/local/bin/docker', ['--version'])}.${failed > 0 ? ` ${failed} bench(es) failed; their rows are missing.` : ''}`,
      '',
      table(results),
      '',
      ...(notes.length > 0 ? [...notes, ''] : []),
      ...printed,
    ].join('\n');
    process.stdout.write(`\n${section}\n`);
    if (!args.has('--no-record')) {
      const header = '# Benchmarks\n\nWritten by `npm run bench` (bench/run.ts), newest first. Each run measures Berth, a private dockerd\n(Debian docker.io) and podman on the same machine in the same run; times are medians in seconds,\nratios divide by dockerd\'s time (below 1 = Berth faster). `--install-peers` installs the peers.\n\n';
      const old = await readFile(DOC, 'utf8').catch(() => '');
      const earlier = old.startsWith('# Benchmarks') ? old.slice(old.indexOf('\n## ') + 1 || old.length) : '';
      await writeFile(DOC, `${header}${section}\n${earlier}`);
      process.stdout.write(`recorded in ${DOC}\n`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
