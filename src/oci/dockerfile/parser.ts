/**
 * The Dockerfile parser, a port of BuildKit's `frontend/dockerfile/parser` (which docker's legacy
 * builder uses too): directives, line continuations with the escape token, comments, empty
 * continuation lines, JSON (exec) or shell form, builder flags and heredocs. The result is the
 * AST docker builds from; `dumpNode` prints a node the way BuildKit's `Node.Dump` does.
 */

export interface Heredoc {
  name: string;
  content: string;
  /** False when the delimiter was quoted (`<<"EOF"`): no variable expansion. */
  expand: boolean;
  /** `<<-EOF`: leading tabs removed. */
  chomp: boolean;
}

export interface Node {
  /** The instruction, lowercased (`run`); for argument nodes the argument. */
  value: string;
  /** The arguments, in order (an ONBUILD keeps its trigger in `children`). */
  next: string[];
  /** Argument nodes that are whole instructions (ONBUILD's trigger). */
  children: Node[];
  flags: string[];
  /** Exec (JSON array) form. */
  json: boolean;
  /** The instruction's text as written, continuations joined (heredoc bodies not included). */
  original: string;
  startLine: number;
  endLine: number;
  heredocs: Heredoc[];
  /** For ENV/LABEL: the separator of each pair ("=" or "" for the legacy `KEY value`). */
  separators?: string[];
}

export interface ParseResult {
  nodes: Node[];
  escapeToken: string;
  syntax?: string;
  warnings: string[];
}

export class DockerfileSyntaxError extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
  }
}

