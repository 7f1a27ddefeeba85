import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import { Metadata, Server, ServerCredentials, loadPackageDefinition, type ServiceError, status as grpcStatus, type ConnectionInjector, type GrpcObject, type ServiceClientConstructor, type ServerUnaryCall, type ServerWritableStream, type UntypedServiceImplementation, type sendUnaryData } from '@grpc/grpc-js';
import { errorMessage, NotImplementedError } from '../../core/errors.js';
import type { Lazy } from '../../core/lazy.js';
import type { Logger } from '../../core/logger.js';
import type { BuildService } from '../../engine/build/build-service.js';
import type { UsageRecord } from '../../engine/build/solve-spec.js';
import { stepSourceOf } from '../../engine/build/step-source.js';
import { SolveError } from '../../engine/build/buildkit-reporter.js';
import { makeSolveInputs } from '../../engine/build/fsutil/solve-inputs.js';
import { grpcCodeForError, isServerFault, statusForError } from '../errors.js';
import { ClientSessions, sessionHeaders, type SessionHeaders } from './client-sessions.js';
import { cacheNotes, exportSpecs, solveSpecFromAttrs, type ExporterEntry } from './frontend-attrs.js';
import { hostPlatform } from '../../oci/image-types.js';
import { GatewayBuild, GatewayBuilds } from './gateway-builds.js';
import { buildkitProtocol, messageCodec } from './protocol.js';
import { ProgressBoard, type StatusResponse } from './solve-progress.js';

/** What `Info` and `ListWorkers` say: the BuildKit API level Berth answers (buildx 0.13's). */
const BUILDKIT_VERSION = { package: 'github.com/moby/buildkit', version: 'v0.13.0+berth', revision: 'berth' };

/**
 * The LLBBridge capabilities Berth has (frontend/gateway/pb/caps.go): a solve of the Dockerfile
 * frontend whose result the client hands back with Return, one result per build. Not listed, so
 * clients do not call them: reading files of a result, evaluating, containers, LLB from the client.
 */
const GATEWAY_CAPS = ['solve.base', 'solve.inlinereturn', 'return', 'proto.refarray'].map((ID) => ({ ID, Enabled: true, Deprecated: false, DisabledReason: '', DisabledReasonMsg: '', DisabledAlternative: '' }));

const WORKER = {
  ID: 'berth',
  Labels: {
    'org.mobyproject.buildkit.worker.executor': 'oci',
    'org.mobyproject.buildkit.worker.hostname': hostname(),
    'org.mobyproject.buildkit.worker.network': 'host',
    'org.mobyproject.buildkit.worker.snapshotter': 'berth',
  },
  platforms: [{ Architecture: 'amd64', OS: 'linux', Variant: '', OSVersion: '', OSFeatures: [] }],
  GCPolicy: [],
  BuildkitVersion: BUILDKIT_VERSION,
};

/** gRPC code names, as buildx prefixes them to a message it hands back. */
const CODE_NAMES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'];

/**
 * A status the client's frontend run returned (a failed step): passed on with its own code. buildx
 * returns our own LLBBridge.Solve error with its code name before the message; it would print the
 * name twice once the status is formatted again, so that prefix goes.
 */
class ReturnedError extends Error {
  constructor(
    readonly code: number,
    message: string,
    /** The status details (google.protobuf.Any), passed back as they came: the Dockerfile excerpt among them. */
    readonly statusDetails: AnyMessage[] = [],
  ) {
    const name = CODE_NAMES[code];
    super(name && message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message);
  }
}

interface AnyMessage {
  type_url: string;
  value: Buffer;
}

/**
 * The gRPC error for a failed call, with BuildKit's details in `grpc-status-details-bin` (a
 * google.rpc.Status) when there are any: buildx prints a Dockerfile excerpt from an
 * `errdefs.Source` detail.
 */
