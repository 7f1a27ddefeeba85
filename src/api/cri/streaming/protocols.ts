import type { IncomingHttpHeaders } from 'node:http';

/**
 * The subprotocol names of the Kubernetes streaming protocols and how a server picks one, as the
 * kubelet (k8s.io/streaming httpstream.Handshake for SPDY, wsstream for WebSocket): the first
 * protocol in the client's list that the server serves.
 */

/** SPDY remotecommand, newest first, as the kubelet serves them (v5 only exists over WebSocket). */
export const SPDY_COMMAND_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** client-go's port-forward over WebSocket: SPDY frames inside binary WebSocket messages. */
export const SPDY_TUNNEL_PORT_FORWARD_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

/** WebSocket remotecommand: the kubelet's four, and v5 (client-go's default, which adds stdin close). */
export const WS_COMMAND_PROTOCOLS: Record<string, { version: number; binary: boolean }> = {
  'v5.channel.k8s.io': { version: 5, binary: true },
  'v4.channel.k8s.io': { version: 4, binary: true },
  'v4.base64.channel.k8s.io': { version: 4, binary: false },
  'channel.k8s.io': { version: 1, binary: true },
  'base64.channel.k8s.io': { version: 1, binary: false },
  // No Sec-WebSocket-Protocol at all: binary channels, status as text.
  '': { version: 1, binary: true },
};

/** WebSocket port-forward with the kubelet's channel pairs (ports in the request or ?port=). */
export const WS_PORT_FORWARD_PROTOCOLS: Record<string, { binary: boolean }> = {
  'v4.channel.k8s.io': { binary: true },
  'v4.base64.channel.k8s.io': { binary: false },
  '': { binary: true },
};

export function commandProtocolVersion(protocol: string): number {
  const m = /^v(\d+)\.channel\.k8s\.io$/.exec(protocol);
  return m ? Number(m[1]) : 1;
}

/** Values of a header that may repeat and hold comma-separated lists. */
export function headerList(value: string | string[] | undefined): string[] {
  const all = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return all.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

export function isUpgradeTo(headers: IncomingHttpHeaders, protocol: string): boolean {
  return headerList(headers.connection).some((v) => v.toLowerCase() === 'upgrade') && String(headers.upgrade ?? '').toLowerCase().includes(protocol.toLowerCase());
}

export function isWebSocketRequest(headers: IncomingHttpHeaders): boolean {
  return String(headers.upgrade ?? '').toLowerCase() === 'websocket' && headerList(headers.connection).some((v) => v.toLowerCase() === 'upgrade');
}

export type Negotiation = { ok: true; protocol: string } | { ok: false; status: number; message: string; headers: Record<string, string[]> };

/** httpstream.Handshake: X-Stream-Protocol-Version against what the server serves. */
export function negotiateStreamProtocol(headers: IncomingHttpHeaders, served: string[]): Negotiation {
  const raw = headers['x-stream-protocol-version'];
  if (raw === undefined) {
    return { ok: false, status: 400, message: 'unable to upgrade: header X-Stream-Protocol-Version does not exist in request', headers: {} };
  }
  const offered = headerList(raw);
  if (offered.length === 0) {
    return { ok: false, status: 400, message: `unable to upgrade: header X-Stream-Protocol-Version contains ${String(raw)}, but no valid protocols`, headers: {} };
  }
  const protocol = offered.find((p) => served.includes(p));
  if (protocol === undefined) {
    return {
      ok: false,
      status: 403,
      message: `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${served.join(' ')}]`,
      headers: { 'X-Accepted-Stream-Protocol-Versions': served },
    };
  }
  return { ok: true, protocol };
}

/** wsstream's handshake: the first Sec-WebSocket-Protocol the server serves; none offered means "". */
export function negotiateWebSocketProtocol(headers: IncomingHttpHeaders, served: string[]): string | undefined {
  const offered = headerList(headers['sec-websocket-protocol']);
  if (offered.length === 0) return served.includes('') ? '' : undefined;
  return offered.find((p) => p !== '' && served.includes(p));
}
