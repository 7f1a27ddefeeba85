import { createHash } from 'node:crypto';
import { errorMessage } from '../../core/errors.js';
import type { BuildProgress, ProgressVertex } from '../../engine/build/solve-types.js';

interface Timestamp {
  seconds: number;
  nanos: number;
}
interface Vertex {
  digest: string;
  inputs: string[];
  name: string;
  cached: boolean;
  started: Timestamp | null;
  completed: Timestamp | null;
  error: string;
}
interface VertexStatus {
  ID: string;
  vertex: string;
  name: string;
  current: number;
  total: number;
  timestamp: Timestamp;
  started: Timestamp | null;
  completed: Timestamp | null;
}
interface VertexLog {
  vertex: string;
  timestamp: Timestamp;
  stream: number;
  msg: Buffer;
}
/** moby.buildkit.v1.StatusResponse, as buildx's progress display reads it. */
export interface StatusResponse {
  vertexes: Vertex[];
  statuses: VertexStatus[];
  logs: VertexLog[];
}

const now = (): Timestamp => {
  const ms = Date.now();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
};

/** BuildKit sends progress in batches; so does this (fewer, larger messages for chatty RUN output). */
const FLUSH_MS = 50;
/** A Status call that never comes must not keep a finished build's progress forever. */
const KEEP_FINISHED_MS = 60_000;

/**
 * One solve's progress (by its ref): the engine reports vertexes, statuses and logs; every
 * Status call for the ref gets them all from the start, also when it subscribes late, and its
 * stream ends when the solve does.
 */
export class SolveProgress implements BuildProgress {
  private readonly sent: StatusResponse[] = [];
  private pending: StatusResponse | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<{ push: (r: StatusResponse) => void; end: () => void }>();
  private finished = false;
  private count = 0;

  constructor(private readonly ref: string) {}

  vertex(name: string): ProgressVertex {
    const digest = `sha256:${createHash('sha256').update(`${this.ref}\0${this.count++}\0${name}`).digest('hex')}`;
    const v: Vertex = { digest, inputs: [], name, cached: false, started: now(), completed: null, error: '' };
    const statuses = new Map<string, VertexStatus>();
    this.batch().vertexes.push({ ...v });
    const complete = (): void => {
      const t = now();
      for (const s of statuses.values()) {
        if (s.completed === null) this.batch().statuses.push({ ...s, completed: t, timestamp: t });
      }
      v.completed = t;
      this.batch().vertexes.push({ ...v });
      this.flushSoon();
    };
    return {
      digest,
      log: (data, stream = 1) => {
        if (v.completed) return;
        this.batch().logs.push({ vertex: digest, timestamp: now(), stream, msg: typeof data === 'string' ? Buffer.from(data) : data });
        this.flushSoon();
      },
      status: (id, opts = {}) => {
        const t = now();
        let s = statuses.get(id);
        if (!s) {
          s = { ID: id, vertex: digest, name: id, current: 0, total: 0, timestamp: t, started: t, completed: null };
          statuses.set(id, s);
        }
        s.current = opts.current ?? s.current;
        s.total = opts.total ?? s.total;
        s.timestamp = t;
        if (opts.done) s.completed = t;
        this.batch().statuses.push({ ...s });
        this.flushSoon();
      },
      cached: () => {
        if (v.completed) return;
        v.cached = true;
        complete();
      },
      done: (err) => {
        if (v.completed) return;
        if (err !== undefined) v.error = errorMessage(err);
        complete();
      },
    };
  }

  /** Streams everything so far, then what follows, until the solve ends. */
  subscribe(push: (r: StatusResponse) => void, end: () => void): () => void {
    this.flush();
    for (const r of this.sent) push(r);
    if (this.finished) {
      end();
      return () => undefined;
    }
    const l = { push, end };
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** The solve ended: flush, end every stream, forget the backlog after a while. */
  finish(forget: () => void): void {
    if (this.finished) return;
    this.flush();
    this.finished = true;
    for (const l of this.listeners) l.end();
    this.listeners.clear();
    setTimeout(forget, KEEP_FINISHED_MS).unref();
  }

  private batch(): StatusResponse {
    this.pending ??= { vertexes: [], statuses: [], logs: [] };
    return this.pending;
  }

  private flushSoon(): void {
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const r = this.pending;
    this.pending = null;
    if (!r) return;
    this.sent.push(r);
    for (const l of this.listeners) l.push(r);
  }
}

/** Progress by solve ref: Solve and Status are separate calls, in either order. */
export class ProgressBoard {
  private readonly byRef = new Map<string, SolveProgress>();

  open(ref: string): SolveProgress {
    let p = this.byRef.get(ref);
    if (!p) {
      p = new SolveProgress(ref);
      this.byRef.set(ref, p);
    }
    return p;
  }

  finish(ref: string): void {
    const p = this.byRef.get(ref);
    p?.finish(() => {
      if (this.byRef.get(ref) === p) this.byRef.delete(ref);
    });
  }
}
