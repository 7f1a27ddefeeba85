/**
 * Writes docs/errors.md: every typed error with its HTTP status and gRPC code, read from
 * api/errors.ts and from the error classes declared in src/. test/unit/errors-doc.test.ts fails
 * when the file is stale or when a new error class has no entry here (`npm run docs:errors`).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { ERROR_GRPC_CODES, ERROR_HTTP_STATUS } from '../src/api/errors.js';
import type { ErrorKind } from '../src/core/errors.js';

const REPO = resolve(import.meta.dirname, '../..');
export const ERRORS_DOC = join(REPO, 'docs/errors.md');

/** The base class of each kind in src/core/errors.ts, and when a layer throws it. */
const KINDS: Record<ErrorKind, { cls: string; when: string }> = {
  'invalid-parameter': { cls: 'InvalidParameterError', when: 'the request is wrong: a bad flag value, filter, name, reference, Dockerfile or archive' },
  unauthorized: { cls: 'UnauthorizedError', when: 'a registry refused the credentials (or asked for some)' },
  forbidden: { cls: 'ForbiddenError', when: 'docker answers 403 here too: a predefined network, a subnet that overlaps, a connect the network mode forbids' },
  'not-found': { cls: 'NotFoundError', when: 'no container, image, volume, network, exec, build or record by that name or ID' },
  conflict: { cls: 'ConflictError', when: 'the object is in a state that forbids it: a name in use, a running container, an image in use' },
  'not-modified': { cls: 'NotModifiedError', when: 'nothing to do: start of a running container, stop of a stopped one' },
  'not-implemented': { cls: 'NotImplementedError', when: 'Berth does not do this (yet); the message names what and, where there is one, the alternative' },
  unavailable: { cls: 'UnavailableError', when: 'something Berth needs is missing on this host or not ready (a runtime, a kernel feature, the BuildKit protocols)' },
  timeout: { cls: 'TimeoutError', when: 'a call did not finish within the time its caller gave it (a CRI ExecSync past its timeout: gRPC DEADLINE_EXCEEDED)' },
  system: { cls: 'SystemError', when: 'the host failed an operation Berth asked for (a mount, a runtime call, a disk write)' },
};

/**
 * Errors that are not typed: they stay inside one module, which turns them into a typed error
 * (or a stream's error message) before anything reaches a client. Each names where that happens.
 */
const INTERNAL: Record<string, string> = {
  DockerfileError: 'a Dockerfile instruction is wrong; the build service makes it `InvalidParameterError` (400)',
  DockerfileSyntaxError: 'the Dockerfile does not parse; the build service makes it `InvalidParameterError` (400)',
  ShellLexError: 'a word in a Dockerfile does not expand; becomes `InvalidParameterError` (400)',
  SolveError: 'a BuildKit solve failed in a step; sent as a gRPC UNKNOWN with the failed vertex, as BuildKit does',
  RunFailedError: 'a build RUN exited non-zero; the classic build stream sends it as `errorDetail` with the exit code',
  TarFormatError: 'an archive is malformed; `read-tar-entries` makes it `InvalidParameterError` (400) naming the archive',
  TarInputError: 'reading an archive\'s input failed; the cause is rethrown as the request\'s error',
  RegistryError: 'the registry server\'s own errors, sent in the distribution spec\'s error body with their status',
  PatternSyntaxError: 'a filter or .dockerignore pattern does not parse; becomes `InvalidParameterError` (400)',
  GrpcCallError: 'a call to a BuildKit client\'s session failed; the session code treats NOT_FOUND as "the client has no such file or secret"',
  ReturnedError: 'a gRPC status a BuildKit handler returns as it is',
  CniConfigError: 'a CNI network config file does not parse or is not usable; the CNI driver skips the file (as libcni\'s loaders do) and names it with the reason in the pod network\'s status',
  EarlyExit: 'berthd exits before serving (`--help`, `--version`, a bad option) with its exit code',
};

/** Typed errors whose kind depends on the case, with the rule that picks it. */
const VARIABLE_KIND: Record<string, string> = {
  CniPluginError:
    'a CNI plugin failed a pod network ADD, DEL or CHECK (the message names the plugin, network, config file, pod, the CNI error code and what to do): `UnavailableError` (503) when the plugin asks to try again (CNI code 11) or timed out, else `SystemError` (500)',
  RuntimeStartError:
    'the runtime could not start a process: `InvalidParameterError` (400) when the command or a mount is wrong (executable not found — exit 127 —, permission denied — 126 —, not a directory, no such working directory), else `SystemError` (500)',
};

/** Client-side errors: the CLI turns them into a message and docker's exit codes (1, 125). */
const CLIENT_DIRS = ['src/cli', 'src/client'];

interface ErrorClass { name: string; base: string; file: string }

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

