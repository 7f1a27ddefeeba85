import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { InvalidParameterError, errnoCode } from '../core/errors.js';
import { LOG_LEVELS, type LogLevel } from '../core/logger.js';

export interface DaemonOptions {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  logLevel: LogLevel;
  configFile: string;
  storageDriver: string | undefined;
  defaultRuntime: string;
  debug: boolean;
}

export const DEFAULTS = {
  host: 'unix:///run/berth/berth.sock',
  dataRoot: '/var/lib/berth',
  execRoot: '/run/berth',
  configFile: '/etc/berth/daemon.json',
  defaultRuntime: 'crun',
} as const;

/** daemon.json keys Berth understands, with dockerd's names. Unknown keys are refused, as dockerd does. */
export interface ConfigFileValues {
  hosts?: string[] | undefined;
  'data-root'?: string | undefined;
  'exec-root'?: string | undefined;
  pidfile?: string | undefined;
  'log-level'?: LogLevel | undefined;
  'storage-driver'?: string | undefined;
  'default-runtime'?: string | undefined;
  debug?: boolean | undefined;
}

/**
 * zod costs berthd about 19 MB of memory once loaded, so it is loaded only when there is a
 * config file to check (most hosts run without one).
 */
async function configSchema() {
  const { z } = await import('zod');
  return z
    .object({
      hosts: z.array(z.string()).optional(),
      'data-root': z.string().optional(),
      'exec-root': z.string().optional(),
      pidfile: z.string().optional(),
      'log-level': z.enum(LOG_LEVELS as [LogLevel, ...LogLevel[]]).optional(),
      'storage-driver': z.string().optional(),
      'default-runtime': z.string().optional(),
      debug: z.boolean().optional(),
    })
    .strict();
}

export async function readConfigFile(path: string, required: boolean): Promise<ConfigFileValues> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' && !required) return {};
    throw new InvalidParameterError(`unable to read config file ${path}: ${(err as Error).message}`);
  }
  if (text.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidParameterError(`unable to parse config file ${path}: ${(err as Error).message}`);
  }
  const parsed = (await configSchema()).safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InvalidParameterError(`invalid config file ${path}: ${issues}`);
  }
  return parsed.data;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** dockerd's flags; values given on the command line win over the config file. */
export async function parseDaemonArgs(argv: string[]): Promise<DaemonOptions> {
  const program = new Command('berthd')
    .description('Berth container engine daemon (Docker Engine API on a Unix socket)')
    .option('-H, --host <socket>', 'daemon socket to listen on (unix:///path)', collect)
    .option('--data-root <dir>', `root of persistent state (default ${DEFAULTS.dataRoot})`)
    .option('--exec-root <dir>', `root of runtime state (default ${DEFAULTS.execRoot})`)
    .option('-p, --pidfile <file>', 'path of the daemon PID file (default <exec-root>/berthd.pid)')
    .addOption(new Option('-l, --log-level <level>', 'log level').choices(LOG_LEVELS))
    .option('--config-file <file>', `daemon configuration file (default ${DEFAULTS.configFile})`)
    .option('-s, --storage-driver <name>', 'storage driver: overlay2 or vfs (default: overlay2 when the host supports it)')
    .option('--default-runtime <name>', `default OCI runtime: crun or runc (default ${DEFAULTS.defaultRuntime})`)
    .option('-D, --debug', 'enable debug mode')
    .version('0.1.0', '-v, --version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.parse(argv, { from: 'user' });
  const flags = program.opts<{
    host?: string[];
    dataRoot?: string;
    execRoot?: string;
    pidfile?: string;
    logLevel?: LogLevel;
    configFile?: string;
    storageDriver?: string;
    defaultRuntime?: string;
    debug?: boolean;
  }>();
  const configFile = flags.configFile ?? DEFAULTS.configFile;
  const file = await readConfigFile(configFile, flags.configFile !== undefined);
  return mergeOptions(flags, file, configFile);
}

export function mergeOptions(
  flags: { host?: string[]; dataRoot?: string; execRoot?: string; pidfile?: string; logLevel?: LogLevel; storageDriver?: string; defaultRuntime?: string; debug?: boolean },
  file: ConfigFileValues,
  configFile: string,
): DaemonOptions {
  const execRoot = flags.execRoot ?? file['exec-root'] ?? DEFAULTS.execRoot;
  const debug = flags.debug ?? file.debug ?? false;
  const hosts = flags.host ?? file.hosts ?? [DEFAULTS.host];
  for (const h of hosts) {
    if (!h.startsWith('unix://')) throw new InvalidParameterError(`unsupported host "${h}": only unix:///path sockets are supported`);
  }
  return {
    hosts,
    dataRoot: flags.dataRoot ?? file['data-root'] ?? DEFAULTS.dataRoot,
    execRoot,
    pidfile: flags.pidfile ?? file.pidfile ?? `${execRoot}/berthd.pid`,
    logLevel: flags.logLevel ?? file['log-level'] ?? (debug ? 'debug' : 'info'),
    configFile,
    storageDriver: flags.storageDriver ?? file['storage-driver'],
    defaultRuntime: flags.defaultRuntime ?? file['default-runtime'] ?? DEFAULTS.defaultRuntime,
    debug,
  };
}
