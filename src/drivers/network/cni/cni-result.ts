/**
 * What a CNI plugin prints: a result on success, an error object on failure. Pure parsing of the
 * spec's shapes (1.x and 0.3/0.4 results, 0.1/0.2's `ip4`/`ip6`), read the way go-cni reads them.
 */
import { compareCniVersions } from './cni-config.js';

export interface CniInterface { name: string; mac?: string; sandbox?: string }
export interface CniIpConfig {
  /** CIDR notation, `10.88.0.5/16`. */
  address: string;
  gateway?: string;
  /** Index into `interfaces`, when the plugin says which one holds the address. */
  interface?: number;
}
export interface CniRoute { dst: string; gw?: string }

export interface CniResult {
  cniVersion: string;
  interfaces: CniInterface[];
  ips: CniIpConfig[];
  routes: CniRoute[];
  dns: { nameservers?: string[]; domain?: string; search?: string[]; options?: string[] };
  /** The object as printed (with cniVersion filled in), passed on as the next plugin's prevResult. */
  raw: Record<string, unknown>;
}

/** The spec's error object (`{cniVersion, code, msg, details}`). */
export interface CniErrorOutput { code?: number; msg: string; details?: string }

/** The spec's well-known error codes; 100 and above are the plugin's own. */
export const CNI_ERROR_CODES: Record<number, string> = {
  1: 'incompatible CNI version',
  2: 'unsupported field in network configuration',
  3: 'container unknown or does not exist',
  4: 'invalid necessary environment variables',
  5: 'I/O failure',
  6: 'failed to decode content',
  7: 'invalid network config',
  11: 'try again later',
  50: 'plugin not available',
  51: 'plugin not available, existing containers may be damaged',
};

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strList = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);

function ipConfig(v: unknown, i: number, interfaces: number): CniIpConfig {
  if (!v || typeof v !== 'object') throw new Error(`ips[${i}] is not an object`);
  const o = v as Record<string, unknown>;
  const address = str(o.address);
  if (!address || !address.includes('/')) throw new Error(`ips[${i}].address ${JSON.stringify(o.address)} is not an address in CIDR notation`);
  const out: CniIpConfig = { address };
  const gateway = str(o.gateway);
  if (gateway) out.gateway = gateway;
  if (typeof o.interface === 'number') {
    // go-cni's validateInterfaceConfig: an index must name one of the result's interfaces.
    if (!Number.isInteger(o.interface) || o.interface < 0 || o.interface >= interfaces) throw new Error(`ips[${i}].interface ${o.interface} names no interface of the result (it has ${interfaces})`);
    out.interface = o.interface;
  }
  return out;
}

function routes(v: unknown): CniRoute[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((r: unknown) => {
    if (!r || typeof r !== 'object') return [];
    const o = r as Record<string, unknown>;
    const dst = str(o.dst);
    if (!dst) return [];
    const gw = str(o.gw);
    return [gw ? { dst, gw } : { dst }];
  });
}

function dns(v: unknown): CniResult['dns'] {
  if (!v || typeof v !== 'object') return {};
  const o = v as Record<string, unknown>;
  const out: CniResult['dns'] = {};
  const nameservers = strList(o.nameservers);
  if (nameservers) out.nameservers = nameservers;
  const domain = str(o.domain);
  if (domain) out.domain = domain;
  const search = strList(o.search);
  if (search) out.search = search;
  const options = strList(o.options);
  if (options) out.options = options;
  return out;
}

/** 0.1.0 and 0.2.0: `{ip4: {ip, gateway, routes}, ip6: …}`, no interfaces. */
function legacyResult(o: Record<string, unknown>, cniVersion: string): CniResult {
  const ips: CniIpConfig[] = [];
  const rs: CniRoute[] = [];
  for (const key of ['ip4', 'ip6']) {
    const v = o[key];
    if (!v || typeof v !== 'object') continue;
    const f = v as Record<string, unknown>;
    const address = str(f.ip);
    if (!address || !address.includes('/')) throw new Error(`${key}.ip ${JSON.stringify(f.ip)} is not an address in CIDR notation`);
    const gateway = str(f.gateway);
    ips.push(gateway ? { address, gateway } : { address });
    rs.push(...routes(f.routes));
  }
  return { cniVersion, interfaces: [], ips, routes: rs, dns: dns(o.dns), raw: { ...o, cniVersion } };
}

