/**
 * `--security-opt` values as the daemon applies them: seccomp (a profile's JSON or
 * `unconfined`), `no-new-privileges`, AppArmor and SELinux labels. An option the host
 * cannot honour is refused with the reason, never ignored: a user asking for a profile
 * must not get a container that silently runs without it.
 */
import { InvalidParameterError } from '../../../core/errors.js';
import type { HostSecurity } from '../../../drivers/host/host-security.js';
import type { ContainerSpecInput } from '../../../oci/runtime/build-spec.js';
import { parseSeccompProfile } from '../../../oci/runtime/seccomp-profile-parse.js';

export type SecuritySettings = Pick<ContainerSpecInput, 'seccomp' | 'noNewPrivileges' | 'apparmorProfile'>;

function splitOpt(opt: string): [string, string] {
  let sep = opt.indexOf('=');
  // docker still takes the old `key:value` form.
  if (sep < 0) sep = opt.indexOf(':');
  return sep < 0 ? [opt, ''] : [opt.slice(0, sep), opt.slice(sep + 1)];
}

export function parseSecurityOptions(opts: readonly string[], host: Pick<HostSecurity, 'appArmor' | 'selinux'>): SecuritySettings {
  const out: SecuritySettings = {};
  for (const opt of opts) {
    const [key, value] = splitOpt(opt);
    if (key === 'no-new-privileges') {
      if (value !== '' && value !== 'true' && value !== 'false') throw new InvalidParameterError(`invalid --security-opt 2: "${opt}"`);
      out.noNewPrivileges = value !== 'false';
    } else if (key === 'seccomp') {
      if (value === 'unconfined') out.seccomp = 'unconfined';
      else if (value === '' || value === 'builtin') out.seccomp = 'default';
      else out.seccomp = parseSeccompProfile(value);
    } else if (key === 'apparmor') {
      if (value === 'unconfined') continue;
      if (!host.appArmor) throw new InvalidParameterError(`AppArmor profile "${value}" cannot be applied: AppArmor is not enabled on this host (use apparmor=unconfined or leave the option out)`);
      out.apparmorProfile = value;
    } else if (key === 'label') {
      if (value === 'disable') continue;
      if (!host.selinux) throw new InvalidParameterError(`SELinux label option "${value}" cannot be applied: SELinux is not enabled on this host (use label=disable or leave the option out)`);
      throw new InvalidParameterError(`SELinux label option "${value}" is not supported by Berth yet: only label=disable is`);
    } else {
      throw new InvalidParameterError(`invalid --security-opt 1: "${opt}"`);
    }
  }
  return out;
}
