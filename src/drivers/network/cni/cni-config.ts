/**
 * CNI network configuration, parsed as libcni parses it (`libcni/conf.go`): a `.conflist` is a
 * network with a list of plugins; a `.conf` or `.json` file is one plugin, made into a list of
 * one (`ConfListFromConf`). Pure: the caller reads the files and decides which one wins.
 */

/** The spec versions Berth can run a plugin list at (libcni 1.x reads the same ones). */
export const SUPPORTED_CNI_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;

export interface CniPluginConf {
  /** The plugin binary's name, looked up in the bin dirs. */
  type: string;
  /** Capabilities the plugin asks the runtime for (`portMappings`, `dns`…); only `true` ones count. */
  capabilities: Record<string, boolean>;
  /** The plugin's object as written, sent to it on stdin with name, cniVersion and the rest injected. */
  raw: Record<string, unknown>;
}

export interface CniNetworkConfig {
  name: string;
  cniVersion: string;
  disableCheck: boolean;
  plugins: CniPluginConf[];
  /** The file it came from (or a label for a built-in one), for messages. */
  source: string;
  /** The list as JSON, what the result cache keeps so a DEL runs with the config of its ADD. */
  listJson: string;
}

/** A file that is not a usable network config, and why (libcni's wording where it has one). */
export class CniConfigError extends Error {}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Compares two "x.y.z" versions; unparsable parts count as 0. */
export function compareCniVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function isSupportedCniVersion(v: string): boolean {
  return (SUPPORTED_CNI_VERSIONS as readonly string[]).includes(v);
}

function parseObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CniConfigError(`error parsing ${what}: ${(err as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new CniConfigError(`error parsing ${what}: not a JSON object`);
  return value as Record<string, unknown>;
}

/** libcni's readBool: a JSON boolean or the strings "true"/"false". */
function readBool(obj: Record<string, unknown>, key: string): boolean {
  const v = obj[key];
  if (v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && ['true', 'false'].includes(v.toLowerCase())) return v.toLowerCase() === 'true';
  throw new CniConfigError(`error parsing configuration list: invalid value ${JSON.stringify(v)} for ${key}`);
}

function pluginConf(raw: unknown, index: number | undefined): CniPluginConf {
  const where = index === undefined ? 'configuration' : `plugin config ${index}`;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new CniConfigError(`error parsing ${where}: not a JSON object`);
  const obj = raw as Record<string, unknown>;
  if (typeof obj.type !== 'string' || obj.type === '') throw new CniConfigError(`error parsing ${where}: missing 'type'`);
  // A plugin name is a file name in the bin dirs, never a path (libcni's FindInPath).
  if (obj.type.includes('/')) throw new CniConfigError(`error parsing ${where}: invalid plugin name ${JSON.stringify(obj.type)}`);
  const capabilities: Record<string, boolean> = {};
  if (obj.capabilities && typeof obj.capabilities === 'object' && !Array.isArray(obj.capabilities)) {
    for (const [k, v] of Object.entries(obj.capabilities)) if (v === true) capabilities[k] = true;
  }
  return { type: obj.type, capabilities, raw: obj };
}

function checkNameAndVersion(name: unknown, cniVersion: string | undefined): { name: string; cniVersion: string } {
  if (name === undefined) throw new CniConfigError('error parsing configuration list: no name');
  if (typeof name !== 'string') throw new CniConfigError(`error parsing configuration list: invalid name type ${typeof name}`);
  if (!NAME_RE.test(name)) throw new CniConfigError(`invalid network name ${JSON.stringify(name)}: it must match ${NAME_RE.source}`);
  if (!cniVersion) throw new CniConfigError(`network ${JSON.stringify(name)} has no cniVersion`);
  if (!isSupportedCniVersion(cniVersion)) {
    throw new CniConfigError(`network ${JSON.stringify(name)} asks for cniVersion ${cniVersion}, which Berth does not run (supported: ${SUPPORTED_CNI_VERSIONS.join(', ')})`);
  }
  return { name, cniVersion };
}

/** The highest version of `cniVersions` (and `cniVersion`) that Berth supports, as libcni picks it. */
function pickVersion(obj: Record<string, unknown>): string | undefined {
  let version: string | undefined;
  if (obj.cniVersion !== undefined) {
    if (typeof obj.cniVersion !== 'string') throw new CniConfigError(`error parsing configuration list: invalid cniVersion type ${typeof obj.cniVersion}`);
    version = obj.cniVersion;
  }
  if (obj.cniVersions === undefined) return version;
  if (!Array.isArray(obj.cniVersions) || obj.cniVersions.some((v) => typeof v !== 'string')) {
    throw new CniConfigError('error parsing configuration list: cniVersions must be a list of strings');
  }
  const candidates = [...(obj.cniVersions as string[]), ...(version ? [version] : [])].filter(isSupportedCniVersion);
  candidates.sort(compareCniVersions);
  return candidates.at(-1) ?? version;
}

/** A `.conflist` file's text. */
export function parseConfList(text: string, source: string): CniNetworkConfig {
  const obj = parseObject(text, 'configuration list');
  const version = pickVersion(obj);
  const disableCheck = readBool(obj, 'disableCheck');
  const { name, cniVersion } = checkNameAndVersion(obj.name, version);
  if (obj.plugins === undefined) throw new CniConfigError('error parsing configuration list: no \'plugins\' key');
  if (!Array.isArray(obj.plugins)) throw new CniConfigError('error parsing configuration list: invalid \'plugins\' type');
  if (obj.plugins.length === 0) throw new CniConfigError('error parsing configuration list: no plugins in list');
  const plugins = obj.plugins.map((p, i) => pluginConf(p, i));
  return { name, cniVersion, disableCheck, plugins, source, listJson: JSON.stringify(obj) };
}

/** A `.conf` or `.json` file's text: one plugin, which is the whole network. */
export function parseConf(text: string, source: string): CniNetworkConfig {
  const obj = parseObject(text, 'configuration');
  // go-cni's check: a list written into a .conf file has no type of its own.
  if (obj.plugins !== undefined && obj.type === undefined) throw new CniConfigError('network type not found (a list of plugins belongs in a .conflist file)');
  const plugin = pluginConf(obj, undefined);
  const { name, cniVersion } = checkNameAndVersion(obj.name, typeof obj.cniVersion === 'string' ? obj.cniVersion : undefined);
  const list = { cniVersion, name, plugins: [obj] };
  return { name, cniVersion, disableCheck: false, plugins: [plugin], source, listJson: JSON.stringify(list) };
}

/** Parses by the file's extension, as go-cni does: `.conflist` is a list, `.conf` and `.json` one plugin. */
export function parseConfigFile(fileName: string, text: string, source = fileName): CniNetworkConfig {
  return fileName.endsWith('.conflist') ? parseConfList(text, source) : parseConf(text, source);
}

/** The extensions libcni's ConfFiles is asked for by go-cni and ocicni, in that spelling. */
export const CONFIG_EXTENSIONS = ['.conf', '.conflist', '.json'] as const;

/** Config files among a directory's entry names, in the order they are tried (lexical, as Go's ReadDir sorts). */
export function configFileOrder(names: readonly string[]): string[] {
  const ext = (n: string): string => (n.includes('.') ? n.slice(n.lastIndexOf('.')) : '');
  return names.filter((n) => (CONFIG_EXTENSIONS as readonly string[]).includes(ext(n))).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
