// src/engine/build/solve-types.ts  (engine layer; the API layer implements BuildSession)
import type { Readable } from 'node:stream';

/** fsutil's wire Stat (tonistiigi/fsutil types/stat.proto), as decoded (int64 as number). */
export interface FsStat { path: string; mode: number; uid: number; gid: number; size: number; modTime: number; linkname: string; devmajor: number; devminor: number; xattrs: Record<string, Buffer> }
/** fsutil's wire Packet: type 0 STAT, 1 REQ, 2 DATA, 3 FIN, 4 ERR. `stat` null when absent. */
export interface FsPacket { type: number; stat: FsStat | null; ID: number; data: Buffer }
/** One gRPC bidi stream as seen by berthd (the gRPC client side of the session). */
export interface Channel<T> {
  send(msg: T): Promise<void>;
  /** The next message, or null when the peer ended its side. Rejects on a gRPC error. */
  recv(): Promise<T | null>;
  /** Ends our sending side (half close). */
  closeSend(): void;
  /** Cancels the call. */
  cancel(): void;
}
/** The client's session (POST /session), as the engine needs it. */
export interface BuildSession {
  readonly id: string;
  /** Whether the client serves a gRPC method, e.g. '/moby.filesync.v1.FileSync/DiffCopy'. */
  supports(method: string): boolean;
  /** Opens a bidi call whose messages are fsutil Packets (FileSync.DiffCopy, FileSend.DiffCopy for local output). */
  packets(method: string, metadata: Record<string, string[]>): Channel<FsPacket>;
  /** Opens a bidi call whose messages are BytesMessage{data} (FileSend.DiffCopy for tar/docker/oci outputs). */
  bytes(method: string, metadata: Record<string, string[]>): Channel<Buffer>;
  /** Secrets.GetSecret: the bytes, or null when the client has no such secret. */
  secret(id: string): Promise<Buffer | null>;
  /** SSH.CheckAgent: whether the client forwards an SSH agent by that id (`--ssh id=…`). */
  sshCheck(id: string): Promise<boolean>;
}

/** A client's SSH agent for RUN --mount=type=ssh: each connection in the step is one SSH.ForwardAgent call. */
export interface SshAgent {
  connect(): Channel<Buffer>;
}

/** What the build reads from and writes to the client, built on a BuildSession (helper F implements it). */
export interface SolveInputs {
  /** Copies the client's local dir `name` ('context', 'dockerfile', or a named context's name) into `dest` (an empty dir). */
  syncDir(name: string, dest: string, opts: { includePatterns?: string[]; excludePatterns?: string[]; followPaths?: string[] }, onBytes?: (total: number) => void): Promise<void>;
  secret(id: string): Promise<Buffer | null>;
  /** The client's SSH agent by id, or null when it forwards none by that id. */
  sshAgent(id: string): Promise<SshAgent | null>;
  /** --output type=local: sends a directory tree to the client (exporter `index` in the request's list). */
  exportDir(src: string, index: number): Promise<void>;
  /** --output type=tar / type=docker,dest= / type=oci,dest=: sends a byte stream to the client. */
  exportFile(data: Readable, index: number): Promise<void>;
}

/** buildx's progress model: a vertex per step; logs, statuses (byte counters), cached, done/error. */
export interface BuildProgress {
  vertex(name: string): ProgressVertex; // started now
}
export interface ProgressVertex {
  readonly digest: string;
  log(data: string | Buffer, stream?: 1 | 2): void;
  /** A sub-status line such as "transferring context: 2.3kB" or "writing image sha256:…". */
  status(id: string, opts?: { current?: number; total?: number; done?: boolean }): void;
  /** The step was served from cache (buildx prints CACHED); completes the vertex. */
  cached(): void;
  /** Completes the vertex; with an error it is shown as failed. */
  done(err?: unknown): void;
}
