import { randomBytes } from 'node:crypto';
/**
 * Runs hostile recipes through an engine's unpacking routes and checks, after each run, that
 * the host around the victim is unchanged, the engine answered (no 5xx, no hang), is still
 * alive, and never showed the victim's secret token. Target-neutral: berthd or a private dockerd,
 * both over plain HTTP on their socket.
 */
import { createServer, type Server } from 'node:http';
import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Recipe } from './recipes.js';
import { addContext, contextOf, http, pushToRegistry, saveArchive, streamError, Timeout, type HttpAnswer, type RouteName } from './routes.js';
import { diff, makeVictim, snapshot, type Snapshot, type Victim } from './victim.js';

export interface Outcome {
  recipe: string;
  family: string;
  route: RouteName;
  /** accepted (2xx, no error), rejected (4xx), stream-error (2xx with an error in the JSON stream), 5xx, timeout. */
  verdict: 'accepted' | 'rejected' | 'stream-error' | '5xx' | 'timeout' | 'harness-error';
  status: number;
  message: string;
  failures: string[];
  ms: number;
}

const API = '/v1.41';

/** A loopback HTTP server handing out build contexts for `remote=`. */
class ContextServer {
  private files = new Map<string, Buffer>();
  private constructor(private server: Server, readonly port: number) {}
  static async start(files?: Map<string, Buffer>): Promise<ContextServer> {
    const map = files ?? new Map<string, Buffer>();
    const server = createServer((req, res) => {
      const body = map.get(req.url ?? '');
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/x-tar', 'Content-Length': String(body.length) }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const s = new ContextServer(server, (server.address() as AddressInfo).port);
    s.files = map;
    return s;
  }
  serve(path: string, body: Buffer): string {
    this.files.clear();
    this.files.set(path, body);
    return `http://127.0.0.1:${this.port}${path}`;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

export class CorpusRunner {
  private baseline: Snapshot = new Map();
  private n = 0;
  /** Names this runner's images apart from a parallel runner's on the same engine and registry. */
  private readonly id = randomBytes(3).toString('hex');
  private constructor(
    readonly socket: string,
    readonly target: 'berth' | 'docker',
    public victim: Victim,
    readonly registry: { host: string; port: number },
    private contexts: ContextServer,
    readonly timeoutMs: number,
    private restart: (() => Promise<string>) | undefined,
  ) {}

  static async start(o: { socket: string; target: 'berth' | 'docker'; victim: Victim; registryPort: number; timeoutMs?: number; restart?: () => Promise<string> }): Promise<CorpusRunner> {
    const r = new CorpusRunner(o.socket, o.target, o.victim, { host: '127.0.0.1', port: o.registryPort }, await ContextServer.start(), o.timeoutMs ?? 20_000, o.restart);
    r.baseline = await snapshot(o.victim);
    return r;
  }

  async close(): Promise<void> {
    await this.contexts.close();
  }

  private api(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}, ms = this.timeoutMs): Promise<HttpAnswer> {
    return http({ socketPath: this.socket, method, path: API + path, ...(body ? { body } : {}), headers, ms });
  }

  private async json(method: string, path: string, value: unknown): Promise<HttpAnswer> {
    return this.api(method, path, Buffer.from(JSON.stringify(value)), { 'Content-Type': 'application/json' });
  }

  /** Runs one recipe through one route and checks the host, the engine and the answers. */
  async run(r: Recipe, route: RouteName): Promise<Outcome> {
    const n = ++this.n;
    const tag = `hostile-corpus:${this.id}-r${n}`;
    const started = Date.now();
    const failures: string[] = [];
    const texts: string[] = [];
    let image: string | undefined;
    const containers: string[] = [];
    let answer: HttpAnswer | undefined;
    let verdict: Outcome['verdict'] = 'accepted';
    let message = '';
    const tarHeaders = { 'Content-Type': 'application/x-tar' };
    const buildQuery = (extra: Record<string, string> = {}): string => '?' + new URLSearchParams({ t: tag, rm: '1', forcerm: '1', ...(r.dockerfile !== undefined ? { dockerfile: r.dockerfile } : {}), ...extra }).toString();
    try {
      switch (route) {
        case 'load':
          image = tag;
          answer = await this.api('POST', '/images/load?quiet=1', saveArchive(r, `${tag}`), tarHeaders);
          break;
        case 'pull': {
          const repo = `hostile/${this.id}-r${n}`;
          await pushToRegistry(this.registry, repo, r);
          image = `${this.registry.host}:${this.registry.port}/${repo}:latest`;
          answer = await this.api('POST', `/images/create?fromImage=${encodeURIComponent(`${this.registry.host}:${this.registry.port}/${repo}`)}&tag=latest`);
          break;
        }
        case 'import':
          image = tag;
          answer = await this.api('POST', `/images/create?fromSrc=-&repo=hostile-corpus&tag=${this.id}-r${n}`, r.bytes, tarHeaders);
          break;
        case 'archive':
        case 'archive-nooverwrite': {
          const c = await this.json('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'] });
          if (c.status !== 201) throw new Error(`container create: ${c.status} ${c.body.toString()}`);
          const id = (JSON.parse(c.body.toString()) as { Id: string }).Id;
          containers.push(id);
          answer = await this.api('PUT', `/containers/${id}/archive?path=/${route === 'archive' ? '' : '&noOverwriteDirNonDir=1'}`, r.bytes, tarHeaders);
          break;
        }
        case 'add':
          image = tag;
          answer = await this.api('POST', '/build' + buildQuery(), addContext(r), tarHeaders);
          break;
        case 'context':
          image = tag;
          answer = await this.api('POST', '/build' + buildQuery(), contextOf(r), tarHeaders);
          break;
        case 'remote': {
          image = tag;
          const url = this.contexts.serve(`/ctx${n}.tar`, contextOf(r));
          answer = await this.api('POST', '/build' + buildQuery({ remote: url }));
          break;
        }
      }
      const body = answer.body.toString('utf8');
      texts.push(body);
      if (answer.status >= 500) {
        verdict = '5xx';
        message = body.trim().slice(0, 300);
        // dockerd answers 500 for most archives it refuses; Berth owes a 4xx (docs/compatibility.md).
        if (this.target === 'berth') failures.push(`HTTP ${answer.status}: ${message}`);
      } else if (answer.status >= 400) {
        verdict = 'rejected';
        message = body.trim().slice(0, 300);
      } else {
        const e = streamError(answer.body);
        if (e !== undefined) {
          verdict = 'stream-error';
          message = e.slice(0, 300);
        }
      }
      if (verdict === 'accepted') await this.probe(r, route, image, containers, texts, failures);
    } catch (err) {
      if (err instanceof Timeout) {
        verdict = 'timeout';
        failures.push(`hang: ${err.message}`);
      } else {
        verdict = 'harness-error';
        failures.push(`harness: ${(err as Error).message}`);
      }
      message = (err as Error).message;
    }
    if (await this.checkAlive(failures)) await this.cleanup(image, containers).catch((err: Error) => failures.push(`cleanup: ${err.message}`));
    const all = texts.join('\n');
    if (all.includes(this.victim.token)) failures.push('secret token of a host file appears in an answer (a host file was read)');
    if (r.leak && r.leak.test(all)) failures.push(`an answer shows a host file was used: ${r.leak.exec(all)?.[0] ?? ''}`);
    await this.checkHost(failures);
    return { recipe: r.name, family: r.family, route, verdict, status: answer?.status ?? 0, message, failures, ms: Date.now() - started };
  }

  /** Reads back what an accepted run made: the image config, paths that must not exist, files that must not hold the token. */
  private async probe(r: Recipe, route: RouteName, image: string | undefined, containers: string[], texts: string[], failures: string[]): Promise<void> {
    if (image) {
      const inspect = await this.api('GET', `/images/${encodeURIComponent(image)}/json`);
      texts.push(inspect.body.toString('utf8'));
    }
    const readBack = r.kind === 'context' ? ['/got', '/dest', '/out'] : [];
    if ((r.absent?.length ?? 0) === 0 && readBack.length === 0) return;
    let id = containers[0];
    if (!id && image) {
      const c = await this.json('POST', '/containers/create', { Image: image, Cmd: ['true'] });
      if (c.status !== 201) return;
      id = (JSON.parse(c.body.toString()) as { Id: string }).Id;
      containers.push(id);
    }
    if (!id) return;
    const prefix = r.kind === 'layer' && (route === 'context' || route === 'remote') ? '/ctx' : '';
    for (const p of r.absent ?? []) {
      const got = await this.api('HEAD', `/containers/${id}/archive?path=${encodeURIComponent(prefix + p)}`);
      if (got.status === 200) failures.push(`${prefix + p} exists in the result: the engine applied what the archive must not have given`);
    }
    for (const p of readBack) {
      const got = await this.api('GET', `/containers/${id}/archive?path=${encodeURIComponent(p)}`);
      if (got.status === 200) texts.push(got.body.toString('latin1'));
    }
  }

  private async cleanup(image: string | undefined, containers: string[]): Promise<void> {
    for (const id of containers) await this.api('DELETE', `/containers/${id}?force=1&v=1`);
    if (image) await this.api('DELETE', `/images/${encodeURIComponent(image)}?force=1`);
  }

  /** Removes what failed builds and loads left untagged. */
  async prune(): Promise<void> {
    await this.api('POST', '/containers/prune');
    await this.api('POST', `/images/prune?filters=${encodeURIComponent(JSON.stringify({ dangling: ['true'] }))}`, undefined, {}, 60_000);
  }

  /** Pings the engine; one that died is started again (when it can be) so later runs still count. */
  private async checkAlive(failures: string[]): Promise<boolean> {
    try {
      const ping = await http({ socketPath: this.socket, method: 'GET', path: '/_ping', ms: 5_000 });
      if (ping.status === 200) return true;
      failures.push(`/_ping answered ${ping.status}`);
    } catch (err) {
      failures.push(`the engine is down: ${(err as Error).message}`);
    }
    if (this.restart) failures.push(`engine log before the restart: ${(await this.restart()).slice(-1200)}`);
    return false;
  }

  /** Compares the host around the victim with the baseline; a change fails the run and the victim is made anew. */
  private async checkHost(failures: string[]): Promise<void> {
    const now = await snapshot(this.victim);
    const changes = diff(this.baseline, now);
    if (changes.length === 0) return;
    failures.push(`host changed: ${changes.join('; ')}`);
    await rm(this.victim.dir, { recursive: true, force: true });
    for (const name of await import('node:fs/promises').then((fs) => fs.readdir(this.victim.base))) await rm(`${this.victim.base}/${name}`, { recursive: true, force: true });
    this.victim = await makeVictim(this.victim.base, this.victim.token);
    this.baseline = await snapshot(this.victim);
  }
}

/** Counts per route: runs, verdicts and failing runs; one line each. */
export function summarize(outcomes: Outcome[], recipes: number): string {
  const routes = new Map<string, Outcome[]>();
  for (const o of outcomes) routes.set(o.route, [...(routes.get(o.route) ?? []), o]);
  const parts = [...routes].map(([route, os]) => {
    const c = (v: string): number => os.filter((o) => o.verdict === v).length;
    return `${route}: ${os.length} runs, ${c('accepted')} accepted, ${c('rejected')} rejected, ${c('stream-error')} stream errors, ${os.filter((o) => o.failures.length > 0).length} FAIL`;
  });
  return `hostile corpus: ${recipes} recipes, ${outcomes.length} runs, ${outcomes.filter((o) => o.failures.length > 0).length} failing\n  ${parts.join('\n  ')}`;
}
