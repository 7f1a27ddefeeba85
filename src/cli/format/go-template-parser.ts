/**
 * Recursive-descent parser for Go text/template, a port of the grammar in
 * Go's `text/template/parse/parse.go`, including its error messages
 * (`template: :1: unexpected "}" in operand`).
 */

import { isKeyword, lex, type Token, type TokenKind } from './go-template-lexer.js';
import type {
  ArgNode, BranchNode, CommandNode, ListEndNode, ListNode, Node, NumberNode, PipeNode, TemplateNode, VariableNode,
} from './go-template-nodes.js';
import { nodeString } from './go-template-nodes.js';
import { goQuote, goUnquote, goUnquoteRune } from './go-template-strconv.js';
import { TemplateError, utf8Length } from './go-template-value.js';

export interface ParsedTemplate {
  readonly text: string;
  readonly root: ListNode;
  /** Templates from {{define}} and {{block}}, by name. */
  readonly defs: ReadonlyMap<string, ListNode>;
}

const OPERAND_START: ReadonlySet<TokenKind> = new Set<TokenKind>([
  'bool', 'charConstant', 'complex', 'dot', 'field', 'identifier', 'number', 'nil', 'rawString', 'string',
  'variable', 'leftParen',
]);

/** How Go quotes a token in "unexpected ..." errors. */
function describeToken(t: Token): string {
  if (t.kind === 'eof') return 'EOF';
  if (t.kind === 'error') return t.val;
  if (isKeyword(t.kind)) return `<${t.val}>`;
  if (utf8Length(t.val) > 10) return `${goQuote([...t.val].slice(0, 10).join(''))}...`;
  return goQuote(t.val);
}

const isListEnd = (n: Node | ListEndNode): n is ListEndNode => n.type === 'end' || n.type === 'else';

function isEmptyTree(n: Node): boolean {
  if (n.type === 'list') return n.nodes.every(isEmptyTree);
  return n.type === 'text' && n.text.trim() === '';
}