export async function errorClasses(): Promise<ErrorClass[]> {
  const out: ErrorClass[] = [];
  for (const file of await sourceFiles(join(REPO, 'src'))) {
    for (const m of (await readFile(file, 'utf8')).matchAll(/class (\w+) extends (\w+)/g)) out.push({ name: m[1]!, base: m[2]!, file: relative(REPO, file) });
  }
  const names = new Map(out.map((c) => [c.name, c]));
  // Only error classes: those whose chain of bases ends at Error.
  const isError = (c: ErrorClass | undefined, depth = 0): boolean => !!c && depth < 10 && (c.base === 'Error' || isError(names.get(c.base), depth + 1));
  return out.filter((c) => isError(c)).sort((a, b) => a.name.localeCompare(b.name));
}

function kindOf(c: ErrorClass, all: Map<string, ErrorClass>): ErrorKind | undefined {
  for (let cur: ErrorClass | undefined = c; cur; cur = all.get(cur.base)) {
    const kind = (Object.keys(KINDS) as ErrorKind[]).find((k) => KINDS[k].cls === cur!.name);
    if (kind) return kind;
  }
  return undefined;
}

export async function generateErrorsDoc(): Promise<string> {
  const classes = await errorClasses();
  const byName = new Map(classes.map((c) => [c.name, c]));
  const typed = classes.filter((c) => c.name !== 'BerthError' && kindOf(c, byName) && !Object.values(KINDS).some((k) => k.cls === c.name));
  const variable = classes.filter((c) => c.base === 'BerthError' && !kindOf(c, byName));
  const internal = classes.filter((c) => c.name !== 'BerthError' && c.base !== 'BerthError' && !kindOf(c, byName) && !CLIENT_DIRS.some((d) => c.file.startsWith(d)));
  const unexplained = variable.filter((c) => !VARIABLE_KIND[c.name]);
  if (unexplained.length > 0) throw new Error(`typed errors with their own kind and no entry in scripts/gen-errors-doc.ts VARIABLE_KIND: ${unexplained.map((c) => `${c.name} (${c.file})`).join(', ')}`);
  const missing = internal.filter((c) => !INTERNAL[c.name]);
  if (missing.length > 0) throw new Error(`error classes without an entry in scripts/gen-errors-doc.ts INTERNAL: ${missing.map((c) => `${c.name} (${c.file})`).join(', ')}`);
  const out = [
    '# Errors',
    '',
    'Generated by `npm run docs:errors` from `src/core/errors.ts`, `src/api/errors.ts` and the error',
    'classes in `src/`; `test/unit/errors-doc.test.ts` keeps it true.',
    '',
    'Every layer throws typed errors (`src/core/errors.ts`); only `src/api/errors.ts` knows HTTP and',
    'gRPC. The Docker API answers with the status below and a body `{"message": "…"}`, as dockerd does;',
    'the BuildKit API answers with the gRPC code. Messages name the object and what to do.',
    '',
    '| error | HTTP | gRPC | thrown when |',
    '|---|---:|---:|---|',
    ...(Object.keys(KINDS) as ErrorKind[]).map((k) => `| \`${KINDS[k].cls}\` | ${ERROR_HTTP_STATUS[k]} | ${ERROR_GRPC_CODES[k]} | ${KINDS[k].when} |`),
    '',
    'Any other thrown value is a bug: HTTP 500 (a JSON `SyntaxError` in a request body is 400), gRPC',
    'UNKNOWN (2), and berthd logs it. 500, 501 and 503 answers other than bugs are not logged as faults.',
    '',
    '## Subclasses',
    '',
    'They carry more for the code that catches them; the status is their kind\'s.',
    '',
    '| error | kind | HTTP | declared in |',
    '|---|---|---:|---|',
    ...typed.map((c) => {
      const k = kindOf(c, byName)!;
      return `| \`${c.name}\` | \`${KINDS[k].cls}\` | ${ERROR_HTTP_STATUS[k]} | \`${c.file}\` |`;
    }),
    '',
    'Typed errors whose kind depends on the case:',
    '',
    '| error | declared in | kind |',
    '|---|---|---|',
    ...variable.map((c) => `| \`${c.name}\` | \`${c.file}\` | ${VARIABLE_KIND[c.name]} |`),
    '',
    '## Errors that never reach a client as they are',
    '',
    '| error | declared in | what becomes of it |',
    '|---|---|---|',
    ...internal.map((c) => `| \`${c.name}\` | \`${c.file}\` | ${INTERNAL[c.name]} |`),
    '',
    'The CLI\'s own errors (in `src/cli` and `src/client`) become a message on stderr and docker\'s exit',
    'codes: 1 for an error from the daemon, 125 for a usage error, the container\'s code for `run`.',
    '',
  ];
  return out.join('\n');
}

if (process.argv[1] && import.meta.filename === resolve(process.argv[1])) {
  await writeFile(ERRORS_DOC, await generateErrorsDoc());
}
