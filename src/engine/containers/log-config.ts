import { InvalidParameterError, NotImplementedError } from '../../core/errors.js';

export interface LogConfig {
  Type: string;
  Config: Record<string, string>;
}

/** What the monitor needs to write and rotate a container's log. */
export interface LogSettings {
  driver: 'json-file' | 'local' | 'none';
  /** Bytes; 0 means never rotate. */
  maxSize: number;
  maxFiles: number;
  compress: boolean;
}

const JSON_FILE_OPTS = new Set(['max-size', 'max-file', 'compress']);
/** json-file options docker has that add attributes to each entry: refused, never ignored. */
const JSON_FILE_LATER = new Set(['labels', 'labels-regex', 'env', 'env-regex', 'tag']);
const LOCAL_OPTS = new Set(['max-size', 'max-file', 'compress']);

/** json-file reads max-size with units.FromHumanSize (10m = 10^7), local with RAMInBytes (2^20). */
function parseSize(text: string, binary: boolean): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new InvalidParameterError(`invalid size: '${text}'`);
  const base = binary || (m[3] ?? '').toLowerCase() === 'ib' ? 1024 : 1000;
  const power = ['', 'k', 'm', 'g', 't', 'p'].indexOf((m[2] ?? '').toLowerCase());
  return Math.floor(Number(m[1]) * base ** power);
}

function parseBoolOpt(name: string, v: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new InvalidParameterError(`error parsing ${name} option: strconv.ParseBool: parsing "${v}": invalid syntax`);
}

/**
 * What a json-file container gets when neither it nor the daemon says otherwise: docker's `local`
 * driver defaults, so that a chatty container cannot fill the disk.
 */
export const BUILTIN_LOG_OPTS: Readonly<Record<string, string>> = { 'max-size': '20m', 'max-file': '5', compress: 'true' };

/** `max-size=-1` (berthd's or a container's) means "never rotate". */
const UNBOUNDED = '-1';

/**
 * The daemon's json-file defaults: `berthd --log-opt` / daemon.json `log-opts` override the
 * built-in ones key by key; `max-size=-1` drops them all, as they only make sense with rotation,
 * which leaves containers' options as they gave them: dockerd's own default.
 */
export function daemonLogOpts(given: Readonly<Record<string, string>>): Record<string, string> {
  let opts: Record<string, string>;
  if (given['max-size'] === UNBOUNDED) {
    const { 'max-size': _unbounded, ...rest } = given;
    opts = rest;
  } else opts = { ...BUILTIN_LOG_OPTS, ...given };
  try {
    validateLogConfig({ Type: 'json-file', Config: opts });
  } catch (err) {
    throw new InvalidParameterError(`invalid daemon log options (--log-opt or "log-opts" in daemon.json): ${(err as Error).message}`);
  }
  return opts;
}

/**
 * A container's json-file options with the daemon's defaults filled in key by key, as dockerd's
 * mergeAndVerifyLogConfig does, so `inspect` shows what is in effect. A container that says
 * `max-size=-1` takes none of them; the daemon's `compress` is left out when the container's own
 * max-file or max-size makes it invalid, so `--log-opt max-file=1` alone is not refused.
 */
export function mergeLogOpts(type: string, own: Readonly<Record<string, string>>, defaults: Readonly<Record<string, string>>): Record<string, string> {
  if (type !== 'json-file' || own['max-size'] === UNBOUNDED) return { ...own };
  const merged = { ...defaults, ...own };
  if (own.compress === undefined && merged.compress !== undefined && (Number(merged['max-file']) < 2 || merged['max-size'] === undefined || merged['max-size'] === UNBOUNDED)) {
    delete merged.compress;
  }
  return merged;
}

/**
 * HostConfig.LogConfig checked with docker's rules; the default driver is json-file, whose
 * options are merged with the daemon's `defaults` (see mergeLogOpts).
 */
export function validateLogConfig(value: unknown, defaults: Readonly<Record<string, string>> = {}): LogConfig {
  const v = (value ?? {}) as { Type?: unknown; Config?: unknown };
  const type = typeof v.Type === 'string' && v.Type !== '' ? v.Type : 'json-file';
  const config = (v.Config ?? {}) as Record<string, unknown>;
  if (typeof config !== 'object' || Array.isArray(config) || Object.values(config).some((x) => typeof x !== 'string')) {
    throw new InvalidParameterError('LogConfig.Config must be a map of strings');
  }
  const opts = mergeLogOpts(type, config as Record<string, string>, defaults);
  if (type === 'none') {
    if (Object.keys(opts).length > 0) throw new InvalidParameterError('configured logging driver does not support log options: none');
  } else if (type === 'json-file' || type === 'local') {
    const allowed = type === 'local' ? LOCAL_OPTS : JSON_FILE_OPTS;
    for (const key of Object.keys(opts)) {
      if (type === 'json-file' && JSON_FILE_LATER.has(key)) throw new NotImplementedError(`log opt '${key}' of the json-file driver is not supported by Berth yet`);
      if (!allowed.has(key)) throw new InvalidParameterError(`unknown log opt '${key}' for ${type} log driver`);
    }
    logSettings({ Type: type, Config: opts });
  } else if (DOCKER_LOG_DRIVERS.has(type)) {
    throw new NotImplementedError(`log driver "${type}" is not supported by Berth: use json-file, local or none`);
  } else {
    // dockerd's words for a name that is neither built in nor a plugin (clients match them).
    throw new InvalidParameterError(`error looking up logging plugin ${type}: plugin "${type}" not found`);
  }
  return { Type: type, Config: opts };
}

/** dockerd's built-in log drivers that Berth does not have: refused as missing, not as unknown. */
const DOCKER_LOG_DRIVERS: ReadonlySet<string> = new Set(['syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'etwlogs', 'gcplogs', 'logentries']);

/** The rotation settings of a (validated) LogConfig, with each driver's defaults. */
export function logSettings(c: LogConfig): LogSettings {
  if (c.Type === 'none') return { driver: 'none', maxSize: 0, maxFiles: 1, compress: false };
  const local = c.Type === 'local';
  const o = c.Config;
  const unbounded = o['max-size'] === UNBOUNDED;
  const maxSize = unbounded ? 0 : o['max-size'] !== undefined ? parseSize(o['max-size'], local) : local ? 20 * 1024 * 1024 : 0;
  let maxFiles = local ? 5 : 1;
  if (o['max-file'] !== undefined) {
    if (!/^-?\d+$/.test(o['max-file'])) throw new InvalidParameterError(`invalid value for max-file: ${o['max-file']}`);
    maxFiles = Number(o['max-file']);
    if (maxFiles < 1) throw new InvalidParameterError('max-file cannot be less than 1');
  }
  if (o['max-size'] !== undefined && !unbounded && maxSize <= 0) throw new InvalidParameterError('max-size must be a positive number');
  const compress = o.compress !== undefined ? parseBoolOpt('compress', o.compress) : local;
  if (compress && !local && (maxFiles === 1 || maxSize === 0)) throw new InvalidParameterError('compress cannot be true when max-file is less than 2 or max-size is not set');
  return { driver: local ? 'local' : 'json-file', maxSize, maxFiles, compress };
}
