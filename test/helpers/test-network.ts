import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './test-daemon.js';

export interface TestNetwork {
  bridge: string;
  nftTable: string;
  /** 10.N.0.0/16: the default bridge takes 10.N.0.0/24, user networks the rest. */
  octet: number;
  daemonArgs: string[];
}

async function routes(): Promise<string[]> {
  const r = await run('ip', ['-j', '-4', 'route', 'show', 'table', 'all']);
  return (JSON.parse(r.stdout || '[]') as Array<{ dst: string }>).map((x) => x.dst);
}

/** A bridge name, nft table and 10.N.0.0/16 no route of the host (or another test run) uses. */
export async function pickTestNetwork(): Promise<TestNetwork> {
  const used = await routes();
  for (let tries = 0; tries < 200; tries++) {
    const octet = 64 + Math.floor(Math.random() * 180);
    if (used.some((d) => d.startsWith(`10.${octet}.`) || d === '10.0.0.0/8')) continue;
    const bridge = `bt${randomBytes(4).toString('hex')}`;
    return {
      bridge,
      nftTable: `berth_${bridge}`,
      octet,
      // The host's global ip_forward stays as it is: Berth's bridges forward by themselves.
      daemonArgs: ['--ip-forward=false', '--bridge', bridge, '--bip', `10.${octet}.0.1/24`, '--default-address-pool', `base=10.${octet}.0.0/16,size=24`],
    };
  }
  throw new Error('no free 10.N.0.0/16 for a test daemon');
}

/** What the daemon leaves on purpose (containers outlive it): its table and its bridges. */
export async function removeTestNetworking(net: TestNetwork, dataRoot: string): Promise<void> {
  await run('nft', ['delete', 'table', 'ip', net.nftTable]);
  await run('nft', ['delete', 'table', 'ip6', net.nftTable]);
  const bridges = new Set([net.bridge]);
  const dir = join(dataRoot, 'network', 'networks');
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    const rec = JSON.parse(await readFile(join(dir, f), 'utf8').catch(() => '{}')) as { Id?: string; Driver?: string; Options?: Record<string, string> };
    if (rec.Driver === 'bridge' && rec.Id) bridges.add(rec.Options?.['com.docker.network.bridge.name'] ?? `br-${rec.Id.slice(0, 12)}`);
  }
  for (const b of bridges) await run('ip', ['link', 'del', 'dev', b]);
}
