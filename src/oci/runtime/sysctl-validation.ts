/**
 * Which `--sysctl` keys a container may set. /proc/sys is only partly namespaced: a key is
 * allowed only when the container has its own copy of the namespace that scopes it, or
 * the write would change the host. Docker leaves this check to runc
 * (libcontainer/configs/validate), so users see runc's wording; we check before the
 * runtime runs and keep that wording.
 */
import { InvalidParameterError } from '../../core/errors.js';

/** IPC-namespaced keys besides the fs.mqueue.* family. */
const IPC_SYSCTLS: ReadonlySet<string> = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/** Whether the container has its own (created or joined, not the host's) copy of each namespace. */
export interface SysctlNamespaces {
  ipc: boolean;
  network: boolean;
  uts: boolean;
}

/** Throws InvalidParameterError for the first key the container's namespaces do not scope. */
export function validateSysctls(sysctls: Readonly<Record<string, string>>, ns: SysctlNamespaces): void {
  for (const key of Object.keys(sysctls)) {
    const quoted = JSON.stringify(key);
    if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) {
      if (ns.ipc) continue;
      throw new InvalidParameterError(`sysctl ${quoted} is not allowed in the hosts ipc namespace`);
    }
    if (key.startsWith('net.')) {
      if (ns.network) continue;
      throw new InvalidParameterError(`sysctl ${quoted} is not allowed in the hosts network namespace`);
    }
    if (ns.uts && key === 'kernel.domainname') continue;
    if (ns.uts && key === 'kernel.hostname') {
      // Namespaced, but the spec's own `hostname` field sets it; runc refuses the duplicate.
      throw new InvalidParameterError(`sysctl ${quoted} is not allowed as it conflicts with the OCI "hostname" field`);
    }
    throw new InvalidParameterError(`sysctl ${quoted} is not in a separate kernel namespace`);
  }
}
