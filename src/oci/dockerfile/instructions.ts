import { DockerfileSyntaxError, type Node } from './parser.js';

/**
 * Checks every instruction of a parsed Dockerfile as BuildKit's `instructions.Parse` does
 * (argument counts, flags, FROM first) and groups them into build stages. Variables are not
 * expanded here: that needs the build's args and env, at dispatch.
 */

export interface Instruction {
  /** Upper case: RUN, COPY… */
  name: string;
  node: Node;
  flags: Map<string, string[]>;
  line: number;
}

export interface Stage {
  /** `AS name`, lowercased as docker does; undefined when unnamed. */
  name?: string;
  /** The FROM image reference, unexpanded. */
  base: string;
  platform?: string;
  from: Instruction;
  commands: Instruction[];
}

export interface ParsedDockerfile {
  /** ARGs before the first FROM. */
  metaArgs: Instruction[];
  stages: Stage[];
}

const ALLOWED_FLAGS: Record<string, Record<string, 'string' | 'bool' | 'strings'>> = {
  FROM: { platform: 'string' },
  RUN: { mount: 'strings', network: 'string', security: 'string' },
  COPY: { from: 'string', chown: 'string', chmod: 'string', link: 'bool', parents: 'bool', exclude: 'strings' },
  ADD: { chown: 'string', chmod: 'string', link: 'bool', checksum: 'string', 'keep-git-dir': 'bool', exclude: 'strings' },
  HEALTHCHECK: { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' },
};

const KNOWN = ['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

/** The error docker's legacy builder prints for a bad instruction: `dockerfile parse error line N: …`. */
export class DockerfileError extends Error {
  constructor(message: string, readonly line: number) {
    super(line > 0 ? `dockerfile parse error line ${line}: ${message}` : message);
  }
}

function parseFlags(name: string, node: Node): Map<string, string[]> {
  const allowed = ALLOWED_FLAGS[name] ?? {};
  const out = new Map<string, string[]>();
  for (const raw of node.flags) {
    const arg = raw.slice(2);
    const eq = arg.indexOf('=');
    const key = eq < 0 ? arg : arg.slice(0, eq);
    const kind = allowed[key];
    if (kind === undefined) throw new DockerfileError(`Unknown flag: ${key}`, node.startLine);
    if (kind !== 'strings' && out.has(key)) throw new DockerfileError(`Duplicate flag specified: ${key}`, node.startLine);
    let value: string;
    if (eq < 0) {
      if (kind !== 'bool') throw new DockerfileError(`Missing a value on flag: ${raw}`, node.startLine);
      value = 'true';
    } else {
      value = arg.slice(eq + 1);
      if (kind === 'bool' && !['true', 'false', ''].includes(value.toLowerCase())) throw new DockerfileError(`expecting boolean value for flag ${key}, not: ${value}`, node.startLine);
    }
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

function unknownInstruction(node: Node): DockerfileError {
  const word = node.original.split(/\s+/)[0] ?? node.value;
  return new DockerfileError(`unknown instruction: ${word.toUpperCase()}`, node.startLine);
}

function checkArity(ins: Instruction): void {
  const { node, name } = ins;
  const n = node.next.length;
  const at = node.startLine;
  switch (name) {
    case 'FROM':
      if (n !== 1 && n !== 3) throw new DockerfileError('FROM requires either one or three arguments', at);
      if (n === 3 && (node.next[1] as string).toLowerCase() !== 'as') throw new DockerfileError("When using FROM with 3 arguments, 2nd argument must be 'AS'", at);
      return;
    case 'ADD':
    case 'COPY':
      if (n === 0 && node.heredocs.length === 0) throw new DockerfileError(`${name} requires at least two arguments`, at);
      if (n < 2) throw new DockerfileError(`${name} requires at least two arguments, but only one was provided. Destination could not be determined.`, at);
      return;
    case 'ARG':
      if (n === 0) throw new DockerfileError('ARG requires at least one argument', at);
      return;
    case 'ENV':
    case 'LABEL':
    case 'EXPOSE':
    case 'RUN':
    case 'VOLUME':
    case 'ONBUILD':
      if (n === 0 && node.children.length === 0) throw new DockerfileError(`${name} requires at least one argument`, at);
      return;
    case 'SHELL':
      if (n === 0) throw new DockerfileError('SHELL requires at least one argument', at);
      if (!node.json) throw new DockerfileError('SHELL requires the arguments to be in JSON form', at);
      return;
    case 'MAINTAINER':
    case 'STOPSIGNAL':
    case 'USER':
    case 'WORKDIR':
      if (n !== 1) throw new DockerfileError(`${name} requires exactly one argument`, at);
      return;
    case 'HEALTHCHECK': {
      if (n === 0) throw new DockerfileError('HEALTHCHECK requires at least one argument', at);
      const typ = (node.next[0] as string).toUpperCase();
      if (typ === 'NONE' && n > 1) throw new DockerfileError('HEALTHCHECK NONE takes no arguments', at);
      if (typ !== 'NONE' && typ !== 'CMD') throw new DockerfileError(`Unknown type "${typ}" in HEALTHCHECK (try CMD)`, at);
      if (typ === 'CMD' && n < 2) throw new DockerfileError('Missing command after HEALTHCHECK CMD', at);
      return;
    }
    case 'ONBUILD_TRIGGER':
      return;
  }
}

/** One node to an instruction (also used for ONBUILD triggers when they fire). */
export function toInstruction(node: Node): Instruction {
  const name = node.value.toUpperCase();
  if (!KNOWN.includes(name)) throw unknownInstruction(node);
  const ins: Instruction = { name, node, flags: parseFlags(name, node), line: node.startLine };
  checkArity(ins);
  if (name === 'ONBUILD') {
    const trigger = (node.children[0]?.value ?? '').toUpperCase();
    if (trigger === 'ONBUILD') throw new DockerfileError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", node.startLine);
    if (trigger === 'FROM' || trigger === 'MAINTAINER') throw new DockerfileError(`${trigger} isn't allowed as an ONBUILD trigger`, node.startLine);
  }
  return ins;
}

export function groupStages(nodes: readonly Node[]): ParsedDockerfile {
  const metaArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const node of nodes) {
    let ins: Instruction;
    try {
      ins = toInstruction(node);
    } catch (err) {
      if (err instanceof DockerfileSyntaxError) throw new DockerfileError(`failed to parse Dockerfile: ${err.message}`, 0);
      throw err;
    }
    if (ins.name === 'FROM') {
      const stage: Stage = { base: node.next[0] as string, from: ins, commands: [] };
      if (node.next.length === 3) {
        const name = (node.next[2] as string).toLowerCase();
        if (!/^[a-z][a-z0-9-_.]*$/.test(name)) throw new DockerfileError(`invalid name for build stage: "${node.next[2]}", name can't start with a number or contain symbols`, node.startLine);
        if (stages.some((s) => s.name === name)) throw new DockerfileError(`duplicate stage name "${name}"`, node.startLine);
        stage.name = name;
      }
      const platform = ins.flags.get('platform')?.[0];
      if (platform !== undefined) stage.platform = platform;
      stages.push(stage);
    } else if (stages.length === 0) {
      if (ins.name !== 'ARG') throw new DockerfileError('no build stage in current context', 0);
      metaArgs.push(ins);
    } else (stages[stages.length - 1] as Stage).commands.push(ins);
  }
  return { metaArgs, stages };
}
