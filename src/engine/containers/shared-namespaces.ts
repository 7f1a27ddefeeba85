import { ConflictError, InvalidParameterError } from '../../core/errors.js';
import type { NamespaceMode } from '../../oci/runtime/container-spec-input.js';
import type { ContainerRecord } from './container-types.js';

/**
 * `--pid container:X` (compose's `pid: service:X`): the container joins X's PID namespace, as
 * dockerd does (daemon/oci_linux.go). `--ipc container:X` is not here: docker shares the donor's
 * /dev/shm from a tmpfs it mounts on the host, which Berth does not make yet.
 */

const PREFIX = 'container:';

/** The donor `--pid` names, or undefined for the other modes; `container:` alone is invalid. */
function pidDonorRef(mode: string): string | undefined {
  if (!mode.startsWith(PREFIX)) return undefined;
  const ref = mode.slice(PREFIX.length);
  if (ref === '') throw new InvalidParameterError(`invalid PID mode: ${mode}`);
  return ref;
}

/**
 * At create, as dockerd (generateSecurityOpt, adaptSharedNamespaceContainer): the donor must
 * exist (400 otherwise), and the mode keeps its ID, so renaming the donor keeps the sharing.
 */
export function adaptSharedPidNamespace(hc: { PidMode: string }, find: (ref: string) => ContainerRecord | undefined): void {
  const ref = pidDonorRef(hc.PidMode);
  if (ref === undefined) return;
  const donor = find(ref);
  if (!donor) throw new InvalidParameterError(`No such container: ${ref}`);
  hc.PidMode = `${PREFIX}${donor.Id}`;
}

/** At start: the PID namespace to join, that of the donor as it runs now (its PID changes with each start). */
export function joinedPidNamespace(hc: { PidMode: string }, find: (ref: string) => ContainerRecord | undefined): NamespaceMode | undefined {
  const ref = pidDonorRef(hc.PidMode);
  if (ref === undefined) return undefined;
  const donor = find(ref);
  if (!donor) throw new InvalidParameterError(`failed to join PID namespace: No such container: ${ref}`);
  if (!donor.State.Running || donor.State.Pid <= 0) throw new ConflictError(`failed to join PID namespace: Container ${donor.Id} is not running`);
  if (donor.State.Restarting) throw new ConflictError(`failed to join PID namespace: Container ${donor.Id} is restarting, wait until the container is running`);
  return donor.HostConfig.PidMode === 'host' ? 'host' : { path: `/proc/${donor.State.Pid}/ns/pid` };
}
