import { randomBytes } from 'node:crypto';
import { InvalidParameterError, NotFoundError } from '../../core/errors.js';
import type { Digest } from '../../core/digest.js';
import type { BuildSession } from '../../engine/build/solve-types.js';
import type { SolveProgress } from './solve-progress.js';

/** What the client's frontend run handed back with LLBBridge.Return. */
export type GatewayOutcome = { image: Digest | null } | { error: { code: number; message: string } };

/**
 * A `Control.Solve` with no frontend of its own: buildx runs its build function against the
 * LLBBridge service (Solve with `dockerfile.v0`, then Return), and the Control call exports what
 * was returned. Both sides meet here, by the build's ref (buildx sends it in the
 * `buildkit-controlapi-buildid` metadata of each LLBBridge call).
 */
export class GatewayBuild {
  private readonly results = new Map<string, Digest>();
  private settle!: (o: GatewayOutcome) => void;
  readonly outcome: Promise<GatewayOutcome>;

  constructor(
    readonly ref: string,
    readonly session: BuildSession,
    readonly progress: SolveProgress,
    readonly signal: AbortSignal,
  ) {
    this.outcome = new Promise((resolve) => (this.settle = resolve));
  }

  /** A gateway reference for a built image: the client only passes it back (Return). */
  addResult(image: Digest): string {
    const id = randomBytes(12).toString('hex');
    this.results.set(id, image);
    return id;
  }

  returned(refId: string | null, error: { code: number; message: string } | null): void {
    if (error) return this.settle({ error });
    if (refId === null || refId === '') return this.settle({ image: null });
    const image = this.results.get(refId);
    if (!image) throw new InvalidParameterError(`Return names result ${refId}, which this build did not produce`);
    this.settle({ image });
  }

  /** The client went away without Return. */
  abandon(message: string): void {
    this.settle({ error: { code: 1, message } });
  }
}

export class GatewayBuilds {
  private readonly builds = new Map<string, GatewayBuild>();

  add(b: GatewayBuild): void {
    this.builds.set(b.ref, b);
  }

  remove(b: GatewayBuild): void {
    if (this.builds.get(b.ref) === b) this.builds.delete(b.ref);
  }

  get(ref: string | undefined): GatewayBuild {
    if (!ref) throw new InvalidParameterError('LLBBridge call without the buildkit-controlapi-buildid metadata: it belongs to no build');
    const b = this.builds.get(ref);
    if (!b) throw new NotFoundError(`no build ${ref} is running: LLBBridge calls go with a running Control.Solve`);
    return b;
  }
}
