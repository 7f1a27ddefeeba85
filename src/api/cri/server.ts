/**
 * Kubernetes' CRI v1 on its own Unix socket (`--cri-socket`, /run/berth/cri.sock): the
 * RuntimeService and ImageService, served by @grpc/grpc-js from k8s.io/cri-api's api.proto.
 * Every method of the proto is answered: by its handler, or with UNIMPLEMENTED naming the
 * method, so a client never waits on a call Berth does not know. Typed errors become gRPC codes
 * here only (api/errors.ts's table).
 */
import type { Duplex } from 'node:stream';
import { Server, ServerCredentials, loadPackageDefinition, type ConnectionInjector, type GrpcObject, type ServerUnaryCall, type ServerWritableStream, type ServiceClientConstructor, type ServiceDefinition, type ServiceError, type UntypedServiceImplementation, type sendUnaryData } from '@grpc/grpc-js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { grpcCodeForError, isServerFault, statusForError } from '../errors.js';
import { criPackage } from './protocol.js';

type Handler = (req: never) => Promise<unknown>;

const UNIMPLEMENTED = 12;

export interface CriHandlers {
  runtime: Record<string, Handler>;
  image: Record<string, Handler>;
}

export class CriServer {
  private readonly server = new Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024, 'grpc.max_send_message_length': 16 * 1024 * 1024 });
  private readonly injector: ConnectionInjector;

  constructor(
    handlers: CriHandlers,
    private readonly log: Logger,
  ) {
    const proto = loadPackageDefinition(criPackage()) as GrpcObject;
    const v1 = (proto.runtime as GrpcObject).v1 as GrpcObject;
    const service = (name: string): ServiceDefinition => (v1[name] as ServiceClientConstructor).service;
    this.server.addService(service('RuntimeService'), this.implement('RuntimeService', service('RuntimeService'), handlers.runtime));
    this.server.addService(service('ImageService'), this.implement('ImageService', service('ImageService'), handlers.image));
    this.injector = this.server.createConnectionInjector(ServerCredentials.createInsecure());
  }

  /** A connection accepted on the CRI socket (api/cri/cri-socket.ts): HTTP/2 from its first byte. */
  serve(connection: Duplex): void {
    this.injector.injectConnection(connection);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2000);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private fail(method: string, err: unknown): Partial<ServiceError> {
    if (isServerFault(statusForError(err))) this.log.warn({ err, method }, 'CRI call failed');
    else this.log.debug({ err: errorMessage(err), method }, 'CRI call refused');
    return { code: grpcCodeForError(err), details: errorMessage(err) };
  }

  private implement(serviceName: string, def: ServiceDefinition, handlers: Record<string, Handler>): UntypedServiceImplementation {
    const impl: UntypedServiceImplementation = {};
    for (const [method, attrs] of Object.entries(def)) {
      const fn = handlers[method];
      const name = `runtime.v1.${serviceName}/${method}`;
      if (attrs.responseStream || attrs.requestStream || !fn) {
        const details = `Berth does not implement ${name} yet`;
        impl[method] = attrs.responseStream
          ? (call: ServerWritableStream<unknown, unknown>) => call.emit('error', { code: UNIMPLEMENTED, details })
          : (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => callback({ code: UNIMPLEMENTED, details });
        continue;
      }
      impl[method] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        fn(call.request as never).then(
          (res) => callback(null, res),
          (err: unknown) => callback(this.fail(name, err)),
        );
      };
    }
    return impl;
  }
}
