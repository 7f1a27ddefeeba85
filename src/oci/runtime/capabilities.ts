/**
 * Capability sets as docker computes them for `--cap-add`, `--cap-drop` and `--privileged`
 * (moby daemon/pkg/oci/caps).
 */
import { InvalidParameterError } from '../../core/errors.js';

/**
 * Every capability Linux defines, in kernel number order (CAP_CHOWN is 0, CAP_CHECKPOINT_RESTORE
 * is 40). `--privileged` and `--cap-add ALL` grant these unless the caller says fewer are
 * available on the host (docker reads its own capability set for that).
 */
export const KNOWN_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** docker's default set (moby daemon/pkg/oci/caps/defaults.go), in docker's order. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const ALL = 'ALL';

/**
 * Upper-cases names and adds the CAP_ prefix, as the API accepts `net_admin`, `NET_ADMIN`
 * and `CAP_NET_ADMIN` alike. `ALL` passes through. A name the kernel does not define is an
 * `unknown capability`; a defined one the host lacks (docker-in-docker with fewer
 * capabilities) gets docker's "not available" message instead.
 */
export function normalizeCapabilities(
  names: readonly string[],
  available: readonly string[] = KNOWN_CAPABILITIES,
): string[] {
  return names.map((raw) => {
    let name = raw.toUpperCase();
    if (name === ALL) return name;
    if (!name.startsWith('CAP_')) name = `CAP_${name}`;
    if (!KNOWN_CAPABILITIES.includes(name)) {
      throw new InvalidParameterError(`unknown capability: ${JSON.stringify(name)}`);
    }
    if (!available.includes(name)) {
      throw new InvalidParameterError(
        `capability not supported by your kernel or not available in the current environment: ${JSON.stringify(name)}`,
      );
    }
    return name;
  });
}

export interface CapabilityTweaks {
  add?: readonly string[];
  drop?: readonly string[];
  privileged?: boolean;
  /** The capabilities the host grants (default: all known). */
  available?: readonly string[];
}

/**
 * The container's capability set, resolved in moby's order (`caps.TweakCapabilities`):
 * privileged → everything; `--cap-add ALL` → everything but the drops; `--cap-drop ALL`
 * → only the adds; otherwise the defaults minus the drops, then the adds. Duplicates
 * (adding a default capability) are dropped: docker lists them twice, which changes nothing.
 */
export function tweakCapabilities(basics: readonly string[], tweaks: CapabilityTweaks = {}): string[] {
  const available = tweaks.available ?? KNOWN_CAPABILITIES;
  if (tweaks.privileged) return [...available];
  const adds = tweaks.add ?? [];
  const drops = tweaks.drop ?? [];
  if (adds.length === 0 && drops.length === 0) return [...basics];

  // Dropping a capability the host lacks is a no-op, not an error.
  const capDrop = normalizeCapabilities(drops);
  const capAdd = normalizeCapabilities(adds, available);
  let caps: string[];
  if (capAdd.includes(ALL)) {
    caps = available.filter((c) => !capDrop.includes(c));
  } else if (capDrop.includes(ALL)) {
    caps = capAdd;
  } else {
    caps = [...basics.filter((c) => !capDrop.includes(c)), ...capAdd];
  }
  return [...new Set(caps)];
}
