/**
 * Test support: checks a config.json value against the OCI runtime-spec JSON schema
 * (copied here from ../shared/specs/oci-runtime-spec/schema, Apache-2.0, see LICENSE).
 * It implements only the draft-04 keywords those files use, which is enough to catch a
 * missing required field, a wrong type, an out-of-range integer or an unknown enum value.
 */
import configLinux from './oci-schema/config-linux.json' with { type: 'json' };
import configSchema from './oci-schema/config-schema.json' with { type: 'json' };
import defsLinux from './oci-schema/defs-linux.json' with { type: 'json' };
import defs from './oci-schema/defs.json' with { type: 'json' };

type Schema = { readonly [key: string]: unknown };

const DOCUMENTS: Readonly<Record<string, Schema>> = {
  'config-schema.json': configSchema,
  'config-linux.json': configLinux,
  'defs.json': defs,
  'defs-linux.json': defsLinux,
};

const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Resolves "file.json#/a/b" or "#/a/b" relative to the document the reference sits in. */
function resolve(ref: string, doc: string): { schema: Schema; doc: string } {
  const [file, pointer = ''] = ref.split('#');
  const target = file ? file : doc;
  let node: unknown = DOCUMENTS[target];
  if (node === undefined) throw new Error(`schema document not bundled: ${target}`);
  for (const part of pointer.split('/').filter(Boolean)) node = isObject(node) ? node[part] : undefined;
  if (!isObject(node)) throw new Error(`unresolvable $ref ${ref} in ${doc}`);
  return { schema: node, doc: target };
}

function typeMatches(type: string, v: unknown): boolean {
  switch (type) {
    case 'integer':
      return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
    case 'number':
      return typeof v === 'number' || typeof v === 'bigint';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isObject(v);
    case 'null':
      return v === null;
    default:
      return typeof v === type;
  }
}

function check(schema: Schema, doc: string, v: unknown, path: string, errors: string[]): void {
  if (typeof schema['$ref'] === 'string') {
    // draft-04: a $ref replaces its siblings.
    const r = resolve(schema['$ref'], doc);
    check(r.schema, r.doc, v, path, errors);
    return;
  }
  const type = schema['type'];
  if (type !== undefined) {
    const types = Array.isArray(type) ? type.map(String) : [String(type)];
    if (!types.some((t) => typeMatches(t, v))) {
      errors.push(`${path}: expected ${types.join('|')}, got ${JSON.stringify(v)}`);
      return;
    }
  }
  const en = schema['enum'];
  if (Array.isArray(en) && !en.includes(v)) errors.push(`${path}: ${JSON.stringify(v)} is not one of ${en.join(', ')}`);
  if (typeof v === 'string' && typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern'], 'u').test(v)) {
    errors.push(`${path}: ${JSON.stringify(v)} does not match ${schema['pattern']}`);
  }
  if (typeof v === 'number' || typeof v === 'bigint') {
    const min = schema['minimum'];
    const max = schema['maximum'];
    if (typeof min === 'number' && v < min) errors.push(`${path}: ${v} < minimum ${min}`);
    if (typeof max === 'number' && v > max) errors.push(`${path}: ${v} > maximum ${max}`);
  }
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const subs = schema[key];
    if (!Array.isArray(subs)) continue;
    const results = subs.filter(isObject).map((s) => {
      const errs: string[] = [];
      check(s, doc, v, path, errs);
      return errs;
    });
    const passed = results.filter((e) => e.length === 0).length;
    if (key === 'allOf') errors.push(...results.flat());
    if (key === 'anyOf' && passed === 0) errors.push(`${path}: matches none of anyOf (${results.flat().join('; ')})`);
    if (key === 'oneOf' && passed !== 1) errors.push(`${path}: matches ${passed} of oneOf, wanted 1`);
  }
  if (Array.isArray(v)) {
    const minItems = schema['minItems'];
    if (typeof minItems === 'number' && v.length < minItems) errors.push(`${path}: fewer than ${minItems} items`);
    const items = schema['items'];
    if (isObject(items)) v.forEach((item, i) => check(items, doc, item, `${path}[${i}]`, errors));
  }
  if (isObject(v)) checkObject(schema, doc, v, path, errors);
}

function checkObject(schema: Schema, doc: string, v: Schema, path: string, errors: string[]): void {
  const required = schema['required'];
  if (Array.isArray(required)) {
    for (const key of required) if (!(String(key) in v)) errors.push(`${path}: missing required "${String(key)}"`);
  }
  const props = isObject(schema['properties']) ? schema['properties'] : {};
  const patterns = isObject(schema['patternProperties']) ? schema['patternProperties'] : {};
  const additional = schema['additionalProperties'];
  for (const [key, value] of Object.entries(v)) {
    let matched = false;
    const own = props[key];
    if (isObject(own)) {
      matched = true;
      check(own, doc, value, `${path}.${key}`, errors);
    }
    for (const [pattern, sub] of Object.entries(patterns)) {
      if (isObject(sub) && new RegExp(pattern, 'u').test(key)) {
        matched = true;
        check(sub, doc, value, `${path}.${key}`, errors);
      }
    }
    if (!matched && isObject(additional)) check(additional, doc, value, `${path}.${key}`, errors);
  }
}

/** The schema violations of a config.json value (parsed JSON or a RuntimeSpec); empty when valid. */
export function ociConfigSchemaErrors(config: unknown): string[] {
  const errors: string[] = [];
  check(configSchema, 'config-schema.json', config, '$', errors);
  return errors;
}
