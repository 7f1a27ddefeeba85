import type { Duplex, Readable, Writable } from 'node:stream';

/**
 * What the streaming server needs from the engine: run a command in a container, attach to its
 * main process, and open a TCP connection to a port in a pod's network namespace. The server does
 * the wire protocols (SPDY, WebSocket) and hands the backend plain Node streams; the backend never
 * sees HTTP. Its shape follows the kubelet's streaming.Runtime (k8s.io/cri-streaming), which
 * containerd's and CRI-O's servers implement.
 */

export interface TerminalSize {
  width: number;
  height: number;
}

/** Which streams the client asked for (from the CRI ExecRequest/AttachRequest). */
export interface StreamOptions {
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  /** Never true together with tty: a terminal has one output. */
  stderr: boolean;
}

export interface StreamIO {
  /** The client's input; ends when the client closes it. Present when `stdin` was asked for. */
  stdin?: Readable;
  /** Present when `stdout` was asked for. The server ends it after the backend's promise settles. */
  stdout?: Writable;
  /** Present when `stderr` was asked for. The server ends it after the backend's promise settles. */
  stderr?: Writable;
  /**
   * Terminal sizes, the first one as soon as the client sends it, each later one on a resize;
   * it ends with the session. Empty without a tty (or with a protocol that has no resize channel).
   */
  resize: AsyncIterable<TerminalSize>;
  /** Aborted when the client goes away before the command ends. */
  signal: AbortSignal;
}

export interface StreamingBackend {
  /**
   * Runs `cmd` in the container with the given streams; resolves with its exit code once it has
   * exited and its output has been written. Rejects (typed errors from core/errors) when it cannot
   * be run at all: the client then gets an internal-error status, as from the kubelet.
   */
  exec(containerId: string, cmd: string[], opts: StreamOptions, io: StreamIO): Promise<{ exitCode: number }>;
  /**
   * Connects the streams to the container's main process until it exits or the client leaves
   * (`io.signal`). It has no exit code of its own to report: the container may run on.
   */
  attach(containerId: string, opts: StreamOptions, io: StreamIO): Promise<void>;
  /**
   * Copies between `stream` and a new TCP connection to `port` inside the pod's network
   * namespace; resolves when the pod's side has closed (the server then ends `stream`, if the
   * backend did not) or `signal` aborts. Rejecting sends the error's message to the client on the
   * port's error stream and resets the data stream, as the kubelet does.
   */
  portForward(podSandboxId: string, port: number, stream: Duplex, signal: AbortSignal): Promise<void>;
}
