/**
 * crun compiles the seccomp profile of every container it creates with libseccomp: for docker's
 * default profile that is about 10 ms, half of `crun create`. The compiled filter is the same for
 * the same profile, so Berth keeps the one crun wrote for the first container (its state dir's
 * `seccomp.bpf`) and hands it to later ones through crun's `run.oci.seccomp_bpf_data`
 * annotation, which crun loads instead of compiling. In memory only: a daemon start (perhaps on
 * a new kernel or crun) compiles afresh.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SECCOMP_BPF_ANNOTATION = 'run.oci.seccomp_bpf_data';

/** Profiles differ by capabilities and --security-opt: a handful in practice. */
const MAX_ENTRIES = 32;

export class SeccompBpfCache {
  private readonly filters = new Map<string, string>();

  /** The annotation that spares crun the compilation, when this profile was compiled before. */
  annotationFor(seccomp: unknown): Record<string, string> {
    if (seccomp === undefined) return {};
    const b64 = this.filters.get(keyOf(seccomp));
    return b64 ? { [SECCOMP_BPF_ANNOTATION]: b64 } : {};
  }

  /** After a create: keeps the filter crun compiled for this profile (`<root>/<id>/seccomp.bpf`). */
  async learn(runtimeRoot: string, id: string, seccomp: unknown): Promise<void> {
    if (seccomp === undefined) return;
    const key = keyOf(seccomp);
    if (this.filters.has(key)) return;
    const bpf = await readFile(join(runtimeRoot, id, 'seccomp.bpf')).catch(() => undefined);
    // A classic BPF program is whole 8-byte instructions; anything else is not one to reuse.
    if (!bpf || bpf.length === 0 || bpf.length % 8 !== 0) return;
    if (this.filters.size >= MAX_ENTRIES) this.filters.delete(this.filters.keys().next().value as string);
    this.filters.set(key, bpf.toString('base64'));
  }
}

function keyOf(seccomp: unknown): string {
  return createHash('sha256').update(JSON.stringify(seccomp)).digest('hex');
}
