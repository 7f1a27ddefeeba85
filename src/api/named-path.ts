import { NotFoundError } from '../core/errors.js';

/**
 * Splits the wildcard rest of `/images/*` or `/plugins/*` into a name that may hold `/` and `:`
 * (`localhost:5000/x`, `vieux/sshfs:latest`) and the action after its last `/`; `DELETE` names
 * the object alone. An action not in `actions` is no endpoint (404 page not found). `rest` comes
 * percent-decoded from the router: decoding it again would turn `%25` into a URIError.
 */
export function splitNamedPath<A extends string>(rest: string, method: string, actions: readonly A[]): { name: string; action: A | 'delete' } {
  if (method === 'DELETE') return { name: rest, action: 'delete' };
  const slash = rest.lastIndexOf('/');
  const action = rest.slice(slash + 1);
  if (slash <= 0 || !(actions as readonly string[]).includes(action)) throw new NotFoundError('page not found');
  return { name: rest.slice(0, slash), action: action as A };
}
