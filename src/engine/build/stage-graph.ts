import type { Stage } from '../../oci/dockerfile/instructions.js';

/**
 * The stages the last one (the target) needs, as BuildKit works them out: through FROM of an
 * earlier stage and COPY/ADD --from. A --from whose value depends on an ARG the stage declares
 * cannot be known before the build, so it counts as needing every earlier stage: building one
 * too many only costs time, one too few fails the build.
 */
export function reachableStages(stages: readonly Stage[], expandGlobal: (word: string) => string): Set<number> {
  const byName = new Map<string, number>();
  stages.forEach((s, i) => {
    if (s.name !== undefined && !byName.has(s.name)) byName.set(s.name, i);
  });
  const find = (ref: string, before: number): number[] => {
    if (ref.includes('$')) return Array.from({ length: before }, (_, i) => i);
    const i = /^\d+$/.test(ref) ? Number(ref) : byName.get(ref.toLowerCase());
    return i !== undefined && i < before ? [i] : [];
  };
  const deps = (i: number): number[] => {
    const stage = stages[i] as Stage;
    const out = find(safeExpand(stage.base, expandGlobal), i).filter((d) => stages[d]?.name !== undefined);
    for (const ins of stage.commands) {
      if (ins.name !== 'COPY' && ins.name !== 'ADD') continue;
      const from = ins.flags.get('from')?.[0];
      if (from !== undefined) out.push(...find(from, i));
    }
    return out;
  };
  const seen = new Set<number>();
  const todo = stages.length > 0 ? [stages.length - 1] : [];
  while (todo.length > 0) {
    const i = todo.pop() as number;
    if (seen.has(i)) continue;
    seen.add(i);
    todo.push(...deps(i));
  }
  return seen;
}

function safeExpand(word: string, expand: (w: string) => string): string {
  try {
    return expand(word);
  } catch {
    return word;
  }
}
