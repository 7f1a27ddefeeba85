#!/usr/bin/env node
// Fetches the protocol definitions berthd's BuildKit endpoints and CRI server speak (moby/buildkit's Control and
// session services, tonistiigi/fsutil's wire packets, google.rpc.Status) from the Go module proxy,
// each module pinned by version and by the SHA-256 of its zip, and compiles them into one JSON
// descriptor, dist/protos/buildkit.json, that berthd loads on the first BuildKit request; and
// Kubernetes' CRI v1 (k8s.io/cri-api's api.proto) into dist/protos/cri.json. Their
// licenses go beside it (dist/protos/licenses/). Nothing of theirs is committed to this repository.
//
// Part of `npm run build`. Without the network the build goes on: berthd then serves the legacy
// builder only and says so (no Builder-Version 2 in /_ping, /grpc answers with what to do).
// The zips are cached in .cache/go-modules, so a rebuild needs no network.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import protobuf from 'protobufjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(root, '.cache/go-modules');
const outDir = join(root, 'dist/protos');

/** Each module: its zip's pin, and which of its files land under which import path. */
const MODULES = [
  {
    path: 'github.com/moby/buildkit',
    version: 'v0.35.0',
    sha256: '3ec4346c960aeaa25eab4b204a93757707d94f6a92a66ea29047d55d3a19e733',
    files: [
      'api/services/control/control.proto',
      'api/types/worker.proto',
      'solver/pb/ops.proto',
      'sourcepolicy/pb/policy.proto',
      'session/filesync/filesync.proto',
      'session/secrets/secrets.proto',
      'session/auth/auth.proto',
      'session/sshforward/ssh.proto',
      'frontend/gateway/pb/gateway.proto',
      'util/apicaps/pb/caps.proto',
    ],
  },
  {
    path: 'github.com/tonistiigi/fsutil',
    // The revision buildx 0.13 vendors; later ones add vtprotobuf options (same wire format).
    version: 'v0.0.0-20240424095704-91a3fc46842c',
    sha256: 'e613327732f323afd53e22656ffc2c3084bc71f1b707d45bc5b6f67097738984',
    files: ['types/wire.proto', 'types/stat.proto'],
  },
  {
    // BuildKit imports google/rpc/status.proto; gogo's copy is the same message and ships as a Go module.
    path: 'github.com/gogo/googleapis',
    version: 'v1.4.1',
    sha256: '34110f4fe52daa66bf190e6c5be70e2e384ceca3cb1bce3e20f32994ede5a141',
    files: ['google/rpc/status.proto'],
    importAs: (file) => file,
  },
];

/** Kubernetes' Container Runtime Interface: one self-contained file (no imports, no gogo options). */
const CRI_MODULE = {
  path: 'k8s.io/cri-api',
  version: 'v0.37.2',
  sha256: '61996edd091bc551c0ac0e42510330519442406811f0a6e29cd9dfcca04420fd',
  files: ['pkg/apis/runtime/v1/api.proto'],
};

/** The services berthd serves (Control, and LLBBridge: buildx runs the Dockerfile frontend through it) or calls (the client's session). */
const ENTRY_FILES = ['github.com/moby/buildkit/api/services/control/control.proto', 'github.com/moby/buildkit/frontend/gateway/pb/gateway.proto', 'github.com/moby/buildkit/session/filesync/filesync.proto', 'github.com/moby/buildkit/session/secrets/secrets.proto', 'github.com/moby/buildkit/session/auth/auth.proto', 'github.com/moby/buildkit/session/sshforward/ssh.proto'];

