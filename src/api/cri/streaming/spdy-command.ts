import type { Duplex } from 'node:stream';
import type { Logger } from '../../../core/logger.js';
import type { StreamOptions } from './backend.js';
import { endWritable, type CommandTransport } from './command-session.js';
import { commandProtocolVersion } from './protocols.js';
import { SpdySession, type SpdyStream } from './spdy/session.js';
import { noTerminalSizes, terminalSizes } from './terminal-size.js';

/**
 * Exec and attach over SPDY, after the 101: the client opens one stream per channel, each named by
 * its `streamType` header (error, stdin, stdout, stderr, resize), and the command starts once all
 * that the request asked for are open (the kubelet's waitForStreams).
 */

type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';
const STREAM_TYPES = new Set<string>(['error', 'stdin', 'stdout', 'stderr', 'resize']);

export function acceptSpdyCommand(socket: Duplex, head: Buffer, protocol: string, opts: StreamOptions, timeoutMs: number, log: Logger): Promise<CommandTransport> {
  const version = commandProtocolVersion(protocol);
  // The error stream, then one per stream asked for; resize only where the protocol has it (v3+).
  const expected = 1 + Number(opts.stdin) + Number(opts.stdout) + Number(opts.stderr) + Number(opts.tty && version >= 3);
  const streams = new Map<StreamType, SpdyStream>();
  let received = 0;
  return new Promise<CommandTransport>((resolve, reject) => {
    const session: SpdySession = new SpdySession(socket, {
      onStream(stream) {
        const type = stream.header('streamType') ?? '';
        if (!STREAM_TYPES.has(type)) {
          log.debug(`remotecommand: ignoring a stream of unexpected type "${type}"`);
          return undefined;
        }
        streams.set(type as StreamType, stream);
        if (++received === expected) {
          clearTimeout(timer);
          resolve(transport(session, streams, version));
        }
        return undefined;
      },
      onError: (message) => log.debug(`remotecommand: ${message}`),
    });
    const timer = setTimeout(() => {
      reject(new Error(`timed out after ${timeoutMs} ms waiting for the client to create its ${expected} streams`));
      session.destroy();
    }, timeoutMs);
    void session.done.then(() => {
      clearTimeout(timer);
      reject(new Error('the client closed the connection before it created its streams'));
    });
    session.feed(head);
  });
}

function transport(session: SpdySession, streams: Map<StreamType, SpdyStream>, version: number): CommandTransport {
  const abort = new AbortController();
  void session.done.then(() => abort.abort());
  const resize = streams.get('resize');
  const t: CommandTransport = {
    protocolVersion: version,
    resize: resize ? terminalSizes(resize) : noTerminalSizes(),
    signal: abort.signal,
    async writeStatus(bytes) {
      const error = streams.get('error');
      if (!error) return;
      if (bytes.length > 0) error.write(bytes);
      await endWritable(error);
    },
    async close() {
      await Promise.all([...streams.values()].map((s) => endWritable(s)));
      await session.close();
    },
  };
  const stdin = streams.get('stdin');
  const stdout = streams.get('stdout');
  const stderr = streams.get('stderr');
  if (stdin) t.stdin = stdin;
  if (stdout) t.stdout = stdout;
  if (stderr) t.stderr = stderr;
  return t;
}
