import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const DOCKER_REGISTRY = '/usr/bin/docker-registry';

/** A free loopback port: bind to 0, read the port, close. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/**
 * Debian's `docker-registry` (distribution 2.8) on a private loopback port with its own config
 * and storage under /tmp, never its systemd service; stop() kills it by PID and removes the dir.
 */
export class DebianRegistry {
  private constructor(readonly dir: string, readonly port: number, private readonly child: ChildProcess) {}

  static available(): boolean {
    return existsSync(DOCKER_REGISTRY);
  }

  static async start(): Promise<DebianRegistry> {
    const dir = await mkdtemp(join(tmpdir(), 'berth-debreg-'));
    const port = await freePort();
    const config = join(dir, 'config.yml');
    await writeFile(config, [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'storage')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'));
    const child = spawn(DOCKER_REGISTRY, ['serve', config], { stdio: 'ignore' });
    const reg = new DebianRegistry(dir, port, child);
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) break;
      try {
        if ((await fetch(`http://127.0.0.1:${port}/v2/`)).status === 200) return reg;
      } catch {
        // not up yet
      }
      await sleep(100);
    }
    await reg.stop();
    throw new Error('docker-registry did not start');
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
