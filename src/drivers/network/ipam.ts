/**
 * IPv4 address management with persistent leases: one JSON file per network, rewritten
 * atomically on every change, so a container keeps its address across restarts, daemon
 * restarts and host reboots until it is removed.
 */
import { join } from 'node:path';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { atomicWriteJson } from '../../core/atomic-write.js';
import { ConflictError, errnoCode, InvalidParameterError, UnavailableError } from '../../core/errors.js';
import { cidrSize, contains, formatCidr, intToIp, ipToInt, parseCidr, type Cidr } from './ipv4.js';

interface LeaseFile {
  /** address → owner (a container ID). */
  leases: Record<string, string>;
}

export interface Pool {
  subnet: string;
  gateway: string;
  ipRange?: string;
  /** Addresses never handed out (the network's auxiliary addresses, as docker reserves them). */
  reserved?: readonly string[];
}

export class Ipam {
  private readonly files = new Map<string, LeaseFile>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  private async load(networkId: string): Promise<LeaseFile> {
    let f = this.files.get(networkId);
    if (f) return f;
    try {
      f = JSON.parse(await readFile(join(this.dir, `${networkId}.json`), 'utf8')) as LeaseFile;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      f = { leases: {} };
    }
    this.files.set(networkId, f);
    return f;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** The owner's address on this network: its existing lease, the one asked for, or the lowest free. */
  allocate(networkId: string, pool: Pool, owner: string, wanted?: string): Promise<string> {
    return this.serial(async () => {
      const f = await this.load(networkId);
      const mine = Object.entries(f.leases).find(([, o]) => o === owner)?.[0];
      if (mine && (!wanted || wanted === mine)) return mine;
      const subnet = parseCidr(pool.subnet);
      const range: Cidr = pool.ipRange ? parseCidr(pool.ipRange) : subnet;
      const taken = (n: number): boolean => f.leases[intToIp(n)] !== undefined || intToIp(n) === pool.gateway || (pool.reserved ?? []).includes(intToIp(n));
      const usable = (n: number): boolean => contains(subnet, n) && n !== subnet.base && n !== subnet.base + cidrSize(subnet) - 1;
      let ip: string | undefined;
      if (wanted) {
        const n = ipToInt(wanted);
        if (!usable(n)) throw new InvalidParameterError(`invalid address ${wanted}: it does not belong to the network's subnet ${formatCidr(subnet)}`);
        if (taken(n)) throw new ConflictError(`Address already in use: ${wanted} is taken on this network`);
        ip = wanted;
      } else {
        for (let n = range.base; n < range.base + cidrSize(range); n++) {
          if (usable(n) && !taken(n)) {
            ip = intToIp(n);
            break;
          }
        }
        if (!ip) throw new UnavailableError(`no available IPv4 addresses on this network's address pools (${pool.ipRange ?? pool.subnet})`);
      }
      if (mine) delete f.leases[mine];
      f.leases[ip] = owner;
      await this.save(networkId, f);
      return ip;
    });
  }

  release(networkId: string, owner: string): Promise<void> {
    return this.serial(async () => {
      const f = await this.load(networkId);
      const before = Object.keys(f.leases).length;
      for (const [ip, o] of Object.entries(f.leases)) if (o === owner) delete f.leases[ip];
      if (Object.keys(f.leases).length !== before) await this.save(networkId, f);
    });
  }

  /** Leases whose owner no longer exists (a crash between create and rm) are dropped. */
  prune(networkId: string, alive: (owner: string) => boolean): Promise<void> {
    return this.serial(async () => {
      const f = await this.load(networkId);
      const before = Object.keys(f.leases).length;
      for (const [ip, o] of Object.entries(f.leases)) if (!alive(o)) delete f.leases[ip];
      if (Object.keys(f.leases).length !== before) await this.save(networkId, f);
    });
  }

  leaseOf(networkId: string, owner: string): string | undefined {
    const f = this.files.get(networkId);
    return f ? Object.entries(f.leases).find(([, o]) => o === owner)?.[0] : undefined;
  }

  dropNetwork(networkId: string): Promise<void> {
    return this.serial(async () => {
      this.files.delete(networkId);
      await rm(join(this.dir, `${networkId}.json`), { force: true });
    });
  }

  private async save(networkId: string, f: LeaseFile): Promise<void> {
    await atomicWriteJson(join(this.dir, `${networkId}.json`), f);
  }
}
