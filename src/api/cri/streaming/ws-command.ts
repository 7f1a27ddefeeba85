import type { WebSocket } from 'ws';
import type { StreamOptions } from './backend.js';
import type { CommandTransport } from './command-session.js';
import { WS_COMMAND_PROTOCOLS } from './protocols.js';
import { noTerminalSizes, terminalSizes } from './terminal-size.js';
import { WebSocketChannels, type ChannelMode } from './ws-channels.js';

/**
 * Exec and attach over WebSocket: channels 0 stdin, 1 stdout, 2 stderr, 3 error (status), 4
 * resize, as the kubelet's createWebSocketStreams; all exist whatever was asked for, and a
 * channel not asked for is ignored.
 */
export function acceptWebSocketCommand(ws: WebSocket, protocol: string, opts: StreamOptions): CommandTransport {
  const p = WS_COMMAND_PROTOCOLS[protocol] ?? { version: 1, binary: true };
  const modes: ChannelMode[] = [
    opts.stdin ? 'read' : 'ignore',
    opts.stdout ? 'write' : 'ignore',
    opts.stderr ? 'write' : 'ignore',
    'write',
    opts.tty ? 'read' : 'ignore',
  ];
  const conn = new WebSocketChannels(ws, { binary: p.binary, streamClose: p.version >= 5 }, modes);
  // An empty message on the lowest channel the client reads tells it the streams are ready.
  void conn.send(opts.stdout ? 1 : opts.stderr ? 2 : 3, Buffer.alloc(0)).catch(() => undefined);
  const abort = new AbortController();
  void conn.done.then(() => abort.abort());
  const t: CommandTransport = {
    protocolVersion: p.version,
    resize: opts.tty ? terminalSizes(conn.channel(4)) : noTerminalSizes(),
    signal: abort.signal,
    async writeStatus(bytes) {
      if (bytes.length > 0) await conn.send(3, bytes);
    },
    close: () => conn.close(),
  };
  if (opts.stdin) t.stdin = conn.channel(0);
  if (opts.stdout) t.stdout = conn.channel(1);
  if (opts.stderr) t.stderr = conn.channel(2);
  return t;
}
