/**
 * Berth's typed Engine API client, for programs as for the berth CLI (docs/client.md). It speaks
 * the Docker Engine API over a Unix socket, so it drives berthd and dockerd alike.
 *
 * - `EngineClient`: requests (`json`, `noContent`, `raw`, `buffered`, `jsonLines`), API version negotiation.
 * - `hijack`: the upgraded two-way stream of attach and exec start.
 * - `demuxStream` / `copyRaw`: split a multiplexed stream into stdout/stderr, or copy a TTY stream.
 * - `ApiError` (the daemon's status and message), `ConnectionError` (no daemon), `StreamError`.
 */
export {
  ApiError,
  buildQuery,
  type BufferedResponse,
  CLIENT_API_VERSION,
  compareVersions,
  ConnectionError,
  EngineClient,
  readAll,
  resolveSocketPath,
  type JsonMessage,
  type Query,
  type RequestSpec,
} from './engine-client.js';
export { hijack, type HijackSpec } from './hijack.js';
export { copyRaw, demuxStream, StdDemuxer, StreamError, type FrameSink } from './stdcopy.js';
