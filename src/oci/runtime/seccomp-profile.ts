/**
 * Turns a docker-format seccomp profile into the OCI `linux.seccomp` section for one
 * container, as moby's `seccomp.Setup` (moby/profiles seccomp_linux.go) does: keep the
 * architectures of the host's arch from `archMap`, and keep each rule only if its
 * `includes` hold and its `excludes` do not, judged on the container's bounding
 * capabilities, the host arch and the host kernel.
 */
import { InvalidParameterError, SystemError } from '../../core/errors.js';
import type { LinuxSeccomp, LinuxSyscall, SeccompArch } from './runtime-spec-types.js';
import { toDockerSeccompProfile, type DockerSeccompProfile, type SeccompFilter } from './seccomp-profile-parse.js';
// Docker's default profile, verbatim from moby/profiles v0.2.3 (seccomp/default.json,
// vendored by moby b985e23; Apache-2.0). Embedded so no file is read at run time.
import defaultProfileJson from './seccomp-default.json' with { type: 'json' };

export type { DockerSeccompProfile, DockerSyscallRule, SeccompFilter } from './seccomp-profile-parse.js';
export { parseSeccompProfile, toDockerSeccompProfile } from './seccomp-profile-parse.js';

/** docker's default profile (`--security-opt seccomp=default` or nothing). */
export const DOCKER_DEFAULT_SECCOMP_PROFILE: DockerSeccompProfile = toDockerSeccompProfile(defaultProfileJson);

/**
 * libseccomp's arch names (the names profiles use in `includes.arches`) and the
 * SCMP_ARCH_* constant of each.
 */
const NATIVE_TO_SECCOMP: Readonly<Record<string, SeccompArch>> = {
  x86: 'SCMP_ARCH_X86',
  amd64: 'SCMP_ARCH_X86_64',
  x32: 'SCMP_ARCH_X32',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  loong64: 'SCMP_ARCH_LOONGARCH64',
  mips: 'SCMP_ARCH_MIPS',
  mipsel: 'SCMP_ARCH_MIPSEL',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mipsel64n32: 'SCMP_ARCH_MIPSEL64N32',
  ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  riscv64: 'SCMP_ARCH_RISCV64',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
};

/** Node's `process.arch` → libseccomp's native name. Linux Node on ppc64 is little-endian only. */
const NODE_TO_NATIVE: Readonly<Record<string, string>> = {
  x64: 'amd64',
  ia32: 'x86',
  arm: 'arm',
  arm64: 'arm64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsel',
  mips64el: 'mipsel64',
  ppc: 'ppc',
  ppc64: 'ppc64le',
  riscv64: 'riscv64',
  s390: 's390',
  s390x: 's390x',
};

/** The libseccomp name of the arch Node runs on (`process.arch` values), e.g. 'x64' → 'amd64'. */
export function seccompNativeArch(nodeArch: string): string {
  return NODE_TO_NATIVE[nodeArch] ?? nodeArch;
}

export interface SeccompSetupOptions {
  /** libseccomp native arch name: 'amd64', 'arm64', 's390x'… (see seccompNativeArch). */
  arch: string;
  /** The container's bounding set: rules with `caps` conditions are judged against it. */
  capabilities: readonly string[];
  /**
   * The host kernel release (`os.release()`, e.g. "6.8.0-45-generic"), for `minKernel`
   * conditions. Unset means "assume a current kernel": every supported host is newer
   * than the 4.8 the default profile asks for.
   */
  kernelRelease?: string;
}

function kernelAtLeast(release: string | undefined, min: string): boolean {
  if (release === undefined) return true;
  const host = /^(\d+)\.(\d+)/.exec(release);
  const want = /^(\d+)\.(\d+)$/.exec(min);
  if (!host || !want) {
    throw new SystemError(`cannot compare kernel version ${JSON.stringify(release)} with ${JSON.stringify(min)}`);
  }
  const [hk, hm, wk, wm] = [host[1], host[2], want[1], want[2]].map(Number) as [number, number, number, number];
  return hk > wk || (hk === wk && hm >= wm);
}

/** Whether a rule's `excludes` rules it out: any one matching condition is enough. */
function excluded(f: SeccompFilter | undefined, opts: SeccompSetupOptions): boolean {
  if (!f) return false;
  if (f.arches?.includes(opts.arch)) return true;
  if (f.caps?.some((c) => opts.capabilities.includes(c))) return true;
  return f.minKernel !== undefined && kernelAtLeast(opts.kernelRelease, f.minKernel);
}

/** Whether a rule's `includes` hold: every condition must match. */
function included(f: SeccompFilter | undefined, opts: SeccompSetupOptions): boolean {
  if (!f) return true;
  if (f.arches && f.arches.length > 0 && !f.arches.includes(opts.arch)) return false;
  if (f.caps && !f.caps.every((c) => opts.capabilities.includes(c))) return false;
  return f.minKernel === undefined || kernelAtLeast(opts.kernelRelease, f.minKernel);
}

/**
 * The OCI seccomp section for one container, or undefined when the profile disables
 * seccomp (no default action and no rules, as docker treats an empty profile).
 */
export function buildSeccompSection(
  profile: DockerSeccompProfile,
  opts: SeccompSetupOptions,
): LinuxSeccomp | undefined {
  const rules = profile.syscalls ?? [];
  if (!profile.defaultAction && rules.length === 0) return undefined;
  if (!profile.defaultAction) throw new InvalidParameterError('seccomp profile has syscall rules but no defaultAction');
  if (profile.architectures?.length && profile.archMap?.length) {
    throw new InvalidParameterError(
      "both 'architectures' and 'archMap' are specified in the seccomp profile, " +
        "use either 'architectures' or 'archMap'",
    );
  }

  const out: LinuxSeccomp = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  const architectures = [...(profile.architectures ?? [])];
  const native = NATIVE_TO_SECCOMP[opts.arch];
  // Only the host arch's entry counts: the others name syscall tables this host never uses.
  const entry = profile.archMap?.find((a) => a.architecture === native);
  if (entry) architectures.push(entry.architecture, ...(entry.subArchitectures ?? []));
  if (architectures.length > 0) out.architectures = architectures;
  if (profile.flags?.length) out.flags = [...profile.flags];
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata;

  const syscalls: LinuxSyscall[] = [];
  for (const rule of rules) {
    if (excluded(rule.excludes, opts) || !included(rule.includes, opts)) continue;
    const names = rule.name ? [rule.name] : [...(rule.names ?? [])];
    const call: LinuxSyscall = { names, action: rule.action };
    if (rule.errnoRet !== undefined) call.errnoRet = rule.errnoRet;
    if (rule.args?.length) call.args = rule.args.map((a) => ({ ...a }));
    syscalls.push(call);
  }
  if (syscalls.length > 0) out.syscalls = syscalls;
  return out;
}