const WHITESPACE = /[\t\v\f\r ]+/;
const HEREDOC_COMMANDS = new Set(['add', 'copy', 'run']);
const HEREDOC_RE = /^<<(-?)\s*(?:(["'])([^"']*)\2|([A-Za-z0-9_.-]+))/;

interface Directives {
  escapeToken: string;
  syntax?: string;
  seen: Set<string>;
  done: boolean;
}

/** `# escape=` and `# syntax=` (also `check`) at the very top; anything else ends them. */
function parseDirective(line: string, d: Directives, lineNo: number): boolean {
  if (d.done) return false;
  const m = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/.exec(line);
  if (!m) {
    d.done = true;
    return false;
  }
  const key = (m[1] as string).toLowerCase();
  const value = m[2] as string;
  if (!['escape', 'syntax', 'check'].includes(key)) {
    d.done = true;
    return false;
  }
  if (d.seen.has(key)) throw new DockerfileSyntaxError(`only one ${key} parser directive can be used`, lineNo);
  d.seen.add(key);
  if (key === 'escape') {
    if (value !== '`' && value !== '\\') throw new DockerfileSyntaxError(`invalid escape token '${value}' does not match ` + '` or \\', lineNo);
    d.escapeToken = value;
  } else if (key === 'syntax') d.syntax = value;
  return true;
}

function isComment(line: string): boolean {
  return /^[\t\v\f\r ]*#/.test(line);
}

function continuationRe(escape: string): RegExp {
  return new RegExp(`\\${escape}[ \\t]*$`);
}

/** Parses a whole Dockerfile. Errors carry the line they were found on. */
export function parseDockerfile(text: string): ParseResult {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const d: Directives = { escapeToken: '\\', seen: new Set(), done: false };
  const nodes: Node[] = [];
  const warnings: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const startLine = i + 1;
    const raw = (lines[i] as string).replace(/\r$/, '');
    i++;
    if (parseDirective(raw, d, startLine)) continue;
    const first = raw.replace(/^[\t\v\f\r ]+/, '');
    if (first === '' || isComment(first)) continue;
    const cont = continuationRe(d.escapeToken);
    let line = first;
    let ended = !cont.test(line);
    if (!ended) line = line.replace(cont, '');
    let emptyContinuation = false;
    while (!ended && i < lines.length) {
      const next = (lines[i] as string).replace(/\r$/, '');
      i++;
      if (isComment(next)) continue;
      if (next.trim() === '') {
        emptyContinuation = true;
        continue;
      }
      ended = !cont.test(next);
      line += ended ? next : next.replace(cont, '');
    }
    const endLine = i;
    if (emptyContinuation) warnings.push(`[WARNING]: Empty continuation line found in:\n    ${line}`);
    const node = nodeFromLine(line, d.escapeToken, startLine);
    node.endLine = endLine;
    if (HEREDOC_COMMANDS.has(node.value) && !node.json) {
      for (const h of heredocMarkers(node, d.escapeToken)) {
        const body: string[] = [];
        let closed = false;
        while (i < lines.length) {
          let l = (lines[i] as string).replace(/\r$/, '');
          i++;
          if (h.chomp) l = l.replace(/^\t+/, '');
          if (l === h.name) {
            closed = true;
            break;
          }
          body.push(l + '\n');
        }
        if (!closed) throw new DockerfileSyntaxError(`unterminated heredoc`, startLine);
        node.heredocs.push({ ...h, content: body.join('') });
        node.endLine = i;
      }
    }
    nodes.push(node);
  }
  if (nodes.length === 0) throw new DockerfileSyntaxError('file with no instructions', 0);
  return { nodes, escapeToken: d.escapeToken, ...(d.syntax !== undefined ? { syntax: d.syntax } : {}), warnings };
}

/** The `<<EOF` words of a RUN/COPY/ADD line, in order. */
function heredocMarkers(node: Node, escape: string): Array<Omit<Heredoc, 'content'>> {
  const out: Array<Omit<Heredoc, 'content'>> = [];
  const words = node.value === 'run' ? parseWords(node.next.join(' '), escape) : node.next;
  for (const w of words) {
    const m = HEREDOC_RE.exec(w);
    if (!m) continue;
    const name = m[3] ?? m[4] ?? '';
    if (name === '') continue;
    out.push({ name, expand: m[2] === undefined, chomp: m[1] === '-' });
  }
  return out;
}

function emptyNode(value: string, original: string, line: number): Node {
  return { value, next: [], children: [], flags: [], json: false, original, startLine: line, endLine: line, heredocs: [] };
}

/** One logical line (continuations joined) to a node; also ONBUILD's trigger. */
export function nodeFromLine(line: string, escape: string, lineNo: number): Node {
  const trimmed = line.trim();
  const parts = trimmed.split(WHITESPACE);
  const cmd = (parts[0] ?? '').toLowerCase();
  const rest0 = trimmed.slice((parts[0] ?? '').length).replace(/^[\t\v\f\r ]+/, '');
  const { rest, flags } = extractBuilderFlags(rest0);
  const node = emptyNode(cmd, trimmed, lineNo);
  node.flags = flags;
  try {
    parseArgs(node, cmd, rest, escape, lineNo);
  } catch (err) {
    if (err instanceof DockerfileSyntaxError) throw err;
    throw new DockerfileSyntaxError((err as Error).message, lineNo);
  }
  return node;
}

function parseArgs(node: Node, cmd: string, rest: string, escape: string, lineNo: number): void {
  switch (cmd) {
    case 'add':
    case 'copy':
    case 'volume':
      maybeJsonToList(node, rest);
      return;
    case 'arg':
      node.next = parseWords(rest, escape);
      return;
    case 'cmd':
    case 'entrypoint':
    case 'run':
    case 'shell':
      maybeJson(node, rest);
      return;
    case 'env':
    case 'label':
      nameVal(node, rest, cmd.toUpperCase(), escape);
      return;
    case 'expose':
    case 'from':
      node.next = rest === '' ? [] : rest.split(WHITESPACE);
      return;
    case 'healthcheck': {
      const m = /^(\S+)\s*([\s\S]*)$/.exec(rest);
      if (!m) return;
      node.next = [m[1] as string];
      const cmdNode = emptyNode('', '', lineNo);
      maybeJson(cmdNode, m[2] as string);
      node.next.push(...cmdNode.next);
      node.json = cmdNode.json;
      return;
    }
    case 'maintainer':
    case 'stopsignal':
    case 'user':
    case 'workdir':
      node.next = rest === '' ? [] : [rest];
      return;
    case 'onbuild':
      if (rest === '') return;
      node.children = [nodeFromLine(rest, escape, lineNo)];
      return;
    default:
      node.next = [''];
  }
}

/** JSON array of strings, or undefined when `rest` is not JSON; an array of non-strings is an error. */
function parseJsonArray(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(rest);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  if (!parsed.every((s) => typeof s === 'string')) throw new Error('when using JSON array syntax, arrays must be comprised of strings only');
  return parsed as string[];
}

function maybeJson(node: Node, rest: string): void {
  if (rest === '') return;
  const json = parseJsonArray(rest);
  if (json) {
    node.next = json;
    node.json = true;
  } else node.next = [rest];
}

function maybeJsonToList(node: Node, rest: string): void {
  const json = parseJsonArray(rest);
  if (json) {
    node.next = json;
    node.json = true;
  } else if (rest !== '') node.next = rest.split(WHITESPACE);
}

function nameVal(node: Node, rest: string, key: string, escape: string): void {
  if (rest === '') return;
  const words = parseWords(rest, escape);
  if (words.length === 0) return;
  if (!(words[0] as string).includes('=')) {
    const parts = rest.split(WHITESPACE);
    if (parts.length < 2) throw new Error(`${key} must have two arguments`);
    const value = rest.slice((parts[0] as string).length).replace(/^[\t\v\f\r ]+/, '');
    node.next = [parts[0] as string, value];
    node.separators = [''];
    return;
  }
  node.separators = [];
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq < 0) throw new Error(`Syntax error - can't find = in "${word}". Must be of the form: name=value`);
    node.next.push(word.slice(0, eq), word.slice(eq + 1));
    node.separators.push('=');
  }
}