function parseGoInt(text: string): number | undefined {
  const m = /^([+-]?)(0[xX]_?[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*|0[oO]_?[0-7]+(?:_[0-7]+)*|0[bB]_?[01]+(?:_[01]+)*|0_?[0-7]+(?:_[0-7]+)*|[1-9][0-9]*(?:_[0-9]+)*|0)$/.exec(text);
  if (!m) return undefined;
  let body = (m[2] ?? '').replaceAll('_', '');
  if (/^0[0-7]/.test(body)) body = `0o${body.slice(1)}`;
  const v = BigInt(body);
  return Number(m[1] === '-' ? -v : v);
}

function parseGoFloat(text: string): number | undefined {
  if (!/^[+-]?(?:[0-9]+(?:_[0-9]+)*\.?(?:[0-9]+(?:_[0-9]+)*)?|\.[0-9]+(?:_[0-9]+)*)(?:[eE][+-]?[0-9]+(?:_[0-9]+)*)?$/.test(text)) {
    return undefined;
  }
  return Number(text.replaceAll('_', ''));
}

class Parser {
  private i = 0;
  private furthest = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private actionLine = 0;
  readonly defs = new Map<string, ListNode>();

  constructor(
    private readonly tokens: readonly Token[],
    private readonly funcs: ReadonlySet<string>,
  ) {}

  private next(): Token {
    const t = this.tokens[Math.min(this.i, this.tokens.length - 1)] as Token;
    this.furthest = Math.max(this.furthest, this.i);
    this.i = Math.min(this.i + 1, this.tokens.length);
    return t;
  }
  private backup(): void { this.i--; }
  private peek(): Token { const t = this.next(); this.backup(); return t; }
  private nextNonSpace(): Token {
    let t = this.next();
    while (t.kind === 'space') t = this.next();
    return t;
  }
  private peekNonSpace(): Token { const t = this.nextNonSpace(); this.backup(); return t; }

  /** Go reports the line of the last token it read from the lexer. */
  private errorf(msg: string): never {
    const t = this.tokens[Math.min(this.furthest, this.tokens.length - 1)];
    throw new TemplateError(`template: :${t?.line ?? 1}: ${msg}`);
  }
  private unexpected(t: Token, context: string): never {
    if (t.kind === 'error') {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== t.line) {
        extra = ` in action started at :${this.actionLine}`;
        if (t.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.errorf(t.val + extra);
    }
    this.errorf(`unexpected ${describeToken(t)} in ${context}`);
  }
  private expect(kind: TokenKind, context: string): Token {
    const t = this.nextNonSpace();
    if (t.kind !== kind) this.unexpected(t, context);
    return t;
  }
  private unquote(quoted: string): string {
    try {
      return goUnquote(quoted);
    } catch (err) {
      return this.errorf((err as Error).message);
    }
  }

  parse(): ListNode {
    const root: ListNode = { type: 'list', pos: this.peek().pos, nodes: [] };
    while (this.peek().kind !== 'eof') {
      if (this.peek().kind === 'leftDelim') {
        const at = this.i;
        this.next();
        if (this.nextNonSpace().kind === 'define') {
          this.definition();
          continue;
        }
        this.i = at;
      }
      const n = this.textOrAction();
      if (isListEnd(n)) this.errorf(`unexpected ${nodeString(n)}`);
      root.nodes.push(n);
    }
    return root;
  }

  /** Parses a nested template body ({{define}}, {{block}}) with its own variable scope. */
  private subTemplate(name: string, context: string): void {
    const [vars, depth] = [this.vars, this.rangeDepth];
    this.vars = ['$'];
    this.rangeDepth = 0;
    const [list, end] = this.itemList();
    if (end.type !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    const existing = this.defs.get(name);
    if (existing === undefined || isEmptyTree(existing)) this.defs.set(name, list);
    else if (!isEmptyTree(list)) this.errorf(`template: multiple definition of template ${goQuote(name)}`);
    [this.vars, this.rangeDepth] = [vars, depth];
  }

  private definition(): void {
    const context = 'define clause';
    const t = this.nextNonSpace();
    if (t.kind !== 'string' && t.kind !== 'rawString') this.unexpected(t, context);
    const name = this.unquote(t.val);
    this.expect('rightDelim', context);
    this.subTemplate(name, context);
  }

  private itemList(): [ListNode, ListEndNode] {
    const list: ListNode = { type: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().kind !== 'eof') {
      const n = this.textOrAction();
      if (isListEnd(n)) return [list, n];
      list.nodes.push(n);
    }
    return this.errorf('unexpected EOF');
  }

  private textOrAction(): Node | ListEndNode {
    const t = this.nextNonSpace();
    if (t.kind === 'text') return { type: 'text', pos: t.pos, text: t.val };
    if (t.kind !== 'leftDelim') this.unexpected(t, 'input');
    this.actionLine = t.line;
    try {
      return this.action();
    } finally {
      this.actionLine = 0;
    }
  }

  private action(): Node | ListEndNode {
    const t = this.nextNonSpace();
    switch (t.kind) {
      case 'block': return this.templateControl('block clause');
      case 'break':
      case 'continue': {
        const close = this.nextNonSpace();
        if (close.kind !== 'rightDelim') this.unexpected(close, `{{${t.kind}}}`);
        if (this.rangeDepth === 0) this.errorf(`{{${t.kind}}} outside {{range}}`);
        return { type: t.kind, pos: t.pos };
      }
      case 'else': {
        const peek = this.peekNonSpace();
        if (peek.kind === 'if' || peek.kind === 'with') return { type: 'else', pos: peek.pos };
        return { type: 'else', pos: this.expect('rightDelim', 'else').pos };
      }
      case 'end': return { type: 'end', pos: this.expect('rightDelim', 'end').pos };
      case 'if':
      case 'range':
      case 'with': return this.control(t.kind);
      case 'template': return this.templateControl('template clause');
    }
    this.backup();
    const start = this.peek();
    return { type: 'action', pos: start.pos, pipe: this.pipeline('command', 'rightDelim') };
  }

  private control(context: 'if' | 'range' | 'with'): BranchNode {
    const saved = this.vars.length;
    const pipe = this.pipeline(context, 'rightDelim');
    if (context === 'range') this.rangeDepth++;
    const [list, next] = this.itemList();
    if (context === 'range') this.rangeDepth--;
    let elseList: ListNode | null = null;
    if (next.type === 'else') {
      // "{{else if x}}" is "{{else}}{{if x}}...{{end}}" whose {{end}} is shared.
      const chained = this.peek().kind;
      if ((context === 'if' || context === 'with') && chained === context) {
        this.next();
        elseList = { type: 'list', pos: next.pos, nodes: [this.control(context)] };
      } else {
        let end: ListEndNode;
        [elseList, end] = this.itemList();
        if (end.type !== 'end') this.errorf(`expected end; found ${nodeString(end)}`);
      }
    }
    this.vars.length = saved;
    return { type: context, pos: pipe.pos, pipe, list, elseList };
  }

  private templateControl(context: 'block clause' | 'template clause'): TemplateNode {
    const t = this.nextNonSpace();
    if (t.kind !== 'string' && t.kind !== 'rawString') this.unexpected(t, context);
    const name = this.unquote(t.val);
    let pipe: PipeNode | null = null;
    if (context === 'block clause') {
      pipe = this.pipeline(context, 'rightDelim');
      this.subTemplate(name, context);
    } else if (this.nextNonSpace().kind !== 'rightDelim') {
      this.backup();
      pipe = this.pipeline(context, 'rightDelim');
    }
    return { type: 'template', pos: t.pos, name, pipe };
  }

  private pipeline(context: string, end: TokenKind): PipeNode {
    const pipe: PipeNode = { type: 'pipe', pos: this.peekNonSpace().pos, isAssign: false, decl: [], cmds: [] };
    for (let v = this.peekNonSpace(); v.kind === 'variable'; v = this.peekNonSpace()) {
      const at = this.i;
      this.next();
      const after = this.peekNonSpace();
      const declare = (): void => {
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
      };
      if (after.kind === 'assign' || after.kind === 'declare') {
        pipe.isAssign = after.kind === 'assign';
        declare();
        break;
      }
      if (after.kind === 'char' && after.val === ',') {
        declare();
        if (context === 'range' && pipe.decl.length < 2) {
          const k = this.peekNonSpace().kind;
          if (k === 'variable' || k === 'rightDelim' || k === 'rightParen') continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      this.i = at;
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.kind === end) break;
      if (!OPERAND_START.has(t.kind)) this.unexpected(t, context);
      this.backup();
      pipe.cmds.push(this.command());
    }
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.forEach((c, i) => {
      const first = c.args[0]?.type;
      if (i > 0 && (first === 'bool' || first === 'dot' || first === 'nil' || first === 'number' || first === 'string')) {
        this.errorf(`non executable command in pipeline stage ${i + 1}`);
      }
    });
    return pipe;
  }

  private command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.kind === 'space') continue;
      if (t.kind === 'rightDelim' || t.kind === 'rightParen') this.backup();
      else if (t.kind !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): ArgNode | null {
    const node = this.term();
    if (node === null || this.peek().kind !== 'field') return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().kind === 'field') fields.push(this.next().val.slice(1));
    switch (node.type) {
      case 'field':
      case 'variable':
        return { type: node.type, pos, ident: [...node.ident, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        return this.errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
      default:
        return { type: 'chain', pos, node, field: fields };
    }
  }

  private term(): ArgNode | null {
    const t = this.nextNonSpace();
    switch (t.kind) {
      case 'identifier':
        if (!this.funcs.has(t.val)) this.errorf(`function ${goQuote(t.val)} not defined`);
        return { type: 'identifier', pos: t.pos, name: t.val };
      case 'dot': return { type: 'dot', pos: t.pos };
      case 'nil': return { type: 'nil', pos: t.pos };
      case 'variable': return this.useVar(t);
      case 'field': return { type: 'field', pos: t.pos, ident: [t.val.slice(1)] };
      case 'bool': return { type: 'bool', pos: t.pos, value: t.val === 'true' };
      case 'charConstant':
      case 'complex':
      case 'number': return this.number(t);
      case 'leftParen': return this.pipeline('parenthesized pipeline', 'rightParen');
      case 'string':
      case 'rawString': return { type: 'string', pos: t.pos, quoted: t.val, text: this.unquote(t.val) };
    }
    this.backup();
    return null;
  }

  private useVar(t: Token): VariableNode {
    const ident = t.val.split('.');
    if (!this.vars.includes(ident[0] ?? '')) this.errorf(`undefined variable ${goQuote(ident[0] ?? '')}`);
    return { type: 'variable', pos: t.pos, ident };
  }

  private number(t: Token): NumberNode {
    const make = (value: number, isInt: boolean): NumberNode => ({ type: 'number', pos: t.pos, text: t.val, isInt, value });
    if (t.kind === 'charConstant') {
      try {
        return make(goUnquoteRune(t.val), true);
      } catch (err) {
        return this.errorf((err as Error).message);
      }
    }
    if (t.kind === 'complex' || t.val.endsWith('i')) this.errorf(`complex constants are not supported: ${goQuote(t.val)}`);
    const int = parseGoInt(t.val);
    if (int !== undefined) return make(int, true);
    const float = parseGoFloat(t.val);
    if (float === undefined) return this.errorf(`illegal number syntax: ${goQuote(t.val)}`);
    if (!/[.eEpP]/.test(t.val)) return this.errorf(`integer overflow: ${goQuote(t.val)}`);
    return make(float, Number.isInteger(float) && Math.abs(float) <= Number.MAX_SAFE_INTEGER);
  }
}

/** Parses a template; `funcs` are the names an identifier may call. */
export function parseTemplate(text: string, funcs: ReadonlySet<string>): ParsedTemplate {
  const parser = new Parser(lex(text), funcs);
  const root = parser.parse();
  return { text, root, defs: parser.defs };
}
