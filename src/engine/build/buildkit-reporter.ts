import type { Digest } from '../../core/digest.js';
import type { Instruction } from '../../oci/dockerfile/instructions.js';
import { formatReference, parseReferenceWithDefaultTag } from '../../oci/reference.js';
import type { BuildPlan, BuildReporter } from './build-reporter.js';
import { RunFailedError } from './run-failed-error.js';
import type { BuildProgress, ProgressVertex } from './solve-types.js';

/** The instructions BuildKit's Dockerfile frontend numbers (they make an LLB op each). */
const COUNTED = new Set(['RUN', 'COPY', 'ADD', 'WORKDIR']);

/** `docker.io/library/busybox:latest`, as BuildKit writes an image name; other text as is. */
export function normalizedName(name: string): string {
  try {
    return formatReference(parseReferenceWithDefaultTag(name));
  } catch {
    return name;
  }
}

/** BuildKit's text for a failed step: `process "/bin/sh -c exit 3" did not complete successfully: exit code: 3`. */
export function buildkitMessage(err: unknown): string {
  if (err instanceof RunFailedError) return `process ${JSON.stringify(err.cmd.join(' '))} did not complete successfully: exit code: ${err.code}`;
  return err instanceof Error ? err.message : String(err);
}

/** An error whose message is BuildKit's for the same failure (what buildx prints after ERROR:). */
export class SolveError extends Error {
  constructor(cause: unknown) {
    super(buildkitMessage(cause), { cause });
  }
}

interface StageNumbers {
  label: string;
  /** FROM names an image: it is step 1. */
  fromCounted: boolean;
  total: number;
  index: number;
}

/**
 * The build told as BuildKit's Dockerfile frontend names its vertexes: `[internal] load metadata
 * for …`, `[stage-0 1/3] FROM …` (no stage label when the Dockerfile has one stage), `[2/3] RUN …`
 * with the RUN's output as the vertex's log, CACHED for cached steps. Only the numbered
 * instructions (FROM of an image, RUN, COPY, ADD, WORKDIR) get a vertex, as in BuildKit; the
 * others change only the image config and show nowhere.
 */
export class BuildkitReporter implements BuildReporter {
  private stages = new Map<number, StageNumbers>();
  private stage: StageNumbers | undefined;
  private current: ProgressVertex | null = null;
  /** Parser and build-arg warnings, for the caller to show. */
  readonly warnings: string[] = [];

  constructor(
    private readonly progress: BuildProgress,
    readonly signal: AbortSignal | undefined,
  ) {}

  begin(plan: BuildPlan): void {
    const loaded = new Set<string>();
    for (const s of plan.stages) {
      const fromCounted = !s.baseIsStage && s.base !== 'scratch';
      const total = (fromCounted ? 1 : 0) + s.commands.filter((c) => COUNTED.has(c.name)).length;
      this.stages.set(s.index, { label: plan.stageCount === 1 ? '' : `${s.name ?? `stage-${s.index}`} `, fromCounted, total, index: 0 });
      if (fromCounted && !loaded.has(s.base)) {
        loaded.add(s.base);
        this.progress.vertex(`[internal] load metadata for ${normalizedName(s.base)}`).done();
      }
    }
  }

  private open(name: string): void {
    this.finish();
    const st = this.stage;
    if (!st || st.total === 0) {
      this.current = this.progress.vertex(name);
      return;
    }
    const width = Math.floor(1 + Math.log10(st.total));
    this.current = this.progress.vertex(`[${st.label}${String(++st.index).padStart(width, ' ')}/${st.total}] ${name}`);
  }

  private finish(): void {
    this.current?.done();
    this.current = null;
  }

  /** The build failed: the step that was running shows the error. */
  fail(err: unknown): void {
    this.current?.done(new SolveError(err));
    this.current = null;
  }

  warning(text: string): void {
    this.warnings.push(text.trimEnd());
  }

  metaArg(): void {}

  from(stageIndex: number, _ins: Instruction, base: string): void {
    this.finish();
    this.stage = this.stages.get(stageIndex);
    if (this.stage?.fromCounted) this.open(`FROM ${normalizedName(base)}`);
  }

  instruction(ins: Instruction, expand: (text: string) => string, trigger: boolean): void {
    if (!COUNTED.has(ins.name)) {
      this.finish();
      return;
    }
    let name = uppercaseCmd(expand(ins.node.original.trim()));
    // A RUN that is only a heredoc shows its first line (dockerfile2llb's summarizeHeredoc).
    const doc = ins.node.heredocs[0];
    if (ins.name === 'RUN' && doc && !ins.node.json && /^<<-?\s*["']?[A-Za-z0-9_.-]+["']?$/.test(ins.node.next.join(' ').trim())) {
      const lines = doc.content.trim().replace(/\r\n/g, '\n').split('\n');
      name += ` (${lines[0] ?? ''}${lines.length > 1 ? '...' : ''})`;
    }
    this.open(`${trigger ? 'ONBUILD ' : ''}${name}`);
  }

  baseImage(): void {}

  triggers(count: number): void {
    if (this.stage) this.stage.total += count;
  }

  cached(): void {
    this.current?.cached();
    this.current = null;
  }

  stepDone(_id: Digest): void {
    this.finish();
  }

  running(): void {}

  log(data: Buffer, stream: 1 | 2): void {
    this.current?.log(data, stream);
  }

  removing(): void {}

  built(_id: Digest): void {
    this.finish();
  }

  tagged(): void {}
}

/** BuildKit upper-cases the instruction word of a vertex name and leaves the rest as written. */
function uppercaseCmd(text: string): string {
  const sp = text.indexOf(' ');
  return sp < 0 ? text.toUpperCase() : text.slice(0, sp).toUpperCase() + text.slice(sp);
}