function grpcError(code: number, message: string, details: AnyMessage[]): Partial<ServiceError> {
  if (details.length === 0) return { code, details: message };
  const metadata = new Metadata();
  metadata.set('grpc-status-details-bin', messageCodec<{ code: number; message: string; details: AnyMessage[] }>('google.rpc.Status').encode({ code, message, details }));
  return { code, details: message, metadata };
}

/**
 * BuildKit's errdefs.Source detail as its clients decode it: typeurl's JSON registration
 * (`errdefs.Source+json`, Go's JSON of the message), in every BuildKit version up to now.
 */
function sourceDetails(err: unknown): AnyMessage[] {
  const src = stepSourceOf(err);
  if (!src) return [];
  const source = { info: { filename: src.filename, data: Buffer.from(src.data).toString('base64'), language: 'Dockerfile' }, ranges: [{ start: { line: src.startLine }, end: { line: src.endLine } }] };
  return [{ type_url: 'github.com/moby/buildkit/errdefs.Source+json', value: Buffer.from(JSON.stringify(source)) }];
}

type Unary<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;

interface GatewaySolveRequest {
  Definition: { def: Buffer[] } | null;
  Frontend: string;
  FrontendOpt: Record<string, string>;
  allowResultReturn: boolean;
}
interface ReturnRequest {
  result: { ref?: { id: string } | null; refDeprecated?: string; result?: string } | null;
  error: { code: number; message: string; details: AnyMessage[] } | null;
}

/**
 * BuildKit's daemon-side API as dockerd serves it: the Control and LLBBridge gRPC services on
 * connections upgraded at `POST /grpc`, and the clients' sessions upgraded at `POST /session`.
 * The gRPC server listens on no socket of its own; each upgraded connection is handed to it.
 */
export class BuildkitEndpoint {
  private readonly server = new Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024, 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  private readonly injector: ConnectionInjector;
  private readonly sessions: ClientSessions;
  private readonly progress = new ProgressBoard();
  private readonly gateways = new GatewayBuilds();
  private readonly classicBuilds = new Map<string, AbortController>();

  constructor(
    private readonly builds: Lazy<BuildService>,
    private readonly log: Logger,
  ) {
    this.sessions = new ClientSessions(log);
    const proto = loadPackageDefinition(buildkitProtocol().packages) as GrpcObject;
    const buildkit = (proto.moby as GrpcObject).buildkit as GrpcObject;
    const service = (ns: GrpcObject, name: string) => (ns[name] as ServiceClientConstructor).service;
    this.server.addService(service(buildkit.v1 as GrpcObject, 'Control'), this.control());
    this.server.addService(service((buildkit.v1 as GrpcObject).frontend as GrpcObject, 'LLBBridge'), this.gateway());
    this.injector = this.server.createConnectionInjector(ServerCredentials.createInsecure());
  }

  /** `POST /grpc`, after the 101: the connection carries HTTP/2 from the client's first byte. */
  serveControl(socket: Duplex): void {
    this.injector.injectConnection(socket);
  }

  /** The session a `POST /session` announces in its headers (refused before the 101 when incomplete). */
  sessionHeaders(get: (name: string) => string | string[] | undefined): SessionHeaders {
    return sessionHeaders(get);
  }

  /** `POST /session`, after the 101: the client serves gRPC on this connection; we call it. */
  attachSession(headers: SessionHeaders, socket: Duplex): void {
    this.sessions.attach(headers, socket);
  }

