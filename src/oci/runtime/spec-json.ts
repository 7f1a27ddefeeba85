/**
 * Writes a runtime spec as config.json text. JSON.stringify cannot write a bigint, and
 * a number cannot hold RLIM_INFINITY (2^64-1) exactly, so bigints are written as raw
 * digits, which runc and crun read as uint64.
 */
import type { RuntimeSpec } from './runtime-spec-types.js';

// JSON.rawJSON (Node 21+) is not in TypeScript's ES2024 lib yet.
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

export function runtimeSpecToJson(spec: RuntimeSpec, indent?: number): string {
  const replacer = (_key: string, value: unknown): unknown =>
    typeof value === 'bigint' ? rawJSON(value.toString()) : value;
  return JSON.stringify(spec, replacer, indent);
}
