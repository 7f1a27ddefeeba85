import { UnavailableError } from '../core/errors.js';
import { parseAddressPool } from '../drivers/network/ipv4.js';
import type { Logger } from '../core/logger.js';
import type { ContainerRegistry } from '../engine/containers/container-registry.js';
import { hostNameservers } from '../engine/containers/etc-files.js';
import { ContainerEndpoints } from '../engine/networks/container-endpoints.js';
import { NetworkApi } from '../engine/networks/network-api.js';
import { DEFAULT_ADDRESS_POOLS, NetworkService } from '../engine/networks/network-service.js';
import type { DaemonOptions } from './daemon-options.js';
import { rootlessChildInfo } from './rootless.js';
import { checkUnprivilegedPort, SLIRP_GUEST_IP, SlirpForwarder } from '../drivers/network/slirp-forwarder.js';
import type { PublishEvent } from '../engine/events/event-types.js';

/** Berth's nft table: `berth` for the default bridge, `berth_<bridge>` for any other (one per daemon). */
export function nftTableFor(bridge: string): string {
  return bridge === 'berth0' ? 'berth' : `berth_${bridge.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** The network service, container endpoints and their API facade, from the daemon's flags. */
export async function buildNetworking(opts: DaemonOptions, registry: ContainerRegistry, log: Logger, publish: PublishEvent): Promise<{ networks: NetworkService; endpoints: ContainerEndpoints; api: NetworkApi }> {
  const n = opts.network;
  const networks = new NetworkService(opts.dataRoot, {
    bridge: n.bridge,
    bip: n.bip,
    fixedCidr: n.fixedCidr,
    ipv6: n.ipv6,
    fixedCidrV6: n.fixedCidrV6,
    addressPools: n.defaultAddressPools.length > 0 ? n.defaultAddressPools.map(parseAddressPool) : DEFAULT_ADDRESS_POOLS,
    iptables: n.iptables,
    ipForward: n.ipForward,
    mtu: n.mtu,
    nftTable: nftTableFor(n.bridge),
    firewallMode: n.firewallMode,
    containers: () => registry.all(),
    upstreams: await hostNameservers(),
  }, log);
  await networks.init();
  const rootless = rootlessChildInfo();
  const slirp = rootless?.slirpApi ? new SlirpForwarder(rootless.slirpApi, rootless.unprivilegedPortStart ?? 1024) : undefined;
  const hostForwarder = slirp
    ? { guestIp: SLIRP_GUEST_IP, check: (port: number, hostIp: string) => checkUnprivilegedPort(port, hostIp, slirp.unprivilegedStart), add: slirp.add.bind(slirp) }
    : rootless
      ? { guestIp: SLIRP_GUEST_IP, check: () => noSlirp(rootless.noSlirp), add: () => noSlirp(rootless.noSlirp) }
      : undefined;
  const endpoints = new ContainerEndpoints({ networks, execRoot: opts.execRoot, log, find: (ref) => registry.find(ref), save: (r) => registry.save(r), hostForwarder });
  return { networks, endpoints, api: new NetworkApi(networks, endpoints, publish, (ref) => registry.find(ref)?.Id ?? ref) };
}

/** A rootless daemon without slirp4netns cannot reach the host's ports: -p says so (and why) rather than bind unseen. */
function noSlirp(why: string | undefined): never {
  throw new UnavailableError(`rootless berthd publishes ports through slirp4netns, which it could not start: ${why ?? 'slirp4netns is not installed (apt-get install slirp4netns, then restart berthd)'}`);
}
