import { digestHex, type Digest } from '../../core/digest.js';
import type { Instruction } from '../../oci/dockerfile/instructions.js';
import { familiarString, parseReferenceWithDefaultTag } from '../../oci/reference.js';

/** One stage as the build will run it, known before the first step. */
export interface StagePlan {
  /** Its position among the Dockerfile's stages. */
  index: number;
  /** The stage's `AS` name (lower case), if any. */
  name: string | undefined;
  /** The FROM argument after expanding the global ARGs. */
  base: string;
  /** FROM names an earlier stage, not an image. */
  baseIsStage: boolean;
  commands: readonly Instruction[];
}

export interface BuildPlan {
  metaArgs: readonly Instruction[];
  /** How many stages the Dockerfile has (the plan may leave some out). */
  stageCount: number;
  stages: readonly StagePlan[];
}

/**
 * What happens during a build, told to whoever shows it: the legacy builder's text stream
 * (`Step 1/3 : …`, ` ---> Using cache`) or BuildKit's progress vertexes. The builder calls these
 * in order; a reporter keeps its own numbering.
 */
export interface BuildReporter {
  readonly signal: AbortSignal | undefined;
  /** A line worth showing that is no step's (parser warnings, unused build args); ends with \n. */
  warning(text: string): void;
  begin(plan: BuildPlan): void;
  metaArg(ins: Instruction): void;
  from(stageIndex: number, ins: Instruction, base: string): void;
  /** An instruction starts; `trigger` for an ONBUILD trigger of the base image. */
  instruction(ins: Instruction, expand: (text: string) => string, trigger: boolean): void;
  /** The stage's base image (none for scratch). */
  baseImage(id: Digest): void;
  triggers(count: number): void;
  /** The current step is served from cache. */
  cached(): void;
  /** The current step's image (cached or made). */
  stepDone(id: Digest): void;
  running(containerId: string): void;
  /** A RUN command's output. */
  log(data: Buffer, stream: 1 | 2): void;
  removing(containerId: string): void;
  built(id: Digest): void;
  tagged(name: string): void;
}

const short = (id: Digest): string => digestHex(id).slice(0, 12);

/** Where the legacy builder's output goes: `{"stream": …}` and `{"aux": …}` lines. */
export interface BuildOutput {
  stream(text: string): void;
  aux(value: object): void;
  /** Aborted when the client went away: the build stops (a running RUN is killed). */
  signal?: AbortSignal;
}

/** The legacy builder's output (`POST /build`), byte for byte what dockerd's classic builder prints. */
export class LegacyReporter implements BuildReporter {
  private step = 0;
  private total = 0;

  constructor(private readonly out: BuildOutput) {}

  get signal(): AbortSignal | undefined {
    return this.out.signal;
  }

  warning(text: string): void {
    this.out.stream(text);
  }

  begin(plan: BuildPlan): void {
    // docker counts the ARGs before the first FROM as steps too.
    this.total = plan.metaArgs.length + plan.stages.reduce((n, s) => n + 1 + s.commands.length, 0);
  }

  private stepLine(ins: Instruction): void {
    this.out.stream(`Step ${++this.step}/${this.total} : ${ins.node.original}\n`);
  }

  metaArg(ins: Instruction): void {
    this.stepLine(ins);
  }

  from(_stage: number, ins: Instruction): void {
    this.stepLine(ins);
  }

  instruction(ins: Instruction, _expand: unknown, trigger: boolean): void {
    if (!trigger) this.stepLine(ins);
  }

  baseImage(id: Digest): void {
    this.out.stream(` ---> ${short(id)}\n`);
  }

  triggers(count: number): void {
    this.out.stream(`# Executing ${count} build trigger${count === 1 ? '' : 's'}\n`);
  }

  cached(): void {
    this.out.stream(` ---> Using cache\n`);
  }

  stepDone(id: Digest): void {
    this.out.stream(` ---> ${short(id)}\n`);
  }

  running(containerId: string): void {
    this.out.stream(` ---> Running in ${containerId.slice(0, 12)}\n`);
  }

  log(data: Buffer, stream: 1 | 2): void {
    // dockerd's legacy builder shows a step's stderr in red (streamformatter's stderr writer).
    const text = data.toString('utf8');
    this.out.stream(stream === 2 ? `\x1b[91m${text}\x1b[0m` : text);
  }

  removing(containerId: string): void {
    this.out.stream(`Removing intermediate container ${containerId.slice(0, 12)}\n`);
  }

  built(id: Digest): void {
    this.out.aux({ ID: id });
    this.out.stream(`Successfully built ${short(id)}\n`);
  }

  tagged(name: string): void {
    this.out.stream(`Successfully tagged ${familiarString(parseReferenceWithDefaultTag(name))}\n`);
  }
}
