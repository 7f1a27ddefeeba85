/**
 * Builds a Debian root filesystem tar with mmdebstrap (`berth image bootstrap debian`), from
 * the Debian mirror the host's apt already uses, so no container registry is needed.
 * Needs root (mmdebstrap --mode=root) and the mmdebstrap and debian-archive-keyring packages.
 * The tar differs on every run (file times) unless SOURCE_DATE_EPOCH is set in the environment,
 * which mmdebstrap honours: then the same mirror state gives a byte-identical tar.
 */
import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { InvalidParameterError, UnavailableError, errnoCode, errorMessage } from '../../core/errors.js';

export const DEBIAN_IMAGE_CHANGES = [
  'CMD ["bash"]',
  'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
];

export const DEFAULT_DEBIAN_MIRROR = 'http://deb.debian.org/debian';
const STDERR_TAIL = 20;

export interface DebianRootfsOptions {
  mirror?: string;
  onLog?: (line: string) => void;
}

export async function debianRootfsTar(suite: string, opts: DebianRootfsOptions = {}): Promise<Readable> {
  if (!/^[a-z]+$/.test(suite)) {
    throw new InvalidParameterError(
      `invalid Debian suite ${JSON.stringify(suite)}: use a suite or codename such as bookworm, trixie, bullseye, stable or testing`,
    );
  }
  if (opts.mirror !== undefined && !/^(https?|file):\/\/[^\s]+$/.test(opts.mirror)) {
    throw new InvalidParameterError(`invalid mirror ${JSON.stringify(opts.mirror)}: want an http://, https:// or file:// URL`);
  }
  if (process.getuid?.() !== 0) {
    throw new UnavailableError('bootstrapping a Debian image needs root (mmdebstrap --mode=root)');
  }
  const mirror = opts.mirror ?? (await hostDebianMirror()) ?? DEFAULT_DEBIAN_MIRROR;
  opts.onLog?.(`mmdebstrap ${suite} from ${mirror}`);
  return await runMmdebstrap(['--variant=minbase', '--mode=root', '--format=tar', suite, '-', mirror], opts.onLog);
}

async function runMmdebstrap(args: string[], onLog: ((line: string) => void) | undefined): Promise<Readable> {
  const child = spawn('mmdebstrap', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => {
      const hint = errnoCode(err) === 'ENOENT' ? 'mmdebstrap is not installed: apt-get install mmdebstrap' : errorMessage(err);
      reject(new UnavailableError(`cannot run mmdebstrap: ${hint}`, { cause: err }));
    });
  });

  const tail: string[] = [];
  let partial = '';
  const emit = (line: string): void => {
    tail.push(line);
    if (tail.length > STDERR_TAIL) tail.shift();
    onLog?.(line);
  };
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.trim() !== '') emit(l);
  });

  const out = new PassThrough();
  child.stdout.pipe(out, { end: false });
  // 'close' comes after stdout has ended, so every byte is in `out` before we end or fail it.
  child.on('close', (code, signal) => {
    if (partial.trim() !== '') emit(partial);
    if (code === 0) {
      out.end();
      return;
    }
    const why = signal ? `killed by ${signal}` : `exit ${code ?? '?'}`;
    const last = tail.length ? `:\n${tail.join('\n')}` : '';
    out.destroy(new UnavailableError(`mmdebstrap ${args.join(' ')} failed (${why})${last}`));
  });
  // A consumer that gives up (destroys the stream) must not leave mmdebstrap running. Keep
  // draining its stdout: blocked on a full pipe, it could not reach its cleanup.
  out.on('close', () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdout.unpipe(out);
    child.stdout.resume();
    child.kill('SIGTERM');
  });
  return out;
}

/** The first Debian archive URI the host's apt sources use for a main suite, if any. */
async function hostDebianMirror(): Promise<string | undefined> {
  const files = ['/etc/apt/sources.list'];
  try {
    const dir = '/etc/apt/sources.list.d';
    for (const name of (await readdir(dir)).sort()) {
      if (name.endsWith('.list') || name.endsWith('.sources')) files.push(`${dir}/${name}`);
    }
  } catch {
    // no sources.list.d: only sources.list counts
  }
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    const found = file.endsWith('.sources') ? mirrorFromDeb822(text) : mirrorFromOneLine(text);
    if (found) return found;
  }
  return undefined;
}

interface AptSource {
  uri: string;
  suites: string[];
}

/** Picks the first source of a main suite (not -security/-updates/-backports) over http(s). */
function pickMirror(sources: AptSource[]): string | undefined {
  for (const s of sources) {
    if (!/^https?:\/\//.test(s.uri)) continue;
    if (s.suites.some((suite) => /^[a-z]+$/.test(suite))) return s.uri.replace(/\/+$/, '');
  }
  return undefined;
}

/** `deb [opts] URI suite components…` lines of sources.list. */
export function mirrorFromOneLine(text: string): string | undefined {
  const sources: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').replace(/\[[^\]]*\]/, ' ').trim();
    const [type, uri, suite] = line.split(/\s+/);
    if (type === 'deb' && uri && suite) sources.push({ uri, suites: [suite] });
  }
  return pickMirror(sources);
}

/** deb822 stanzas of *.sources: `Types: deb`, `URIs:`, `Suites:`, optional `Enabled: no`. */
export function mirrorFromDeb822(text: string): string | undefined {
  const sources: AptSource[] = [];
  const lines = text.split('\n').filter((l) => !l.startsWith('#'));
  for (const stanza of lines.join('\n').split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last = '';
    for (const l of stanza.split('\n')) {
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(l);
      if (m?.[1] !== undefined && m[2] !== undefined) {
        last = m[1].toLowerCase();
        fields.set(last, m[2].trim());
      } else if (/^\s/.test(l) && last) {
        fields.set(last, `${fields.get(last) ?? ''} ${l.trim()}`); // continuation line
      }
    }
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    if (/^(no|false|0)$/i.test(fields.get('enabled') ?? '')) continue;
    const suites = (fields.get('suites') ?? '').split(/\s+/).filter(Boolean);
    for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) sources.push({ uri, suites });
  }
  return pickMirror(sources);
}
