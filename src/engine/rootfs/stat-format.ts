import type { FileMeta } from '../../drivers/fs-tree/file-meta.js';
import { isoTime } from '../../core/utc-time.js';

/*
 * The stat docker's archive API returns (X-Docker-Container-Path-Stat) is Go's os.FileInfo
 * marshalled: Go's own FileMode bit layout and RFC 3339 times. Unix st_mode bits mean nothing to
 * the CLI, which reads this mode with Go's FileMode methods.
 */
const GO_MODE_DIR = 31;
const GO_MODE_SYMLINK = 27;
const GO_MODE_DEVICE = 26;
const GO_MODE_NAMED_PIPE = 25;
const GO_MODE_SOCKET = 24;
const GO_MODE_SETUID = 23;
const GO_MODE_SETGID = 22;
const GO_MODE_CHAR_DEVICE = 21;
const GO_MODE_STICKY = 20;

const TYPE_BITS: Record<FileMeta['kind'], number[]> = {
  file: [],
  directory: [GO_MODE_DIR],
  symlink: [GO_MODE_SYMLINK],
  'character-device': [GO_MODE_DEVICE, GO_MODE_CHAR_DEVICE],
  'block-device': [GO_MODE_DEVICE],
  fifo: [GO_MODE_NAMED_PIPE],
  socket: [GO_MODE_SOCKET],
};

/** Go's FileMode of a file, as an unsigned number: JS bit operations would make bit 31 negative, which the CLI rejects. */
export function goFileMode(meta: FileMeta): number {
  const bits = [...TYPE_BITS[meta.kind]];
  if (meta.mode & 0o4000) bits.push(GO_MODE_SETUID);
  if (meta.mode & 0o2000) bits.push(GO_MODE_SETGID);
  if (meta.mode & 0o1000) bits.push(GO_MODE_STICKY);
  return bits.reduce((mode, bit) => mode + 2 ** bit, meta.mode & 0o777);
}

/** Go's RFC3339Nano (how time.Time marshals): UTC, nanoseconds without trailing zeros. */
export function rfc3339Nano(ns: bigint): string {
  const second = 1_000_000_000n;
  let seconds = ns / second;
  let fraction = ns % second;
  if (fraction < 0n) {
    fraction += second;
    seconds -= 1n;
  }
  const base = isoTime(Number(seconds) * 1000).slice(0, 19);
  const digits = fraction === 0n ? '' : `.${fraction.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${base}${digits}Z`;
}
