import { rootlessChildInfo } from './rootless.js';
import { chmod, chown, mkdir, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { Server as TlsServer } from 'node:tls';
import { tls as nodeTls } from '../core/node-builtins.js';
import { join } from 'node:path';
import type { Logger } from '../core/logger.js';
import { InvalidParameterError } from '../core/errors.js';
import type { DaemonOptions } from './daemon-options.js';

/** The group whose members may use the socket (created by scripts/install.sh). */
export const SOCKET_GROUP = 'berth';

export async function groupId(name: string, groupFile = '/etc/group'): Promise<number | undefined> {
  const text = await readFile(groupFile, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [group, , gid] = line.split(':');
    if (group === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}

function listen(server: Server | TlsServer, ...args: [string] | [number, string]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (args.length === 1) server.listen(args[0], done);
    else server.listen(args[0], args[1], done);
  });
}

export interface Listener {
  close(): Promise<void>;
}

/**
 * Serves the API on every -H: Unix sockets are root:berth 0660 (root-only when the group does
 * not exist, said in the log), TCP only over TLS with client certificates checked against the CA.
 */
export async function listenAll(server: Server, opts: Pick<DaemonOptions, 'hosts' | 'tls'>, log: Logger): Promise<Listener[]> {
  const out: Listener[] = [];
  try {
    for (const host of opts.hosts) {
      if (host.startsWith('unix://')) out.push(await listenUnix(server, host.slice('unix://'.length), log));
      else out.push(await listenTls(server, host, opts.tls, log));
    }
  } catch (err) {
    for (const l of out) await l.close().catch(() => undefined);
    throw err;
  }
  return out;
}

async function listenUnix(server: Server, path: string, log: Logger): Promise<Listener> {
  await mkdir(join(path, '..'), { recursive: true });
  // The data-root lock guarantees no live daemon of this data root owns it; a stale socket blocks listen.
  await rm(path, { force: true });
  await listen(server, path);
  await chmod(path, 0o660);
  // A rootless daemon's socket is its user's alone: group berth would be a sub-ID there.
  if (rootlessChildInfo()) {
    log.info({ socket: path }, 'API listening');
    return unixListener(server, path);
  }
  const gid = await groupId(SOCKET_GROUP);
  if (gid !== undefined) await chown(path, 0, gid).catch((err: unknown) => log.warn({ err, socket: path }, 'cannot give the socket to group berth'));
  else log.info({ socket: path }, `group "${SOCKET_GROUP}" does not exist: the socket is root-only (0660); create the group (groupadd ${SOCKET_GROUP}) to let its members use Berth`);
  log.info({ socket: path }, 'API listening');
  return unixListener(server, path);
}

function unixListener(server: Server, path: string): Listener {
  return {
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await rm(path, { force: true });
    },
  };
}

async function listenTls(server: Server, host: string, tls: DaemonOptions['tls'], log: Logger): Promise<Listener> {
  if (!tls?.verify || !tls.ca || !tls.cert || !tls.key) throw new InvalidParameterError(`refusing to listen on ${host} without client certificate verification`);
  const m = /^tcp:\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(host);
  if (!m) throw new InvalidParameterError(`invalid host "${host}"`);
  const [ca, cert, key] = await Promise.all([readFile(tls.ca), readFile(tls.cert), readFile(tls.key)]);
  const sockets = new Set<import('node:tls').TLSSocket>();
  // TLS in front, the same HTTP server behind: one set of routes, hijack included.
  const tlsServer = nodeTls().createServer({ ca, cert, key, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2', handshakeTimeout: 10_000 }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    server.emit('connection', socket);
  });
  tlsServer.on('tlsClientError', (err) => log.debug({ err: err.message, host }, 'TLS client refused'));
  await listen(tlsServer, Number(m[2]), m[1] as string);
  log.info({ host }, 'API listening (TLS, client certificates required)');
  return {
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    },
  };
}

/**
 * The dashboard's listener (`--ui`): plain HTTP on loopback (or with --ui-insecure), else TLS
 * with the daemon's --tlscert/--tlskey; browsers present no client certificate, the login token
 * is the credential. Port 0 takes a free port: the URL names the one bound.
 */
export async function listenDashboard(server: Server, ui: NonNullable<DaemonOptions['ui']>, log: Logger): Promise<Listener & { url: string }> {
  let outer: Server | TlsServer = server;
  if (ui.tls) {
    const [cert, key] = await Promise.all([readFile(ui.tls.cert), readFile(ui.tls.key)]);
    outer = nodeTls().createServer({ cert, key, minVersion: 'TLSv1.2', handshakeTimeout: 10_000 }, (socket) => server.emit('connection', socket));
  }
  await listen(outer, ui.port, ui.host);
  const address = outer.address();
  const port = typeof address === 'object' && address ? address.port : ui.port;
  const url = `${ui.tls ? 'https' : 'http'}://${ui.host.includes(':') ? `[${ui.host}]` : ui.host}:${port}/`;
  log.info({ url }, 'dashboard listening (berth ui prints its login URL)');
  return {
    url,
    async close() {
      await new Promise<void>((resolve) => {
        outer.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