/**
 * A plugin's ADD output. A result without `cniVersion` is taken to be of the config's version
 * (libcni's fixupResultVersion). Throws a plain Error saying what is wrong; the caller names the plugin.
 */
export function parseCniResult(stdout: string, configVersion: string): CniResult {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch (err) {
    throw new Error(`its output is not JSON (${(err as Error).message}): ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('its output is not a JSON object');
  const o = value as Record<string, unknown>;
  const cniVersion = str(o.cniVersion) || configVersion;
  if (compareCniVersions(cniVersion, '0.3.0') < 0) return legacyResult(o, cniVersion);
  const interfaces: CniInterface[] = [];
  if (o.interfaces !== undefined) {
    if (!Array.isArray(o.interfaces)) throw new Error('interfaces is not a list');
    for (const [i, itf] of o.interfaces.entries()) {
      const f = (itf ?? {}) as Record<string, unknown>;
      const name = str(f.name);
      if (!name) throw new Error(`interfaces[${i}] has no name`);
      const entry: CniInterface = { name };
      const mac = str(f.mac);
      if (mac) entry.mac = mac;
      const sandbox = str(f.sandbox);
      if (sandbox) entry.sandbox = sandbox;
      interfaces.push(entry);
    }
  }
  if (o.ips !== undefined && !Array.isArray(o.ips)) throw new Error('ips is not a list');
  const ips = ((o.ips ?? []) as unknown[]).map((ip, i) => ipConfig(ip, i, interfaces.length));
  return { cniVersion, interfaces, ips, routes: routes(o.routes), dns: dns(o.dns), raw: { ...o, cniVersion } };
}

/**
 * A failed plugin's message, as libcni's RawExec.pluginErr reads it: the error object on stdout,
 * else stderr, else nothing but the exit status.
 */
export function parseCniError(stdout: string, stderr: string, exit: string): CniErrorOutput {
  const out = stdout.trim();
  const err = stderr.trim();
  if (out === '') return { msg: err === '' ? `failed with no error message (${exit})` : `failed (${exit}): ${err}` };
  try {
    const o = JSON.parse(out) as Record<string, unknown>;
    if (o && typeof o === 'object' && (typeof o.msg === 'string' || typeof o.code === 'number')) {
      const res: CniErrorOutput = { msg: str(o.msg) ?? '' };
      if (typeof o.code === 'number') res.code = o.code;
      const details = str(o.details);
      if (details) res.details = details;
      return res;
    }
  } catch {
    // Not the spec's object: the raw text is the best message there is.
  }
  return { msg: `failed (${exit}) and printed no CNI error object: ${JSON.stringify(out.slice(0, 300))}${err ? `; stderr: ${err.slice(0, 300)}` : ''}` };
}

/**
 * The pod's addresses (without prefix length), as go-cni and containerd pick them: the addresses of
 * the interface named `ifName` (or of no named interface, which go-cni gives the default one), from
 * every result of the network, IPv4 first (containerd's selectPodIPs).
 */
export function podIps(results: readonly CniResult[], ifName: string): string[] {
  const ips: string[] = [];
  for (const r of results) {
    for (const ip of r.ips) {
      const owner = ip.interface === undefined ? ifName : r.interfaces[ip.interface]?.name;
      if (owner !== ifName) continue;
      const addr = ip.address.slice(0, ip.address.indexOf('/'));
      if (!ips.includes(addr)) ips.push(addr);
    }
  }
  const v4 = ips.filter((a) => !a.includes(':'));
  return [...v4, ...ips.filter((a) => a.includes(':'))];
}
