import { mkdir, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Digest } from '../../core/digest.js';
import { IgnoreMatcher, readIgnoreFile } from '../../core/dockerignore.js';
import { InvalidParameterError, NotFoundError, NotImplementedError } from '../../core/errors.js';
import { parseDockerfile } from '../../oci/dockerfile/parser.js';
import { newId } from '../../core/ids.js';
import { RootedFs } from '../../drivers/host/rooted-fs.js';
import type { ImageService } from '../images/image-service.js';
import { SourceTree } from './build-context.js';
import type { BuildReporter } from './build-reporter.js';
import type { BuildOptions, BuildSource } from './build-options.js';
import { BuildkitReporter, SolveError } from './buildkit-reporter.js';
import { RunFailedError } from './run-failed-error.js';
import { runExports, type ExportDeps } from './solve-export.js';
import type { SolveResult, SolveSpec } from './solve-spec.js';
import { carrySource, noteStepSource } from './step-source.js';
import type { BuildProgress, ProgressVertex, SolveInputs } from './solve-types.js';

export interface SolveDeps extends ExportDeps {
  images: ImageService;
  /** `<data-root>/build`: solves sync the client's directories under it. */
  dir: string;
  build(src: BuildSource, opts: BuildOptions, report: BuildReporter): Promise<Digest>;
}

/** A vertex around one step of the solve: done on success, failed with the error otherwise. */
async function inVertex<T>(progress: BuildProgress, name: string, fn: (v: ProgressVertex) => Promise<T>): Promise<T> {
  const v = progress.vertex(name);
  try {
    const out = await fn(v);
    v.done();
    return out;
  } catch (err) {
    v.done(err);
    throw err;
  }
}

/** The client's local dir `name` synced into `dest`, counted as BuildKit's `transferring NAME:` status. */
function sync(inputs: SolveInputs, v: ProgressVertex, name: string, dest: string, opts: Parameters<SolveInputs['syncDir']>[2]): Promise<void> {
  const id = `transferring ${name}:`;
  let last = 0;
  return inputs.syncDir(name, dest, opts, (total) => v.status(id, { current: (last = total) })).then(() => v.status(id, { current: last, done: true }));
}

/**
 * A BuildKit Solve of the Dockerfile frontend on Berth's builder: the Dockerfile and the
 * context come from the client's session as BuildKit's dockerui reads them (the Dockerfile's
 * own `<name>.dockerignore` first, else the context's `.dockerignore`, whose patterns are
 * applied while syncing), the steps run with the legacy builder's cache and images, and the
 * exporters run in request order.
 */
