import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidParameterError, UnavailableError } from '../../core/errors.js';
import type { Lazy } from '../../core/lazy.js';
import type { BuildkitEndpoint } from '../buildkit/endpoint.js';
import { NO_PROTOCOLS_MESSAGE } from '../buildkit/descriptor-path.js';
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
    if (!available) throw new UnavailableError(NO_PROTOCOLS_MESSAGE);
    return available();
  };
  /**
   * A route that upgrades to h2c: `accept` reads what it needs from the request (and may refuse
   * it before the 101), then gets the connection, which carries HTTP/2 from the next byte.
   */
  const h2c = (path: string, note: string, accept: (ep: BuildkitEndpoint, req: IncomingMessage) => (socket: Duplex) => void): Route => ({
    method: 'POST',
    path,
    coverage: () => ({ state: 'partial', note }),
    handler: async ({ req }) => wantsH2c(req, path),
    hijack: async ({ req, socket, head }) => {
      wantsH2c(req, path);
      const take = accept(await endpoint(), req);
      socket.write(SWITCH);
      if (head.length > 0) socket.unshift(head);
      take(socket);
    },
  });
  return [
    h2c('/grpc', 'BuildKit Control over h2c: Solve (dockerfile.v0) on Berth\'s builder, Status, Info, ListWorkers, DiskUsage, Prune', (ep) => (socket) => ep.serveControl(socket)),
    h2c('/session', 'BuildKit sessions over h2c: build context and Dockerfile (filesync), secrets, ssh agents, local/tar/docker/oci outputs (filesend)', (ep, req) => {
      const headers = ep.sessionHeaders((name) => req.headers[name]);
      return (socket) => ep.attachSession(headers, socket);
    }),
  ];
}
