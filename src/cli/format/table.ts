/**
 * docker's table output: its fork of Go's text/tabwriter, configured as
 * `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`, and the `--format` rules of
 * cli/command/formatter (table prefix, `json`, `\t` escapes, header row).
 */

import { compileTemplate, TemplateError } from './go-template.js';

const MIN_WIDTH = 10;
const PADDING = 3;

// Made on first use, by a non-ASCII character: a Unicode property class costs V8 about 0.5 ms
// to build and as much to compile, in a CLI process whose tables are mostly ASCII.
let zeroWidth: RegExp | undefined;
let emoji: RegExp | undefined;

/** East Asian Wide and Fullwidth blocks, which terminals draw two columns wide. */
function isWide(cp: number): boolean {
  return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) || (cp >= 0x3041 && cp <= 0x33ff)
    || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf)
    || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f)
    || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd);
}

/**
 * Terminal columns a string occupies. docker's tabwriter measures cells with
 * go-runewidth rather than counting runes, so CJK text and emoji stay aligned.
 */
export function displayWidth(s: string): number {
  let width = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0x20 && cp < 0x7f) {
      width++;
      continue;
    }
    if ((zeroWidth ??= /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]$/u).test(ch)) continue;
    width += isWide(cp) || (emoji ??= /^\p{Emoji_Presentation}$/u).test(ch) ? 2 : 1;
  }
  return width;
}

interface Cell { readonly text: string; readonly width: number }

/** Go's tabwriter.format: columns are blocks of consecutive lines sharing a tab-terminated cell. */
function formatLines(lines: readonly Cell[][]): string {
  let out = '';
  const widths: number[] = [];
  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      (lines[i] ?? []).forEach((c, j) => {
        out += c.text;
        const w = widths[j];
        // Only tab-terminated cells have a column width; the last cell is never padded.
        if (w !== undefined) out += ' '.repeat(Math.max(0, w - c.width));
      });
      if (i + 1 < lines.length) out += '\n';
    }
  };
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= (lines[t]?.length ?? 0) - 1) continue;
      writeLines(line0, t);
      line0 = t;
      let width = MIN_WIDTH;
      for (; t < line1; t++) {
        const line = lines[t] ?? [];
        if (column >= line.length - 1) break;
        width = Math.max(width, (line[column]?.width ?? 0) + PADDING);
      }
      widths.push(width);
      format(line0, t);
      widths.pop();
      line0 = t;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out;
}

/**
 * Aligns tab-separated text as docker's tabwriter does: each column is as wide
 * as its widest cell plus 3, at least 10; text after a line's last tab is not
 * part of a column. '\f' ends a block of columns like a flush.
 */
export function tabwrite(text: string): string {
  const sections = text.split('\f');
  return sections
    .map((section, si) => {
      const raw = section.split('\n');
      const lines = raw.map((line, i) => {
        const cells: Cell[] = line.split(/[\t\v]/).map((t) => ({ text: t, width: displayWidth(t) }));
        // Text after the final line break is unterminated; an empty cell there is no cell.
        if (si === sections.length - 1 && i === raw.length - 1 && cells[cells.length - 1]?.text === '') cells.pop();
        return cells;
      });
      return formatLines(lines);
    })
    .join('\n');
}

/** A header row and data rows, aligned; every line ends in "\n". */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return tabwrite([headers, ...rows].map((r) => `${r.join('\t')}\n`).join(''));
}

const TABLE = 'table';

function wrapError(err: unknown): never {
  if (err instanceof TemplateError) throw new TemplateError(`template parsing error: ${err.message}`, err.partialOutput);
  throw err;
}

/**
 * Renders rows for `--format` exactly as docker's formatter.Context does.
 *
 * - empty or `table`: the default table format (`table {{.ID}}\t...`);
 * - `table <template>`: a header line, made by running the template over
 *   `headers` (field name to column title, e.g. ID to "CONTAINER ID") with
 *   docker's header functions, then one line per row, aligned on tabs;
 * - `json`: `{{json .}}` per row (keys sorted, as docker's rows are maps);
 * - anything else: the template per row, one line each, unaligned.
 *
 * Literal `\t` and `\n` in the format become tab and newline. Errors are
 * TemplateErrors prefixed "template parsing error: " as docker prints them.
 */
export function formatForCli(
  format: string | undefined,
  defaultTableFormat: string,
  rows: readonly object[],
  headers: Readonly<Record<string, string>>,
): string {
  let f = format ?? '';
  if (f === '' || f === TABLE) f = defaultTableFormat.startsWith(TABLE) ? defaultTableFormat : `${TABLE} ${defaultTableFormat}`;
  const isTable = f.startsWith(TABLE);
  let body = isTable ? f.slice(TABLE.length) : f === 'json' ? '{{json .}}' : f;
  body = body.replace(/^ +| +$/g, '').replace(/\\[tn]/g, (esc) => (esc === '\\t' ? '\t' : '\n'));

  let tmpl;
  try {
    tmpl = compileTemplate(body);
  } catch (err) {
    return wrapError(err);
  }
  let out = '';
  for (const row of rows) {
    try {
      out += `${tmpl.execute(row)}\n`;
    } catch (err) {
      return wrapError(err);
    }
  }
  if (!isTable) return out;
  let header: string;
  try {
    header = tmpl.executeHeader(headers);
  } catch (err) {
    // docker ignores a failing header and prints what was rendered before the failure.
    if (!(err instanceof TemplateError)) throw err;
    header = err.partialOutput;
  }
  return tabwrite(`${header}\n${out}`);
}

/** docker's formatter.Ellipsis for plain text: cut to `max` characters, the last one `…`. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  return `${chars.slice(0, max - 1).join('')}…`;
}
