/**
 * Published host ports are held by berthd with a bound socket while the container runs, as
 * dockerd does: a port another program uses is refused with a clear error, and no program can
 * take a published port later and be silently shadowed by the DNAT rule.
 *
 * Where no DNAT rule can carry the traffic, the held socket forwards it itself (dockerd's
 * userland proxy): IPv6 loopback (the kernel never routes ::1 off the host, so `[::1]:port`
 * cannot be DNAT), and IPv6 bindings of a container that has no IPv6 address.
 */
import { connect, createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { errnoCode, SystemError } from '../../core/errors.js';

export type PortProto = 'tcp' | 'udp' | 'sctp';

export interface HeldPort {
  port: number;
  close(): Promise<void>;
}

/** Where a proxying hold sends what arrives: the container's address and port. */
export interface ProxyTarget {
  host: string;
  port: number;
}

/** A UDP client's flow is forgotten after this long without a datagram either way (dockerd: 90 s). */
const UDP_FLOW_IDLE_MS = 90_000;

function bindTcp(host: string, port: number, target: ProxyTarget | undefined, open: Set<TcpSocket>): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer(
      target
        ? (c) => {
            open.add(c);
            c.once('close', () => open.delete(c));
            pipeTcp(c, target);
          }
        : (c) => c.destroy(),
    );
    s.once('error', reject);
    // `::` must not also take IPv4: 0.0.0.0 is held (and DNAT) on its own.
    s.listen({ host, port, exclusive: true, backlog: target ? 511 : 1, ipv6Only: host === '::' }, () => {
      s.off('error', reject);
      s.unref();
      resolve(s);
    });
  });
}

function pipeTcp(client: TcpSocket, target: ProxyTarget): void {
  const upstream = connect({ host: target.host, port: target.port });
  const drop = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', drop);
  upstream.on('error', drop);
  client.pipe(upstream);
  upstream.pipe(client);
}

function bindUdp(host: string, port: number, target: ProxyTarget | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const v6 = isIPv6(host);
    const s = createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: false, ipv6Only: v6 });
    s.once('error', reject);
    s.bind({ address: host, port, exclusive: true }, () => {
      s.off('error', reject);
      s.unref();
      if (target) relayUdp(s, target);
      resolve(s);
    });
  });
}

/** Each client gets its own socket towards the container, so that answers find their way back. */
function relayUdp(front: Socket, target: ProxyTarget): void {
  const flows = new Map<string, { sock: Socket; timer: NodeJS.Timeout }>();
  const forget = (key: string): void => {
    const f = flows.get(key);
    if (!f) return;
    flows.delete(key);
    clearTimeout(f.timer);
    f.sock.close();
  };
  front.on('message', (msg, from) => {
    const key = `${from.address}|${from.port}`;
    let f = flows.get(key);
    if (!f) {
      const sock = createSocket(isIPv6(target.host) ? 'udp6' : 'udp4');
      sock.unref();
      sock.on('message', (answer) => {
        front.send(answer, from.port, from.address);
        const live = flows.get(key);
        if (live) live.timer.refresh();
      });
      sock.on('error', () => forget(key));
      f = { sock, timer: setTimeout(() => forget(key), UDP_FLOW_IDLE_MS).unref() };
      flows.set(key, f);
    }
    f.timer.refresh();
    f.sock.send(msg, target.port, target.host);
  });
  front.on('close', () => {
    for (const key of [...flows.keys()]) forget(key);
  });
}

/**
 * Binds host:port (0 = any free port); throws SystemError in docker's words when it is taken.
 * With `target`, what reaches the socket is forwarded there.
 */
export async function holdPort(proto: PortProto, hostIp: string, port: number, target?: ProxyTarget): Promise<HeldPort> {
  const host = hostIp === '' ? '0.0.0.0' : hostIp;
  try {
    if (proto === 'udp') {
      const s = await bindUdp(host, port, target);
      return { port: s.address().port, close: () => new Promise((r) => s.close(() => r())) };
    }
    if (proto === 'sctp') {
      // Node has no SCTP sockets; the port is still checked against other containers' bindings.
      return { port: port === 0 ? 32768 + Math.floor(Math.random() * 28000) : port, close: async () => undefined };
    }
    const open = new Set<TcpSocket>();
    const s = await bindTcp(host, port, target, open);
    const addr = s.address();
    return {
      port: typeof addr === 'object' && addr ? addr.port : port,
      close: () =>
        new Promise((r) => {
          s.close(() => r());
          // A proxy's open connections end with the container's port.
          for (const c of open) c.destroy();
        }),
    };
  } catch (err) {
    const code = errnoCode(err);
    const shown = isIPv6(host) ? `[${host}]` : host;
    if (code === 'EADDRINUSE') throw new SystemError(`Bind for ${shown}:${port} failed: port is already allocated`);
    if (code === 'EADDRNOTAVAIL') throw new SystemError(`failed to bind host port ${shown}:${port}/${proto}: cannot assign requested address (${host} is not an address of this host)`);
    throw new SystemError(`failed to bind host port ${shown}:${port}/${proto}: ${(err as Error).message}`);
  }
}
