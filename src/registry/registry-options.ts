import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { InvalidParameterError } from '../core/errors.js';
import type { AuthMode } from './registry-auth.js';

export interface ServeOptions {
  host: string;
  port: number;
  root: string;
  tls?: { cert: string; key: string };
  auth: AuthMode;
  htpasswd?: string;
  publicRepos: string[];
  rateLimit?: number;
  uploadTtlMs: number;
  gcIntervalMs: number;
  logLevel: string;
}

export const SERVE_USAGE = `Usage: berth registry serve --root DIR [OPTIONS]

Run Berth's image registry (OCI distribution spec v1.1)

Options:
      --listen HOST:PORT         address to listen on (default 127.0.0.1:5000; port 0 picks a free one)
      --root DIR                 where blobs, manifests and uploads are kept (required)
      --tls-cert FILE            serve HTTPS with this certificate (with --tls-key)
      --tls-key FILE             the certificate's private key
      --auth MODE                none (default), htpasswd:FILE (basic auth) or token:FILE (bearer tokens
                                 from /token, accounts from the bcrypt htpasswd FILE)
      --public PATTERN           repositories anyone may pull without signing in (glob, repeatable)
      --insecure                 allow plain HTTP on a non-loopback address
      --rate-limit BYTES         cap on bytes sent per second (e.g. 20M)
      --upload-expiry SECONDS    remove upload sessions idle this long (default 86400)
      --gc-interval SECONDS      collect unreferenced blobs this often (default 3600; 0 = never)
      --log-level LEVEL          debug|info|warn|error (default info)
`;

export function parseSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMgG]?)[bB]?$/.exec(value);
  if (!m) throw new InvalidParameterError(`invalid size "${value}": use bytes, or a number with k, M or G`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(m[1]) * mult);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
}

export function parseServeArgs(argv: string[]): ServeOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      listen: { type: 'string' },
      root: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      auth: { type: 'string' },
      public: { type: 'string', multiple: true },
      insecure: { type: 'boolean' },
      'rate-limit': { type: 'string' },
      'upload-expiry': { type: 'string' },
      'gc-interval': { type: 'string' },
      'log-level': { type: 'string' },
    },
  });
  if (!values.root) throw new InvalidParameterError('--root DIR is required: the directory the registry keeps its content in');
  const listen = values.listen ?? '127.0.0.1:5000';
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  if (!m) throw new InvalidParameterError(`invalid --listen "${listen}": use HOST:PORT`);
  const host = m[1] ?? (m[2] || '0.0.0.0');
  const port = Number(m[3]);
  if (port > 65535) throw new InvalidParameterError(`invalid port ${port}`);
  if (!!values['tls-cert'] !== !!values['tls-key']) throw new InvalidParameterError('--tls-cert and --tls-key go together');
  const tls = values['tls-cert'] && values['tls-key'] ? { cert: values['tls-cert'], key: values['tls-key'] } : undefined;
  if (!tls && !isLoopback(host) && !values.insecure) {
    throw new InvalidParameterError(`refusing to serve plain HTTP on ${host}: give --tls-cert/--tls-key, listen on 127.0.0.1, or pass --insecure`);
  }
  const authArg = values.auth ?? 'none';
  const am = /^(none|htpasswd|token)(?::(.+))?$/.exec(authArg);
  if (!am || (am[1] !== 'none' && !am[2])) throw new InvalidParameterError(`invalid --auth "${authArg}": use none, htpasswd:FILE or token:FILE`);
  const seconds = (v: string | undefined, d: number, name: string): number => {
    if (v === undefined) return d * 1000;
    if (!/^\d+$/.test(v)) throw new InvalidParameterError(`invalid ${name} "${v}": use whole seconds`);
    return Number(v) * 1000;
  };
  return {
    host,
    port,
    root: values.root,
    ...(tls ? { tls } : {}),
    auth: am[1] === 'none' ? 'none' : am[1] === 'htpasswd' ? 'basic' : 'token',
    ...(am[2] ? { htpasswd: am[2] } : {}),
    publicRepos: values.public ?? [],
    ...(values['rate-limit'] ? { rateLimit: parseSize(values['rate-limit']) } : {}),
    uploadTtlMs: seconds(values['upload-expiry'], 86400, '--upload-expiry'),
    gcIntervalMs: seconds(values['gc-interval'], 3600, '--gc-interval'),
    logLevel: values['log-level'] ?? 'info',
  };
}
