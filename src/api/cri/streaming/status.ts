/**
 * What the error stream carries when a command ends, byte for byte as the kubelet writes it
 * (k8s.io/cri-streaming remotecommand/{status,exec,attach}.go): from v4 on, a metav1.Status as
 * JSON, always; before v4, only a failure's message, as text.
 */

export interface StreamStatus {
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: Array<{ reason: string; message: string }> };
  code?: number;
}

export function successStatus(): StreamStatus {
  return { status: 'Success' };
}

/** A command that ran and exited non-zero; client-go turns it into an exit code error. */
export function exitCodeStatus(exitCode: number): StreamStatus {
  return {
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** A command that could not be run (or an attach that failed). */
export function internalErrorStatus(message: string): StreamStatus {
  return { status: 'Failure', message: `Internal error occurred: ${message}`, reason: 'InternalError', code: 500 };
}

/** The bytes to write on the error stream for `protocolVersion` (1 to 5); empty means write nothing. */
export function encodeStatus(status: StreamStatus, protocolVersion: number): Buffer {
  if (protocolVersion >= 4) {
    // Go's encoding/json keeps the struct's field order: status, message, reason, details, code.
    const ordered: Record<string, unknown> = { status: status.status };
    if (status.message !== undefined) ordered.message = status.message;
    if (status.reason !== undefined) ordered.reason = status.reason;
    if (status.details !== undefined) ordered.details = status.details;
    if (status.code !== undefined) ordered.code = status.code;
    return Buffer.from(JSON.stringify(ordered));
  }
  return status.status === 'Success' ? Buffer.alloc(0) : Buffer.from(status.message ?? '');
}
