/**
 * Executes a parsed template the way Go's `text/template/exec.go` does:
 * same evaluation order, variable scoping, truth rules and error wording
 * (`template: :1:2: executing "" at <.Foo>: ...`).
 */

import { formatValue } from './go-template-fmt.js';
import type { FuncDef, FuncTable, ParamType } from './go-template-funcs.js';
import type {
  AnyNode, ArgNode, BranchNode, ChainNode, CommandNode, FieldNode, IdentifierNode, ListNode, Node, NumberNode, PipeNode,
  TemplateNode, VariableNode,
} from './go-template-nodes.js';
import { nodeString } from './go-template-nodes.js';
import type { ParsedTemplate } from './go-template-parser.js';
import { goQuote } from './go-template-strconv.js';
import {
  goTypeName, isGoInt, isGoMap, isMissing, isNil, isTrue, lookupField, mapKeys, NO_VALUE, TemplateError, utf8Length,
} from './go-template-value.js';

/** Go's missingVal: "no value was piped in", unlike NO_VALUE which is a value. */
const NOT_PIPED: unique symbol = Symbol('not piped');
type Final = unknown;
/** `raw` is a nil reflect.Type: the value passes through unchecked. */
type ArgType = ParamType | 'raw';

const BREAK: unique symbol = Symbol('break');
const CONTINUE: unique symbol = Symbol('continue');
/** Go allows 100000 nested {{template}} calls; JavaScript's stack is smaller. */
const MAX_EXEC_DEPTH = 1000;

const GO_PARAM_NAMES: Readonly<Record<ParamType, string>> = {
  value: 'reflect.Value', any: 'interface {}', string: 'string', int: 'int', stringSlice: '[]string',
};

interface Variable { readonly name: string; value: unknown }

class State {
  private node: AnyNode | null = null;

  constructor(
    private readonly tmpl: ParsedTemplate,
    private readonly name: string,
    private readonly funcs: FuncTable,
    private readonly out: string[],
    private readonly vars: Variable[],
    private readonly depth: number,
  ) {}

  private errorf(msg: string): never {
    let prefix = `template: ${this.name}: `;
    if (this.node !== null) {
      const before = this.tmpl.text.slice(0, this.node.pos);
      const nl = before.lastIndexOf('\n');
      const line = before.split('\n').length;
      const col = utf8Length(nl < 0 ? before : before.slice(nl + 1));
      prefix = `template: :${line}:${col}: executing ${goQuote(this.name)} at <${nodeString(this.node)}>: `;
    }
    throw new TemplateError(prefix + msg, this.out.join(''));
  }

