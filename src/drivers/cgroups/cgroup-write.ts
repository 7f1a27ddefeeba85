import { writeFile } from 'node:fs/promises';
import { errnoCode, InvalidParameterError, NotFoundError } from '../../core/errors.js';

/**
 * Writes one cgroup control file. The kernel answers EINVAL or EBUSY for a value it refuses
 * (a limit below current use, a CPU that is not there); that is the caller's bad input.
 */
export async function writeCgroupFile(path: string, value: string | number): Promise<void> {
  try {
    await writeFile(path, String(value));
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') throw new NotFoundError(`cgroup file ${path} does not exist: the container's cgroup is gone or the controller is not enabled`);
    if (code === 'EINVAL' || code === 'EBUSY' || code === 'ERANGE') {
      throw new InvalidParameterError(`the kernel refused ${JSON.stringify(String(value))} for ${path} (${code})`);
    }
    throw err;
  }
}
