import { resolve } from 'node:path';
import { createLogger } from '../core/logger.js';
import { errorMessage } from '../core/errors.js';
import { RegistryAuth } from './registry-auth.js';
import { collectRegistryGarbage } from './registry-gc.js';
import { parseServeArgs, SERVE_USAGE } from './registry-options.js';
import { RegistryServer } from './registry-server.js';
import { RegistryStorage } from './registry-storage.js';

const USAGE = `Usage: berth registry COMMAND

Commands:
  serve    Run Berth's image registry
  gc       Remove blobs no manifest references (run it while the registry is stopped)
`;

/** `berth registry serve|gc` (started by the CLI as its own process). Returns the exit status. */
export async function registryMain(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'serve') {
      if (rest.includes('--help') || rest.includes('-h')) return print(SERVE_USAGE, 0);
      await serve(rest);
      return -1;
    }
    if (cmd === 'gc') {
      const root = rest[rest.indexOf('--root') + 1];
      if (!rest.includes('--root') || !root) return print('Usage: berth registry gc --root DIR\n', 125);
      const storage = new RegistryStorage(resolve(root));
      await storage.init();
      const r = await collectRegistryGarbage(storage, 0);
      process.stdout.write(`removed ${r.removedBlobs} blobs, ${r.freedBytes} bytes freed\n`);
      return 0;
    }
    return print(USAGE, cmd === undefined || cmd === '--help' ? 0 : 125);
  } catch (err) {
    const hint = (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? `\nSee 'berth registry ${cmd ?? ''} --help'.` : '';
    process.stderr.write(`berth registry: ${errorMessage(err)}${hint}\n`);
    return 125;
  }
}

function print(text: string, code: number): number {
  (code === 0 ? process.stdout : process.stderr).write(text);
  return code;
}

async function serve(argv: string[]): Promise<void> {
  const opts = parseServeArgs(argv);
  const log = createLogger(opts.logLevel, 'berth-registry');
  const root = resolve(opts.root);
  const auth = await RegistryAuth.create(opts.auth, opts.htpasswd, opts.publicRepos, root);
  const registry = new RegistryServer({ root, auth, ...(opts.tls ? { tls: opts.tls } : {}), ...(opts.rateLimit ? { rateLimit: opts.rateLimit } : {}), uploadTtlMs: opts.uploadTtlMs, log });
  const server = await registry.createServer();
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, opts.host, () => ok());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const hostPart = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  process.stdout.write(`berth registry listening on ${opts.tls ? 'https' : 'http'}://${hostPart}:${port}\n`);
  const sweep = async (): Promise<void> => {
    const uploads = await registry.uploads.sweep();
    if (uploads) log.info({ uploads }, 'expired upload sessions removed');
  };
  const sweepTimer = setInterval(() => void sweep().catch((err: unknown) => log.error({ err }, 'upload sweep failed')), Math.min(opts.uploadTtlMs, 600_000) / 2 || 1000);
  sweepTimer.unref();
  await sweep();
  if (opts.gcIntervalMs > 0) {
    // The grace period keeps blobs of pushes still in progress.
    const gc = (): Promise<void> => collectRegistryGarbage(registry.storage, Math.max(opts.gcIntervalMs, 3_600_000)).then((r) => log.info(r, 'garbage collected'));
    setInterval(() => void gc().catch((err: unknown) => log.error({ err }, 'gc failed')), opts.gcIntervalMs).unref();
  }
  const stop = (): void => {
    clearInterval(sweepTimer);
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
