import { ENGINE_ENDPOINTS } from './engine-endpoints.js';

interface Pattern {
  method: string;
  re: RegExp;
  params: number;
  name: string;
}

// Image names hold slashes, so `{name}` spans segments; every other parameter is one segment.
const PATTERNS: Pattern[] = ENGINE_ENDPOINTS.map(([method, path, operation]) => ({
  method,
  re: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{name\}/g, '.+').replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
  params: (path.match(/\{/g) ?? []).length,
  name: `${operation} (${method} ${path})`,
})).sort((a, b) => a.params - b.params);

/**
 * The Engine API endpoint a request is for, when Berth has no route for it: such requests answer
 * 501 naming the endpoint, so a client learns what is missing rather than "page not found".
 */
export function unimplementedEndpoint(method: string, path: string): string | undefined {
  const m = method === 'HEAD' ? ['HEAD', 'GET'] : [method];
  return PATTERNS.find((p) => m.includes(p.method) && p.re.test(path))?.name;
}
