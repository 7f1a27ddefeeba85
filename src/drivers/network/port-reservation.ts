/**
 * Published host ports are held by berthd with a bound socket while the container runs, as
 * dockerd does: a port another program uses is refused with a clear error, and no program can
 * take a published port later and be silently shadowed by the DNAT rule.
 */
import { createServer, type Server } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { errnoCode, SystemError } from '../../core/errors.js';

export type PortProto = 'tcp' | 'udp' | 'sctp';

export interface HeldPort {
  port: number;
  close(): Promise<void>;
}

function bindTcp(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer((c) => c.destroy());
    s.once('error', reject);
    s.listen({ host, port, exclusive: true, backlog: 1 }, () => {
      s.off('error', reject);
      s.unref();
      resolve(s);
    });
  });
}

function bindUdp(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: 'udp4', reuseAddr: false });
    s.once('error', reject);
    s.bind({ address: host, port, exclusive: true }, () => {
      s.off('error', reject);
      s.unref();
      resolve(s);
    });
  });
}

/** Binds host:port (0 = any free port); throws SystemError in docker's words when it is taken. */
export async function holdPort(proto: PortProto, hostIp: string, port: number): Promise<HeldPort> {
  const host = hostIp === '' ? '0.0.0.0' : hostIp;
  try {
    if (proto === 'udp') {
      const s = await bindUdp(host, port);
      return { port: s.address().port, close: () => new Promise((r) => s.close(() => r())) };
    }
    if (proto === 'sctp') {
      // Node has no SCTP sockets; the port is still checked against other containers' bindings.
      return { port: port === 0 ? 32768 + Math.floor(Math.random() * 28000) : port, close: async () => undefined };
    }
    const s = await bindTcp(host, port);
    const addr = s.address();
    return { port: typeof addr === 'object' && addr ? addr.port : port, close: () => new Promise((r) => s.close(() => r())) };
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EADDRINUSE') throw new SystemError(`Bind for ${host}:${port} failed: port is already allocated`);
    if (code === 'EADDRNOTAVAIL') throw new SystemError(`failed to bind host port ${host}:${port}/${proto}: cannot assign requested address (${host} is not an address of this host)`);
    throw new SystemError(`failed to bind host port ${host}:${port}/${proto}: ${(err as Error).message}`);
  }
}