function proxyBase() {
  // GOPROXY is a list; the first http(s) entry is the one a plain download can use.
  const first = (process.env.GOPROXY ?? '').split(/[,|]/).find((p) => /^https?:\/\//.test(p));
  return (first ?? 'https://proxy.golang.org').replace(/\/+$/, '');
}

async function moduleZip(m) {
  const file = join(cacheDir, `${m.path.replaceAll('/', '+')}@${m.version}.zip`);
  const cached = await readFile(file).catch(() => null);
  if (cached && sha256(cached) === m.sha256) return cached;
  const url = `${proxyBase()}/${m.path.toLowerCase()}/@v/${m.version}.zip`;
  const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const data = Buffer.from(await res.arrayBuffer());
  if (sha256(data) !== m.sha256) throw new Error(`${url}: SHA-256 ${sha256(data)}, expected ${m.sha256}`);
  await mkdir(cacheDir, { recursive: true });
  await writeFile(`${file}.tmp`, data);
  await rename(`${file}.tmp`, file);
  return data;
}

const sha256 = (b) => createHash('sha256').update(b).digest('hex');

async function main() {
  const sources = new Map();
  const licenses = [];
  for (const m of MODULES) {
    const prefix = `${m.path}@${m.version}/`;
    const wanted = new Set([...m.files, 'LICENSE'].map((f) => prefix + f));
    const entries = unzipSync(await moduleZip(m), { filter: (f) => wanted.has(f.name) });
    for (const f of [...m.files, 'LICENSE']) {
      const data = entries[prefix + f];
      if (!data) throw new Error(`${m.path}@${m.version} has no ${f}`);
      if (f === 'LICENSE') licenses.push({ name: `${m.path.replaceAll('/', '_')}@${m.version}.LICENSE`, data });
      else sources.set(m.importAs ? m.importAs(f) : `${m.path}/${f}`, Buffer.from(data).toString('utf8'));
    }
  }
  const rootNs = new protobuf.Root();
  // Imports name module paths (github.com/…); well-known google/protobuf types come with protobufjs.
  rootNs.resolvePath = (_origin, target) => target;
  rootNs.fetch = undefined;
  const load = (name) => {
    const text = sources.get(name);
    if (text === undefined) throw new Error(`no source for import ${name}`);
    const parsed = protobuf.parse(text, rootNs, { keepCase: true, alternateCommentMode: false });
    for (const imp of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) {
      if (imp.startsWith('google/protobuf/')) {
        const common = protobuf.common.get(imp);
        if (common && !loaded.has(imp)) rootNs.addJSON(common.nested);
        loaded.add(imp);
        continue;
      }
      // This fsutil revision imports its sibling as "stat.proto": relative to the importing file.
      const path = sources.has(imp) ? imp : `${dirname(name)}/${imp}`;
      if (!loaded.has(path)) {
        loaded.add(path);
        load(path);
      }
    }
  };
  const loaded = new Set();
  for (const f of ENTRY_FILES) {
    loaded.add(f);
    load(f);
  }
  rootNs.resolveAll();
  const tmp = `${outDir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(join(tmp, 'licenses'), { recursive: true });
  await writeFile(join(tmp, 'buildkit.json'), JSON.stringify({ modules: MODULES.map((m) => `${m.path}@${m.version}`), root: rootNs.toJSON() }));
  for (const l of licenses) await writeFile(join(tmp, 'licenses', l.name), l.data);
  const cri = await criDescriptor().catch((err) => {
    // Without it berthd runs without its CRI server and says so at start.
    console.warn(`fetch-protos: WARNING: CRI protocol definitions not fetched (${err.message}); berthd will not serve the CRI`);
    return undefined;
  });
  if (cri) {
    await writeFile(join(tmp, 'cri.json'), JSON.stringify({ modules: [`${CRI_MODULE.path}@${CRI_MODULE.version}`], root: cri.root }));
    await writeFile(join(tmp, 'licenses', cri.license.name), cri.license.data);
  }
  await rm(outDir, { recursive: true, force: true });
  await rename(tmp, outDir);
  console.log(`fetch-protos: ${loaded.size} protos from ${MODULES.length} modules → dist/protos/buildkit.json`);
}

async function criDescriptor() {
  const m = CRI_MODULE;
  const prefix = `${m.path}@${m.version}/`;
  const [file] = m.files;
  const entries = unzipSync(await moduleZip(m), { filter: (f) => f.name === prefix + file || f.name === `${prefix}LICENSE` });
  const text = entries[prefix + file];
  const license = entries[`${prefix}LICENSE`];
  if (!text || !license) throw new Error(`${m.path}@${m.version} has no ${file} or LICENSE`);
  const rootNs = new protobuf.Root();
  protobuf.parse(Buffer.from(text).toString('utf8'), rootNs, { keepCase: true, alternateCommentMode: false });
  rootNs.resolveAll();
  return { root: rootNs.toJSON(), license: { name: `${m.path.replaceAll('/', '_')}@${m.version}.LICENSE`, data: license } };
}

main().catch((err) => {
  // The build goes on without BuildKit: berthd tells clients to use the legacy builder.
  console.warn(`fetch-protos: WARNING: BuildKit protocol definitions not fetched (${err.message}); berthd will serve the legacy builder only`);
});
