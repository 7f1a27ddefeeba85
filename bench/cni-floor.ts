/**
 * The pod network's share of `crictl runp` that no CRI runtime can avoid: the node's CNI chain
 * (bridge with host-local, portmap; loopback beside it) ADDed to a fresh network namespace, as
 * every runtime must before it answers RunPodSandbox with the pod's IP. Runs the chain through
 * Berth's CNI driver (the same plugins, the same config as bench/cri.ts gives both engines), in
 * whatever network namespace it is started in: bench/cri.ts starts it inside its own lab
 * namespace, so the bridge and its masquerade rules never touch the host's.
 * Usage: node dist/bench/cni-floor.js DIR ROUNDS → prints the median ADD time in ms as JSON.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CniPodNetwork } from '../src/drivers/network/cni/cni-pod-network.js';
import { createNetns, deleteNetns } from '../src/drivers/network/host-links.js';
import { cniConflist } from '../test/outside/critest.js';

const [dir = '', roundsText = '10'] = process.argv.slice(2);
if (dir === '') throw new Error('usage: node dist/bench/cni-floor.js DIR ROUNDS');
const rounds = Number(roundsText);
await mkdir(join(dir, 'net.d'), { recursive: true });
await writeFile(join(dir, 'net.d', '10-floor.conflist'), cniConflist('critest', 'cni-floor', '10.91.0.0/16', dir));
const cni = await CniPodNetwork.open({ stateDir: join(dir, 'state'), confDir: join(dir, 'net.d') });
const times: number[] = [];
for (let i = -1; i < rounds; i++) {
  const netns = join(dir, `ns-${i + 1}`);
  const req = { podId: `floor${i + 1}`, podName: `floor-${i + 1}`, podNamespace: 'bench', podUid: `floor-uid-${i + 1}`, netns, portMappings: [] };
  await createNetns(netns);
  try {
    const t = performance.now();
    await cni.setUp(req);
    if (i >= 0) times.push(performance.now() - t);
    await cni.tearDown(req);
  } finally {
    await deleteNetns(netns);
  }
}
times.sort((a, b) => a - b);
process.stdout.write(JSON.stringify({ addMs: times[Math.floor(times.length / 2)] }) + '\n');