export async function solveBuild(d: SolveDeps, spec: SolveSpec, inputs: SolveInputs, progress: BuildProgress, signal?: AbortSignal): Promise<SolveResult> {
  const work = join(d.dir, 'solves', newId());
  const dfDir = join(work, 'dockerfile');
  const ctxDir = join(work, 'context');
  await mkdir(dfDir, { recursive: true, mode: 0o700 });
  await mkdir(ctxDir, { recursive: true, mode: 0o700 });
  try {
    const name = spec.dockerfile;
    const follow = [name, `${name}.dockerignore`];
    if (posix.basename(name) === 'Dockerfile') follow.push(posix.join(posix.dirname(name), 'dockerfile'));
    const { text, ignore } = await inVertex(progress, `[internal] load build definition from ${name}`, async (v) => {
      await sync(inputs, v, 'dockerfile', dfDir, { followPaths: follow });
      return RootedFs.with(dfDir, async (fs) => {
        const found = (await fs.readFile(name)) ?? (posix.basename(name) === 'Dockerfile' ? await fs.readFile(follow[2] as string) : undefined);
        if (found === undefined) throw new NotFoundError(`failed to read dockerfile: open ${name}: no such file or directory`);
        return { text: found.toString('utf8'), ignore: await fs.readFile(`${name}.dockerignore`) };
      });
    });
    if (text.trim() === '') throw new InvalidParameterError('the Dockerfile cannot be empty');
    frontendSyntax(syntaxOf(text, spec), progress);
    let patterns = ignore === undefined ? null : readIgnoreFile(ignore.toString('utf8'));
    if (patterns === null) {
      const ignDir = join(work, 'dockerignore');
      await mkdir(ignDir, { mode: 0o700 });
      patterns = await inVertex(progress, '[internal] load .dockerignore', async (v) => {
        await sync(inputs, v, 'context', ignDir, { followPaths: ['.dockerignore'] });
        const found = await RootedFs.with(ignDir, (fs) => fs.readFile('.dockerignore'));
        return found === undefined ? [] : readIgnoreFile(found.toString('utf8'));
      });
    }
    const namedContexts = await loadNamedContexts(d, spec, inputs, progress, work);
    const opts: BuildOptions = {
      dockerfile: name,
      tags: [],
      ...(spec.target !== undefined ? { target: spec.target } : {}),
      noCache: spec.noCache === true,
      ...(Array.isArray(spec.noCache) ? { noCacheStages: spec.noCache.map((s) => s.toLowerCase()) } : {}),
      // cache-from restricts the legacy builder's cache to those images; BuildKit adds sources. Local cache serves either way.
      cacheFrom: [],
      rm: true,
      forceRm: true,
      buildArgs: spec.buildArgs,
      labels: spec.labels,
      runHostConfig: spec.runHostConfig,
      secret: (id) => inputs.secret(id),
      sshAgent: (id) => inputs.sshAgent(id),
      namedContexts,
      onlyNeededStages: true,
    };
    const report = new BuildkitReporter(progress, signal);
    let imageId: Digest;
    try {
      await inVertex(progress, '[internal] load build context', (v) => sync(inputs, v, 'context', ctxDir, patterns.length > 0 ? { excludePatterns: patterns } : {}));
      const tree = new SourceTree(ctxDir, patterns.length > 0 ? new IgnoreMatcher(patterns) : null, true);
      imageId = await d.build({ dockerfile: text, tree, scratchDir: work }, opts, report);
    } catch (err) {
      report.fail(err);
      const out = err instanceof RunFailedError ? new SolveError(err) : err;
      carrySource(err, out as object);
      noteStepSource(out, name, text);
      throw out;
    }
    for (const w of [...spec.notes, ...report.warnings]) progress.vertex(`[warning] ${w}`).done();
    const exporterResponse = await runExports(d, imageId, spec.exports, inputs, progress);
    return { imageId, exporterResponse };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function loadNamedContexts(d: SolveDeps, spec: SolveSpec, inputs: SolveInputs, progress: BuildProgress, work: string): Promise<NonNullable<BuildOptions['namedContexts']>> {
  const out: NonNullable<BuildOptions['namedContexts']> = new Map();
  for (const [name, nc] of Object.entries(spec.namedContexts)) {
    if (nc.kind === 'image') {
      const img = await d.images.catalog.tryResolve(nc.ref);
      if (!img) throw new NotFoundError(`named context ${name}: image ${nc.ref} is not here and pulling from registries is not supported by this Berth version yet; load or build it first`);
      out.set(name, { image: img.id, ref: nc.ref });
    } else {
      const dir = join(work, `named-${newId()}`);
      await mkdir(dir, { mode: 0o700 });
      await inVertex(progress, `[context ${name}] load from client`, (v) => sync(inputs, v, nc.session, dir, {}));
      out.set(name, { tree: new SourceTree(dir, null, true) });
    }
  }
  return out;
}

/** `# syntax=` (or `build-arg:BUILDKIT_SYNTAX`, which wins, as in BuildKit): the frontend image asked for. */
function syntaxOf(text: string, spec: SolveSpec): string | undefined {
  if (spec.syntax) return spec.syntax;
  try {
    return parseDockerfile(text).syntax;
  } catch {
    return undefined; // the build reports the syntax error with its line
  }
}

/** Docker's own Dockerfile frontend images, any tag or digest: their syntax is what Berth's builder reads. */
const DOCKERFILE_FRONTEND = /^(docker\.io\/)?docker\/dockerfile(-upstream)?(:[\w][\w.-]*)?(@sha256:[a-f0-9]{64})?$/;

/**
 * BuildKit would pull and run the frontend image a Dockerfile names. Berth runs its own: for
 * docker/dockerfile it says so (a pinned version is not honoured), any other frontend is refused.
 */
function frontendSyntax(syntax: string | undefined, progress: BuildProgress): void {
  if (syntax === undefined || syntax === '') return;
  if (!DOCKERFILE_FRONTEND.test(syntax)) throw new NotImplementedError(`# syntax=${syntax}: Berth does not run frontend images; it builds Dockerfiles with its own frontend (BuildKit's Dockerfile 1.x syntax): remove the directive, or name docker/dockerfile`);
  progress.vertex(`[warning] # syntax=${syntax}: built with Berth's own Dockerfile frontend (BuildKit's 1.x syntax); no frontend image is pulled`).done();
}