const isSpace = (ch: string): boolean => /\s/.test(ch);

/**
 * Splits on whitespace outside quotes, keeping quotes and escapes in the words (they are
 * removed later, when the word is expanded), as BuildKit's parseWords.
 */
export function parseWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOK = false;
  const chars = Array.from(rest);
  for (let pos = 0; pos <= chars.length; pos++) {
    let ch = chars[pos] ?? '';
    if (phase === 'spaces') {
      if (pos === chars.length) break;
      if (isSpace(ch)) continue;
      phase = 'word';
    }
    if (pos === chars.length) {
      if (blankOK || word.length > 0) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escape) {
        if (pos + 1 === chars.length) continue;
        word += ch;
        pos++;
        ch = chars[pos] as string;
      }
      word += ch;
      continue;
    }
    if (ch === quote) phase = 'word';
    if (ch === escape && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      pos++;
      word += ch;
      ch = chars[pos] as string;
    }
    word += ch;
  }
  return words;
}

/** Leading `--name=value` words of an instruction (BuildKit's extractBuilderFlags). */
export function extractBuilderFlags(line: string): { rest: string; flags: string[] } {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    let ch = line[pos] ?? '';
    if (phase === 'spaces') {
      if (pos === line.length) break;
      if (isSpace(ch)) continue;
      if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-') return { rest: line.slice(pos), flags: words };
      phase = 'word';
    }
    if (pos === line.length) {
      if (word !== '--' && (blankOK || word.length > 0)) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (word === '--') return { rest: line.slice(pos), flags: words };
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      if (ch === '\\') {
        if (pos + 1 === line.length) continue;
        pos++;
        ch = line[pos] as string;
      }
      word += ch;
      continue;
    }
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === '\\') {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      pos++;
      ch = line[pos] as string;
    }
    word += ch;
  }
  return { rest: '', flags: words };
}

/** A node as BuildKit's `Node.Dump` prints it: `run ["--mount=x"] "echo hi"`. */
export function dumpNode(node: Node): string {
  let s = node.value.toLowerCase();
  if (node.flags.length > 0) s += ` [${node.flags.map((f) => JSON.stringify(f)).join(' ')}]`;
  for (const c of node.children) s += ` (${dumpNode(c)})`;
  const seps = node.separators;
  node.next.forEach((v, idx) => {
    s += ` ${JSON.stringify(v)}`;
    if (seps && idx % 2 === 1) s += ` ${JSON.stringify(seps[(idx - 1) / 2] ?? '')}`;
  });
  return s.trim();
}
