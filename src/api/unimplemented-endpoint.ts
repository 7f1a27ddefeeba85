import { NotFoundError, NotImplementedError, UnavailableError } from '../core/errors.js';
import { ENGINE_ENDPOINTS } from './engine-endpoints.js';

interface Pattern {
  method: string;
  re: RegExp;
  params: number;
  operation: string;
  name: string;
}

// Image names hold slashes, so `{name}` spans segments; every other parameter is one segment.
const PATTERNS: Pattern[] = ENGINE_ENDPOINTS.map(([method, path, operation]) => ({
  method,
  re: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{name\}/g, '(.+)').replace(/\{[^}]+\}/g, '([^/]+)')}/?$`),
  params: (path.match(/\{/g) ?? []).length,
  operation,
  name: `${operation} (${method} ${path})`,
})).sort((a, b) => a.params - b.params);

const SWARM_OPERATION = /^(Swarm|Node|Service|Task|Secret|Config)[A-Z]/;
/** dockerd's words (ErrNoSwarm), which clients match. */
const NOT_IN_SWARM = 'This node is not part of a swarm. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

/**
 * The error for a request Berth has no route for, when it is an Engine API endpoint: 501 naming
 * the endpoint, so a client learns what is missing rather than "page not found". Inspecting one
 * object of a kind Berth does not have (a network, a plugin, a swarm service...) is 404 instead:
 * no such object exists, and `docker inspect NAME` probes every kind and needs "not found" to go on.
 * What a swarm manages is 503 "not part of a swarm", as from a dockerd that is in none.
 */
export function unimplementedEndpointError(method: string, path: string): Error | undefined {
  const methods = method === 'HEAD' ? ['HEAD', 'GET'] : [method];
  for (const p of PATTERNS) {
    if (!methods.includes(p.method)) continue;
    const m = p.re.exec(path);
    if (!m) continue;
    // A daemon that is in no swarm answers so for everything a swarm manages (docker-py's
    // network tests leave the swarm in their tearDown and expect exactly this).
    if (SWARM_OPERATION.test(p.operation) && p.operation !== 'SwarmInit' && p.operation !== 'SwarmJoin') return new UnavailableError(NOT_IN_SWARM);
    const missing = `${p.name} is not implemented by this Berth version`;
    if (p.params > 0 && p.method === 'GET' && p.operation.endsWith('Inspect') && p.operation !== 'DistributionInspect') {
      const kind = p.operation.replace(/Inspect$/, '').toLowerCase();
      return new NotFoundError(`${kind} ${m[1] ?? ''} not found: ${missing}`);
    }
    return new NotImplementedError(missing);
  }
  return undefined;
}
