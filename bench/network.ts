/**
 * Networking costs: `run --rm IMG true` with the default bridge vs `--network none`, and the
 * throughput of a published port from a loopback load generator (bulk MB/s and small requests/s
 * to busybox httpd), berthd beside a private dockerd given a bridge of the bench's own (dockerd runs
 * with --iptables=false, so its published ports go through docker-proxy — the path docker's
 * default userland-proxy takes for 127.0.0.1 anyway). podman is left out: its bridge networking
 * writes the host's firewall rules. Run as root.
 */
import { createWriteStream } from 'node:fs';
import { request, Agent } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { busyboxRootfsTar } from '../src/cli/bootstrap/busybox-rootfs.js';
import { TestDaemon, type RunResult } from '../test/helpers/test-daemon.js';
import { freePort } from '../test/helpers/outside-client.js';
import { peerBridge, startDockerd, type Peer } from './peers.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const BULK_MB = Number(process.env.BENCH_BULK_MB ?? 256);
const REQ_SECONDS = Number(process.env.BENCH_REQ_SECONDS ?? 3);

type Cli = (a: string[]) => Promise<RunResult>;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function startTime(cli: Cli, image: string, network: string): Promise<number> {
  await cli(['run', '--rm', '--network', network, image, 'true']);
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const r = await cli(['run', '--rm', '--network', network, image, 'true']);
    if (r.code !== 0) throw new Error(`run --network ${network} failed: ${r.stderr}`);
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

function get(port: number, path: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let n = 0;
      res.on('data', (b: Buffer) => (n += b.length));
      res.on('end', () => resolve(n));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A busybox httpd with a BULK_MB file and a small one, published on a free port. */
async function throughput(cli: Cli, image: string): Promise<{ mbps: number; rps: number }> {
  const port = await freePort();
  const r = await cli(['run', '-d', '-p', `127.0.0.1:${port}:80`, image, 'sh', '-c', `mkdir -p /www && dd if=/dev/zero of=/www/big bs=1M count=${BULK_MB} 2>/dev/null && echo hello > /www/small && exec httpd -f -p 80 -h /www`]);
  if (r.code !== 0) throw new Error(`run -p failed: ${r.stderr}`);
  const id = r.stdout.trim();
  try {
    const agent = new Agent({ keepAlive: false, maxSockets: 16 });
    for (let i = 0; i < 100; i++) {
      if ((await get(port, '/small', agent).catch(() => 0)) > 0) break;
      await sleep(100);
    }
    await get(port, '/big', agent);
    const t0 = performance.now();
    const bytes = await get(port, '/big', agent);
    const mbps = bytes / 1048576 / ((performance.now() - t0) / 1000);
    let done = 0;
    const end = performance.now() + REQ_SECONDS * 1000;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (performance.now() < end) {
        await get(port, '/small', agent);
        done++;
      }
    }));
    return { mbps, rps: done / REQ_SECONDS };
  } finally {
    await cli(['rm', '-f', id]);
  }
}

async function main(): Promise<void> {
  const d = await TestDaemon.start();
  let bridge: { remove: () => Promise<void> } | undefined;
  const lines: string[] = [];
  let docker: Peer | undefined;
  try {
    const boot = await d.berth(['image', 'bootstrap', 'busybox']);
    if (boot.code !== 0) throw new Error(boot.stderr);
    const berth: Cli = (a) => d.berth(a);
    const bBridge = await startTime(berth, 'busybox', 'bridge');
    const bNone = await startTime(berth, 'busybox', 'none');
    const bPort = await throughput(berth, 'busybox');
    lines.push(`berth  run --rm: bridge ${bBridge.toFixed(3)} s, none ${bNone.toFixed(3)} s (bridge costs ${((bBridge - bNone) * 1000).toFixed(0)} ms)`);
    lines.push(`berth  published port (DNAT): ${bPort.mbps.toFixed(0)} MB/s bulk, ${bPort.rps.toFixed(0)} req/s`);
    const br = await peerBridge(d.net?.octet as number);
    bridge = br;
    docker = await startDockerd(d.root, { bridge: br.name });
    if (!docker) lines.push('dockerd: not installed');
    else {
      const tarPath = join(d.root, 'busybox-rootfs.tar');
      await pipeline(await busyboxRootfsTar(), createWriteStream(tarPath));
      const imp = await docker.cli(['import', '-c', 'CMD ["sh"]', tarPath, 'bench-busybox:latest']);
      if (imp.code !== 0) throw new Error(`docker import: ${imp.stderr}`);
      const dBridge = await startTime(docker.cli, 'bench-busybox:latest', 'bridge');
      const dNone = await startTime(docker.cli, 'bench-busybox:latest', 'none');
      const dPort = await throughput(docker.cli, 'bench-busybox:latest');
      lines.push(`docker run --rm: bridge ${dBridge.toFixed(3)} s, none ${dNone.toFixed(3)} s (bridge costs ${((dBridge - dNone) * 1000).toFixed(0)} ms)`);
      lines.push(`docker published port (docker-proxy): ${dPort.mbps.toFixed(0)} MB/s bulk, ${dPort.rps.toFixed(0)} req/s`);
      lines.push(`ratios berth/docker: start with bridge ${(bBridge / dBridge).toFixed(2)} (lower is better), bulk ${(bPort.mbps / dPort.mbps).toFixed(2)}, req/s ${(bPort.rps / dPort.rps).toFixed(2)} (higher is better)`);
    }
  } finally {
    if (docker) await docker.stop();
    await bridge?.remove();
    const ids = (await d.berth(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await d.berth(['rm', '-f', ...ids]);
    await d.stop();
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
