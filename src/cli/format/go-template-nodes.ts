/**
 * Parse-tree nodes of a Go text/template, mirroring `text/template/parse`.
 * `nodeString` reproduces Go's `Node.String()` because execution errors quote
 * the failing node (`executing "" at <.Foo>: ...`).
 */

import { goQuote } from './go-template-strconv.js';

export interface TextNode { readonly type: 'text'; readonly pos: number; readonly text: string }
export interface ListNode { readonly type: 'list'; readonly pos: number; readonly nodes: Node[] }
export interface ActionNode { readonly type: 'action'; readonly pos: number; readonly pipe: PipeNode }
export interface BranchNode {
  readonly type: 'if' | 'with' | 'range';
  readonly pos: number;
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | null;
}
export interface TemplateNode {
  readonly type: 'template';
  readonly pos: number;
  readonly name: string;
  readonly pipe: PipeNode | null;
}
export interface LoopControlNode { readonly type: 'break' | 'continue'; readonly pos: number }
/** `{{end}}` and `{{else}}` only exist while parsing; they close lists. */
export interface ListEndNode { readonly type: 'end' | 'else'; readonly pos: number }

export interface PipeNode {
  readonly type: 'pipe';
  readonly pos: number;
  isAssign: boolean;
  readonly decl: VariableNode[];
  readonly cmds: CommandNode[];
}
export interface CommandNode { readonly type: 'command'; readonly pos: number; readonly args: ArgNode[] }
/** `.A.B` is ident ["A", "B"]. */
export interface FieldNode { readonly type: 'field'; readonly pos: number; readonly ident: string[] }
/** `$x.A` is ident ["$x", "A"]. */
export interface VariableNode { readonly type: 'variable'; readonly pos: number; readonly ident: string[] }
export interface IdentifierNode { readonly type: 'identifier'; readonly pos: number; readonly name: string }
/** A field chain on a term that is neither a field nor a variable, e.g. `(index . 0).Name`. */
export interface ChainNode {
  readonly type: 'chain';
  readonly pos: number;
  readonly node: ArgNode;
  readonly field: string[];
}
export interface DotNode { readonly type: 'dot'; readonly pos: number }
export interface NilNode { readonly type: 'nil'; readonly pos: number }
export interface BoolNode { readonly type: 'bool'; readonly pos: number; readonly value: boolean }
export interface NumberNode {
  readonly type: 'number';
  readonly pos: number;
  readonly text: string;
  /** Whether the constant can be used where Go wants an int. */
  readonly isInt: boolean;
  readonly value: number;
}
export interface StringNode {
  readonly type: 'string';
  readonly pos: number;
  readonly quoted: string;
  readonly text: string;
}

export type ArgNode =
  | FieldNode | VariableNode | IdentifierNode | ChainNode | PipeNode
  | DotNode | NilNode | BoolNode | NumberNode | StringNode;
export type Node = TextNode | ListNode | ActionNode | BranchNode | TemplateNode | LoopControlNode;
export type AnyNode = Node | ListEndNode | ArgNode | CommandNode;

export function nodeString(n: AnyNode): string {
  switch (n.type) {
    case 'text': return n.text;
    case 'list': return n.nodes.map(nodeString).join('');
    case 'action': return `{{${nodeString(n.pipe)}}}`;
    case 'if':
    case 'with':
    case 'range': {
      const elsePart = n.elseList ? `{{else}}${nodeString(n.elseList)}` : '';
      return `{{${n.type} ${nodeString(n.pipe)}}}${nodeString(n.list)}${elsePart}{{end}}`;
    }
    case 'template':
      return n.pipe ? `{{template ${goQuote(n.name)} ${nodeString(n.pipe)}}}` : `{{template ${goQuote(n.name)}}}`;
    case 'break':
    case 'continue':
    case 'end':
    case 'else':
      return `{{${n.type}}}`;
    case 'pipe': {
      const decl = n.decl.length > 0 ? `${n.decl.map(nodeString).join(', ')}${n.isAssign ? ' = ' : ' := '}` : '';
      return decl + n.cmds.map(nodeString).join(' | ');
    }
    case 'command': return n.args.map((a) => (a.type === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'field': return `.${n.ident.join('.')}`;
    case 'variable': return n.ident.join('.');
    case 'identifier': return n.name;
    case 'chain': {
      const base = n.node.type === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return base + n.field.map((f) => `.${f}`).join('');
    }
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'bool': return String(n.value);
    case 'number': return n.text;
    case 'string': return n.quoted;
  }
}
