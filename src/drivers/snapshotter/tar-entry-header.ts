import type { Header } from 'tar-stream';
import type { TarEntryHeader } from './write-tar-entry.js';

/** tar-stream's header as it really arrives: unknown types as strings, PAX records when present. */
export type RawTarHeader = Omit<Header, 'type' | 'pax'> & { type: string | null; pax?: Record<string, string> | null };

/**
 * The entry as the extractors write it. PAX carries ids above the octal field's limit,
 * sub-second times and xattrs, which tar-stream leaves in `pax`; `owner` overrides the ids
 * (`docker cp` with copyUIDGID).
 */
export function tarEntryHeader(path: string, kind: TarEntryHeader['kind'], h: RawTarHeader, owner?: { uid: number; gid: number }): TarEntryHeader {
  const pax = h.pax ?? {};
  const xattrs = new Map<string, string>();
  for (const [key, value] of Object.entries(pax)) {
    if (key.startsWith('SCHILY.xattr.')) xattrs.set(key.slice('SCHILY.xattr.'.length), value);
  }
  const mtime = paxNumber(pax['mtime']) ?? (h.mtime ? h.mtime.getTime() / 1000 : 0);
  return {
    path,
    kind,
    mode: h.mode ?? (kind === 'directory' ? 0o755 : 0o644),
    uid: owner?.uid ?? paxNumber(pax['uid']) ?? h.uid ?? 0,
    gid: owner?.gid ?? paxNumber(pax['gid']) ?? h.gid ?? 0,
    mtime,
    atime: paxNumber(pax['atime']) ?? mtime,
    linkname: h.linkname ?? '',
    devmajor: h.devmajor ?? 0,
    devminor: h.devminor ?? 0,
    xattrs,
  };
}

function paxNumber(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}
