import { connect, type ClientHttp2Session } from 'node:http2';
import type { Duplex } from 'node:stream';
import { InvalidParameterError, NotFoundError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { BuildSession, Channel, FsPacket } from '../../engine/build/solve-types.js';
import { Rendezvous } from '../../core/rendezvous.js';
import { GrpcCallError, GrpcCode, grpcCall } from './grpc-channel.js';
import { messageCodec } from './protocol.js';

/** What buildx says about its session in the headers of `POST /session` (moby's session manager reads the same). */
export interface SessionHeaders {
  id: string;
  name: string;
  sharedKey: string;
  methods: string[];
}

export function sessionHeaders(get: (name: string) => string | string[] | undefined): SessionHeaders {
  const one = (name: string): string => {
    const v = get(name);
    return (Array.isArray(v) ? v[0] : v) ?? '';
  };
  const id = one('x-docker-expose-session-uuid');
  if (id === '') throw new InvalidParameterError('POST /session needs the X-Docker-Expose-Session-Uuid header (a BuildKit session from buildx or compose)');
  const raw = get('x-docker-expose-session-grpc-method');
  // Node joins repeated headers with ", ".
  const methods = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((v) => v.split(',')).map((m) => m.trim()).filter((m) => m !== '');
  return { id, name: one('x-docker-expose-session-name'), sharedKey: one('x-docker-expose-session-sharedkey'), methods };
}

/** A client's session: berthd is the gRPC client on the connection buildx opened with `POST /session`. */
class ClientSession implements BuildSession {
  private readonly methods: Set<string>;
  constructor(
    readonly headers: SessionHeaders,
    private readonly h2: ClientHttp2Session,
  ) {
    this.methods = new Set(headers.methods.map((m) => m.toLowerCase()));
  }

  get id(): string {
    return this.headers.id;
  }

  supports(method: string): boolean {
    return this.methods.has(method.toLowerCase());
  }

  packets(method: string, metadata: Record<string, string[]>): Channel<FsPacket> {
    this.require(method);
    const codec = messageCodec<FsPacket>('fsutil.types.Packet');
    return grpcCall(this.h2, method, metadata, codec.encode, codec.decode);
  }

  bytes(method: string, metadata: Record<string, string[]>): Channel<Buffer> {
    this.require(method);
    const codec = messageCodec<{ data: Buffer }>('moby.filesync.v1.BytesMessage');
    return grpcCall(
      this.h2,
      method,
      metadata,
      (data: Buffer) => codec.encode({ data }),
      (b) => codec.decode(b).data,
    );
  }

  async secret(id: string): Promise<Buffer | null> {
    const method = '/moby.buildkit.secrets.v1.Secrets/GetSecret';
    if (!this.supports(method)) return null;
    try {
      const answer = await this.unary<{ data: Buffer }>(method, 'moby.buildkit.secrets.v1.GetSecretRequest', 'moby.buildkit.secrets.v1.GetSecretResponse', { ID: id });
      return answer?.data ?? Buffer.alloc(0);
    } catch (err) {
      if (err instanceof GrpcCallError && err.code === GrpcCode.NOT_FOUND) return null;
      throw err;
    }
  }

  async sshCheck(id: string): Promise<boolean> {
    const method = '/moby.sshforward.v1.SSH/CheckAgent';
    if (!this.supports(method)) return false;
    try {
      await this.unary(method, 'moby.sshforward.v1.CheckAgentRequest', 'moby.sshforward.v1.CheckAgentResponse', { ID: id });
      return true;
    } catch (err) {
      // buildx answers an id it was not given (`--ssh`) with an error status.
      if (err instanceof GrpcCallError) return false;
      throw err;
    }
  }

  /** A unary call: one request, its one answer (null if the client sent none), the status. */
  private async unary<Res>(method: string, reqType: string, resType: string, request: object): Promise<Res | null> {
    const call = grpcCall(this.h2, method, {}, messageCodec<object>(reqType).encode, messageCodec<Res>(resType).decode);
    await call.send(request);
    call.closeSend();
    const answer = await call.recv();
    while ((await call.recv()) !== null);
    return answer;
  }

  close(): void {
    this.h2.destroy();
  }

  private require(method: string): void {
    if (!this.supports(method)) throw new InvalidParameterError(`the build client's session does not serve ${method}: it is needed for this build (update buildx, or drop the option that needs it)`);
  }
}

const WAIT_MS = 20_000;

/**
 * The sessions clients hold open (`POST /session`), by ID. Solve names its session; buildx may
 * send Solve a moment before the session connection is up, so a lookup waits for it a while.
 */
export class ClientSessions {
  private readonly sessions = new Rendezvous<ClientSession>(WAIT_MS);

  constructor(private readonly log: Logger) {}

  /** Takes over an upgraded connection; the session lives until the client closes it. */
  attach(headers: SessionHeaders, socket: Duplex): void {
    const h2 = connect('http://buildkit-session', { createConnection: () => socket });
    const session = new ClientSession(headers, h2);
    h2.on('error', (err) => this.log.debug({ err, session: headers.id }, 'build session connection failed'));
    h2.once('close', () => this.sessions.delete(headers.id, session));
    socket.once('close', () => h2.destroy());
    this.sessions.peek(headers.id)?.close();
    this.sessions.set(headers.id, session);
    this.log.debug({ session: headers.id, name: headers.name, methods: headers.methods.length }, 'build session attached');
  }

  get(id: string, signal?: AbortSignal): Promise<BuildSession> {
    if (id === '') return Promise.reject(new InvalidParameterError('the solve request names no session: Berth reads the build context from the client\'s session (use buildx or compose)'));
    return this.sessions.get(id, () => new NotFoundError(`build session ${id} did not connect within ${WAIT_MS / 1000} s: the client must open it with POST /session`), signal);
  }

  closeAll(): void {
    for (const s of this.sessions.all()) s.close();
    this.sessions.clear();
  }
}
