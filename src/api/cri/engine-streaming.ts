/**
 * The streaming server's backend on the engine (api/cri/streaming/backend.ts): exec is an engine
 * exec (ExecService) with the client's streams, attach joins a pod container's main process
 * through the same attach socket `docker attach` uses, and port-forward dials the port inside the
 * pod's network namespace. The engine's attach and exec sockets carry docker's multiplexed frames
 * without a tty (stream byte, three zeros, big-endian size), raw bytes with one.
 */
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Duplex, Writable } from 'node:stream';
import { NotFoundError, SystemError } from '../../core/errors.js';
import type { ContainerService } from '../../engine/containers/container-service.js';
import type { ExecService } from '../../engine/containers/exec-service.js';
import type { PodContainers } from '../../engine/cri/pod-containers.js';
import type { PodSandboxes } from '../../engine/cri/pod-sandboxes.js';
import type { StreamingBackend, StreamIO, StreamOptions } from './streaming/backend.js';
import type { StreamUrls } from './stream-urls.js';
import type { StreamingServer } from './streaming/streaming-server.js';

/** Copies the engine socket's output to the client's writables: raw with a tty, demultiplexed without. */
function pumpOutput(socket: Socket, tty: boolean, io: StreamIO): Promise<void> {
  const write = (w: Writable | undefined, data: Buffer): void => {
    if (w && !w.destroyed) w.write(data);
  };
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    if (tty) return write(io.stdout, chunk);
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      write(pending[0] === 2 ? io.stderr : io.stdout, pending.subarray(8, 8 + size));
      pending = pending.subarray(8 + size);
    }
  });
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    socket.once('error', () => resolve());
  });
}

function pumpInput(socket: Socket, io: StreamIO): void {
  if (!io.stdin) return;
  io.stdin.on('data', (b: Buffer) => {
    if (!socket.destroyed) socket.write(b);
  });
  io.stdin.once('end', () => {
    if (!socket.destroyed) socket.end();
  });
}

async function followResizes(io: StreamIO, resize: (rows: number, cols: number) => Promise<void>): Promise<void> {
  for await (const size of io.resize) await resize(size.height, size.width).catch(() => undefined);
}

export class EngineStreaming implements StreamingBackend {
  constructor(private readonly d: { containers: ContainerService; execs: ExecService; pods: PodContainers; sandboxes: PodSandboxes }) {}

  async exec(containerId: string, cmd: string[], opts: StreamOptions, io: StreamIO): Promise<{ exitCode: number }> {
    const r = this.d.pods.get(containerId);
    const id = this.d.execs.create(r.Id, { Cmd: cmd, Tty: opts.tty, AttachStdin: opts.stdin, AttachStdout: opts.stdout, AttachStderr: opts.stderr }).Id;
    const onAbort = (): void => this.d.execs.killProcess(id);
    io.signal.addEventListener('abort', onAbort);
    try {
      const socket = await this.d.execs.start(id, { detach: false });
      if (!socket) throw new SystemError(`exec ${id} in container ${r.Id} gave no stream`);
      void followResizes(io, (rows, cols) => this.d.execs.resize(id, rows, cols));
      pumpInput(socket, io);
      await pumpOutput(socket, opts.tty, io);
      await this.d.execs.settled(id);
      return { exitCode: (this.d.execs.inspect(id).ExitCode as number | null) ?? -1 };
    } finally {
      io.signal.removeEventListener('abort', onAbort);
      this.d.execs.discard(id);
    }
  }

  async attach(containerId: string, opts: StreamOptions, io: StreamIO): Promise<void> {
    const r = this.d.pods.get(containerId);
    const { open } = this.d.containers.attach(r.Id, { stream: true });
    if (!open) throw new NotFoundError(`container ${r.Id} is not running: there is nothing to attach to`);
    const socket = await open();
    const onAbort = (): void => void socket.destroy();
    io.signal.addEventListener('abort', onAbort);
    try {
      void followResizes(io, (rows, cols) => this.d.containers.resize(r.Id, rows, cols));
      pumpInput(socket, io);
      await pumpOutput(socket, r.Config.Tty, io);
    } finally {
      io.signal.removeEventListener('abort', onAbort);
      this.d.containers.detached(r.Id);
    }
  }

  /** busybox's nc, run in the pod's network namespace, is the connection to 127.0.0.1:port there. */
  async portForward(podSandboxId: string, port: number, stream: Duplex, signal: AbortSignal): Promise<void> {
    const s = this.d.sandboxes.get(podSandboxId);
    const sandbox = this.d.sandboxes.sandbox(s.id);
    if (!sandbox) throw new NotFoundError(`pod sandbox ${s.id} is not running: nothing listens in it`);
    const child = spawn('nsenter', [`--net=${sandbox.namespaces.network}`, 'busybox', 'nc', '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    stream.pipe(child.stdin);
    child.stdout.pipe(stream, { end: false });
    const onAbort = (): void => void child.kill('SIGKILL');
    signal.addEventListener('abort', onAbort);
    try {
      const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
      if (code !== 0 && !signal.aborted) throw new SystemError(`failed to connect to localhost:${port} inside pod sandbox ${s.id}: ${stderr.trim() || `exit ${code}`}`);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}

/** The CRI's Exec/Attach/PortForward answers: URLs of the streaming server. */
export function streamUrlsOf(server: StreamingServer): StreamUrls {
  return {
    exec: async (r) => server.getExec({ containerId: r.container_id, cmd: r.cmd, tty: r.tty, stdin: r.stdin, stdout: r.stdout, stderr: r.stderr }),
    attach: async (r) => server.getAttach({ containerId: r.container_id, tty: r.tty, stdin: r.stdin, stdout: r.stdout, stderr: r.stderr }),
    portForward: async (r) => server.getPortForward({ podSandboxId: r.pod_sandbox_id, port: r.port }),
  };
}
