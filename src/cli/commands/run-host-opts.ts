/**
 * Smaller HostConfig flags of run/create with the docker CLI's validation: `--add-host`,
 * `--restart`, `--security-opt`, `--log-opt`, `--sysctl`, `--storage-opt`, the blkio device
 * limits and `--gpus`.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { FlagError, ramInBytes } from './run-units.js';
import type { DeviceRequest, RestartPolicy, ThrottleDevice, WeightDevice } from '../../api/types/container.js';

/** `host:ip` or `host=ip` (IPv6 may be bracketed; `host-gateway` is a keyword) → `host:ip`. */
export function parseExtraHost(value: string): string {
  let sep = value.indexOf('=');
  if (sep < 0) sep = value.indexOf(':');
  const host = sep < 0 ? '' : value.slice(0, sep);
  let ip = sep < 0 ? '' : value.slice(sep + 1);
  if (sep < 0 || host === '' || host.includes(':')) throw new FlagError(`bad format for add-host: "${value}"`);
  if (ip !== 'host-gateway') {
    if (ip.length > 2 && ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
    if (isIP(ip) === 0) throw new FlagError(`invalid IP address in add-host: "${ip}"`);
  }
  return `${host}:${ip}`;
}


/** `no`, `always`, `unless-stopped`, `on-failure[:N]` (the daemon checks the name). */
export function parseRestartPolicy(policy: string): RestartPolicy {
  if (policy === '') return { Name: '', MaximumRetryCount: 0 };
  const colon = policy.indexOf(':');
  const name = colon < 0 ? policy : policy.slice(0, colon);
  const count = colon < 0 ? '' : policy.slice(colon + 1);
  if (colon >= 0 && name === '') throw new FlagError('invalid restart policy format: no policy provided before colon');
  if (count !== '' && !/^[+-]?\d+$/.test(count)) throw new FlagError('invalid restart policy format: maximum retry count must be an integer');
  return { Name: name, MaximumRetryCount: count === '' ? 0 : Number(count) };
}

/**
 * `--security-opt`: `key=value` or `key:value`, `no-new-privileges` alone. A seccomp profile
 * path is read here and sent as compact JSON, as docker does. `systempaths=unconfined` is a
 * client-side switch that empties MaskedPaths/ReadonlyPaths.
 */
export function parseSecurityOpts(opts: readonly string[]): { securityOpt: string[]; unconfinedPaths: boolean } {
  const out: string[] = [];
  let unconfinedPaths = false;
  for (const opt of opts) {
    if (opt === 'systempaths=unconfined') {
      unconfinedPaths = true;
      continue;
    }
    let sep = opt.indexOf('=');
    if (sep < 0 && opt !== 'no-new-privileges') sep = opt.indexOf(':');
    const key = sep < 0 ? opt : opt.slice(0, sep);
    const val = sep < 0 ? '' : opt.slice(sep + 1);
    if ((sep < 0 || val === '') && key !== 'no-new-privileges') throw new FlagError(`invalid --security-opt: "${opt}"`);
    if (key === 'seccomp' && val !== 'unconfined' && val !== 'builtin') {
      let text: string;
      try {
        text = readFileSync(val, 'utf8');
      } catch (err) {
        throw new FlagError(`opening seccomp profile (${val}) failed: ${(err as Error).message}`);
      }
      try {
        out.push(`seccomp=${JSON.stringify(JSON.parse(text))}`);
      } catch (err) {
        throw new FlagError(`compacting json for seccomp profile (${val}) failed: ${(err as Error).message}`);
      }
      continue;
    }
    out.push(opt);
  }
  return { securityOpt: out, unconfinedPaths };
}

/** `key=value` flags into a map; a value without `=` is refused with `what`'s message. */
export function parseKeyValueMap(values: readonly string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) throw new FlagError(what === 'storage' ? 'invalid storage option' : `invalid ${what}: ${v}`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}



function splitDevice(value: string): [string, string] {
  const colon = value.lastIndexOf(':');
  if (colon < 0) throw new FlagError(`bad format: ${value}`);
  const path = value.slice(0, colon);
  if (!path.startsWith('/dev/')) throw new FlagError(`bad format for device path: ${value}`);
  return [path, value.slice(colon + 1)];
}

/** `--blkio-weight-device /dev/sda:200`. */
export function parseWeightDevice(value: string): WeightDevice {
  const [path, w] = splitDevice(value);
  const weight = Number(w);
  if (!/^\d+$/.test(w) || (weight > 0 && (weight < 10 || weight > 1000))) throw new FlagError(`invalid weight for device: ${value}`);
  return { Path: path, Weight: weight };
}

/** `--device-read-bps /dev/sda:1mb` (a size) or `--device-read-iops /dev/sda:1000` (a count). */
export function parseThrottleDevice(value: string, kind: 'bps' | 'iops'): ThrottleDevice {
  const [path, r] = splitDevice(value);
  let rate: number;
  if (kind === 'bps') {
    try {
      rate = ramInBytes(r);
    } catch {
      throw new FlagError(`invalid rate for device: ${value}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`);
    }
  } else {
    if (!/^\d+$/.test(r)) throw new FlagError(`invalid rate for device: ${value}. The correct format is <device-path>:<number>. Number must be a positive integer`);
    rate = Number(r);
  }
  return { Path: path, Rate: rate };
}


/**
 * `--gpus all`, `--gpus 2`, `--gpus device=0,1`, `--gpus count=1,capabilities=utility`. A bare
 * value after `device=` or `capabilities=` continues that list (docker wants the field quoted).
 */
export function parseGpus(value: string): DeviceRequest {
  const req: DeviceRequest = { Driver: '', Count: 0, DeviceIDs: null, Capabilities: [['gpu']], Options: {} };
  let list: string[] | undefined;
  for (const field of value.replace(/"/g, '').split(',')) {
    const eq = field.indexOf('=');
    if (eq < 0) {
      if (list) list.push(field);
      else if (field === 'all') req.Count = -1;
      else if (/^\d+$/.test(field)) req.Count = Number(field);
      else throw new FlagError(`unexpected key '${field}' in '${value}'`);
      continue;
    }
    const key = field.slice(0, eq);
    const val = field.slice(eq + 1);
    list = undefined;
    if (key === 'driver') req.Driver = val;
    else if (key === 'count') req.Count = val === 'all' ? -1 : Number(val);
    else if (key === 'device') list = req.DeviceIDs = [val];
    else if (key === 'capabilities') list = req.Capabilities[0] = ['gpu', val];
    else if (key === 'options') Object.assign(req.Options, parseKeyValueMap([val], 'gpu option'));
    else throw new FlagError(`unexpected key '${key}' in '${value}'`);
  }
  return req;
}
