import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
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
  cgroupParent: string;
  debug: boolean;
  insecureRegistries: string[];
  registryMirrors: string[];
}

export const DEFAULTS = {
  host: 'unix:///run/berth/berth.sock',
  dataRoot: '/var/lib/berth',
  execRoot: '/run/berth',
  configFile: '/etc/berth/daemon.json',
  defaultRuntime: 'crun',
  cgroupParent: '/berth',
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
  'cgroup-parent'?: string | undefined;
  debug?: boolean | undefined;
  'insecure-registries'?: string[] | undefined;
  'registry-mirrors'?: string[] | undefined;
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
      'cgroup-parent': z.string().optional(),
      debug: z.boolean().optional(),
      'insecure-registries': z.array(z.string()).optional(),
      'registry-mirrors': z.array(z.string()).optional(),
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

const USAGE = `Usage: berthd [OPTIONS]

Berth container engine daemon (Docker Engine API on a Unix socket)

Options:
  -H, --host unix:///PATH        daemon socket to listen on (repeatable; default ${DEFAULTS.host})
      --data-root DIR            root of persistent state (default ${DEFAULTS.dataRoot})
      --exec-root DIR            root of runtime state (default ${DEFAULTS.execRoot})
  -p, --pidfile FILE             daemon PID file (default <exec-root>/berthd.pid)
  -l, --log-level LEVEL          ${LOG_LEVELS.join('|')} (default info)
      --config-file FILE         daemon configuration file (default ${DEFAULTS.configFile})
  -s, --storage-driver NAME      overlay2 or vfs (default: overlay2 when the host supports it)
      --default-runtime NAME     crun or runc (default ${DEFAULTS.defaultRuntime})
      --cgroup-parent PATH       parent cgroup of every container (default ${DEFAULTS.cgroupParent})
  -D, --debug                    enable debug mode
      --insecure-registry HOST   registry (host:port or CIDR) allowed over HTTP or unverified TLS (repeatable;
                                 127.0.0.0/8 always is)
      --registry-mirror URL      Docker Hub mirror tried first for docker.io pulls (repeatable)
  -v, --version                  print the version and quit
  -h, --help                     print this help
`;

/** What `main` should do instead of starting the daemon. */
export class EarlyExit extends Error {
  constructor(readonly output: string) {
    super(output);
    this.name = 'EarlyExit';
  }
}

/** dockerd's flags; values given on the command line win over the config file. */
export async function parseDaemonArgs(argv: string[]): Promise<DaemonOptions> {
  let values;
  try {
    // Node's own parser: berthd keeps its resident size small, and needs no CLI framework.
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        host: { type: 'string', short: 'H', multiple: true },
        'data-root': { type: 'string' },
        'exec-root': { type: 'string' },
        pidfile: { type: 'string', short: 'p' },
        'log-level': { type: 'string', short: 'l' },
        'config-file': { type: 'string' },
        'storage-driver': { type: 'string', short: 's' },
        'default-runtime': { type: 'string' },
        'cgroup-parent': { type: 'string' },
        debug: { type: 'boolean', short: 'D' },
        'insecure-registry': { type: 'string', multiple: true },
        'registry-mirror': { type: 'string', multiple: true },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new InvalidParameterError(`${(err as Error).message}\nSee 'berthd --help'.`);
  }
  if (values.help) throw new EarlyExit(USAGE);
  if (values.version) throw new EarlyExit('Berth daemon version 0.1.0\n');
  const level = values['log-level'];
  if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new InvalidParameterError(`invalid log level "${level}": use one of ${LOG_LEVELS.join(', ')}`);
  }
  const flags = {
    ...(values.host ? { host: values.host } : {}),
    ...(values['data-root'] !== undefined ? { dataRoot: values['data-root'] } : {}),
    ...(values['exec-root'] !== undefined ? { execRoot: values['exec-root'] } : {}),
    ...(values.pidfile !== undefined ? { pidfile: values.pidfile } : {}),
    ...(level !== undefined ? { logLevel: level as LogLevel } : {}),
    ...(values['storage-driver'] !== undefined ? { storageDriver: values['storage-driver'] } : {}),
    ...(values['default-runtime'] !== undefined ? { defaultRuntime: values['default-runtime'] } : {}),
    ...(values['cgroup-parent'] !== undefined ? { cgroupParent: values['cgroup-parent'] } : {}),
    ...(values.debug !== undefined ? { debug: values.debug } : {}),
    ...(values['insecure-registry'] ? { insecureRegistries: values['insecure-registry'] } : {}),
    ...(values['registry-mirror'] ? { registryMirrors: values['registry-mirror'] } : {}),
  };
  const configFile = values['config-file'] ?? DEFAULTS.configFile;
  const file = await readConfigFile(configFile, values['config-file'] !== undefined);
  return mergeOptions(flags, file, configFile);
}

/** An absolute cgroup path without `..`: it is joined under every controller's mount. */
function checkCgroupParent(path: string): string {
  if (!/^\/[A-Za-z0-9_.\/-]*$/.test(path) || path.split('/').includes('..')) {
    throw new InvalidParameterError(`invalid cgroup parent "${path}": use an absolute path like /berth`);
  }
  return path;
}

export function mergeOptions(
  flags: { host?: string[]; dataRoot?: string; execRoot?: string; pidfile?: string; logLevel?: LogLevel; storageDriver?: string; defaultRuntime?: string; cgroupParent?: string; debug?: boolean; insecureRegistries?: string[]; registryMirrors?: string[] },
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
    cgroupParent: checkCgroupParent(flags.cgroupParent ?? file['cgroup-parent'] ?? DEFAULTS.cgroupParent),
    debug,
    insecureRegistries: flags.insecureRegistries ?? file['insecure-registries'] ?? [],
    registryMirrors: flags.registryMirrors ?? file['registry-mirrors'] ?? [],
  };
}
