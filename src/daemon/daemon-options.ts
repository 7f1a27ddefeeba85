import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { InvalidParameterError, errnoCode } from '../core/errors.js';
import { LOG_LEVELS, type LogLevel } from '../core/logger.js';
import { configFileProblems } from './config-file-check.js';
import { BUILTIN_LOG_OPTS, daemonLogOpts } from '../engine/containers/log-config.js';
import { parseBudget, parseBudgetFlag, type BudgetSpec } from '../engine/system/budget-marks.js';
import { rootlessDefaults, type RootlessInfo } from './rootless.js';
import { KEEP_REMOVED_DEFAULT, KEEP_REMOVED_SIZE_DEFAULT, parseKeepRemoved, parseKeepRemovedSize } from './keep-removed-options.js';

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
  /** TCP listeners need all three, and clients must present a certificate signed by the CA. */
  tls?: { verify: boolean; ca?: string; cert?: string; key?: string };
  network: DaemonNetworkOptions;
  insecureRegistries: string[];
  registryMirrors: string[];
  /** containerd's hosts.toml directory: mirrors of any registry. */
  registryHostsDir: string;
  /** json-file options every new container gets unless it sets its own (log-config.ts). */
  logOpts: Record<string, string>;
  /** The disk budget (storage-budget.ts); none, and no collection ever, unless set. */
  storageBudget?: BudgetSpec;
  /** Records of removed containers: kept this long (ms) and in at most this many bytes; 0 keeps none. */
  keepRemoved: { keepMs: number; maxBytes: number };
  /** Kubernetes' CRI v1 server on its own Unix socket; undefined when turned off (`--cri=false`). */
  cri: { socket: string; cniConfDir: string; cniBinDirs: string[] } | undefined;
  /** The web dashboard (api/dashboard): off unless an address is given. */
  ui?: UiOptions;
}

/** Where the dashboard listens; TLS with the daemon's --tlscert/--tlskey when both are set. */
export interface UiOptions {
  host: string;
  port: number;
  tls?: { cert: string; key: string };
}

/** dockerd's bridge-network flags. */
export interface DaemonNetworkOptions {
  bridge: string;
  bip: string | undefined;
  fixedCidr: string | undefined;
  /** --ipv6: the default bridge gets an IPv6 prefix too (--fixed-cidr-v6, else a unique local /64). */
  ipv6: boolean;
  fixedCidrV6: string | undefined;
  defaultAddressPools: string[];
  iptables: boolean;
  ipForward: boolean;
  mtu: number;
  /** berth: published ports obey the host firewall (ufw, firewalld zones); docker: they bypass it, as with dockerd. */
  firewallMode: 'berth' | 'docker';
}

export const DEFAULTS = {
  host: 'unix:///run/berth/berth.sock',
  dataRoot: '/var/lib/berth',
  execRoot: '/run/berth',
  configFile: '/etc/berth/daemon.json',
  registryHostsDir: '/etc/berth/certs.d',
  defaultRuntime: 'crun',
  cgroupParent: '/berth',
  criSocket: '/run/berth/cri.sock',
  /** The CRI is served unless turned off (a rootless daemon's is off unless turned on: not yet checked there). */
  cri: true,
  cniConfDir: '/etc/cni/net.d',
  cniBinDirs: ['/opt/cni/bin', '/usr/lib/cni'],
  bridge: 'berth0',
  mtu: 1500,
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
  bridge?: string | undefined;
  bip?: string | undefined;
  'fixed-cidr'?: string | undefined;
  ipv6?: boolean | undefined;
  'fixed-cidr-v6'?: string | undefined;
  'default-address-pools'?: Array<{ base: string; size: number }> | undefined;
  iptables?: boolean | undefined;
  'ip-forward'?: boolean | undefined;
  'firewall-mode'?: string | undefined;
  mtu?: number | undefined;
  'insecure-registries'?: string[] | undefined;
  'registry-mirrors'?: string[] | undefined;
  'registry-hosts-dir'?: string | undefined;
  'log-opts'?: Record<string, string> | undefined;
  'storage-budget'?: Record<string, string> | undefined;
  'keep-removed'?: string | undefined;
  'keep-removed-size'?: string | undefined;
  ui?: string | undefined;
  'ui-insecure'?: boolean | undefined;
  cri?: boolean | undefined;
  'cri-socket'?: string | undefined;
  'cni-conf-dir'?: string | undefined;
  'cni-bin-dirs'?: string[] | undefined;
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
  const problems = configFileProblems(json);
  if (problems.length > 0) throw new InvalidParameterError(`invalid config file ${path}: ${problems.join('; ')}`);
  return json as ConfigFileValues;
}

