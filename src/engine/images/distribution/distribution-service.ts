import { InvalidParameterError, NotFoundError, UnauthorizedError } from '../../../core/errors.js';
import { DEFAULT_DOMAIN, familiarString, formatReference, parseReference } from '../../../oci/reference.js';
import type { ContentStore } from '../../../store/content/content-store.js';
import type { ProgressSink } from '../archive/progress.js';
import type { ImageService } from '../image-service.js';
import { pullImage, splitRepository, type PullResult } from './image-puller.js';
import { pushImage } from './image-pusher.js';
import { apiHost, type RegistrySettings } from './registry-hosts.js';
import { failure, readText, RegistryHttp, type RegistryCredentials } from './registry-http.js';

export interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

/** pull, push, login and search: Berth as a client of registries. */
export class DistributionService {
  constructor(private readonly deps: { images: ImageService; content: ContentStore; settings: RegistrySettings }) {}

  /** `fromImage` with `tag` (a tag or a digest); with neither, every tag of the repository. */
  async pull(fromImage: string, tag: string, opts: { platform?: string; creds?: RegistryCredentials; onProgress: ProgressSink }): Promise<PullResult[]> {
    const base = parseReference(fromImage);
    // The API's rule: no tag anywhere pulls every tag (`docker pull -a`).
    const all = !tag && base.tag === undefined && base.digest === undefined;
    if (tag && base.tag === undefined && base.digest === undefined) {
      if (tag.startsWith('sha256:')) base.digest = tag;
      else base.tag = tag;
    }
    const pullOpts = { onProgress: opts.onProgress, ...(opts.platform ? { platform: opts.platform } : {}), ...(opts.creds ? { creds: opts.creds } : {}) };
    if (!all) return [await this.pullOne(base, pullOpts)];
    const tags = await this.tags(base.repository, opts.creds);
    const out: PullResult[] = [];
    for (const t of tags) out.push(await this.pullOne({ repository: base.repository, tag: t }, pullOpts));
    return out;
  }

  /** One image, announced as docker does: a `pull` event whose actor is the reference. */
  private async pullOne(ref: Parameters<typeof pullImage>[1], opts: Parameters<typeof pullImage>[2]): Promise<PullResult> {
    const result = await pullImage(this.deps, ref, opts);
    const name = familiarString(ref);
    this.deps.images.publish({ type: 'image', action: 'pull', id: name, attributes: { name } });
    return result;
  }

  /** An empty tag pushes every local tag of the repository, as dockerd does. */
  async push(name: string, tag: string, opts: { creds?: RegistryCredentials; onProgress: ProgressSink }): Promise<void> {
    const ref = parseReference(name);
    const repository = ref.repository;
    const tags = tag ? [tag] : ref.tag ? [ref.tag] : await this.localTags(repository);
    if (tags.length === 0) throw new NotFoundError(`An image does not exist locally with the tag: ${name}`);
    opts.onProgress({ status: `The push refers to repository [${repository}]` });
    for (const t of tags) {
      if (!(await this.deps.images.catalog.tryResolve(`${repository}:${t}`))) throw new NotFoundError(`An image does not exist locally with the tag: ${formatReference({ repository, tag: t })}`);
      await pushImage(this.deps, repository, t, opts);
      const pushed = familiarString({ repository, tag: t });
      this.deps.images.publish({ type: 'image', action: 'push', id: pushed, attributes: { name: pushed } });
    }
  }

  private async localTags(repository: string): Promise<string[]> {
    const out: string[] = [];
    for (const record of await this.deps.images.list({ all: true })) {
      for (const t of record.RepoTags ?? []) {
        const r = parseReference(t);
        if (r.repository === repository && r.tag) out.push(r.tag);
      }
    }
    return out.sort();
  }

  private async tags(repository: string, creds: RegistryCredentials | undefined): Promise<string[]> {
    const { domain, path } = splitRepository(repository);
    const http = new RegistryHttp(apiHost(domain), creds, this.deps.settings);
    const res = await http.request('GET', `/v2/${path}/tags/list`, { scope: `repository:${path}:pull` });
    if (res.statusCode !== 200) throw await failure(res, `failed to list the tags of ${repository}`);
    return ((JSON.parse(await readText(res)) as { tags?: string[] }).tags ?? []).sort();
  }

  /** `POST /auth`: checks the credentials against the registry's /v2/ (and its token service). */
  async login(creds: RegistryCredentials & { serveraddress?: string }): Promise<{ Status: string; IdentityToken: string }> {
    const host = registryHost(creds.serveraddress);
    const http = new RegistryHttp(host, creds, this.deps.settings);
    const res = await http.request('GET', '/v2/');
    if (res.statusCode === 401) {
      res.resume();
      throw new UnauthorizedError(`login attempt to ${await http.baseUrl()}/v2/ failed with status: 401 Unauthorized`);
    }
    if (res.statusCode !== 200) throw await failure(res, `login to ${host} failed`);
    res.resume();
    return { Status: 'Login Succeeded', IdentityToken: '' };
  }

  /** The v1 search API where the registry has it, else the catalog filtered by the term. */
  async search(term: string, limit: number, creds: RegistryCredentials | undefined): Promise<SearchResult[]> {
    if (!term) throw new InvalidParameterError('search term must not be empty');
    const slash = term.indexOf('/');
    const first = slash > 0 ? term.slice(0, slash) : '';
    const explicit = first.includes('.') || first.includes(':') || first === 'localhost';
    const host = explicit ? first : 'index.docker.io';
    const query = explicit ? term.slice(slash + 1) : term;
    const http = new RegistryHttp(host, creds, this.deps.settings);
    const v1 = await http.request('GET', `/v1/search?q=${encodeURIComponent(query)}&n=${limit}`);
    if (v1.statusCode === 200) {
      const body = JSON.parse(await readText(v1)) as { results?: SearchResult[] };
      return (body.results ?? []).slice(0, limit).map((r) => (explicit && !r.name.startsWith(`${host}/`) ? { ...r, name: `${host}/${r.name}` } : r));
    }
    v1.resume();
    const res = await http.request('GET', '/v2/_catalog', { scope: 'registry:catalog:*' });
    if (res.statusCode !== 200) throw await failure(res, `searching ${host} failed`);
    const repos = (JSON.parse(await readText(res)) as { repositories?: string[] }).repositories ?? [];
    return repos
      .filter((r) => r.includes(query))
      .slice(0, limit)
      .map((r) => ({ name: explicit ? `${host}/${r}` : r, description: '', star_count: 0, is_official: false, is_automated: false }));
  }
}

/** docker's serveraddress: `https://index.docker.io/v1/`, `localhost:5000`, `http://host:port`. */
export function registryHost(serveraddress: string | undefined): string {
  if (!serveraddress) return apiHost(DEFAULT_DOMAIN);
  const host = serveraddress.includes('://') ? new URL(serveraddress).host : serveraddress.replace(/\/.*$/, '');
  return host === 'index.docker.io' || host === 'docker.io' ? apiHost(DEFAULT_DOMAIN) : host;
}
