/**
 * Go text/template for `berth --format`, with the functions docker's CLI adds
 * (json, join, split, title, lower, upper, pad, truncate), so a format string
 * written for docker prints the same bytes under berth.
 *
 * Data is plain JavaScript: objects act as Go maps (keys sorted when printed,
 * a missing key is `<no value>`), arrays as slices, null as a nil pointer
 * (`<nil>`), integral numbers as ints. A function-valued property acts as a
 * method, so `{{.Label "com.example"}}` can call `Label(name)`.
 *
 * Modules: go-template-lexer/-parser/-nodes (syntax), go-template-exec
 * (evaluation), go-template-funcs (functions), go-template-fmt and
 * go-template-strconv (Go's printing rules), go-template-value (data model).
 */

import { executeTemplate } from './go-template-exec.js';
import { FUNC_NAMES, HEADER_FUNCS, TEMPLATE_FUNCS } from './go-template-funcs.js';
import { parseTemplate, type ParsedTemplate } from './go-template-parser.js';

export { TemplateError } from './go-template-value.js';

export class Template {
  readonly #parsed: ParsedTemplate;

  constructor(parsed: ParsedTemplate) {
    this.#parsed = parsed;
  }

  get text(): string {
    return this.#parsed.text;
  }

  /** Renders the template; a failure throws TemplateError with Go's message. */
  execute(data: unknown): string {
    return executeTemplate(this.#parsed, data, TEMPLATE_FUNCS);
  }

  /**
   * Renders a table header as docker does: with its HeaderFunctions, where
   * json/split/join/title/lower/upper/truncate return the column name unchanged.
   */
  executeHeader(header: unknown): string {
    return executeTemplate(this.#parsed, header, HEADER_FUNCS);
  }
}

/** Parses a template; a syntax error throws TemplateError (`template: :1: ...`). */
export function compileTemplate(text: string): Template {
  return new Template(parseTemplate(text, FUNC_NAMES));
}
