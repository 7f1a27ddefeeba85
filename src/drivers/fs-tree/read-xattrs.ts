import { SystemError } from '../../core/errors.js';
import { runCommand } from '../../core/run-command.js';

/** Extended attributes of one file, by name; values are raw bytes. */
export type Xattrs = ReadonlyMap<string, Buffer>;
/** Xattrs by absolute path; files without any (matching) xattr are absent. */
export type XattrIndex = ReadonlyMap<string, Xattrs>;

/** getfattr's `-m -`: every namespace (user, trusted, security, system). */
export const ALL_XATTRS = '-';

/**
 * overlayfs' own xattrs: `trusted.overlay.*`, or `user.overlay.*` where overlay is mounted with
 * `userxattr` (a rootless daemon's user namespace, which cannot set trusted.*). Chosen once, at
 * daemon start, before any layer is written.
 */
let overlayPrefix = 'trusted.overlay.';

export function useUserOverlayXattrs(): void {
  overlayPrefix = 'user.overlay.';
}

/** Whether overlay mounts need `userxattr` (their xattrs are user.overlay.*). */
export function overlayUsesUserXattrs(): boolean {
  return overlayPrefix === 'user.overlay.';
}

/** The opaque-directory marker under the prefix in use. */
export function opaqueXattr(): string {
  return `${overlayPrefix}opaque`;
}

/** overlayfs' metadata, which a layer must neither carry nor forge: trusted.overlay.*, and user.overlay.* when that is in use. */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith('trusted.overlay.') || name.startsWith(overlayPrefix);
}

/** Keeps one getfattr command line well below ARG_MAX. */
const ARGS_BUDGET = 64 * 1024;

/*
 * Node has no getxattr(2); getfattr (the attr package, whose setfattr the snapshotter already
 * uses) reads them. -h: never follow symlinks; -e hex: binary values survive; --absolute-names:
 * the printed paths are the ones given, so they can be matched back.
 */
const DUMP = ['--absolute-names', '-h', '-d', '-e', 'hex'];

/** Xattrs of `root` and everything below it (one process for the whole tree; symlinks not followed). */
export async function readXattrTree(root: string, pattern = ALL_XATTRS): Promise<XattrIndex> {
  return await getfattr(['-R', '-P', ...DUMP, '-m', pattern, '--', root]);
}

/** Xattrs of the given files, in as few processes as the command-line budget allows. */
export async function readXattrs(paths: readonly string[], pattern = ALL_XATTRS): Promise<XattrIndex> {
  const out = new Map<string, Xattrs>();
  let batch: string[] = [];
  let length = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    for (const [path, attrs] of await getfattr([...DUMP, '-m', pattern, '--', ...batch])) out.set(path, attrs);
    batch = [];
    length = 0;
  };
  for (const path of paths) {
    if (length + path.length > ARGS_BUDGET) await flush();
    batch.push(path);
    length += path.length + 1;
  }
  await flush();
  return out;
}

async function getfattr(args: string[]): Promise<XattrIndex> {
  const res = await runCommand('getfattr', args, { allowFailure: true });
  // A file removed meanwhile (a running container) is no error; anything else would silently
  // drop xattrs (opaque markers among them), so it fails the operation.
  const problems = res.stderr.split('\n').filter((l) => l.trim() !== '' && !/No such file or directory$/.test(l));
  if (res.code !== 0 && problems.length > 0) throw new SystemError(`cannot read extended attributes: ${problems.join('; ')}`);
  return parseGetfattrDump(res.stdout);
}

/** Parses `getfattr -d -e hex` output: `# file: <path>` blocks of `name=0x<hex>` lines. */
export function parseGetfattrDump(text: string): Map<string, Map<string, Buffer>> {
  const out = new Map<string, Map<string, Buffer>>();
  let current: Map<string, Buffer> | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) {
      current = new Map();
      out.set(unescapeOctal(line.slice('# file: '.length)), current);
    } else if (line !== '' && current !== null) {
      const eq = line.indexOf('=');
      const name = unescapeOctal(eq < 0 ? line : line.slice(0, eq));
      current.set(name, eq < 0 ? Buffer.alloc(0) : decodeValue(line.slice(eq + 1)));
    }
  }
  return out;
}

/** getfattr escapes backslashes and non-printable bytes (newline, UTF-8) as `\ooo`. */
function unescapeOctal(text: string): string {
  if (!text.includes('\\')) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const octal = /^\\([0-7]{3})/.exec(text.slice(i, i + 4));
    if (octal) {
      bytes.push(parseInt(octal[1] as string, 8));
      i += 3;
    } else {
      bytes.push(...Buffer.from(text[i] as string));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeValue(value: string): Buffer {
  if (value.startsWith('0x')) return Buffer.from(value.slice(2), 'hex');
  if (value.startsWith('0s')) return Buffer.from(value.slice(2), 'base64');
  // Text form (`"..."`), which -e hex should not produce; kept as its characters.
  return Buffer.from(value.replace(/^"|"$/g, ''));
}
