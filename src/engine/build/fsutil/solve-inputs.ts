/**
 * SolveInputs on a client's session, as buildkit's daemon makes these calls
 * (session/filesync/filesync.go, session/secrets): the build context and Dockerfile through
 * FileSync.DiffCopy, secrets through Secrets.GetSecret, outputs through FileSend.DiffCopy.
 * The call's gRPC metadata carries the options; the transport sends each value of a key as a
 * header of its own.
 */
import type { Readable } from 'node:stream';
import { InvalidParameterError } from '../../../core/errors.js';
import type { BuildSession, SolveInputs } from '../solve-types.js';
import { receive } from './receive.js';
import { send } from './send.js';
import { sendBytes } from './send-bytes.js';

export const FILESYNC_DIFFCOPY = '/moby.filesync.v1.FileSync/DiffCopy';
export const FILESEND_DIFFCOPY = '/moby.filesync.v1.FileSend/DiffCopy';
export const SECRETS_GETSECRET = '/moby.buildkit.secrets.v1.Secrets/GetSecret';

// buildkit's metadata keys (filesync.go): the client's FileSync provider and SyncTarget read these.
export const KEY_DIR_NAME = 'dir-name';
export const KEY_INCLUDE_PATTERNS = 'include-patterns';
export const KEY_EXCLUDE_PATTERNS = 'exclude-patterns';
export const KEY_FOLLOW_PATHS = 'followpaths';
/** Which of the client's --output entries a FileSend call is for (buildkit ≥ 0.13; older clients have one). */
export const KEY_EXPORTER_ID = 'buildkit-attachable-exporter-id';
/** Says one local transfer carries every platform, which `--output type=local,mode=delete` requires. */
export const KEY_EXPORTER_MULTI_PLATFORM = 'buildkit-exporter-multi-platform';
export const KEY_EXPORTER_META_PREFIX = 'exporter-md-';

/** SolveInputs, and exportFile may pass the exporter's response (buildkit's oci/docker exporters do). */
export interface SessionInputs extends SolveInputs {
  exportFile(data: Readable, index: number, md?: Record<string, string>): Promise<void>;
}

const SSH_FORWARD_AGENT = '/moby.sshforward.v1.SSH/ForwardAgent';
const KEY_SSH_ID = 'buildkit.ssh.id';

export function makeSolveInputs(session: BuildSession): SessionInputs {
  const need = (method: string, what: string): void => {
    if (!session.supports(method)) throw new InvalidParameterError(`the client's session does not offer ${method}, needed for ${what}; use a client that serves it (docker buildx)`);
  };
  return {
    async syncDir(name, dest, opts, onBytes) {
      need(FILESYNC_DIFFCOPY, `the local directory "${name}"`);
      const md: Record<string, string[]> = { [KEY_DIR_NAME]: [name] };
      // As buildkit: an empty list is no header at all.
      if (opts.includePatterns?.length) md[KEY_INCLUDE_PATTERNS] = opts.includePatterns;
      if (opts.excludePatterns?.length) md[KEY_EXCLUDE_PATTERNS] = opts.excludePatterns;
      if (opts.followPaths?.length) md[KEY_FOLLOW_PATHS] = opts.followPaths;
      const ch = session.packets(FILESYNC_DIFFCOPY, encodeMetadata(md));
      await receive(ch, dest, { label: `the local directory "${name}"`, ...(onBytes ? { onBytes } : {}) });
    },
    async secret(id) {
      if (!session.supports(SECRETS_GETSECRET)) return null;
      return await session.secret(id);
    },
    async sshAgent(id) {
      // buildkit's sshforward: CheckAgent first; each connection is a ForwardAgent call keyed by id.
      if (!session.supports(SSH_FORWARD_AGENT) || !(await session.sshCheck(id))) return null;
      return { connect: () => session.bytes(SSH_FORWARD_AGENT, { [KEY_SSH_ID]: [id] }) };
    },
    async exportDir(src, index) {
      need(FILESEND_DIFFCOPY, 'a local output');
      const md = { [KEY_EXPORTER_ID]: [String(index)], [KEY_EXPORTER_MULTI_PLATFORM]: ['1'] };
      await send(session.packets(FILESEND_DIFFCOPY, md), src, { label: 'the local output' });
    },
    async exportFile(data, index, md = {}) {
      need(FILESEND_DIFFCOPY, 'an output file');
      const headers: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(md)) headers[KEY_EXPORTER_META_PREFIX + k] = [v];
      headers[KEY_EXPORTER_ID] = [String(index)];
      await sendBytes(session.bytes(FILESEND_DIFFCOPY, headers), data);
    },
  };
}

/**
 * buildkit's encodeOpts: a key whose values hold non-ASCII characters (which a gRPC header
 * cannot carry) has them all query-escaped, and `<key>-encoded: 1` tells the client.
 */
export function encodeMetadata(md: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, values] of Object.entries(md)) {
    const encode = values.some((v) => /[^\x00-\x7f]/.test(v));
    out[k] = encode ? values.map(queryEscape) : values;
    if (encode) out[`${k}-encoded`] = ['1'];
  }
  return out;
}

/** Go's url.QueryEscape, which the client's url.QueryUnescape reverses. */
export function queryEscape(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s)) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
