/**
 * The CRI socket, listened on from daemon start with node:net; the gRPC server behind it
 * (grpc-js, the CRI's protobuf definitions and the streaming server: about 9 MiB resident) is
 * loaded at the first connection and given every connection from then on. Most hosts never call
 * the CRI; a kubelet calls it from its own start, and waits the few milliseconds of that load once.
 */
import { chmod, mkdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

export interface CriConnections {
  serve(connection: Duplex): void;
  close(): Promise<void>;
}

export class CriSocket {
  private readonly server: Server;
  private loaded: Promise<CriConnections> | undefined;

  constructor(
    private readonly load: () => Promise<CriConnections>,
    private readonly log: Logger,
  ) {
    // A socket no one reads from holds what the client sends (streams start paused) until the
    // gRPC server takes it, so nothing of a first call is lost to the load.
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Binds the socket (root only, as containerd's); a stale socket file from a crash is replaced. */
  async listen(path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true, mode: 0o711 });
    await rm(path, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(path, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    await chmod(path, 0o600);
  }

  private accept(socket: Socket): void {
    this.loaded ??= this.load();
    const loaded = this.loaded;
    loaded.then(
      (cri) => cri.serve(socket),
      (err: unknown) => {
        // The next connection tries again; this one is told by its close.
        if (this.loaded === loaded) this.loaded = undefined;
        this.log.error({ err: errorMessage(err) }, 'the CRI server could not be loaded');
        socket.destroy();
      },
    );
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    const cri = await this.loaded?.catch(() => undefined);
    await cri?.close();
  }
}
