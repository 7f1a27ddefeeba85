/**
 * Finds the route of a request path: a tree of path segments per method, where a static
 * segment wins over a `:param`, and a `:param` over a trailing `*`, trying the next choice when
 * a branch leads nowhere. One trailing slash is ignored, matching is case-sensitive, and params
 * come percent-decoded (a `%2F` stays inside its segment).
 *
 * Written here rather than taken from find-my-way, whose semantics it keeps for the Engine
 * API's ~60 patterns: that library and its regular-expression safety checker were 17 % of the
 * daemon's code and about 2 MiB of its idle memory (bench/container-run), for features (regexp
 * params, constraints, versioning) the Engine API does not use.
 */

/** Longer params are refused as find-my-way refused them: no ID or name is that long. */
const MAX_PARAM_LENGTH = 2048;

interface Leaf<T> {
  value: T;
  /** The names of the `:params` on the way, then `*` for a wildcard. */
  names: string[];
}

interface Node<T> {
  statics: Map<string, Node<T>>;
  param?: Node<T>;
  leaf?: Leaf<T>;
  wildcard?: Leaf<T>;
}

export interface RouteMatch<T> {
  value: T;
  params: Record<string, string>;
}

function newNode<T>(): Node<T> {
  return { statics: new Map() };
}

export class Router<T> {
  private readonly roots = new Map<string, Node<T>>();

  /** Adds `pattern` (e.g. `/containers/:id/json`, `/images/*`); a pattern added twice is a bug. */
  add(method: string, pattern: string, value: T): void {
    let node = this.roots.get(method);
    if (!node) this.roots.set(method, (node = newNode()));
    const names: string[] = [];
    const segments = pattern.slice(1).split('/');
    for (const [i, segment] of segments.entries()) {
      if (segment === '*') {
        if (i !== segments.length - 1) throw new Error(`route ${pattern}: * must be the last segment`);
        if (node.wildcard) throw new Error(`route ${method} ${pattern} is defined twice`);
        node.wildcard = { value, names: [...names, '*'] };
        return;
      }
      if (segment.startsWith(':')) {
        names.push(segment.slice(1));
        node = node.param ??= newNode();
      } else {
        let next = node.statics.get(segment);
        if (!next) node.statics.set(segment, (next = newNode()));
        node = next;
      }
    }
    if (node.leaf) throw new Error(`route ${method} ${pattern} is defined twice`);
    node.leaf = { value, names };
  }

  find(method: string, path: string): RouteMatch<T> | undefined {
    const root = this.roots.get(method);
    if (!root || !path.startsWith('/')) return undefined;
    const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    let segments: string[];
    try {
      segments = trimmed.slice(1).split('/').map(decodeURIComponent);
    } catch {
      return undefined; // malformed percent-encoding: no route has it
    }
    const values: string[] = [];
    const leaf = walk(root, segments, 0, values);
    if (!leaf) return undefined;
    const params: Record<string, string> = {};
    leaf.names.forEach((name, i) => (params[name] = values[i] ?? ''));
    return { value: leaf.value, params };
  }
}

function walk<T>(node: Node<T>, segments: string[], i: number, values: string[]): Leaf<T> | undefined {
  if (i === segments.length) return node.leaf;
  const segment = segments[i] as string;
  const next = node.statics.get(segment);
  if (next) {
    const found = walk(next, segments, i + 1, values);
    if (found) return found;
  }
  if (node.param && segment.length <= MAX_PARAM_LENGTH) {
    values.push(segment);
    const found = walk(node.param, segments, i + 1, values);
    if (found) return found;
    values.pop();
  }
  if (node.wildcard) {
    values.push(segments.slice(i).join('/'));
    return node.wildcard;
  }
  return undefined;
}
