/**
 * Published ports of a rootless daemon (issue 23): its network namespace is reached from the host
 * only through slirp4netns, so each port is a slirp4netns host forward (host address:port →
 * 10.0.2.100:port on the namespace's tap0), asked for over slirp4netns's API socket.
 */
import { connect } from 'node:net';
import { InvalidParameterError, SystemError } from '../../core/errors.js';

/** Where slirp4netns delivers forwarded connections: the namespace's own tap0 address. */
export const SLIRP_GUEST_IP = '10.0.2.100';

/** One request per connection, one JSON answer, as slirp4netns's API (QMP-like) speaks it. */
function ask(api: string, request: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const s = connect(api);
    let text = '';
    s.on('connect', () => s.end(JSON.stringify(request)));
    s.on('data', (b: Buffer) => (text += b.toString()));
    s.on('error', (err) => reject(new SystemError(`slirp4netns API ${api}: ${err.message}`, { cause: err })));
    s.on('close', () => {
      try {
        resolve(JSON.parse(text) as Record<string, unknown>);
      } catch {
        reject(new SystemError(`slirp4netns API ${api} answered ${JSON.stringify(text)}`));
      }
    });
  });
}

/** A port below the host's ip_unprivileged_port_start cannot be bound by the user's slirp4netns. */
export function checkUnprivilegedPort(port: number, hostIp: string, unprivilegedStart: number): void {
  if (port !== 0 && port < unprivilegedStart) {
    const addr = hostIp === '' ? '0.0.0.0' : hostIp;
    throw new InvalidParameterError(
      `rootless berthd cannot publish ${addr}:${port}: ports below ${unprivilegedStart} need root (net.ipv4.ip_unprivileged_port_start=${unprivilegedStart} on this host); publish a port from ${unprivilegedStart} up (e.g. -p ${port + 8000 <= 65535 ? port + 8000 : 8080}:...), or, as root, sysctl -w net.ipv4.ip_unprivileged_port_start=${port}`,
    );
  }
}

export class SlirpForwarder {
  constructor(private readonly api: string, readonly unprivilegedStart: number) {}

  /** Forwards host hostIp:port to the namespace's tap0 at the same port; returns how to undo it. */
  async add(proto: 'tcp' | 'udp', hostIp: string, port: number): Promise<() => Promise<void>> {
    checkUnprivilegedPort(port, hostIp, this.unprivilegedStart);
    const answer = await ask(this.api, { execute: 'add_hostfwd', arguments: { proto, host_addr: hostIp === '' ? '0.0.0.0' : hostIp, host_port: port, guest_addr: SLIRP_GUEST_IP, guest_port: port } });
    const ret = answer.return as { id?: number } | undefined;
    if (ret?.id === undefined) {
      const desc = (answer.error as { desc?: string } | undefined)?.desc ?? JSON.stringify(answer);
      throw new SystemError(`cannot publish ${hostIp === '' ? '0.0.0.0' : hostIp}:${port}/${proto} on the host through slirp4netns: ${desc} (is the port taken on the host?)`);
    }
    const id = ret.id;
    return async () => {
      await ask(this.api, { execute: 'remove_hostfwd', arguments: { id } });
    };
  }
}
