#!/usr/bin/env node
import { createLogger } from '../core/logger.js';
import { errorMessage } from '../core/errors.js';
import { EarlyExit, parseDaemonArgs, readConfigFile } from '../daemon/daemon-options.js';
import { startDaemon } from '../daemon/daemon.js';
import { join } from 'node:path';
import { prepareRootlessNamespaces, rootlessChildInfo, runRootless, watchLauncher } from '../daemon/rootless.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const rootless = rootlessChildInfo();
  // An ordinary user's berthd is rootless by itself: it re-runs inside its user namespace.
  // --help and --version need no namespace.
  if (process.geteuid?.() !== 0 && rootless === undefined && !argv.some((a) => /^(-h|--help|-v|--version)$/.test(a))) {
    try {
      process.exit(await runRootless(argv, (line) => process.stderr.write(`${line}\n`)));
    } catch (err) {
      process.stderr.write(`berthd: ${errorMessage(err)}\n`);
      process.exit(125);
    }
  }
  let opts;
  try {
    opts = await parseDaemonArgs(argv, rootless);
  } catch (err) {
    if (err instanceof EarlyExit) {
      process.stdout.write(err.output);
      process.exit(0);
    }
    process.stderr.write(`berthd: ${errorMessage(err)}\n`);
    process.exit(125);
  }
  const log = createLogger(opts.logLevel);
  let daemon: Awaited<ReturnType<typeof startDaemon>> | undefined;
  let stopping = false;
  let pending: string | undefined;
  const shutdown = (signal: string): void => {
    // The API answers before startDaemon returns (the CRI and the dashboard come after it): a
    // signal in between waits for the start to end, then stops what started, instead of Node's
    // default death that would leave the socket, pidfile and lock behind.
    if (!daemon) {
      pending ??= signal;
      return;
    }
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    void daemon.stop().then(() => process.exit(0), (err: unknown) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    if (rootless) await prepareRootlessNamespaces(opts.execRoot, rootless);
    // The dashboard's files (npm run build): dist/ui beside dist/src/bin, bundled or not.
    daemon = await startDaemon(opts, log, { uiAssets: join(import.meta.dirname, '../../ui') });
  } catch (err) {
    log.fatal({ err }, 'berthd failed to start');
    process.stderr.write(`berthd: failed to start: ${errorMessage(err)}\n`);
    process.exit(1);
  }
  if (rootless) watchLauncher(() => shutdown('launcher gone'));
  if (pending) shutdown(pending);
  process.on('SIGHUP', () => {
    void readConfigFile(opts.configFile, false).then(
      (file) => {
        const level = file['log-level'] ?? (file.debug ? 'debug' : opts.logLevel);
        // Said before the change, so that the line is kept even when the new level hides info.
        log.info({ configFile: opts.configFile, logLevel: level }, 'configuration reloaded');
        log.level = level;
        daemon.reloaded({ 'log-level': level, 'config-file': opts.configFile });
      },
      (err: unknown) => log.error({ err }, 'configuration reload failed; keeping the current one'),
    );
  });
}

void main();
