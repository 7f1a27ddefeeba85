/**
 * Where in the Dockerfile a failed build went wrong, kept beside the error (not in its type, so
 * a NotFound stays a NotFound): BuildKit's clients print the lines around it
 * (`Dockerfile:3 … >>> RUN …`) from the gRPC error's details.
 */
export interface StepSource {
  filename: string;
  data: string;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
}

const lines = new WeakMap<object, { startLine: number; endLine: number }>();
const sources = new WeakMap<object, StepSource>();

/** The instruction an error came from (its first place wins: the innermost step). */
export function noteStepLines(err: unknown, node: { startLine: number; endLine: number }): void {
  if (typeof err === 'object' && err !== null && !lines.has(err) && node.startLine > 0) lines.set(err, { startLine: node.startLine, endLine: node.endLine });
}

/** Names the Dockerfile of a failed build, if the error came from one of its instructions. */
export function noteStepSource(err: unknown, filename: string, data: string): void {
  if (typeof err !== 'object' || err === null) return;
  const at = lines.get(err);
  if (at) sources.set(err, { filename, data, ...at });
}

/** Moves what is noted about an error to the error that replaces it. */
export function carrySource(from: unknown, to: object): void {
  if (typeof from !== 'object' || from === null) return;
  const at = lines.get(from);
  if (at) lines.set(to, at);
  const src = sources.get(from);
  if (src) sources.set(to, src);
}

export function stepSourceOf(err: unknown): StepSource | undefined {
  return typeof err === 'object' && err !== null ? sources.get(err) : undefined;
}
