#!/usr/bin/env node
import { createLogger } from '../core/logger.js';
import { errorMessage } from '../core/errors.js';
import { EarlyExit, parseDaemonArgs, readConfigFile } from '../daemon/daemon-options.js';
import { startDaemon } from '../daemon/daemon.js';
import { join } from 'node:path';

async function main(): Promise<void> {
  let opts;
  try {
    opts = await parseDaemonArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof EarlyExit) {
      process.stdout.write(err.output);
      process.exit(0);
    }
    process.stderr.write(`berthd: ${errorMessage(err)}\n`);
    process.exit(125);
  }
  const log = createLogger(opts.logLevel);
  let daemon;
  try {
    // The dashboard's files (npm run build): dist/ui beside dist/src/bin, bundled or not.
    daemon = await startDaemon(opts, log, { uiAssets: join(import.meta.dirname, '../../ui') });
  } catch (err) {
    log.fatal({ err }, 'berthd failed to start');
    process.stderr.write(`berthd: failed to start: ${errorMessage(err)}\n`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string): void => {
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
