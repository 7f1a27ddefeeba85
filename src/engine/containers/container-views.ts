import { humanDuration } from '../../core/human-units.js';
import { mountsView } from './container-mounts.js';
import type { ContainerRecord } from './container-types.js';

/** docker's `Status` text: `Up 5 minutes`, `Exited (0) 2 hours ago`, `Created`. */
export function statusText(r: ContainerRecord, now = Date.now()): string {
  const s = r.State;
  if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  if (s.Running) {
    const up = `Up ${humanDuration(now - Date.parse(s.StartedAt))}`;
    if (s.Paused) return `${up} (Paused)`;
    const health = s.Health?.Status;
    return health === 'starting' ? `${up} (health: starting)` : health ? `${up} (${health})` : up;
  }
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Dead) return 'Dead';
  if (s.Status === 'created' || s.StartedAt.startsWith('0001')) return 'Created';
  return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
}

/** The command column of `ps`: path and args joined, as docker shows it. */
export function commandText(r: ContainerRecord): string {
  return [r.Path, ...r.Args].join(' ');
}

export function summary(r: ContainerRecord, size?: { rw: number; rootFs: number }, linkNames: readonly string[] = []): Record<string, unknown> {
  return {
    Id: r.Id,
    Names: [r.Name, ...linkNames],
    Image: r.Config.Image,
    ImageID: r.Image,
    Command: commandText(r),
    Created: Math.floor(Date.parse(r.Created) / 1000),
    Ports: portsSummary(r),
    ...(size ? { SizeRw: size.rw, SizeRootFs: size.rootFs } : {}),
    Labels: r.Config.Labels ?? {},
    State: r.State.Status,
    Status: statusText(r),
    HostConfig: { NetworkMode: r.HostConfig.NetworkMode },
    NetworkSettings: { Networks: r.NetworkSettings?.Networks ?? {} },
    Mounts: mountsView(r),
  };
}

/**
 * Where an endpoint on a user-defined network lists the container's short ID and hostname among
 * its aliases: `never` (today's dockerd: DNSNames has them), `always` (Docker 25/26), or `joined`,
 * only once the container has joined that network (dockerd 20.10). The API layer picks by version.
 */
export type IdAliases = 'never' | 'always' | 'joined';

export function inspectView(r: ContainerRecord, graphDriver: { Name: string; Data: Record<string, string> }, sizes?: { rw: number; rootFs: number }, idAliases: IdAliases = 'never'): Record<string, unknown> {
  return {
    Id: r.Id,
    Created: r.Created,
    Path: r.Path,
    Args: r.Args,
    State: r.State,
    Image: r.Image,
    ResolvConfPath: r.ResolvConfPath,
    HostnamePath: r.HostnamePath,
    HostsPath: r.HostsPath,
    LogPath: r.LogPath,
    Name: r.Name,
    RestartCount: r.RestartCount,
    Driver: r.Driver,
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: r.ExecIDs,
    ...(r.LastExit && !r.State.Running ? { BerthLastExit: r.LastExit } : {}),
    HostConfig: r.HostConfig,
    GraphDriver: graphDriver,
    ...(sizes ? { SizeRw: sizes.rw, SizeRootFs: sizes.rootFs } : {}),
    Mounts: mountsView(r),
    Config: r.Config,
    NetworkSettings: networkSettingsView(r, idAliases),
  };
}

/** inspect's NetworkSettings: the record's endpoints, with the default bridge's repeated at the top as docker does. */
function networkSettingsView(r: ContainerRecord, idAliases: IdAliases): Record<string, unknown> {
  const ns = r.NetworkSettings;
  const bridge = ns?.Networks.bridge;
  const running = r.State.Running;
  return {
    Bridge: '',
    SandboxID: running && ns?.SandboxKey ? r.Id : '',
    SandboxKey: running ? (ns?.SandboxKey ?? '') : '',
    Ports: running ? (ns?.Ports ?? {}) : {},
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: bridge?.EndpointID ?? '',
    Gateway: bridge?.Gateway ?? '',
    GlobalIPv6Address: bridge?.GlobalIPv6Address ?? '',
    GlobalIPv6PrefixLen: bridge?.GlobalIPv6PrefixLen ?? 0,
    IPAddress: bridge?.IPAddress ?? '',
    IPPrefixLen: bridge?.IPPrefixLen ?? 0,
    IPv6Gateway: bridge?.IPv6Gateway ?? '',
    MacAddress: bridge?.MacAddress ?? '',
    Networks: idAliases === 'never' ? (ns?.Networks ?? {}) : withIdAliases(r, idAliases),
  };
}

/**
 * The short ID and hostname added to the aliases of each user-defined network's endpoint. With
 * `joined`, only where the container has joined: compose v1 reconnects a container that has not,
 * and passes its links in doing so.
 */
function withIdAliases(r: ContainerRecord, idAliases: 'always' | 'joined'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const joined = r.NetworkSettings?.Joined ?? [];
  for (const [name, ep] of Object.entries(r.NetworkSettings?.Networks ?? {})) {
    const user = !['bridge', 'host', 'none'].includes(name) && (idAliases === 'always' || joined.includes(name) || r.State.Running);
    out[name] = user ? { ...ep, Aliases: [...new Set([...(ep.Aliases ?? []), r.Id.slice(0, 12), r.Config.Hostname].filter((a) => a !== ''))] } : ep;
  }
  return out;
}

/** ps's Ports: one row per published binding, exposed-only ports without a public side. */
export function portsSummary(r: ContainerRecord): Array<Record<string, unknown>> {
  if (!r.State.Running) return [];
  const out: Array<Record<string, unknown>> = [];
  for (const [key, list] of Object.entries(r.NetworkSettings?.Ports ?? {})) {
    const [port, type = 'tcp'] = key.split('/');
    if (!list || list.length === 0) out.push({ PrivatePort: Number(port), Type: type });
    else for (const b of list) out.push({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type });
  }
  return out;
}
