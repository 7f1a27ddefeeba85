import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { phaseTimer } from '../../core/phase-timer.js';
import type { Digest } from '../../core/digest.js';
import { InvalidParameterError, NotFoundError, NotImplementedError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Snapshotter } from '../../drivers/snapshotter/snapshotter.js';
import { DockerfileError, groupStages, toInstruction, type Instruction, type Stage } from '../../oci/dockerfile/instructions.js';
import { DockerfileSyntaxError, nodeFromLine, parseDockerfile } from '../../oci/dockerfile/parser.js';
import { processWord } from '../../oci/dockerfile/shell-lex.js';
import { hostPlatform, type ImageConfig } from '../../oci/image-types.js';
import type { ContentStore } from '../../store/content/content-store.js';
import { buildCommitConfig } from '../rootfs/index.js';
import type { ContainerService } from '../containers/container-service.js';
import type { ImageService } from '../images/image-service.js';
import { BuildCache } from './build-cache.js';
import { ContextCache } from './context-cache.js';
import { LegacyReporter, type BuildOutput, type BuildPlan, type BuildReporter } from './build-reporter.js';
import { namedContextFor, type BuildOptions, type BuildSource } from './build-options.js';
import { runStep } from './build-run.js';
import { CopyStep } from './copy-step.js';
import { applyMetadata, commandLine, PROXY_ARGS, StageState } from './build-state.js';
import { parseRunMount, runMountPlan, type RunMountPlan } from './run-mounts.js';
import { reachableStages } from './stage-graph.js';
import { solveBuild } from './solve.js';
import { runExports } from './solve-export.js';
import { noteStepLines } from './step-source.js';
import type { ExportSpec, PruneUsageOptions, SolveResult, SolveSpec, UsageRecord } from './solve-spec.js';
import type { BuildProgress, SolveInputs } from './solve-types.js';
import { cacheUsage, dirSize, pruneCacheUsage, type UsageDeps } from './build-usage.js';
import { remoteContext } from './remote-context.js';
import { compareStrings } from '../../core/compare.js';
import { isoTime } from '../../core/utc-time.js';

export type { BuildOptions, BuildOutput, BuildSource };

export interface BuildDeps {
  containers: ContainerService;
  images: ImageService;
  content: ContentStore;
  snapshotter: Snapshotter;
  log: Logger;
  /** `<data-root>/build`: the cache index and the unpacked contexts. */
  dir: string;
}

interface BuildRun {
  opts: BuildOptions;
  report: BuildReporter;
  src: BuildSource;
  /** The current stage's steps skip the cache (no-cache for it). */
  stageNoCache: boolean;
  meta: Map<string, string | undefined>;
  usedArgs: Set<string>;
  escape: string;
  /** Each finished stage's image, by index; names map to indexes. */
  results: Array<Digest | null>;
  names: Map<string, number>;
  /** --cache-from: only these images and their ancestors may be reused. */
  cacheSources: Set<Digest> | null;
  /** Cleanups running beside later steps (intermediate containers, throwaway rootfs). */
  background: Array<Promise<unknown>>;
}

/** Dockerfile builds as docker's legacy builder (`POST /build`) does them, and BuildKit's Solve (solve.ts). */
export class BuildService {
  private readonly cache: BuildCache;
  private readonly copyStep: CopyStep;
  private readonly contexts: ContextCache;
  /** Builds (classic and BuildKit solves) under way: their step images are not cache to reclaim yet. */
  inFlight = 0;

  constructor(private readonly d: BuildDeps) {
    this.cache = new BuildCache(d.dir);
    this.copyStep = new CopyStep(d);
    this.contexts = new ContextCache(join(d.dir, 'contexts'), (err) => d.log.warn({ err }, 'removing a build context failed'));
  }

  async build(body: Readable, opts: BuildOptions, out: BuildOutput): Promise<Digest> {
    if (opts.remote !== undefined) body.resume(); // the CLI sends no context with a URL
    const source = opts.remote !== undefined ? await remoteContext(opts.remote, opts.dockerfile) : body;
    const { mark, phases } = phaseTimer();
    const lease = await this.contexts.open(source, opts.dockerfile, (m) => this.d.log.warn(m));
    const ctx = lease.ctx;
    mark('extracted');
    this.d.log.debug({ ms: phases }, 'build context unpacked');
    try {
      const src = { dockerfile: await ctx.dockerfile(opts.dockerfile), tree: ctx.tree, scratchDir: join(ctx.dir, '..') };
      return await this.buildFrom(src, opts, new LegacyReporter(out));
    } finally {
      // Kept for a rebuild of the same context, or removed after the answer: the daemon's start
      // empties the contexts directory should it stop first.
      lease.release();
    }
  }