  /**
   * `POST /build?version=2`: a docker CLI from before buildx builds through BuildKit this way.
   * Progress goes out as dockerd sends it: each StatusResponse, protobuf-encoded in base64, as
   * the `aux` of a `moby.buildkit.trace` message; the image ID as `moby.image.id`.
   */
  async classicBuild(spec: { attrs: Record<string, string>; tags: string[]; session: string; buildId: string }, write: (m: object) => void, signal: AbortSignal): Promise<void> {
    const abort = new AbortController();
    const onAbort = (): void => abort.abort(signal.reason);
    signal.addEventListener('abort', onAbort);
    if (spec.buildId !== '') this.classicBuilds.set(spec.buildId, abort);
    const ref = `classic-${spec.buildId || randomUUID()}`;
    const progress = this.progress.open(ref);
    const status = messageCodec<StatusResponse>('moby.buildkit.v1.StatusResponse');
    progress.subscribe(
      (r) => write({ id: 'moby.buildkit.trace', aux: status.encode(r).toString('base64') }),
      () => undefined,
    );
    try {
      const session = await this.sessions.get(spec.session, abort.signal);
      const exporters = [{ type: 'moby', attrs: spec.tags.length > 0 ? { name: spec.tags.join(',') } : {} }];
      const result = await (await this.builds()).solve(solveSpecFromAttrs(spec.attrs, exporters, hostPlatform()), makeSolveInputs(session), progress, abort.signal);
      // The trace ends before the image ID, as from dockerd.
      this.progress.finish(ref);
      write({ id: 'moby.image.id', aux: { ID: result.imageId } });
    } finally {
      this.progress.finish(ref);
      signal.removeEventListener('abort', onAbort);
      if (this.classicBuilds.get(spec.buildId) === abort) this.classicBuilds.delete(spec.buildId);
    }
  }

  /** `POST /build/cancel?id=…`: the CLI's Ctrl-C. An unknown or finished build is no error, as with dockerd. */
  cancelClassicBuild(buildId: string): void {
    this.classicBuilds.get(buildId)?.abort(new Error('the build was canceled'));
  }

  close(): void {
    this.sessions.closeAll();
    this.injector.destroy();
    this.server.forceShutdown();
  }

  private fail(err: unknown): Partial<ServiceError> {
    if (err instanceof ReturnedError) return grpcError(err.code, err.message, err.statusDetails);
    // A failed RUN is the user's build failing, not berthd: only other faults are logged.
    if (isServerFault(statusForError(err)) && !(err instanceof SolveError)) this.log.warn({ err }, 'BuildKit call failed');
    return grpcError(grpcCodeForError(err), errorMessage(err), sourceDetails(err));
  }

