import { credentials, loadPackageDefinition, type GrpcObject, type ServiceClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { criPackage } from '../../src/api/cri/protocol.js';
import { REPO_ROOT, run, type RunResult, type TestDaemon } from './test-daemon.js';

/** cri-tools' crictl, built at a pinned version from the Go module proxy by scripts/install-test-clients.sh. */
export const CRICTL = join(REPO_ROOT, '.cache/test-clients/crictl-v1.37.0/crictl');

export function requireCrictl(): void {
  if (!existsSync(CRICTL)) throw new Error(`${CRICTL} is missing: run scripts/install-test-clients.sh (as root) first`);
}

/** crictl against the daemon's CRI socket only (no /etc/crictl.yaml, no other runtime). */
export function crictl(d: TestDaemon, args: string[], timeoutMs = 60_000): Promise<RunResult> {
  const endpoint = `unix://${d.criSocket}`;
  return run(CRICTL, ['--config', '/dev/null', '--runtime-endpoint', endpoint, '--image-endpoint', endpoint, '--timeout', '30s', ...args], { timeoutMs });
}

type Unary = (req: object, cb: (err: ServiceError | null, res: Record<string, unknown>) => void) => void;

/** A plain gRPC client of the CRI services, for the calls crictl does not make (ReopenContainerLog, streams). */
export class CriClient {
  private readonly runtime: Record<string, Unary> & { close(): void; getContainerEvents(req: object): NodeJS.EventEmitter };
  private readonly image: Record<string, Unary> & { close(): void };

  constructor(socket: string) {
    const v1 = ((loadPackageDefinition(criPackage()) as GrpcObject).runtime as GrpcObject).v1 as GrpcObject;
    const make = (name: string): never => new (v1[name] as ServiceClientConstructor)(`unix://${socket}`, credentials.createInsecure()) as never;
    this.runtime = make('RuntimeService');
    this.image = make('ImageService');
  }

  call(service: 'runtime' | 'image', method: string, req: object = {}): Promise<Record<string, unknown>> {
    const client = service === 'runtime' ? this.runtime : this.image;
    return new Promise((resolve, reject) => {
      const fn = client[method] as Unary | undefined;
      if (!fn) return reject(new Error(`no method ${method}`));
      fn.call(client, req, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  /** A server-streaming call: resolves with its first error (or with 'end', or 'timeout' after 10 s). */
  streamOutcome(): Promise<ServiceError | 'end' | 'timeout'> {
    const stream = this.runtime.getContainerEvents({});
    return new Promise((resolve) => {
      setTimeout(() => resolve('timeout'), 10_000).unref();
      stream.on('error', (err: ServiceError) => resolve(err));
      stream.on('end', () => resolve('end'));
      stream.on('data', () => undefined);
    });
  }

  close(): void {
    this.runtime.close();
    this.image.close();
  }
}