const USAGE = `Usage: berthd [OPTIONS]

Berth container engine daemon (Docker Engine API on a Unix socket)

Started by a user other than root, berthd is rootless: it runs in a user namespace of that user
(subordinate IDs from /etc/subuid and /etc/subgid; check with \`berth system setup-rootless\`), and its
defaults become ~/.local/share/berth, $XDG_RUNTIME_DIR/berth, unix://$XDG_RUNTIME_DIR/berth/berth.sock
and ~/.config/berth/daemon.json.

Options:
  -H, --host unix:///PATH        daemon socket to listen on (repeatable; default ${DEFAULTS.host});
                                 tcp://HOST:PORT only with --tlsverify and certificates
      --data-root DIR            root of persistent state (default ${DEFAULTS.dataRoot})
      --exec-root DIR            root of runtime state (default ${DEFAULTS.execRoot})
  -p, --pidfile FILE             daemon PID file (default <exec-root>/berthd.pid)
  -l, --log-level LEVEL          ${LOG_LEVELS.join('|')} (default info)
      --config-file FILE         daemon configuration file (default ${DEFAULTS.configFile})
  -s, --storage-driver NAME      overlay2 or vfs (default: overlay2 when the host supports it)
      --default-runtime NAME     crun or runc (default ${DEFAULTS.defaultRuntime})
      --cgroup-parent PATH       parent cgroup of every container (default ${DEFAULTS.cgroupParent})
      --tlsverify                use TLS and require client certificates signed by --tlscacert
      --tlscacert FILE           CA that signed the client certificates
      --tlscert FILE             the daemon's TLS certificate
      --tlskey FILE              the daemon's TLS key
  -b, --bridge NAME              the default bridge's interface (default ${DEFAULTS.bridge}); Berth's nft
                                 table is named after it (berth, or berth_NAME)
      --bip CIDR                 the default bridge's own address, e.g. 10.20.0.1/24
      --fixed-cidr CIDR          give default-bridge containers addresses from this range only
      --ipv6                     give the default bridge IPv6 too (NAT66 out, ports on [::])
      --fixed-cidr-v6 CIDR       the default bridge's IPv6 prefix (default: a unique local /64)
      --default-address-pool base=CIDR,size=BITS   pools for networks without --subnet (repeatable)
      --iptables[=false]         manage Berth's nftables table: NAT and published ports (default true)
      --ip-forward[=false]       enable net.ipv4.ip_forward (default true)
      --firewall-mode MODE       berth: a published port is reachable from other hosts only when the
                                 host firewall (ufw, a firewalld zone) allows its port (default);
                                 docker: published ports bypass the firewall, as with dockerd
      --mtu BYTES                MTU of the default bridge and of new networks (default ${DEFAULTS.mtu})
      --log-opt KEY=VALUE        default json-file log option of containers that do not set it (repeatable;
                                 default ${Object.entries(BUILTIN_LOG_OPTS).map(([k, v]) => `${k}=${v}`).join(',')}; max-size=-1: never rotate)
      --storage-budget high=H,low=L[,grace=D]   free disk when the data root passes H, down to L:
                                 percentages of its filesystem (80%) or sizes of the data root (20GB); off unless set
      --keep-removed DURATION    keep the record and last log lines of removed containers this long
                                 (default ${KEEP_REMOVED_DEFAULT}; 0: keep none)
      --keep-removed-size SIZE   the most disk those records use together (default ${KEEP_REMOVED_SIZE_DEFAULT}); oldest go first
      --ui HOST:PORT             serve the web dashboard there (off by default; \`berth ui\` prints its URL
                                 and login token); an address other than loopback needs --tlscert and
                                 --tlskey, or --ui-insecure
      --ui-insecure              allow the dashboard on a non-loopback address without TLS
      --cri-socket PATH          Unix socket of the Kubernetes CRI v1 server (default ${DEFAULTS.criSocket})
      --cri=false                serve no CRI (kubelet, crictl)
      --cni-conf-dir DIR         CNI network configs for pods (default ${DEFAULTS.cniConfDir}; none there: loopback only)
      --cni-bin-dir DIR          where the CNI plugins are (repeatable; default ${DEFAULTS.cniBinDirs.join(', ')})
  -D, --debug                    enable debug mode
      --insecure-registry HOST   registry (host:port or CIDR) allowed over HTTP or unverified TLS (repeatable;
                                 127.0.0.0/8 always is)
      --registry-mirror URL      Docker Hub mirror tried first for docker.io pulls (repeatable)
      --registry-hosts-dir DIR   mirrors of any registry, as containerd's <DIR>/<host>/hosts.toml
                                 (default /etc/berth/certs.d)
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
export async function parseDaemonArgs(argv: string[], rootless?: RootlessInfo): Promise<DaemonOptions> {
  let values;
  try {
    // Node's own parser: berthd keeps its resident size small, and needs no CLI framework.
    ({ values } = parseArgs({
      args: argv.map(boolFlagValue),
      allowNegative: true,
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
        bridge: { type: 'string', short: 'b' },
        bip: { type: 'string' },
        'fixed-cidr': { type: 'string' },
        ipv6: { type: 'boolean' },
        'fixed-cidr-v6': { type: 'string' },
        'default-address-pool': { type: 'string', multiple: true },
        iptables: { type: 'boolean' },
        'ip-forward': { type: 'boolean' },
        'firewall-mode': { type: 'string' },
        mtu: { type: 'string' },
        debug: { type: 'boolean', short: 'D' },
        tlsverify: { type: 'boolean' },
        tlscacert: { type: 'string' },
        tlscert: { type: 'string' },
        tlskey: { type: 'string' },
        'insecure-registry': { type: 'string', multiple: true },
        'registry-mirror': { type: 'string', multiple: true },
        'registry-hosts-dir': { type: 'string' },
        'log-opt': { type: 'string', multiple: true },
        'storage-budget': { type: 'string' },
        'keep-removed': { type: 'string' },
        'keep-removed-size': { type: 'string' },
        ui: { type: 'string' },
        'ui-insecure': { type: 'boolean' },
        cri: { type: 'boolean' },
        'cri-socket': { type: 'string' },
        'cni-conf-dir': { type: 'string' },
        'cni-bin-dir': { type: 'string', multiple: true },
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
    ...(values.tlsverify !== undefined || values.tlscacert !== undefined || values.tlscert !== undefined || values.tlskey !== undefined ? { tls: tlsFlags(values) } : {}),
    ...(values.bridge !== undefined ? { bridge: values.bridge } : {}),
    ...(values.bip !== undefined ? { bip: values.bip } : {}),
    ...(values['fixed-cidr'] !== undefined ? { fixedCidr: values['fixed-cidr'] } : {}),
    ...(values.ipv6 !== undefined ? { ipv6: values.ipv6 } : {}),
    ...(values['fixed-cidr-v6'] !== undefined ? { fixedCidrV6: values['fixed-cidr-v6'] } : {}),
    ...(values['default-address-pool'] ? { defaultAddressPools: values['default-address-pool'] } : {}),
    ...(values.iptables !== undefined ? { iptables: values.iptables } : {}),
    ...(values['ip-forward'] !== undefined ? { ipForward: values['ip-forward'] } : {}),
    ...(values['firewall-mode'] !== undefined ? { firewallMode: values['firewall-mode'] } : {}),
    ...(values.mtu !== undefined ? { mtu: Number(values.mtu) } : {}),
    ...(values['insecure-registry'] ? { insecureRegistries: values['insecure-registry'] } : {}),
    ...(values['registry-mirror'] ? { registryMirrors: values['registry-mirror'] } : {}),
    ...(values['registry-hosts-dir'] !== undefined ? { registryHostsDir: values['registry-hosts-dir'] } : {}),
    ...(values['log-opt'] ? { logOpts: logOptFlags(values['log-opt']) } : {}),
    ...(values['storage-budget'] !== undefined ? { storageBudget: parseBudgetFlag(values['storage-budget']) } : {}),
    ...(values['keep-removed'] !== undefined ? { keepRemoved: values['keep-removed'] } : {}),
    ...(values['keep-removed-size'] !== undefined ? { keepRemovedSize: values['keep-removed-size'] } : {}),
    ...(values.ui !== undefined ? { ui: values.ui } : {}),
    ...(values['ui-insecure'] !== undefined ? { uiInsecure: values['ui-insecure'] } : {}),
    ...(values.cri !== undefined ? { cri: values.cri } : {}),
    ...(values['cri-socket'] !== undefined ? { criSocket: values['cri-socket'] } : {}),
    ...(values['cni-conf-dir'] !== undefined ? { cniConfDir: values['cni-conf-dir'] } : {}),
    ...(values['cni-bin-dir'] ? { cniBinDirs: values['cni-bin-dir'] } : {}),
  };
  const base = rootless ? rootlessDefaults(rootless) : undefined;
  const configFile = values['config-file'] ?? base?.configFile ?? DEFAULTS.configFile;
  const file = await readConfigFile(configFile, values['config-file'] !== undefined);
  return mergeOptions(flags, file, configFile, base);
}

/** `--log-opt k=v`, repeated, as dockerd takes it. */
function logOptFlags(list: string[]): Record<string, string> {
  const opts: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new InvalidParameterError(`invalid --log-opt "${item}": use KEY=VALUE, e.g. --log-opt max-size=20m`);
    opts[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return opts;
}

/** dockerd's `--iptables=false` form becomes `--no-iptables` for Node's parser. */
function boolFlagValue(arg: string): string {
  const m = /^--(iptables|ip-forward|ipv6|debug|cri)=(true|false|1|0)$/.exec(arg);
  if (!m) return arg;
  return m[2] === 'true' || m[2] === '1' ? `--${m[1]}` : `--no-${m[1]}`;
}

/** An absolute cgroup path without `..`: it is joined under every controller's mount. */
function checkCgroupParent(path: string): string {
  if (!/^\/[A-Za-z0-9_.\/-]*$/.test(path) || path.split('/').includes('..')) {
    throw new InvalidParameterError(`invalid cgroup parent "${path}": use an absolute path like /berth`);
  }
  return path;
}

export function mergeOptions(
  flags: {
    host?: string[]; dataRoot?: string; execRoot?: string; pidfile?: string; logLevel?: LogLevel; storageDriver?: string; defaultRuntime?: string; cgroupParent?: string; debug?: boolean;
    tls?: DaemonOptions['tls'];
    bridge?: string; bip?: string; fixedCidr?: string; ipv6?: boolean; fixedCidrV6?: string; defaultAddressPools?: string[]; iptables?: boolean; ipForward?: boolean; firewallMode?: string; mtu?: number;
    insecureRegistries?: string[]; registryMirrors?: string[]; registryHostsDir?: string; logOpts?: Record<string, string>;
    keepRemoved?: string; keepRemovedSize?: string; storageBudget?: BudgetSpec;
    ui?: string; uiInsecure?: boolean;
    cri?: boolean; criSocket?: string; cniConfDir?: string; cniBinDirs?: string[];
  },
  file: ConfigFileValues,
  configFile: string,
  /** A rootless daemon's own places (rootless.ts), in the user's home and XDG_RUNTIME_DIR. */
  base: { host: string; dataRoot: string; execRoot: string; registryHostsDir: string; criSocket: string; cri: boolean } = DEFAULTS,
): DaemonOptions {
  const execRoot = flags.execRoot ?? file['exec-root'] ?? base.execRoot;
  const debug = flags.debug ?? file.debug ?? false;
  const hosts = flags.host ?? file.hosts ?? [base.host];
  for (const h of hosts) checkHost(h, flags.tls);
  return {
    hosts,
    dataRoot: flags.dataRoot ?? file['data-root'] ?? base.dataRoot,
    execRoot,
    pidfile: flags.pidfile ?? file.pidfile ?? `${execRoot}/berthd.pid`,
    logLevel: flags.logLevel ?? file['log-level'] ?? (debug ? 'debug' : 'info'),
    configFile,
    storageDriver: flags.storageDriver ?? file['storage-driver'],
    defaultRuntime: flags.defaultRuntime ?? file['default-runtime'] ?? DEFAULTS.defaultRuntime,
    cgroupParent: checkCgroupParent(flags.cgroupParent ?? file['cgroup-parent'] ?? DEFAULTS.cgroupParent),
    debug,
    ...(flags.tls ? { tls: flags.tls } : {}),
    network: networkOptions(flags, file),
    insecureRegistries: flags.insecureRegistries ?? file['insecure-registries'] ?? [],
    registryMirrors: flags.registryMirrors ?? file['registry-mirrors'] ?? [],
    registryHostsDir: flags.registryHostsDir ?? file['registry-hosts-dir'] ?? base.registryHostsDir,
    // As dockerd: the flags' log options replace the file's, they are not merged with them.
    logOpts: daemonLogOpts(flags.logOpts ?? file['log-opts'] ?? {}),
    ...storageBudget(flags.storageBudget, file['storage-budget']),
    keepRemoved: {
      keepMs: parseKeepRemoved(flags.keepRemoved ?? file['keep-removed'] ?? KEEP_REMOVED_DEFAULT),
      maxBytes: parseKeepRemovedSize(flags.keepRemovedSize ?? file['keep-removed-size'] ?? KEEP_REMOVED_SIZE_DEFAULT),
    },
    ...uiOptions(flags.ui ?? file.ui, flags.uiInsecure ?? file['ui-insecure'] ?? false, flags.tls),
    cri: criOptions(flags.cri ?? file.cri ?? base.cri, flags.criSocket ?? file['cri-socket'] ?? base.criSocket, flags.cniConfDir ?? file['cni-conf-dir'] ?? DEFAULTS.cniConfDir, flags.cniBinDirs ?? file['cni-bin-dirs'] ?? [...DEFAULTS.cniBinDirs]),
  };
}

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

/**
 * `--ui HOST:PORT` (`[::1]:PORT` for IPv6). The dashboard's token is the only thing between
 * the network and root on this host: off loopback it travels only inside TLS, unless the
 * operator says --ui-insecure (a trusted network, or a TLS proxy in front).
 */
export function uiOptions(addr: string | undefined, insecure: boolean, tls: DaemonOptions['tls']): { ui?: UiOptions } {
  if (addr === undefined || addr === '') return {};
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(addr);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new InvalidParameterError(`invalid --ui "${addr}": want HOST:PORT, e.g. --ui 127.0.0.1:8090`);
  const host = (m[1] ?? m[2]) as string;
  const withTls = tls?.cert && tls.key ? { tls: { cert: tls.cert, key: tls.key } } : {};
  if (!isLoopback(host) && !withTls.tls && !insecure) {
    throw new InvalidParameterError(
      `refusing to serve the dashboard on ${addr} without TLS: its login token would cross the network in clear text; give --tlscert and --tlskey, use a loopback address (--ui 127.0.0.1:${port}), or pass --ui-insecure if a TLS proxy or a trusted network protects it`,
    );
  }
  return { ui: { host, port, ...withTls } };
}

function criOptions(on: boolean, socket: string, cniConfDir: string, cniBinDirs: string[]): DaemonOptions['cri'] {
  if (!on) return undefined;
  const path = socket.startsWith('unix://') ? socket.slice('unix://'.length) : socket;
  if (!path.startsWith('/')) throw new InvalidParameterError(`invalid --cri-socket "${socket}": use an absolute path such as ${DEFAULTS.criSocket}`);
  for (const dir of [cniConfDir, ...cniBinDirs]) {
    if (!dir.startsWith('/')) throw new InvalidParameterError(`invalid CNI directory "${dir}": use an absolute path such as ${DEFAULTS.cniConfDir}`);
  }
  return { socket: path, cniConfDir, cniBinDirs };
}

function storageBudget(flag: BudgetSpec | undefined, file: Record<string, string> | undefined): { storageBudget?: BudgetSpec } {
  const spec = flag ?? (file ? parseBudget(file) : undefined);
  return spec ? { storageBudget: spec } : {};
}

function networkOptions(flags: Parameters<typeof mergeOptions>[0], file: ConfigFileValues): DaemonNetworkOptions {
  const bridge = flags.bridge ?? file.bridge ?? DEFAULTS.bridge;
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(bridge)) throw new InvalidParameterError(`invalid bridge name "${bridge}": up to 15 of [A-Za-z0-9_.-]`);
  const mtu = flags.mtu ?? file.mtu ?? DEFAULTS.mtu;
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new InvalidParameterError(`invalid --mtu "${mtu}": use a number of bytes between 68 and 65535`);
  return {
    bridge,
    bip: flags.bip ?? file.bip,
    fixedCidr: flags.fixedCidr ?? file['fixed-cidr'],
    ipv6: flags.ipv6 ?? file.ipv6 ?? false,
    fixedCidrV6: flags.fixedCidrV6 ?? file['fixed-cidr-v6'],
    defaultAddressPools: flags.defaultAddressPools ?? (file['default-address-pools'] ?? []).map((p) => `base=${p.base},size=${p.size}`),
    iptables: flags.iptables ?? file.iptables ?? true,
    ipForward: flags.ipForward ?? file['ip-forward'] ?? true,
    mtu,
    firewallMode: firewallMode(flags.firewallMode ?? file['firewall-mode'] ?? 'berth'),
  };
}

function firewallMode(mode: string): 'berth' | 'docker' {
  if (mode !== 'berth' && mode !== 'docker') throw new InvalidParameterError(`invalid --firewall-mode "${mode}": use berth (published ports obey the host firewall) or docker (they bypass it)`);
  return mode;
}

function tlsFlags(v: { tlsverify?: boolean | undefined; tlscacert?: string | undefined; tlscert?: string | undefined; tlskey?: string | undefined }): NonNullable<DaemonOptions['tls']> {
  return { verify: v.tlsverify === true, ...(v.tlscacert ? { ca: v.tlscacert } : {}), ...(v.tlscert ? { cert: v.tlscert } : {}), ...(v.tlskey ? { key: v.tlskey } : {}) };
}

/**
 * A TCP listener without client certificates gives root on this host to anyone who can reach
 * the port, so it is refused unless --tlsverify, --tlscacert, --tlscert and --tlskey are given.
 */
function checkHost(h: string, tls: DaemonOptions['tls']): void {
  if (h.startsWith('unix://')) return;
  if (!h.startsWith('tcp://')) throw new InvalidParameterError(`unsupported host "${h}": use unix:///path, or tcp://HOST:PORT with --tlsverify`);
  if (!/^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(h)) throw new InvalidParameterError(`invalid host "${h}": want tcp://HOST:PORT`);
  if (!tls?.verify || !tls.ca || !tls.cert || !tls.key) {
    throw new InvalidParameterError(
      `refusing to listen on ${h} without --tlsverify, --tlscacert, --tlscert and --tlskey: anyone who can reach that port would control this host as root`,
    );
  }
}
