import { InvalidParameterError } from '../../core/errors.js';
import type { Filters } from '../../core/filters.js';
import type { ContainerEndpoints } from './container-endpoints.js';
import type { NetworkCreateRequest, NetworkService } from './network-service.js';
import type { EndpointSettings } from './network-types.js';
import type { DoctorFinding } from './subnet-guard.js';
import type { FirewallPublisher } from './firewall-publisher.js';
import type { PublishEvent } from '../events/event-types.js';

/**
 * What the `/networks` routes call: the network service plus container attachments, each change
 * announced as docker's `network` event (create, connect, disconnect, destroy).
 */
export class NetworkApi {
  constructor(
    private readonly networks: NetworkService,
    private readonly endpoints: ContainerEndpoints,
    private readonly publish: PublishEvent,
    /** A container's full ID from a name or ID, for the events' `container` attribute. */
    private readonly containerId: (ref: string) => string,
  ) {}

  private announce(action: string, ref: string, extra: Record<string, string> = {}): void {
    const n = this.networks.inspect(ref) as { Id?: string; Name?: string; Driver?: string };
    this.publish({ type: 'network', action, id: n.Id ?? ref, attributes: { name: n.Name ?? ref, type: n.Driver ?? 'bridge', ...extra } });
  }

  list(filters: Filters): Array<Record<string, unknown>> {
    return this.networks.list(filters);
  }

  inspect(ref: string): Record<string, unknown> {
    return this.networks.inspect(ref);
  }

  doctor(): Promise<DoctorFinding[]> {
    return this.networks.guard.doctor();
  }

  portAudit(): ReturnType<FirewallPublisher['audit']> {
    return this.networks.firewall.audit();
  }

  async create(body: NetworkCreateRequest, opts: { allowDuplicateName?: boolean } = {}): Promise<{ Id: string; Warning: string }> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidParameterError('network config must be a JSON object');
    const created = await this.networks.create(body, opts);
    this.announce('create', created.Id);
    return created;
  }

  async remove(ref: string): Promise<void> {
    const n = this.networks.inspect(ref) as { Id: string; Name: string; Driver?: string };
    await this.networks.remove(ref);
    this.publish({ type: 'network', action: 'destroy', id: n.Id, attributes: { name: n.Name, type: n.Driver ?? 'bridge' } });
  }

  async prune(filters: Filters): Promise<{ NetworksDeleted: string[] }> {
    const before = new Map(this.networks.list({}).map((n) => [n.Name as string, n.Id as string]));
    const pruned = await this.networks.prune(filters);
    for (const name of pruned.NetworksDeleted ?? []) this.publish({ type: 'network', action: 'destroy', id: before.get(name) ?? name, attributes: { name, type: 'bridge' } });
    return pruned;
  }

  async connect(ref: string, body: { Container?: string; EndpointConfig?: Partial<EndpointSettings> }): Promise<void> {
    if (!body.Container) throw new InvalidParameterError('a container name or ID is required');
    await this.endpoints.connect(ref, body.Container, body.EndpointConfig);
    this.announce('connect', ref, { container: this.containerId(body.Container) });
  }

  async disconnect(ref: string, body: { Container?: string; Force?: boolean }): Promise<void> {
    if (!body.Container) throw new InvalidParameterError('a container name or ID is required');
    await this.endpoints.disconnect(ref, body.Container);
    this.announce('disconnect', ref, { container: this.containerId(body.Container) });
  }
}