  walk(dot: unknown, node: Node): void {
    this.node = node;
    switch (node.type) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) {
          this.node = node;
          if (typeof val === 'function') this.errorf(`can't print ${nodeString(node)} of type func()`);
          this.out.push(formatValue(val));
        }
        return;
      }
      case 'break': throw BREAK;
      case 'continue': throw CONTINUE;
      case 'if':
      case 'with': return this.walkIfOrWith(dot, node);
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'range': return this.walkRange(dot, node);
      case 'template': return this.walkTemplate(dot, node);
      case 'text':
        this.out.push(node.text);
        return;
    }
  }

  private walkIfOrWith(dot: unknown, node: BranchNode): void {
    const mark = this.vars.length;
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (isTrue(val)) this.walk(node.type === 'with' ? val : dot, node.list);
      else if (node.elseList) this.walk(dot, node.elseList);
    } finally {
      this.vars.length = mark;
    }
  }

  private walkRange(dot: unknown, r: BranchNode): void {
    this.node = r;
    const outer = this.vars.length;
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.vars.length;
      const { decl, isAssign } = r.pipe;
      const iteration = (index: unknown, elem: unknown): void => {
        const [first, second] = decl;
        if (first) {
          if (isAssign) this.setVar(first.ident[0] ?? '', second ? index : elem);
          else this.setTopVar(1, elem);
        }
        if (second) {
          if (isAssign) this.setVar(second.ident[0] ?? '', elem);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (err) {
          if (err !== CONTINUE) throw err;
        } finally {
          this.vars.length = mark;
        }
      };
      let ran = false;
      if (Array.isArray(val)) {
        val.forEach((elem: unknown, i) => iteration(i, elem));
        ran = val.length > 0;
      } else if (isGoMap(val)) {
        const keys = mapKeys(val);
        for (const k of keys) iteration(k, val[k]);
        ran = keys.length > 0;
      } else if (isGoInt(val)) {
        // Go 1.22 templates range over integers, yielding 0..n-1 as the element.
        if (decl.length > 1) this.errorf(`can't use ${formatValue(val)} to iterate over more than one variable`);
        const n = Number(val);
        for (let i = 0; i < n; i++) iteration(NO_VALUE, i);
        ran = n > 0;
      } else if (!isNil(val)) {
        this.errorf(`range can't iterate over ${formatValue(val)}`);
      }
      if (!ran && r.elseList) this.walk(dot, r.elseList);
    } catch (err) {
      if (err !== BREAK) throw err;
    } finally {
      this.vars.length = outer;
    }
  }

  private walkTemplate(dot: unknown, t: TemplateNode): void {
    this.node = t;
    const tree: ListNode | undefined = this.tmpl.defs.get(t.name);
    if (tree === undefined) this.errorf(`template ${goQuote(t.name)} not defined`);
    if (this.depth >= MAX_EXEC_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
    const newDot = this.evalPipeline(dot, t.pipe);
    // No dynamic scoping: the invoked template sees only $.
    const sub = new State(this.tmpl, t.name, this.funcs, this.out, [{ name: '$', value: newDot }], this.depth + 1);
    sub.walk(newDot, tree);
  }

  private setVar(name: string, value: unknown): void {
    const v = this.vars.findLast((x) => x.name === name);
    if (!v) this.errorf(`undefined variable: ${name}`);
    v.value = value;
  }

  private setTopVar(n: number, value: unknown): void {
    const v = this.vars[this.vars.length - n];
    if (v) v.value = value;
  }

  private varValue(name: string): unknown {
    const v = this.vars.findLast((x) => x.name === name);
    return v ? v.value : this.errorf(`undefined variable: ${name}`);
  }

  private evalPipeline(dot: unknown, pipe: PipeNode | null): unknown {
    if (pipe === null) return NO_VALUE;
    this.node = pipe;
    let value: unknown = NOT_PIPED;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0] ?? '', value);
      else this.vars.push({ name: v.ident[0] ?? '', value });
    }
    return value;
  }

  private notAFunction(args: readonly ArgNode[], final: Final): void {
    if (args.length > 1 || final !== NOT_PIPED) {
      this.errorf(`can't give argument to non-function ${nodeString(args[0] as ArgNode)}`);
    }
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0] as ArgNode;
    switch (first.type) {
      case 'field': return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain': return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier': return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable': return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.node = first;
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool': return first.value;
      case 'dot': return dot;
      case 'nil': return this.errorf('nil is not a command');
      case 'number': return this.idealConstant(first);
      case 'string': return first.text;
    }
  }

  private idealConstant(n: NumberNode): number {
    this.node = n;
    return n.value;
  }

  private evalFieldNode(dot: unknown, field: FieldNode, args: readonly ArgNode[] | null, final: Final): unknown {
    this.node = field;
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: unknown, chain: ChainNode, args: readonly ArgNode[] | null, final: Final): unknown {
    this.node = chain;
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const receiver = this.evalArg(dot, 'raw', chain.node);
    return this.evalFieldChain(dot, receiver, chain, chain.field, args, final);
  }

  private evalVariableNode(dot: unknown, v: VariableNode, args: readonly ArgNode[] | null, final: Final): unknown {
    this.node = v;
    const value = this.varValue(v.ident[0] ?? '');
    if (v.ident.length === 1) {
      this.notAFunction(args ?? [], final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(
    dot: unknown, receiver: unknown, node: AnyNode, ident: readonly string[], args: readonly ArgNode[] | null, final: Final,
  ): unknown {
    for (const name of ident.slice(0, -1)) receiver = this.evalField(dot, name, node, null, NOT_PIPED, receiver);
    return this.evalField(dot, ident[ident.length - 1] ?? '', node, args, final, receiver);
  }

  private evalField(
    dot: unknown, name: string, node: AnyNode, args: readonly ArgNode[] | null, final: Final, receiver: unknown,
  ): unknown {
    if (isMissing(receiver)) return NO_VALUE;
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
    if (typeof receiver === 'object' && !Array.isArray(receiver)) {
      const { found, value } = lookupField(receiver, name);
      if (found && typeof value === 'function') {
        const fn = value as (...a: unknown[]) => unknown;
        const method: FuncDef = { params: [], variadic: 'any', impl: (argv) => fn.apply(receiver, argv) };
        return this.evalCall(dot, method, node, name, args, final);
      }
      if ((args?.length ?? 0) > 1 || final !== NOT_PIPED) this.errorf(`${name} is not a method but has arguments`);
      return isMissing(value) ? NO_VALUE : value;
    }
    return this.errorf(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
  }

  private evalFunction(
    dot: unknown, node: IdentifierNode, cmd: AnyNode, args: readonly ArgNode[] | null, final: Final,
  ): unknown {
    this.node = node;
    const def = this.funcs.get(node.name);
    if (def === undefined) this.errorf(`${goQuote(node.name)} is not a defined function`);
    return this.evalCall(dot, def, cmd, node.name, args, final);
  }

  private evalCall(
    dot: unknown, def: FuncDef, node: AnyNode, name: string, args: readonly ArgNode[] | null, final: Final,
  ): unknown {
    const argNodes = args ? args.slice(1) : [];
    const piped = final !== NOT_PIPED;
    const numIn = argNodes.length + (piped ? 1 : 0);
    const fixed = def.params.length;
    if (def.variadic !== undefined) {
      if (numIn < fixed) this.errorf(`wrong number of args for ${name}: want at least ${fixed} got ${argNodes.length}`);
    } else if (numIn !== fixed) {
      this.errorf(`wrong number of args for ${name}: want ${fixed} got ${numIn}`);
    }
    if (def.shortCircuit) {
      let v: unknown = NO_VALUE;
      for (const a of argNodes) {
        v = this.evalArg(dot, 'value', a);
        if (isTrue(v) === (def.shortCircuit === 'or')) return v;
      }
      return piped ? final : v;
    }
    const typeAt = (i: number): ParamType => def.params[i] ?? def.variadic ?? 'any';
    const argv = argNodes.map((a, i) => this.evalArg(dot, typeAt(i), a));
    if (piped) argv.push(this.validateType(final, typeAt(numIn - 1)));
    let result: unknown;
    try {
      result = def.impl(argv);
    } catch (err) {
      if (err instanceof TemplateError) throw err;
      this.node = node;
      this.errorf(`error calling ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return result === undefined ? NO_VALUE : result;
  }

  private validateType(value: unknown, typ: ArgType): unknown {
    switch (typ) {
      case 'raw':
      case 'value': return value;
      case 'any': return isMissing(value) ? null : value;
      case 'string':
        if (typeof value === 'string') return value;
        break;
      case 'int':
        if (isGoInt(value)) return Number(value);
        break;
      case 'stringSlice':
        if (isNil(value)) return [];
        if (Array.isArray(value) && value.every((s) => typeof s === 'string')) return value;
        break;
    }
    if (isNil(value)) this.errorf(`invalid value; expected ${GO_PARAM_NAMES[typ]}`);
    return this.errorf(`wrong type for value; expected ${GO_PARAM_NAMES[typ]}; got ${goTypeName(value)}`);
  }

  private evalArg(dot: unknown, typ: ArgType, n: ArgNode): unknown {
    this.node = n;
    switch (n.type) {
      case 'dot': return this.validateType(dot, typ);
      case 'nil':
        if (typ === 'value' || typ === 'raw') return NO_VALUE;
        if (typ === 'any') return null;
        if (typ === 'stringSlice') return [];
        return this.errorf(`cannot assign nil to ${GO_PARAM_NAMES[typ]}`);
      case 'field': return this.validateType(this.evalFieldNode(dot, n, [n], NOT_PIPED), typ);
      case 'variable': return this.validateType(this.evalVariableNode(dot, n, null, NOT_PIPED), typ);
      case 'pipe': return this.validateType(this.evalPipeline(dot, n), typ);
      case 'identifier': return this.validateType(this.evalFunction(dot, n, n, null, NOT_PIPED), typ);
      case 'chain': return this.validateType(this.evalChainNode(dot, n, null, NOT_PIPED), typ);
    }
    switch (typ) {
      case 'string':
        return n.type === 'string' ? n.text : this.errorf(`expected string; found ${nodeString(n)}`);
      case 'int':
        return n.type === 'number' && n.isInt ? n.value : this.errorf(`expected integer; found ${nodeString(n)}`);
      case 'stringSlice':
        return this.errorf(`can't handle ${nodeString(n)} for arg of type []string`);
    }
    switch (n.type) {
      case 'bool': return n.value;
      case 'number': return this.idealConstant(n);
      case 'string': return n.text;
    }
  }
}

/** Runs the template on data; throws TemplateError carrying the output written so far. */
export function executeTemplate(tmpl: ParsedTemplate, data: unknown, funcs: FuncTable): string {
  const out: string[] = [];
  const dot = data === undefined ? NO_VALUE : data;
  new State(tmpl, '', funcs, out, [{ name: '$', value: dot }], 0).walk(dot, tmpl.root);
  return out.join('');
}
