import { isIPv4 } from 'node:net';
import { InvalidParameterError } from '../../core/errors.js';

/** An IPv4 prefix: `base` is the network address as an unsigned 32-bit number. */
export interface Cidr {
  base: number;
  bits: number;
}

export function ipToInt(ip: string): number {
  if (!isIPv4(ip)) throw new InvalidParameterError(`invalid IPv4 address: ${ip}`);
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** `10.1.0.0/16` → its prefix; a host address with a prefix (`10.1.0.1/16`) is accepted when `allowHost`. */
export function parseCidr(text: string, opts: { allowHost?: boolean } = {}): Cidr {
  const slash = text.indexOf('/');
  if (slash < 0) throw new InvalidParameterError(`invalid CIDR address: ${text}`);
  const bits = Number(text.slice(slash + 1));
  if (!/^\d+$/.test(text.slice(slash + 1)) || bits > 32) throw new InvalidParameterError(`invalid CIDR address: ${text}`);
  let addr: number;
  try {
    addr = ipToInt(text.slice(0, slash));
  } catch {
    throw new InvalidParameterError(`invalid CIDR address: ${text}`);
  }
  const base = (addr & mask(bits)) >>> 0;
  if (base !== addr && !opts.allowHost) throw new InvalidParameterError(`invalid subnet ${text}: it should be ${intToIp(base)}/${bits}`);
  return { base, bits };
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.bits}`;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.bits);
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.bits)) >>> 0) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const bits = Math.min(a.bits, b.bits);
  return ((a.base & mask(bits)) >>> 0) === ((b.base & mask(bits)) >>> 0);
}

/** The subnets of `size` bits inside `pool`, in order (docker's default-address-pool walk). */
export function* subnetsOf(pool: Cidr, size: number): Generator<Cidr> {
  if (size < pool.bits) return;
  const step = 2 ** (32 - size);
  const end = pool.base + cidrSize(pool);
  for (let b = pool.base; b < end; b += step) yield { base: b >>> 0, bits: size };
}

/** `base=10.10.0.0/16,size=24` (dockerd's --default-address-pool). */
export function parseAddressPool(text: string): { base: Cidr; size: number } {
  const fields = Object.fromEntries(text.split(',').map((f) => {
    const eq = f.indexOf('=');
    return [f.slice(0, eq).trim(), f.slice(eq + 1).trim()];
  }));
  if (!fields.base) throw new InvalidParameterError(`invalid default address pool "${text}": use base=CIDR,size=BITS`);
  const base = parseCidr(fields.base);
  const size = fields.size === undefined ? base.bits : Number(fields.size);
  if (!Number.isInteger(size) || size < base.bits || size > 30) throw new InvalidParameterError(`invalid default address pool "${text}": size must be between the base's prefix length and 30`);
  return { base, size };
}
