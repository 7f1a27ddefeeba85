import { InvalidParameterError } from '../../core/errors.js';
import { queryBool } from '../http-context.js';

/** What a logs request asks for (docker's `GET /containers/{id}/logs` query), follow aside. */
export interface LogQuery {
  stdout: boolean;
  stderr: boolean;
  since?: number;
  until?: number;
  tail: number | 'all';
  timestamps: boolean;
  details: boolean;
}

/** Unix seconds (fractional) or an RFC 3339 time. */
function parseTime(v: string | null, name: string): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isNaN(n)) return n;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidParameterError(`invalid value for ${name}: "${v}"`);
  return t / 1000;
}

export function logQuery(query: URLSearchParams): LogQuery {
  const stdout = queryBool(query, 'stdout');
  const stderr = queryBool(query, 'stderr');
  if (!stdout && !stderr) throw new InvalidParameterError('Bad parameters: you must choose at least one stream');
  const tailRaw = query.get('tail');
  const tail = tailRaw === null || tailRaw === '' || tailRaw === 'all' ? 'all' : Number(tailRaw);
  if (tail !== 'all' && !Number.isInteger(tail)) throw new InvalidParameterError(`invalid value for tail: "${tailRaw}"`);
  const since = parseTime(query.get('since'), 'since');
  const until = parseTime(query.get('until'), 'until');
  return { stdout, stderr, ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}), tail, timestamps: queryBool(query, 'timestamps'), details: queryBool(query, 'details') };
}
