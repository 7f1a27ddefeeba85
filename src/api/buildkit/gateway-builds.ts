import { randomBytes } from 'node:crypto';
import { InvalidParameterError, NotFoundError } from '../../core/errors.js';
import type { Digest } from '../../core/digest.js';
import { Rendezvous } from '../../core/rendezvous.js';
import type { BuildSession } from '../../engine/build/solve-types.js';
import type { SolveProgress } from './solve-progress.js';

/** What the client's frontend run handed back with LLBBridge.Return. */
export type GatewayOutcome = { image: Digest | null } | { error: { code: number; message: string; details: Array<{ type_url: string; value: Buffer }> } };

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
    /** The client's session: the Control call may come before the session connection is up. */
    readonly session: Promise<BuildSession>,
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

  returned(refId: string | null, error: { code: number; message: string; details: Array<{ type_url: string; value: Buffer }> } | null): void {
    if (error) return this.settle({ error });
    if (refId === null || refId === '') return this.settle({ image: null });
    const image = this.results.get(refId);
    if (!image) throw new InvalidParameterError(`Return names result ${refId}, which this build did not produce`);
    this.settle({ image });
  }

  /** The client went away without Return. */
  abandon(message: string): void {
    this.settle({ error: { code: 1, message, details: [] } });
  }
}

const WAIT_MS = 20_000;

/**
 * Running gateway builds by ref. buildx sends Control.Solve and starts its LLBBridge calls at
 * the same time, so a call may arrive before its build is registered: a lookup waits a while.
 */
export class GatewayBuilds {
  private readonly builds = new Rendezvous<GatewayBuild>(WAIT_MS);

  add(b: GatewayBuild): void {
    this.builds.set(b.ref, b);
  }

  remove(b: GatewayBuild): void {
    this.builds.delete(b.ref, b);
  }

  get(ref: string | undefined): Promise<GatewayBuild> {
    if (!ref) return Promise.reject(new InvalidParameterError('LLBBridge call without the buildkit-controlapi-buildid metadata: it belongs to no build'));
    return this.builds.get(ref, () => new NotFoundError(`no build ${ref} started within ${WAIT_MS / 1000} s: LLBBridge calls go with a running Control.Solve of that ref`));
  }
}
