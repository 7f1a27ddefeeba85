import type { IncomingMessage } from 'node:http';
import { InvalidParameterError, UnavailableError } from '../../core/errors.js';
import type { Lazy } from '../../core/lazy.js';
import type { BuildkitEndpoint } from '../buildkit/endpoint.js';
import type { Route } from '../route.js';

const SWITCH = 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n';

function wantsH2c(req: IncomingMessage, path: string): void {
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'h2c') throw new InvalidParameterError(`${path} needs an HTTP upgrade to h2c (Connection: Upgrade, Upgrade: h2c): it carries BuildKit's gRPC API, used by buildx and compose`);
}

/**
 * BuildKit's two endpoints on the Docker API, as dockerd has them: `/grpc` (the Control service
 * buildx drives builds with) and `/session` (the client's own gRPC server: context, secrets, outputs).
 */
export function buildkitRoutes(available: Lazy<BuildkitEndpoint> | undefined): Route[] {
  const endpoint = async (): Promise<BuildkitEndpoint> => {
    if (!available) throw new UnavailableError('this Berth build has no BuildKit protocol definitions (scripts/fetch-protos.mjs could not reach the Go module proxy at build time): rebuild with network access, or build with the legacy builder (DOCKER_BUILDKIT=0)');
    return available();
  };
  const plain = (path: string): Route['handler'] => async ({ req }) => {
    wantsH2c(req, path);
  };
  return [
    {
      method: 'POST',
      path: '/grpc',
      coverage: () => ({ state: 'partial', note: 'BuildKit Control over h2c: Solve (dockerfile.v0) on Berth\'s builder, Status, Info, ListWorkers, DiskUsage, Prune' }),
      handler: plain('/grpc'),
      hijack: async ({ req, socket, head }) => {
        wantsH2c(req, '/grpc');
        const ep = await endpoint();
        socket.write(SWITCH);
        if (head.length > 0) socket.unshift(head);
        ep.serveControl(socket);
      },
    },
    {
      method: 'POST',
      path: '/session',
      coverage: () => ({ state: 'partial', note: 'BuildKit sessions over h2c: build context and Dockerfile (filesync), secrets, local/tar/docker/oci outputs (filesend)' }),
      handler: plain('/session'),
      hijack: async ({ req, socket, head }) => {
        wantsH2c(req, '/session');
        const ep = await endpoint();
        const headers = ep.sessionHeaders((name) => req.headers[name]);
        socket.write(SWITCH);
        if (head.length > 0) socket.unshift(head);
        ep.attachSession(headers, socket);
      },
    },
  ];
}