  private unary<Req, Res>(fn: (req: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>): Unary<Req, Res> {
    return (call, callback) => {
      fn(call.request, call).then(
        (res) => callback(null, res),
        (err: unknown) => callback(this.fail(err)),
      );
    };
  }

  private unimplemented(what: string): Unary<unknown, unknown> {
    return (_call, callback) => callback({ code: grpcStatus.UNIMPLEMENTED, details: `${what} is not supported by Berth's BuildKit API` });
  }

  private control(): UntypedServiceImplementation {
    return {
      Info: this.unary(async () => ({ buildkitVersion: BUILDKIT_VERSION })),
      ListWorkers: this.unary(async () => ({ record: [WORKER] })),
      Solve: this.unary(async (req: SolveRequest, call) => this.solve(req, call)),
      Status: (call: ServerWritableStream<{ Ref: string }, StatusResponse>) => {
        const unsubscribe = this.progress.open(call.request.Ref).subscribe(
          (r) => call.write(r),
          () => call.end(),
        );
        call.on('cancelled', unsubscribe);
      },
      DiskUsage: this.unary(async (req: { filter: string[] }) => {
        // buildx sends [""] when no --filter is given.
        const filters = (req.filter ?? []).filter((f) => f !== '');
        if (filters.length > 0) throw new NotImplementedError(`buildx du --filter (${filters.join(', ')}) is not supported by Berth yet: run it without filters`);
        return { record: (await (await this.builds()).usage()).map(usageRecord) };
      }),
      Prune: (call: ServerWritableStream<{ filter: string[]; all: boolean; keepDuration: number; reservedSpace: number }, unknown>) => {
        void (async () => {
          try {
            const removed = await (await this.builds()).pruneUsage({ all: call.request.all, filters: (call.request.filter ?? []).filter((f) => f !== ''), keepDuration: call.request.keepDuration ?? 0, keepBytes: call.request.reservedSpace ?? 0 });
            for (const r of removed) call.write(usageRecord(r));
            call.end();
          } catch (err) {
            call.destroy(Object.assign(new Error(errorMessage(err)), this.fail(err)));
          }
        })();
      },
      // No build history is kept yet: a listener gets an empty history, not an error.
      ListenBuildHistory: (call: ServerWritableStream<unknown, unknown>) => call.end(),
      UpdateBuildHistory: this.unimplemented('UpdateBuildHistory (build history records)'),
      Session: this.unimplemented('Control.Session (sessions go through POST /session on the Docker API)'),
    };
  }

  private gateway(): UntypedServiceImplementation {
    const buildOf = (call: ServerUnaryCall<unknown, unknown>): Promise<GatewayBuild> => this.gateways.get(String(call.metadata.get('buildkit-controlapi-buildid')[0] ?? ''));
    const unsupported = (what: string) => this.unimplemented(`LLBBridge.${what}`);
    return {
      Ping: this.unary(async () => ({ FrontendAPICaps: GATEWAY_CAPS, LLBCaps: [], Workers: [WORKER] })),
      Solve: this.unary(async (req: GatewaySolveRequest, call) => {
        const build = await buildOf(call as ServerUnaryCall<unknown, unknown>);
        if (req.Definition && req.Definition.def.length > 0) throw new NotImplementedError('an LLB definition sent by the client (a frontend other than the Dockerfile one, or buildx bake with linked targets) is not supported by Berth: it builds Dockerfiles (dockerfile.v0)');
        if (req.Frontend !== 'dockerfile.v0') throw new NotImplementedError(`frontend "${req.Frontend}" is not supported by Berth: it runs the Dockerfile frontend (dockerfile.v0) only`);
        const request = req.FrontendOpt.requestid;
        if (request) throw new NotImplementedError(`unsupported request ${request}: Berth's Dockerfile frontend answers builds only (no --call/--print subrequests)`);
        // The build runs now; its exporters run when the Control call gets the result back.
        const { imageId } = await (await this.builds()).solve(solveSpecFromAttrs(req.FrontendOpt, [], hostPlatform()), makeSolveInputs(await build.session), build.progress, build.signal);
        const id = build.addResult(imageId);
        return req.allowResultReturn ? { ref: '', result: { ref: { id, def: null }, metadata: {} } } : { ref: id };
      }),
      Return: this.unary(async (req: ReturnRequest, call) => {
        const build = await buildOf(call as ServerUnaryCall<unknown, unknown>);
        const r = req.result;
        const error = req.error && req.error.code !== 0 ? { code: req.error.code, message: req.error.message, details: req.error.details ?? [] } : null;
        build.returned(r?.ref?.id ?? r?.refDeprecated ?? null, error);
        return {};
      }),
      Warn: this.unary(async () => ({})),
      ResolveImageConfig: unsupported('ResolveImageConfig (the Dockerfile frontend runs in the daemon)'),
      ResolveSourceMeta: unsupported('ResolveSourceMeta'),
      ReadFile: unsupported('ReadFile (reading a build result from the client)'),
      ReadDir: unsupported('ReadDir'),
      StatFile: unsupported('StatFile'),
      Evaluate: unsupported('Evaluate'),
      Inputs: unsupported('Inputs'),
      NewContainer: unsupported('NewContainer (buildx debug)'),
      ReleaseContainer: unsupported('ReleaseContainer'),
      ExecProcess: unsupported('ExecProcess (buildx debug)'),
      ReadFileContainer: unsupported('ReadFileContainer'),
      StatFileContainer: unsupported('StatFileContainer'),
      ReadDirContainer: unsupported('ReadDirContainer'),
    };
  }

  private async solve(req: SolveRequest, call: ServerUnaryCall<SolveRequest, unknown>): Promise<{ ExporterResponse: Record<string, string> }> {
    const abort = new AbortController();
    call.on('cancelled', () => abort.abort(new Error('the client canceled the build')));
    const progress = this.progress.open(req.Ref);
    try {
      const exports = exportSpecs(exportersOf(req));
      if (req.Definition && req.Definition.def.length > 0) throw new NotImplementedError('an LLB definition sent by the client (buildctl with LLB, or a frontend other than the Dockerfile one) is not supported by Berth: it builds Dockerfiles (dockerfile.v0)');
      if (req.Frontend !== '' && req.Frontend !== 'dockerfile.v0') throw new NotImplementedError(`frontend "${req.Frontend}" is not supported by Berth: it runs the Dockerfile frontend (dockerfile.v0) only`);
      // --cache-to reaches Control.Solve (and --cache-from the frontend's cache-imports): said, not silent.
      const cacheEntries = (list: Array<{ Type: string; Attrs: Record<string, string> }> | undefined): ExporterEntry[] => (list ?? []).map((e) => ({ type: e.Type, attrs: e.Attrs }));
      for (const note of cacheNotes(req.Frontend === '' ? [] : cacheEntries(req.Cache?.Imports), cacheEntries(req.Cache?.Exports))) progress.vertex(`[warning] ${note}`).done();
      const session = this.sessions.get(req.Session, abort.signal);
      // Settled here too, so an early failure of the session is not an unhandled rejection.
      session.catch(() => undefined);
      const builds = await this.builds();
      if (req.Frontend === 'dockerfile.v0') {
        const result = await builds.solve(solveSpecFromAttrs(req.FrontendAttrs, exportersOf(req), hostPlatform()), makeSolveInputs(await session), progress, abort.signal);
        return { ExporterResponse: result.exporterResponse };
      }
      // buildx: the frontend runs through LLBBridge calls; this call waits for their Return.
      const build = new GatewayBuild(req.Ref, session, progress, abort.signal);
      this.gateways.add(build);
      abort.signal.addEventListener('abort', () => build.abandon('the client canceled the build'));
      let image;
      try {
        const outcome = await build.outcome;
        if ('error' in outcome) throw new ReturnedError(outcome.error.code, outcome.error.message, outcome.error.details);
        image = outcome.image;
      } finally {
        this.gateways.remove(build);
      }
      if (image === null) return { ExporterResponse: {} };
      return { ExporterResponse: await builds.exportImage(image, exports, makeSolveInputs(await session), progress) };
    } finally {
      this.progress.finish(req.Ref);
    }
  }
}

/** Control.Solve as buildx sends it (field names as in control.proto). */
export interface SolveRequest {
  Ref: string;
  Session: string;
  Frontend: string;
  FrontendAttrs: Record<string, string>;
  Definition: { def: Buffer[] } | null;
  Exporters: Array<{ Type: string; Attrs: Record<string, string> }>;
  ExporterDeprecated: string;
  ExporterAttrsDeprecated: Record<string, string>;
  Cache: { Exports: Array<{ Type: string; Attrs: Record<string, string> }>; Imports: Array<{ Type: string; Attrs: Record<string, string> }> } | null;
}

/** The exporters: the list, or (older clients, and buildx 0.13 beside the list) the single deprecated one. */
function exportersOf(req: SolveRequest): ExporterEntry[] {
  if (req.Exporters.length > 0) return req.Exporters.map((e) => ({ type: e.Type, attrs: e.Attrs }));
  return req.ExporterDeprecated ? [{ type: req.ExporterDeprecated, attrs: req.ExporterAttrsDeprecated }] : [];
}


const ts = (d: Date | null): { seconds: number; nanos: number } | null => (d ? { seconds: Math.floor(d.getTime() / 1000), nanos: (d.getTime() % 1000) * 1e6 } : null);

function usageRecord(r: UsageRecord): Record<string, unknown> {
  return { ID: r.id, Mutable: r.mutable, InUse: r.inUse, Size: r.size, Parents: r.parents, CreatedAt: ts(r.createdAt), LastUsedAt: ts(r.lastUsedAt), UsageCount: r.usageCount, Description: r.description, RecordType: r.recordType, Shared: r.shared };
}
