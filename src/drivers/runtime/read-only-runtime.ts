import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { errorMessage } from '../../core/errors.js';
import { runCommand } from '../../core/run-command.js';
import { mountSyscall, MS_BIND, MS_RDONLY, MS_REMOUNT, unmountIfMounted } from '../mounts/mount-syscalls.js';

/**
 * The environment under which crun and runc take their binary as already protected. Both guard
 * the host's binary against a container that would rewrite it through /proc/self/exe
 * (CVE-2019-5736): unless the binary they run from is safe, every invocation first bind-mounts
 * itself read-only (or copies itself to a sealed memfd) and executes again. A binary on a
 * read-only mount is safe, and they take it as such when this variable is set (cloned_binary.c).
 */
export const CLONED_BINARY_ENV = { _LIBCONTAINER_CLONED_BINARY: '1' } as const;

export interface ReadOnlyRuntime {
  /** The runtime binary, bind-mounted read-only under the exec root. */
  path: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Makes the read-only mount of `binary` once, under `dir`, so that no runtime call pays for the
 * runtime's own protection again (its second exec: about 1 ms of each call, and a `docker run`
 * makes two). Undefined, with the reason given to `warn`, when it cannot be made or does not run:
 * the runtime then runs from `binary` as before, protecting itself.
 */
export async function readOnlyRuntime(binary: string, dir: string, warn: (msg: string) => void): Promise<ReadOnlyRuntime | undefined> {
  const path = join(dir, basename(binary));
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await unmountIfMounted(path); // a daemon that was killed left it; the binary may have changed since
    await writeFile(path, '', { mode: 0o700 });
    await mountSyscall(binary, path, null, MS_BIND, null);
    await mountSyscall(null, path, null, MS_REMOUNT | MS_BIND | MS_RDONLY, null);
    const env = { ...process.env, ...CLONED_BINARY_ENV };
    await runCommand(path, ['--version'], { env });
    return { path, env };
  } catch (err) {
    await unmountIfMounted(path).catch(() => undefined);
    warn(`${basename(binary)} runs from ${binary}, protecting itself at each call (about 1 ms more): its read-only mount at ${path} failed: ${errorMessage(err)}`);
    return undefined;
  }
}
