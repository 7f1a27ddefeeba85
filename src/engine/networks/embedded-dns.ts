/**
 * The DNS server containers on user-defined networks use: it listens on the network's
 * gateway address (UDP and TCP port 53) and answers the names of containers on that network
 * (name, aliases, short ID), forwarding every other question to the asking container's `--dns`
 * servers, else the host's resolvers — from the host, so a systemd-resolved 127.0.0.53 works too.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import type { Packet } from 'dns-packet';
import { lazy } from '../../core/lazy.js';
import type { Logger } from '../../core/logger.js';

/** The addresses (IPv4 and IPv6) of `name` on a network, as the container at `source` sees them (its links). */
export type NameLookup = (networkId: string, name: string, source: string) => string[];
/** The servers to forward to for a query from `source` on a network. */
export type UpstreamsFor = (networkId: string, source: string) => string[];

const FORWARD_TIMEOUT_MS = 3000;

/** The DNS codec, loaded with the first user network: a daemon without one does not carry it. */
const dnsCodec = lazy(async () => (await import('dns-packet')).default);

export class EmbeddedDns {
  private readonly servers = new Map<string, { udp: Socket; tcp: Server }>();

  constructor(
    private readonly lookup: NameLookup,
    private readonly upstreams: UpstreamsFor,
    private readonly log: Logger,
  ) {}

  async listen(networkId: string, address: string): Promise<void> {
    if (this.servers.has(networkId)) return;
    await dnsCodec();
    const udp = createSocket('udp4');
    udp.on('message', (msg, rinfo) => {
      void this.answer(networkId, msg, rinfo.address).then(
        (reply) => {
          if (reply) udp.send(reply, rinfo.port, rinfo.address);
        },
        (err: unknown) => this.log.warn({ err, networkId }, 'embedded DNS could not answer'),
      );
    });
    udp.on('error', (err) => this.log.warn({ err, networkId }, 'embedded DNS socket error'));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ address, port: 53, exclusive: true }, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const tcp = createServer((c) => this.serveTcp(networkId, c));
    tcp.on('error', (err) => this.log.warn({ err, networkId }, 'embedded DNS TCP error'));
    await new Promise<void>((resolve) => {
      tcp.once('error', () => resolve());
      tcp.listen({ host: address, port: 53, exclusive: true }, () => resolve());
    });
    udp.unref();
    tcp.unref();
    this.servers.set(networkId, { udp, tcp });
  }

  async close(networkId: string): Promise<void> {
    const s = this.servers.get(networkId);
    if (!s) return;
    this.servers.delete(networkId);
    await Promise.all([new Promise<void>((r) => s.udp.close(() => r())), new Promise<void>((r) => s.tcp.close(() => r()))]);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((id) => this.close(id)));
  }

  private serveTcp(networkId: string, c: TcpSocket): void {
    let buf = Buffer.alloc(0);
    c.setTimeout(10_000, () => c.destroy());
    c.on('error', () => undefined);
    c.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.answer(networkId, msg, c.remoteAddress ?? '').then(
          (reply) => {
            if (!reply) return;
            const len = Buffer.alloc(2);
            len.writeUInt16BE(reply.length);
            c.write(Buffer.concat([len, reply]));
          },
          (err: unknown) => this.log.warn({ err, networkId }, 'embedded DNS could not answer'),
        );
      }
    });
  }

  /** Our names get an authoritative answer; anything else goes upstream unchanged. */
  async answer(networkId: string, msg: Buffer, source = ''): Promise<Buffer | undefined> {
    const dnsPacket = await dnsCodec();
    let query: Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return undefined;
    }
    const q = query.questions?.[0];
    const from = source.replace(/^::ffff:/, '');
    if (q && (q.type === 'A' || q.type === 'AAAA')) {
      const ips = this.lookup(networkId, q.name.replace(/\.$/, '').toLowerCase(), from);
      if (ips.length > 0) {
        const wanted = ips.filter((ip) => ip.includes(':') === (q.type === 'AAAA'));
        return dnsPacket.encode({
          type: 'response',
          id: query.id ?? 0,
          flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
          questions: [q],
          // A name we own without an address of the asked family: an empty NOERROR, not NXDOMAIN, as docker answers.
          answers: wanted.map((ip) => ({ type: q.type as 'A' | 'AAAA', name: q.name, ttl: 600, class: 'IN' as const, data: ip })),
        });
      }
    }
    for (const upstream of this.upstreams(networkId, from)) {
      const reply = await forward(msg, upstream).catch(() => undefined);
      if (reply) return reply;
    }
    return dnsPacket.encode({ type: 'response', id: query.id ?? 0, flags: dnsPacket.RECURSION_AVAILABLE | 2 /* SERVFAIL */, questions: query.questions ?? [] });
  }
}

function forward(msg: Buffer, server: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket(server.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('timeout'));
    }, FORWARD_TIMEOUT_MS);
    s.on('error', (err) => {
      clearTimeout(timer);
      s.close();
      reject(err);
    });
    s.on('message', (reply) => {
      clearTimeout(timer);
      s.close();
      resolve(reply);
    });
    s.send(msg, 53, server);
  });
}
