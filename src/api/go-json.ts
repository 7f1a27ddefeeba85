/**
 * Go's JSON decoder matches a struct's field names whatever their case, and clients rely on it:
 * docker-py sends the config file's detach keys as `detachKeys` and docker-py 5 sends
 * `CPURealtimePeriod` for `CpuRealtimePeriod`. Keys that match one of `fields` but for case are
 * renamed to it; an exact name wins over a variant, and unknown keys are kept as they came.
 */
export function goFieldCase(body: Record<string, unknown>, fields: Iterable<string>): Record<string, unknown> {
  const byLower = new Map<string, string>();
  for (const f of fields) byLower.set(f.toLowerCase(), f);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const field = byLower.get(key.toLowerCase()) ?? key;
    if (key === field || !(field in body)) out[field] = value;
  }
  return out;
}
