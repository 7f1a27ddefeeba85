/**
 * A CNI pod network for tests, run by the real plugins of Debian's containernetworking-plugins: a
 * bridge of the test's own (unique name, a /24 no host route uses) made with its gateway address,
 * so the bridge plugin runs with `isGateway: false` and never turns on the host's ip_forward
 * (pods are bridged to each other and reached from the host through the bridge; nothing is routed
 * out), host-local's leases in a dir of the test's, and portmap for host ports. portmap writes
 * iptables rules in the host's nat table: take `natSnapshot()` before and call `restoreNat()`
 * after, which removes the shared CNI-HOSTPORT-* chains (and a nat table) only when the test
 * brought them and no pod of anyone else uses them.
 */
import { run } from './test-daemon.js';

export interface CniTestBridge {
  /** The bridge device, 15 characters at most, unique to the test. */
  bridge: string;
  /** The /24's first three octets, `10.233.4`: the gateway is `.1`. */
  prefix: string;
  /** The CNI network name. */
  name: string;
}

/** Makes the bridge with its gateway address (a leftover of the same name, the test's own, is removed first). */
export async function makeTestBridge(b: CniTestBridge): Promise<void> {
  await run('ip', ['link', 'del', b.bridge]);
  for (const args of [['link', 'add', b.bridge, 'type', 'bridge'], ['addr', 'add', `${b.prefix}.1/24`, 'dev', b.bridge], ['link', 'set', b.bridge, 'up']]) {
    const r = await run('ip', args);
    if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  }
}

export async function removeTestBridge(b: CniTestBridge): Promise<void> {
  await run('ip', ['link', 'del', b.bridge]);
}

/** The network's conflist (spec 1.0.0): bridge + host-local, then `extra` plugins (portmap by default). */
export function bridgeConflist(b: CniTestBridge, ipamDir: string, extra: object[] = [{ type: 'portmap', capabilities: { portMappings: true }, snat: true }]): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: b.name,
    plugins: [
      {
        type: 'bridge',
        bridge: b.bridge,
        isGateway: false,
        ipMasq: false,
        ipam: { type: 'host-local', ranges: [[{ subnet: `${b.prefix}.0/24`, gateway: `${b.prefix}.1` }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: ipamDir },
      },
      ...extra,
    ],
  });
}

/** What of the host's NAT existed before the test: nat tables and portmap's shared chains. */
export interface NatSnapshot { tables: Set<string>; chains: Set<string> }

export async function natSnapshot(): Promise<NatSnapshot> {
  const tables = new Set<string>();
  for (const family of ['ip', 'ip6']) if ((await run('nft', ['list', 'table', family, 'nat'])).code === 0) tables.add(family);
  const chains = new Set<string>();
  for (const [cmd, family] of [['iptables-save', 'ip'], ['ip6tables-save', 'ip6']] as const) {
    if (!tables.has(family)) continue;
    for (const m of (await run(cmd, ['-t', 'nat'])).stdout.matchAll(/^:(CNI-HOSTPORT-\S+)/gm)) chains.add(`${family}/${m[1]}`);
  }
  return { tables, chains };
}

/**
 * Removes portmap's shared chains (and the jumps to them) that the test brought, unless some pod
 * of another program uses them now; then a nat table the test brought, if nothing is left in it.
 */
export async function restoreNat(before: NatSnapshot): Promise<void> {
  for (const [ipt, save, family] of [['iptables', 'iptables-save', 'ip'], ['ip6tables', 'ip6tables-save', 'ip6']] as const) {
    const text = (await run(save, ['-t', 'nat'])).stdout;
    const ours = [...text.matchAll(/^:(CNI-HOSTPORT-\S+)/gm)].map((m) => m[1]!).filter((c) => !before.chains.has(`${family}/${c}`));
    const inUse = /^-A CNI-HOSTPORT-DNAT /m.test(text);
    if (ours.length > 0 && !inUse) {
      for (const line of text.split('\n')) {
        const m = /^-A (\S+) (.*-j (CNI-HOSTPORT-\S+).*)$/.exec(line);
        if (m && ours.includes(m[3]!) && !ours.includes(m[1]!)) await run('sh', ['-c', `${ipt} -t nat -D ${m[1]} ${m[2]}`]);
      }
      for (const c of ours) await run(ipt, ['-t', 'nat', '-F', c]);
      for (const c of ours) await run(ipt, ['-t', 'nat', '-X', c]);
    }
    if (!before.tables.has(family)) {
      const left = await run('nft', ['-j', 'list', 'table', family, 'nat']);
      const items = left.code === 0 ? (JSON.parse(left.stdout) as { nftables: Array<Record<string, unknown>> }).nftables : [];
      if (left.code === 0 && !items.some((i) => 'rule' in i)) await run('nft', ['delete', 'table', family, 'nat']);
    }
  }
}
