import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { NODE, run, type RunResult } from './test-daemon.js';

/**
 * A network namespace acting as another machine: a veth to the host with a /30 of the test's
 * own range. `remove()` deletes both; names are unique to the run.
 */
export class OutsideClient {
  private constructor(readonly ns: string, readonly hostVeth: string, readonly hostIp: string, readonly clientIp: string) {}

  static async make(octet: number): Promise<OutsideClient> {
    const tag = randomBytes(3).toString('hex');
    const c = new OutsideClient(`bto${tag}`, `bto${tag}h`, `10.${octet}.250.1`, `10.${octet}.250.2`);
    const steps: string[][] = [
      ['netns', 'add', c.ns],
      ['link', 'add', c.hostVeth, 'type', 'veth', 'peer', 'name', `bto${tag}c`, 'netns', c.ns],
      ['addr', 'add', `${c.hostIp}/30`, 'dev', c.hostVeth],
      ['link', 'set', c.hostVeth, 'up'],
      ['-n', c.ns, 'addr', 'add', `${c.clientIp}/30`, 'dev', `bto${tag}c`],
      ['-n', c.ns, 'link', 'set', `bto${tag}c`, 'up'],
      ['-n', c.ns, 'link', 'set', 'lo', 'up'],
      ['-n', c.ns, 'route', 'add', 'default', 'via', c.hostIp],
    ];
    for (const s of steps) {
      const r = await run('ip', s);
      if (r.code !== 0) {
        await c.remove();
        throw new Error(`ip ${s.join(' ')}: ${r.stderr}`);
      }
    }
    // Replies coming back from "outside" are forwarded to the bridges: forwarding on this link only.
    await writeFile(`/proc/sys/net/ipv4/conf/${c.hostVeth}/forwarding`, '1');
    return c;
  }

  /** Runs a program inside the namespace. */
  exec(file: string, args: string[], timeoutMs = 15_000): Promise<RunResult> {
    return run('ip', ['netns', 'exec', this.ns, file, ...args], { timeoutMs });
  }

  /** GET http://host:port/ from outside: the status code, or the error text. */
  async fetch(host: string, port: number): Promise<string> {
    const r = await this.exec(NODE, ['-e', `fetch('http://${host}:${port}/', { signal: AbortSignal.timeout(3000) }).then(r => console.log(r.status), e => console.log('ERR ' + (e.cause?.code ?? e.name)))`]);
    return r.stdout.trim();
  }

  async remove(): Promise<void> {
    await run('ip', ['link', 'del', this.hostVeth]);
    await run('ip', ['netns', 'del', this.ns]);
  }
}

/** A TCP port nothing listens on now (bound and released). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen({ port, host: '0.0.0.0', exclusive: true }, () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

/** GET from the host itself. */
export async function hostFetch(host: string, port: number): Promise<string> {
  return fetch(`http://${host}:${port}/`, { signal: AbortSignal.timeout(3000) }).then((r) => String(r.status), (e: { cause?: { code?: string }; name?: string }) => `ERR ${e.cause?.code ?? e.name}`);
}
