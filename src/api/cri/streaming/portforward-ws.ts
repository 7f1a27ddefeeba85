import { createWebSocketStream, type WebSocket } from 'ws';
import { errorMessage } from '../../../core/errors.js';
import { endWritable } from './command-session.js';
import { serveSpdyPortForward, type SpdyPortForwardOptions } from './portforward-spdy.js';
import { WS_PORT_FORWARD_PROTOCOLS } from './protocols.js';
import { WebSocketChannels, type ChannelMode } from './ws-channels.js';

/**
 * Port-forward over WebSocket, in its two forms:
 * - the kubelet's channel pairs (v4.channel.k8s.io, v4.base64.channel.k8s.io): for the i-th port,
 *   channel 2i carries data both ways and 2i+1 errors; the server first writes the port (16-bit
 *   little-endian) on both; one connection per port, for as long as the WebSocket lasts;
 * - client-go's tunnel (SPDY/3.1+portforward.k8s.io): the SPDY protocol itself, its bytes carried
 *   in binary WebSocket messages.
 */

export async function serveWebSocketPortForward(ws: WebSocket, protocol: string, ports: number[], o: SpdyPortForwardOptions): Promise<void> {
  const binary = WS_PORT_FORWARD_PROTOCOLS[protocol]?.binary ?? true;
  const modes = ports.flatMap((): ChannelMode[] => ['readwrite', 'write']);
  const conn = new WebSocketChannels(ws, { binary, streamClose: false }, modes);
  const abort = new AbortController();
  void conn.done.then(() => abort.abort());
  await Promise.all(
    ports.map(async (port, i) => {
      const portBytes = Buffer.alloc(2);
      portBytes.writeUInt16LE(port);
      await Promise.all([conn.send(2 * i, portBytes), conn.send(2 * i + 1, portBytes)]).catch(() => undefined);
      const data = conn.channel(2 * i);
      try {
        await o.backend.portForward(o.podSandboxId, port, data, abort.signal);
      } catch (err) {
        const message = `error forwarding port ${port} to pod ${o.podSandboxId}, uid : ${errorMessage(err)}`;
        o.log.warn({ err }, message);
        await conn.send(2 * i + 1, Buffer.from(message)).catch(() => undefined);
      }
      await endWritable(data);
    }),
  );
  await conn.close();
}

export function serveSpdyTunnelPortForward(ws: WebSocket, o: SpdyPortForwardOptions): Promise<void> {
  return serveSpdyPortForward(createWebSocketStream(ws), Buffer.alloc(0), o);
}
