import { InvalidParameterError, NotFoundError } from '../../core/errors.js';
import { validateVolumeName } from '../volumes/volume-service.js';
import { parseHumanSize } from './mount-units.js';

/** One mount of a container, in docker's inspect shape, plus what start needs to make it. */
export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs';
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** Volumes: fill a new (empty) volume from the image's content at the destination. */
  CopyUp?: boolean;
  /** Binds from `-v`: a missing host path is made as a directory (docker); `--mount` refuses. */
  CreateSource?: boolean;
  /** tmpfs: the mount options (docker defaults noexec,nosuid,nodev plus the user's). */
  TmpfsOptions?: string[];
  /** Volumes from `--mount`: driver options and labels for a volume made on first use. */
  NewVolume?: { DriverOpts: Record<string, string>; Labels: Record<string, string> };
}

const PROPAGATIONS = new Set(['shared', 'slave', 'private', 'rshared', 'rslave', 'rprivate']);
const MODES = new Set(['ro', 'rw', 'z', 'Z', 'nocopy', 'consistent', 'cached', 'delegated', ...PROPAGATIONS]);

function absolute(path: string, spec: string, type: string): string {
  if (!path.startsWith('/')) throw new InvalidParameterError(`invalid mount config for type "${type}": invalid mount path: '${path}' must be an absolute path (in '${spec}')`);
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/** `-v SRC:DST[:MODE]` or `-v DST`, as docker's linux parser reads it. */
export function parseBind(spec: string): MountPoint {
  const parts = spec.split(':');
  if (parts.length > 3 || spec === '') throw new InvalidParameterError(`invalid volume specification: '${spec}'`);
  if (parts.length === 1) {
    return { Type: 'volume', Name: '', Source: '', Destination: absolute(spec, spec, 'volume'), Driver: 'local', Mode: '', RW: true, Propagation: '', CopyUp: true };
  }
  const [src = '', dst = '', mode = ''] = parts;
  const modes = mode === '' ? [] : mode.split(',');
  for (const m of modes) if (!MODES.has(m)) throw new InvalidParameterError(`invalid mode: ${m}`);
  if (modes.includes('ro') && modes.includes('rw')) throw new InvalidParameterError(`invalid mode: ${mode}`);
  const rw = !modes.includes('ro');
  const propagation = modes.find((m) => PROPAGATIONS.has(m));
  if (src.startsWith('/')) {
    if (modes.includes('nocopy')) throw new InvalidParameterError(`invalid mode: ${mode}: nocopy is only for volumes`);
    return { Type: 'bind', Source: src, Destination: absolute(dst, spec, 'bind'), Mode: mode, RW: rw, Propagation: propagation ?? 'rprivate', CreateSource: true };
  }
  if (propagation) throw new InvalidParameterError(`invalid mode: ${mode}: propagation is only for bind mounts`);
  if (src === '') throw new InvalidParameterError(`invalid volume specification: '${spec}'`);
  validateVolumeName(src);
  return { Type: 'volume', Name: src, Source: '', Destination: absolute(dst, spec, 'volume'), Driver: 'local', Mode: mode === '' ? 'z' : mode, RW: rw, Propagation: '', CopyUp: !modes.includes('nocopy') };
}

interface ApiMount {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string; CreateMountpoint?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** One entry of `HostConfig.Mounts` (`--mount`). */
export function parseApiMount(m: ApiMount): MountPoint {
  const type = m.Type ?? '';
  const target = m.Target ?? '';
  if (target === '') throw new InvalidParameterError(`invalid mount config for type "${type}": field Target must not be empty`);
  const dst = absolute(target, target, type);
  const rw = m.ReadOnly !== true;
  switch (type) {
    case 'bind': {
      if (!m.Source) throw new InvalidParameterError(`invalid mount config for type "bind": field Source must not be empty`);
      const propagation = m.BindOptions?.Propagation || 'rprivate';
      if (!PROPAGATIONS.has(propagation)) throw new InvalidParameterError(`invalid mount config for type "bind": invalid propagation mode: ${propagation}`);
      return { Type: 'bind', Source: absolute(m.Source, m.Source, 'bind'), Destination: dst, Mode: '', RW: rw, Propagation: propagation, CreateSource: m.BindOptions?.CreateMountpoint === true };
    }
    case 'volume': {
      const driver = m.VolumeOptions?.DriverConfig?.Name || 'local';
      // As dockerd, which finds no volume plugin of that name (Berth has only the local driver).
      if (driver !== 'local') throw new NotFoundError(`error looking up volume plugin ${driver}: plugin "${driver}" not found`);
      if (m.BindOptions) throw new InvalidParameterError(`invalid mount config for type "volume": field BindOptions must not be specified`);
      if (m.Source) validateVolumeName(m.Source);
      const newVolume = { DriverOpts: m.VolumeOptions?.DriverConfig?.Options ?? {}, Labels: m.VolumeOptions?.Labels ?? {} };
      const hasNew = Object.keys(newVolume.DriverOpts).length > 0 || Object.keys(newVolume.Labels).length > 0;
      return { Type: 'volume', Name: m.Source ?? '', Source: '', Destination: dst, Driver: driver, Mode: 'z', RW: rw, Propagation: '', CopyUp: m.VolumeOptions?.NoCopy !== true, ...(hasNew ? { NewVolume: newVolume } : {}) };
    }
    case 'tmpfs': {
      if (m.Source) throw new InvalidParameterError(`invalid mount config for type "tmpfs": field Source must not be specified`);
      const opts = ['nosuid', 'nodev', 'noexec'];
      if (m.TmpfsOptions?.SizeBytes) opts.push(`size=${m.TmpfsOptions.SizeBytes}`);
      if (m.TmpfsOptions?.Mode) opts.push(`mode=${m.TmpfsOptions.Mode.toString(8)}`);
      if (!rw) opts.push('ro');
      return { Type: 'tmpfs', Source: '', Destination: dst, Mode: '', RW: rw, Propagation: '', TmpfsOptions: opts };
    }
    default:
      throw new InvalidParameterError(`invalid mount config: mount type unknown: "${type}"`);
  }
}

const TMPFS_FLAGS = new Set(['ro', 'rw', 'exec', 'noexec', 'suid', 'nosuid', 'dev', 'nodev', 'atime', 'noatime', 'diratime', 'nodiratime', 'relatime', 'norelatime', 'strictatime', 'nostrictatime']);

/** `--tmpfs /run:size=64m,mode=1777` (HostConfig.Tmpfs): docker's defaults are noexec,nosuid,nodev. */
export function parseTmpfs(dst: string, options: string): MountPoint {
  const opts = ['noexec', 'nosuid', 'nodev'];
  for (const o of options === '' ? [] : options.split(',')) {
    const eq = o.indexOf('=');
    const key = eq < 0 ? o : o.slice(0, eq);
    const value = o.slice(eq + 1);
    if (eq < 0) {
      if (!TMPFS_FLAGS.has(key)) throw new InvalidParameterError(`invalid tmpfs option ["${o}"]`);
      opts.push(key);
    } else if (key === 'size') opts.push(`size=${parseHumanSize(value, o)}`);
    else if (key === 'mode') {
      if (!/^[0-7]{1,4}$/.test(value)) throw new InvalidParameterError(`invalid tmpfs option ["${o}"]`);
      opts.push(o);
    } else if (key === 'uid' || key === 'gid' || key === 'nr_inodes') opts.push(o);
    else throw new InvalidParameterError(`invalid tmpfs option ["${o}"]`);
  }
  return { Type: 'tmpfs', Source: '', Destination: absolute(dst, dst, 'tmpfs'), Mode: '', RW: !opts.includes('ro'), Propagation: '', TmpfsOptions: opts };
}
