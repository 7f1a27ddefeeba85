import { InvalidParameterError } from '../../core/errors.js';
import type { Filters } from '../images/image-filters.js';
import type { ContainerEndpoints } from './container-endpoints.js';
import type { NetworkCreateRequest, NetworkService } from './network-service.js';
import type { EndpointSettings } from './network-types.js';

/** What the `/networks` routes call: the network service plus container attachments. */
export class NetworkApi {
  constructor(private readonly networks: NetworkService, private readonly endpoints: ContainerEndpoints) {}

  list(filters: Filters): Array<Record<string, unknown>> {
    return this.networks.list(filters);
  }

  inspect(ref: string): Record<string, unknown> {
    return this.networks.inspect(ref);
  }

  create(body: NetworkCreateRequest): Promise<{ Id: string; Warning: string }> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidParameterError('network config must be a JSON object');
    return this.networks.create(body);
  }

  remove(ref: string): Promise<void> {
    return this.networks.remove(ref);
  }

  prune(filters: Filters): Promise<{ NetworksDeleted: string[] }> {
    return this.networks.prune(filters);
  }

  connect(ref: string, body: { Container?: string; EndpointConfig?: Partial<EndpointSettings> }): Promise<void> {
    if (!body.Container) throw new InvalidParameterError('a container name or ID is required');
    return this.endpoints.connect(ref, body.Container, body.EndpointConfig);
  }

  disconnect(ref: string, body: { Container?: string; Force?: boolean }): Promise<void> {
    if (!body.Container) throw new InvalidParameterError('a container name or ID is required');
    return this.endpoints.disconnect(ref, body.Container);
  }
}
