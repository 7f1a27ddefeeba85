/**
 * Storage flags of run/create, as the docker CLI turns them into the create body:
 * `-v` (Binds or anonymous Config.Volumes), `--mount` (HostConfig.Mounts), `--tmpfs`
 * (HostConfig.Tmpfs) and `--device` (HostConfig.Devices). The daemon validates the rest.
 */
import { isAbsolute, posix, resolve } from 'node:path';
import { FlagError, ramInBytes } from './run-units.js';
import type { DeviceMapping, MountSpec } from '../../api/types/container.js';

export interface VolumeSplit {
  binds: string[];
  /** Anonymous volumes: `-v /data` → `"/data": {}`. */
  volumes: Record<string, Record<string, never>>;
}

/** A relative host path starting with `.` is made absolute (the daemon would take it as a volume name). */
function absoluteSource(src: string): string {
  return !isAbsolute(src) && src.startsWith('.') ? resolve(src) : src;
}

/** `-v [SRC:]DST[:OPTS]`: with a source it is a bind or named volume, without one an anonymous volume. */
export function splitVolumes(specs: readonly string[]): VolumeSplit {
  const out: VolumeSplit = { binds: [], volumes: {} };
  for (const spec of specs) {
    if (spec === '') throw new FlagError('invalid empty volume spec');
    const parts = spec.split(':');
    if (parts.length > 3) throw new FlagError(`invalid spec: ${spec}: too many colons`);
    const [src = '', ...rest] = parts;
    if (parts.length === 1) {
      out.volumes[spec] = {};
      continue;
    }
    if (src === '') throw new FlagError(`invalid spec: ${spec}: empty section between colons`);
    out.binds.push([absoluteSource(src), ...rest].join(':'));
  }
  return out;
}


function parseBool(key: string, val: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(val)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(val)) return false;
  throw new FlagError(`invalid value for ${key}: ${val}`);
}

/** Splits one CSV record (`--mount` values may quote fields that contain commas). */
function csvFields(value: string): string[] {
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"') {
      if (quoted && value[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === ',' && !quoted) {
      fields.push(cur);
      cur = '';
    } else cur += c;
  }
  fields.push(cur);
  return fields;
}

/** `--mount type=bind,src=/a,dst=/b,ro` (docker cli opts/mount.go). */
export function parseMount(value: string): MountSpec {
  const fail = (msg: string): never => {
    throw new FlagError(`invalid argument "${value}" for "--mount" flag: ${msg}`);
  };
  const m: MountSpec = { Type: 'volume', Target: '' };
  const vol = (): NonNullable<MountSpec['VolumeOptions']> => (m.VolumeOptions ??= {});
  const kv = (map: Record<string, string>, v: string): void => {
    const eq = v.indexOf('=');
    map[eq < 0 ? v : v.slice(0, eq)] = eq < 0 ? '' : v.slice(eq + 1);
  };
  for (const field of csvFields(value)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const val = eq < 0 ? '' : field.slice(eq + 1);
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') m.ReadOnly = true;
      else if (key === 'volume-nocopy') vol().NoCopy = true;
      else if (key === 'bind-nonrecursive') (m.BindOptions ??= {}).NonRecursive = true;
      else fail(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    switch (key) {
      case 'type': m.Type = val.toLowerCase(); break;
      case 'source': case 'src': m.Source = absoluteSource(val); break;
      case 'target': case 'dst': case 'destination': m.Target = val; break;
      case 'readonly': case 'ro': m.ReadOnly = parseBool(key, val); break;
      case 'consistency': m.Consistency = val.toLowerCase(); break;
      case 'bind-propagation': (m.BindOptions ??= {}).Propagation = val.toLowerCase(); break;
      case 'bind-nonrecursive': (m.BindOptions ??= {}).NonRecursive = parseBool(key, val); break;
      case 'volume-subpath': vol().Subpath = val; break;
      case 'volume-nocopy': vol().NoCopy = parseBool(key, val); break;
      case 'volume-label': kv((vol().Labels ??= {}), val); break;
      case 'volume-driver': (vol().DriverConfig ??= {}).Name = val; break;
      case 'volume-opt': kv(((vol().DriverConfig ??= {}).Options ??= {}), val); break;
      case 'tmpfs-size': (m.TmpfsOptions ??= {}).SizeBytes = ramInBytes(val); break;
      case 'tmpfs-mode':
        if (!/^[0-7]+$/.test(val)) fail(`invalid value for tmpfs-mode: ${val}`);
        (m.TmpfsOptions ??= {}).Mode = parseInt(val, 8);
        break;
      default: fail(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (m.Type === '') fail('type is required');
  if (m.Target === '') fail('target is required');
  if (m.VolumeOptions && m.Type !== 'volume') fail(`cannot mix 'volume-*' options with mount type '${m.Type}'`);
  if (m.BindOptions && m.Type !== 'bind') fail(`cannot mix 'bind-*' options with mount type '${m.Type}'`);
  if (m.TmpfsOptions && m.Type !== 'tmpfs') fail(`cannot mix 'tmpfs-*' options with mount type '${m.Type}'`);
  return m;
}

/** `--tmpfs /run:rw,size=64m` → `{"/run": "rw,size=64m"}`. */
export function parseTmpfs(specs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of specs) {
    const colon = t.indexOf(':');
    out[colon < 0 ? t : t.slice(0, colon)] = colon < 0 ? '' : t.slice(colon + 1);
  }
  return out;
}


function validDeviceMode(mode: string): boolean {
  return mode !== '' && [...mode].every((c, i) => 'rwm'.includes(c) && mode.indexOf(c) === i);
}

/** `--device /dev/x[:/dev/y][:rwm]` (docker's validateLinuxPath + parseLinuxDevice). */
export function parseDevice(spec: string): DeviceMapping {
  if ((spec.match(/:/g) ?? []).length > 2) throw new FlagError(`bad format for path: ${spec}`);
  const [src = '', second, third] = spec.split(':');
  if (src === '') throw new FlagError(`bad format for path: ${spec}`);
  let dst = '';
  let perms = 'rwm';
  if (third !== undefined) {
    if (!validDeviceMode(third)) throw new FlagError(`bad mode specified: ${third}`);
    dst = second ?? '';
    perms = third;
  } else if (second !== undefined) {
    if (validDeviceMode(second)) perms = second;
    else dst = second;
  }
  const containerPath = dst === '' ? src : dst;
  if (!posix.isAbsolute(containerPath)) throw new FlagError(`${containerPath} is not an absolute path`);
  return { PathOnHost: src, PathInContainer: dst === '' ? src : posix.normalize(dst), CgroupPermissions: perms };
}
