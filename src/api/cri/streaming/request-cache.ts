import { randomBytes } from 'node:crypto';
import { UnavailableError } from '../../../core/errors.js';

/**
 * Single-use tokens for streaming requests, as the kubelet's requestCache
 * (k8s.io/cri-streaming/pkg/streaming/request_cache.go): Exec/Attach/PortForward store the request
 * and put only the token in the URL; the first HTTP request that presents it takes it, and a
 * token not used within the TTL (a minute) is gone. At most `maxInFlight` wait at once.
 */

export const TOKEN_TTL_MS = 60_000;
export const MAX_IN_FLIGHT = 1000;
/** Eight URL-safe base64 characters, 48 random bits, as the kubelet's. */
const TOKEN_LEN = 8;

interface Entry<T> {
  req: T;
  expires: number;
}

export class RequestCache<T> {
  /** Insertion order is expiry order, so the oldest come first when collecting. */
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly ttlMs = TOKEN_TTL_MS,
    private readonly maxInFlight = MAX_IN_FLIGHT,
    private readonly now: () => number = Date.now,
  ) {}

  insert(req: T): string {
    this.collect();
    if (this.entries.size >= this.maxInFlight) {
      throw new UnavailableError(
        `too many streaming requests in flight (${this.maxInFlight}): use or let expire (after ${this.ttlMs / 1000}s) the URLs already handed out`,
      );
    }
    let token: string;
    do token = randomBytes(6).toString('base64url').slice(0, TOKEN_LEN);
    while (this.entries.has(token));
    this.entries.set(token, { req, expires: this.now() + this.ttlMs });
    return token;
  }

  /** The request of a live token, which is used up by this; undefined for an unknown or expired one. */
  consume(token: string): T | undefined {
    const e = this.entries.get(token);
    if (!e) return undefined;
    this.entries.delete(token);
    return this.now() > e.expires ? undefined : e.req;
  }

  get size(): number {
    return this.entries.size;
  }

  private collect(): void {
    const now = this.now();
    for (const [token, e] of this.entries) {
      if (now <= e.expires) break;
      this.entries.delete(token);
    }
  }
}
