/**
 * IPv4 and IPv6 address management with persistent leases: one JSON file per network, rewritten
 * atomically on every change, so a container keeps its address across restarts, daemon
 * restarts and host reboots until it is removed.
 */
import { join } from 'node:path';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { atomicWriteFile, fsyncDir, fsyncPath } from '../../core/atomic-write.js';
import { ConflictError, errnoCode, InvalidParameterError, UnavailableError } from '../../core/errors.js';
import { cidrSize, intToIp, ipToInt, parseCidr } from './ipv4.js';
import { bigToIp6, cidr6Size, ip6ToBig, parseCidr6 } from './ipv6.js';

interface LeaseFile {
  /** address → owner (a container ID). */
  leases: Record<string, string>;
}

/** One address family's arithmetic, on 128-bit numbers so both families share the walk. */
interface Family {
  v6: boolean;
  toN: (ip: string) => bigint;
  fromN: (n: bigint) => string;
  prefix: (cidr: string) => { base: bigint; size: bigint };
}

const V4: Family = {
  v6: false,
  toN: (ip) => BigInt(ipToInt(ip)),
  fromN: (n) => intToIp(Number(n)),
  prefix: (cidr) => {
    const c = parseCidr(cidr, { allowHost: true });
    return { base: BigInt(c.base), size: BigInt(cidrSize(c)) };
  },
};

const V6: Family = {
  v6: true,
  toN: ip6ToBig,
  fromN: bigToIp6,
  prefix: (cidr) => {
    const c = parseCidr6(cidr);
    return { base: c.base, size: cidr6Size(c) };
  },
};

const familyOf = (ip: string): Family => (ip.includes(':') ? V6 : V4);

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
  /** Allocations written but not yet fsynced, and networks whose background fsync failed (see durable()). */
  private readonly syncing = new Set<Promise<void>>();
  private readonly unsynced = new Set<string>();

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

  /**
   * The owner's address of the pool's family on this network: its existing lease, the one asked
   * for, or the lowest free one of the range. A network's IPv4 and IPv6 leases share its file.
   */
  allocate(networkId: string, pool: Pool, owner: string, wanted?: string): Promise<string> {
    return this.serial(async () => {
      const fam = familyOf(pool.subnet);
      const f = await this.load(networkId);
      const want = wanted === undefined ? undefined : fam.fromN(fam.toN(wanted));
      const mine = Object.entries(f.leases).find(([ip, o]) => o === owner && familyOf(ip) === fam)?.[0];
      if (mine && (!want || want === mine)) return mine;
      const subnet = fam.prefix(pool.subnet);
      const range = pool.ipRange ? fam.prefix(pool.ipRange) : subnet;
      const gateway = fam.toN(pool.gateway);
      const reserved = new Set((pool.reserved ?? []).filter((a) => familyOf(a) === fam).map((a) => fam.toN(a)));
      const taken = (n: bigint): boolean => f.leases[fam.fromN(n)] !== undefined || n === gateway || reserved.has(n);
      // IPv6 has no broadcast address; its subnet-router anycast address (the first) is kept, as docker does.
      const usable = (n: bigint): boolean => n > subnet.base && n < subnet.base + subnet.size - (fam.v6 ? 0n : 1n);
      let ip: string | undefined;
      if (want) {
        const n = fam.toN(want);
        if (!usable(n)) throw new InvalidParameterError(`invalid address ${want}: it does not belong to the network's subnet ${pool.subnet}`);
        if (taken(n)) throw new ConflictError(`Address already in use: ${want} is taken on this network`);
        ip = want;
      } else {
        // Leases are few: the walk ends after at most that many steps past the range's start.
        for (let n = range.base; n < range.base + range.size; n++) {
          if (usable(n) && !taken(n)) {
            ip = fam.fromN(n);
            break;
          }
        }
        if (!ip) throw new UnavailableError(`no available ${fam.v6 ? 'IPv6' : 'IPv4'} addresses on this network's address pools (${pool.ipRange ?? pool.subnet})`);
      }
      if (mine) delete f.leases[mine];
      f.leases[ip] = owner;
      // Written at once, fsynced in the background: the fsyncs (5 ms or so on a disk) overlap
      // the rest of the start instead of leading it; the start's record waits on durable().
      await this.save(networkId, f, false);
      this.syncInBackground(networkId);
      return ip;
    });
  }

  /**
   * Resolves once every allocation made so far is on disk; throws if one cannot be fsynced. A
   * container's record is saved as running (or connected) only after this: an address it was
   * acknowledged with is never handed out again after a power loss.
   */
  async durable(): Promise<void> {
    await Promise.allSettled([...this.syncing]);
    // A background fsync that failed is tried again here, where a caller can fail with it.
    for (const networkId of [...this.unsynced]) {
      await this.sync(networkId);
      this.unsynced.delete(networkId);
    }
  }

  private syncInBackground(networkId: string): void {
    const sync = this.sync(networkId).catch(() => {
      this.unsynced.add(networkId);
    });
    this.syncing.add(sync);
    void sync.finally(() => this.syncing.delete(sync));
  }

  /** The lease file now at its path (this allocation's, or a later write holding it too), and its name. */
  private async sync(networkId: string): Promise<void> {
    try {
      await fsyncPath(join(this.dir, `${networkId}.json`));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return; // the network was removed meanwhile
      throw err;
    }
    await fsyncDir(this.dir);
  }

  release(networkId: string, owner: string): Promise<void> {
    return this.serial(async () => {
      const f = await this.load(networkId);
      const before = Object.keys(f.leases).length;
      for (const [ip, o] of Object.entries(f.leases)) if (o === owner) delete f.leases[ip];
      // Not fsynced: a release a power loss undoes leaves a lease whose owner is gone, which
      // prune() drops at the next daemon start. Every `docker rm` saves two fsyncs.
      if (Object.keys(f.leases).length !== before) await this.save(networkId, f, false);
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

  leaseOf(networkId: string, owner: string, v6 = false): string | undefined {
    const f = this.files.get(networkId);
    return f ? Object.entries(f.leases).find(([ip, o]) => o === owner && ip.includes(':') === v6)?.[0] : undefined;
  }

  dropNetwork(networkId: string): Promise<void> {
    return this.serial(async () => {
      this.files.delete(networkId);
      await rm(join(this.dir, `${networkId}.json`), { force: true });
    });
  }

  private async save(networkId: string, f: LeaseFile, durable = true): Promise<void> {
    await atomicWriteFile(join(this.dir, `${networkId}.json`), JSON.stringify(f, null, 2) + '\n', 0o644, { durable });
  }
}
