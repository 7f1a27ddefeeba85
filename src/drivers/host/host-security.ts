/**
 * The host's security facts a container's spec depends on: the capabilities root really has
 * (its bounding set; these machines' root lacks CAP_SYS_RESOURCE, and granting a capability
 * the runtime itself lacks fails the start), and whether AppArmor or SELinux is enabled.
 */
import { readFileSync } from 'node:fs';
import { KNOWN_CAPABILITIES } from '../../oci/runtime/capabilities.js';

export interface HostSecurity {
  /** Capability names in kernel order, from this process's bounding set. */
  capabilities: string[];
  appArmor: boolean;
  selinux: boolean;
}

/** The capabilities a CapBnd/CapEff hex mask (from /proc/<pid>/status) holds, by kernel number. */
export function capabilitiesOfMask(hex: string): string[] {
  const mask = BigInt(`0x${hex}`);
  return KNOWN_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Read once per daemon, at start (engine/system/host-facts.ts), and handed to what needs it. */
export function readHostSecurity(): HostSecurity {
  const bnd = /^CapBnd:\s*([0-9a-f]+)$/m.exec(read('/proc/self/status'))?.[1];
  return {
    capabilities: bnd ? capabilitiesOfMask(bnd) : [...KNOWN_CAPABILITIES],
    appArmor: read('/sys/module/apparmor/parameters/enabled').trim() === 'Y',
    selinux: read('/sys/fs/selinux/enforce').trim() !== '',
  };
}
