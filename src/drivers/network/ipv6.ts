import { isIPv4, isIPv6 } from 'node:net';
import { InvalidParameterError } from '../../core/errors.js';

/** An IPv6 prefix: `base` is the network address as an unsigned 128-bit number. */
export interface Cidr6 {
  base: bigint;
  bits: number;
}

const ALL = (1n << 128n) - 1n;

export function ip6ToBig(ip: string): bigint {
  if (!isIPv6(ip)) throw new InvalidParameterError(`invalid IPv6 address: ${ip}`);
  let text = ip.split('%')[0] as string;
  // A dotted tail (::ffff:1.2.3.4) is two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted && isIPv4(dotted)) {
    const o = dotted.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -dotted.length) + `${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** RFC 5952's text form: lower case, the longest run of zero groups (two or more) as `::`. */
export function bigToIp6(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function mask6(bits: number): bigint {
  return bits === 0 ? 0n : (ALL << BigInt(128 - bits)) & ALL;
}

/**
 * `2001:db8::/64` → its prefix. dockerd keeps an IPv6 subnet with host bits as it was given
 * (docker-py creates `2001:389::1/64`), so host bits are always accepted here and dropped.
 */
export function parseCidr6(text: string): Cidr6 {
  const slash = text.indexOf('/');
  const bitsText = text.slice(slash + 1);
  if (slash < 0 || !/^\d+$/.test(bitsText) || Number(bitsText) > 128 || !isIPv6(text.slice(0, slash))) throw new InvalidParameterError(`invalid CIDR address: ${text}`);
  const bits = Number(bitsText);
  return { base: ip6ToBig(text.slice(0, slash)) & mask6(bits), bits };
}

export function formatCidr6(c: Cidr6): string {
  return `${bigToIp6(c.base)}/${c.bits}`;
}

export function contains6(c: Cidr6, ip: bigint): boolean {
  return (ip & mask6(c.bits)) === c.base;
}

export function overlaps6(a: Cidr6, b: Cidr6): boolean {
  const m = mask6(Math.min(a.bits, b.bits));
  return (a.base & m) === (b.base & m);
}

export function cidr6Size(c: Cidr6): bigint {
  return 1n << BigInt(128 - c.bits);
}