  /** Builds from sources already in place; tags the result with `opts.tags`. */
  async buildFrom(src: BuildSource, opts: BuildOptions, report: BuildReporter): Promise<Digest> {
    const background: Array<Promise<unknown>> = [];
    this.inFlight++;
    try {
      return await this.runBuild(src, opts, report, background);
    } finally {
      this.inFlight--;
      await Promise.all(background);
      await this.cache.flush().catch((err: unknown) => this.d.log.warn({ err }, 'saving the build cache index failed'));
    }
  }

  private async runBuild(src: BuildSource, opts: BuildOptions, report: BuildReporter, background: Array<Promise<unknown>>): Promise<Digest> {
    const text = src.dockerfile;
    let parsed;
    let df;
    try {
      parsed = parseDockerfile(text);
      df = groupStages(parsed.nodes);
    } catch (err) {
      if (err instanceof DockerfileSyntaxError) throw new InvalidParameterError(`failed to parse Dockerfile: ${err.message}`);
      if (err instanceof DockerfileError) throw new InvalidParameterError(err.message);
      throw err;
    }
    for (const w of parsed.warnings) report.warning(`${w}\n`);
    if (df.stages.length === 0) throw new InvalidParameterError('no build stage in current context');
    let targetIndex = df.stages.length - 1;
    if (opts.target) {
      targetIndex = df.stages.findIndex((s) => s.name === opts.target?.toLowerCase());
      if (targetIndex < 0) throw new InvalidParameterError(`failed to reach build target ${opts.target} in Dockerfile`);
    }
    const stages = df.stages.slice(0, targetIndex + 1);
    const labels = Object.entries(opts.labels);
    if (labels.length > 0) {
      // As docker's legacy builder: --label becomes a LABEL instruction at the end of the target stage.
      // The pairs go in as written (escaped, so expansion gives them back unchanged).
      const sorted = labels.sort(([a], [b]) => compareStrings(a, b));
      const quote = (t: string): string => t.replace(/[\\$"'`\s]/g, (c) => `${parsed.escapeToken}${c}`);
      const node = nodeFromLine(`LABEL ${sorted.map(([k, v]) => `${quote(k)}=${quote(v)}`).join(' ')}`, parsed.escapeToken, 0);
      node.original = `LABEL ${sorted.map(([k, v]) => `${k}=${v}`).join(' ')}`;
      (stages[stages.length - 1] as Stage).commands.push(toInstruction(node));
    }
    const run: BuildRun = {
      opts,
      report,
      src,
      stageNoCache: false,
      meta: new Map(),
      usedArgs: new Set(),
      escape: parsed.escapeToken,
      results: [],
      names: new Map(),
      cacheSources: opts.cacheFrom.length > 0 ? await this.cacheSources(opts.cacheFrom) : null,
      background,
    };
    // BuildKit's automatic platform args; a stage sees them after `ARG NAME`, like any global arg.
    for (const [k, v] of Object.entries(platformArgs())) run.meta.set(k, v);
    for (const ins of df.metaArgs) {
      for (const word of ins.node.next) {
        const eq = word.indexOf('=');
        const name = eq < 0 ? word : word.slice(0, eq);
        const given = opts.buildArgs.get(name);
        const lookup = (n: string): string | undefined => run.meta.get(n);
        run.meta.set(name, given !== undefined && given !== null ? given : eq < 0 ? undefined : processWord(word.slice(eq + 1), lookup, run.escape));
        run.usedArgs.add(name);
      }
    }
    const expandMeta = (word: string): string => processWord(word, (n) => run.meta.get(n), run.escape);
    const needed = opts.onlyNeededStages ? reachableStages(stages, expandMeta) : null;
    const stageNames = new Set(stages.map((s) => s.name).filter((n) => n !== undefined));
    const plan: BuildPlan = {
      metaArgs: df.metaArgs,
      stageCount: df.stages.length,
      stages: stages.flatMap((s, index) => {
        if (needed && !needed.has(index)) return [];
        const base = expandMeta(s.base);
        const named = namedContextFor(opts, base);
        const baseIsStage = named === undefined && stageNames.has(base.toLowerCase());
        return [{ index, name: s.name, base: named && 'image' in named ? named.ref : base, baseIsStage, commands: s.commands }];
      }),
    };
    report.begin(plan);
    for (const ins of df.metaArgs) report.metaArg(ins);
    let state: StageState | undefined;
    for (const [index, stage] of stages.entries()) {
      if (needed && !needed.has(index)) continue;
      run.stageNoCache = stage.name !== undefined && (opts.noCacheStages ?? []).includes(stage.name);
      // A named context's image shows under its own name, as BuildKit resolves it.
      report.from(index, stage.from, plan.stages.find((p) => p.index === index)?.base ?? expandMeta(stage.base));
      state = await this.from(run, stage).catch((err: unknown) => {
        noteStepLines(err, stage.from.node);
        throw err;
      });
      for (const ins of stage.commands) {
        checkAborted(report.signal);
        report.instruction(ins, (t) => expandKnown(t, state as StageState), false);
        await this.dispatch(run, state, ins).catch((err: unknown) => {
          noteStepLines(err, ins.node);
          throw err;
        });
      }
      run.results[index] = state.imageId;
      if (stage.name !== undefined) run.names.set(stage.name, index);
    }
    const unused = [...opts.buildArgs.keys()].filter((k) => !run.usedArgs.has(k) && !PROXY_ARGS.has(k)).sort();
    if (unused.length > 0) report.warning(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    const final = state?.imageId;
    if (!final) throw new InvalidParameterError('No image was generated. Is your Dockerfile empty?');
    report.built(final);
    for (const t of opts.tags) {
      await this.d.images.tag(final, t, undefined);
      report.tagged(t);
    }
    return final;
  }

  /** A BuildKit Solve (`docker buildx build`) of a Dockerfile on this builder: see solve.ts. */
  async solve(spec: SolveSpec, inputs: SolveInputs, progress: BuildProgress, signal?: AbortSignal): Promise<SolveResult> {
    return solveBuild({ ...this.d, build: (src, opts, report) => this.buildFrom(src, opts, report) }, spec, inputs, progress, signal);
  }

  /**
   * The exporters of a Solve whose frontend ran apart from it (buildx runs the Dockerfile
   * frontend through LLBBridge and hands the result back): the same exporters `solve` runs.
   */
  async exportImage(imageId: Digest, exports: readonly ExportSpec[], inputs: SolveInputs, progress: BuildProgress): Promise<Record<string, string>> {
    return runExports(this.d, imageId, exports, inputs, progress);
  }

  /** Every image the build cache index names (step results). */
  async cachedImages(): Promise<Set<Digest>> {
    return new Set((await this.cache.all()).flatMap(([, ids]) => ids));
  }

  /** `docker buildx du`: the build cache as BuildKit usage records. */
  async usage(): Promise<UsageRecord[]> {
    return cacheUsage(this.usageDeps());
  }

  /** `docker buildx prune`: what it removed, as usage records. */
  async pruneUsage(opts: PruneUsageOptions): Promise<UsageRecord[]> {
    return pruneCacheUsage(this.usageDeps(), opts);
  }

  private usageDeps(): UsageDeps {
    return { images: this.d.images, cache: this.cache, dir: this.d.dir, prune: () => this.prune() };
  }

  /**
   * `docker builder prune`: forgets which images serve as cache and empties the RUN cache mounts.
   * The step images themselves are ordinary images (`image prune` removes the unused ones).
   */
  async prune(): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }> {
    const mounts = join(this.d.dir, 'cache-mounts');
    const names = await readdir(mounts).catch(() => [] as string[]);
    let reclaimed = 0;
    for (const name of names) {
      reclaimed += await dirSize(join(mounts, name));
      await rm(join(mounts, name), { recursive: true, force: true });
    }
    this.contexts.clear();
    const keys = await this.cache.clear();
    return { CachesDeleted: [...names, ...keys], SpaceReclaimed: reclaimed };
  }

  /** Images named by --cache-from and all their ancestors. */
  private async cacheSources(names: readonly string[]): Promise<Set<Digest>> {
    const out = new Set<Digest>();
    for (const name of names) {
      let img = await this.d.images.catalog.tryResolve(name).catch(() => undefined);
      while (img && !out.has(img.id)) {
        out.add(img.id);
        img = img.record.parent ? await this.d.images.catalog.tryResolve(img.record.parent) : undefined;
      }
    }
    return out;
  }

  private async from(run: BuildRun, stage: Stage): Promise<StageState> {
    const base = processWord(stage.base, (n) => run.meta.get(n), run.escape);
    const named = namedContextFor(run.opts, base);
    if (named && 'tree' in named) throw new NotImplementedError(`FROM ${base}: a local directory as a named context can be a COPY --from source, not a base, in this Berth version`);
    if (stage.platform !== undefined) {
      const platform = processWord(stage.platform, (n) => run.meta.get(n), run.escape);
      const host = platformArgs().BUILDPLATFORM as string;
      if (platform !== host && platform !== 'linux') throw new NotImplementedError(`FROM --platform=${platform}: Berth builds for this machine (${host}) only`);
    }
    if (base === '') throw new InvalidParameterError(`base name (${stage.base}) should not be blank`);
    const stageIndex = named ? undefined : run.names.get(base.toLowerCase());
    let id: Digest | null = null;
    let config: ImageConfig | null = null;
    if (named) {
      id = named.image;
      config = (await this.d.images.resolve(id)).config;
    } else if (stageIndex !== undefined) {
      id = run.results[stageIndex] ?? null;
      if (id) config = (await this.d.images.resolve(id)).config;
    } else if (base !== 'scratch') {
      const img = await this.d.images.catalog.tryResolve(base);
      if (!img) throw new NotFoundError(`pull access denied for ${base}: the image is not here and pulling from registries is not supported by this Berth version yet; use "berth image bootstrap", "load" or "import"`);
      id = img.id;
      config = img.config;
      if (run.opts.pull) run.report.warning(`[Warning] --pull: pulling from registries is not supported by this Berth version yet; using the local ${base}\n`);
    }
    if (id) run.report.baseImage(id);
    const state = new StageState(run.escape, run.opts.buildArgs, run.usedArgs, id, config);
    const triggers = state.runConfig.OnBuild ?? [];
    if (triggers.length > 0) {
      run.report.triggers(triggers.length);
      state.runConfig.OnBuild = null;
      for (const t of triggers) {
        const ins = toInstruction(nodeFromLine(t, run.escape, 0));
        run.report.instruction(ins, (text) => expandKnown(text, state), true);
        await this.dispatch(run, state, ins);
      }
    }
    return state;
  }

  private async lookupCache(run: BuildRun, key: string): Promise<Digest | undefined> {
    if (run.opts.noCache || run.stageNoCache) return undefined;
    for (const id of await this.cache.get(key)) {
      if (run.cacheSources && !run.cacheSources.has(id)) continue;
      if (await this.d.images.catalog.has(id)) return id;
      await this.cache.forget(key, id);
    }
    return undefined;
  }

  /** Reuses a cached result or makes it; either way the stage moves to the new image. */
  private async step(run: BuildRun, state: StageState, key: string, make: () => Promise<Digest>): Promise<void> {
    const cached = await this.lookupCache(run, key);
    if (cached) {
      run.report.cached();
      state.imageId = cached;
    } else {
      state.imageId = await make();
      await this.cache.set(key, state.imageId);
    }
    run.report.stepDone(state.imageId);
  }

  private async dispatch(run: BuildRun, state: StageState, ins: Instruction): Promise<void> {
    switch (ins.name) {
      case 'RUN':
        return this.run(run, state, ins);
      case 'COPY':
      case 'ADD':
        return this.copyStep.run({
          state,
          ins,
          escape: run.escape,
          context: run.src.tree,
          scratchDir: run.src.scratchDir,
          stageTree: (from) => {
            const named = namedContextFor(run.opts, from);
            return named && 'tree' in named ? named.tree : undefined;
          },
          stageImage: (from) => {
            const named = namedContextFor(run.opts, from);
            if (named && 'image' in named) return named.image;
            const index = /^\d+$/.test(from) ? Number(from) : run.names.get(from.toLowerCase());
            return index !== undefined && index < run.results.length ? (run.results[index] ?? null) : undefined;
          },
          step: (key, make) => this.step(run, state, key, make),
          background: (p) => run.background.push(p),
        });
      default: {
        const parent = state.imageId;
        const comment = applyMetadata(state, ins, run.meta);
        const config = structuredClone(state.runConfig);
        const key = BuildCache.key(['meta', parent, comment, config]);
        // docker records WORKDIR as a single command string (one space after #(nop)), the rest as two words.
        const cmd = ins.name === 'WORKDIR' ? [...state.shell, `#(nop) ${comment}`] : [...state.shell, '#(nop) ', comment];
        await this.step(run, state, key, () => this.commitConfig(parent, state, cmd));
      }
    }
  }

  /** A step that changes only the config: a new image with an empty-layer history entry, no container. */
  private async commitConfig(parentId: Digest | null, state: StageState, cmd: string[]): Promise<Digest> {
    const parent = parentId ? await this.d.images.resolve(parentId) : null;
    const parentConfig: ImageConfig = parent?.config ?? { ...hostPlatform(), rootfs: { type: 'layers', diff_ids: [] } };
    const bytes = buildCommitConfig({
      parent: parentConfig,
      diffId: null,
      containerConfig: { ...state.runConfig, Cmd: cmd },
      config: state.runConfig,
      containerId: '',
      author: state.maintainer,
      comment: undefined,
      created: isoTime(),
    });
    return this.d.images.addImage({ config: bytes, layers: parent?.record.layers ?? [], ...(parentId ? { parent: parentId } : {}) });
  }

  private async run(run: BuildRun, state: StageState, ins: Instruction): Promise<void> {
    if (ins.flags.has('security')) {
      throw new InvalidParameterError('the --security option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled');
    }
    // docker's legacy builder refuses --mount; BuildKit's cache, bind and tmpfs mounts work here.
    const secretDir = join(run.src.scratchDir, `${newId()}-secrets`);
    const secrets = run.opts.secret ? { secret: run.opts.secret, ...(run.opts.sshAgent ? { sshAgent: run.opts.sshAgent } : {}), dir: secretDir } : undefined;
    try {
      const plan = await runMountPlan((ins.flags.get('mount') ?? []).map((m) => parseRunMount(state.expand(m, ins))), run.src.tree, join(this.d.dir, 'cache-mounts'), secrets);
      try {
        await this.runWithMounts(run, state, ins, plan);
      } finally {
        await plan.close();
      }
    } finally {
      // Only a build with secrets makes the directory.
      if (secrets) await rm(secretDir, { recursive: true, force: true });
    }
  }

  private async runWithMounts(run: BuildRun, state: StageState, ins: Instruction, mountPlan: RunMountPlan): Promise<void> {
    const parent = state.imageId;
    if (!parent) throw new InvalidParameterError('Please provide a source image with `from` prior to run');
    let cmd = commandLine(ins, state.shell);
    const heredoc = ins.node.heredocs[0];
    if (heredoc && !ins.node.json) {
      const line = ins.node.next.join(' ').trim();
      cmd = /^<<-?\s*["']?[A-Za-z0-9_.-]+["']?$/.test(line)
        ? [...state.shell, heredoc.content]
        : [...state.shell, `${line}\n${ins.node.heredocs.map((h) => `${h.content}${h.name}\n`).join('')}`];
    }
    const history = state.historyArgs();
    const savedCmd = history.length > 0 ? [`|${history.length}`, ...history, ...cmd] : cmd;
    const network = ins.flags.get('network')?.[0];
    const hostConfig = { ...run.opts.runHostConfig, ...(network ? { NetworkMode: network === 'default' ? 'bridge' : network } : {}), ...(mountPlan.mounts.length > 0 ? { Mounts: mountPlan.mounts } : {}) };
    const key = BuildCache.key(['run', parent, state.runConfig, savedCmd, network ?? '', ...mountPlan.key]);
    await this.step(run, state, key, () =>
      runStep(this.d, {
        parent,
        cmd,
        savedCmd,
        runConfig: state.runConfig,
        author: state.maintainer,
        argEnv: [...state.runArgs(), ...mountPlan.env],
        stubs: mountPlan.stubs,
        hostConfig,
        remove: run.opts.rm,
        forceRemove: run.opts.forceRm,
        report: run.report,
        background: (p) => run.background.push(p),
        ...(run.report.signal ? { signal: run.report.signal } : {}),
      }),
    );
  }

}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InvalidParameterError('the build was canceled: the client disconnected');
}

/**
 * `$NAME` and `${NAME}` replaced where the stage knows NAME, the rest left as written (quotes
 * too): how BuildKit names a step's progress vertex (its lexer with RawQuotes and SkipUnsetEnv).
 */
function expandKnown(text: string, state: StageState): string {
  const lookup = state.lookup();
  return text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, braced?: string, bare?: string) => lookup((braced ?? bare) as string) ?? whole);
}

/** TARGETPLATFORM, BUILDARCH… for this machine (Berth builds for the platform it runs on). */
function platformArgs(): Record<string, string> {
  const { architecture, os } = hostPlatform();
  const platform = `${os}/${architecture}`;
  return { BUILDPLATFORM: platform, BUILDOS: os, BUILDARCH: architecture, BUILDVARIANT: '', TARGETPLATFORM: platform, TARGETOS: os, TARGETARCH: architecture, TARGETVARIANT: '' };
}
