// The layer rule of docs/architecture.md: a layer imports only the layers below it.
// cli → client → api/types; api → engine → drivers → store → core; oci is pure; api/types
// (the wire shapes) imports only oci's types, and the engine, client and CLI share it.
const layer = (from, allowed) => ({
  name: `layer-${from}`,
  comment: `src/${from} may import only: ${allowed.join(', ')}`,
  severity: 'error',
  from: { path: `^src/${from}/` },
  to: { path: '^src/', pathNot: [`^src/${from}/`, ...allowed.map((a) => `^src/${a}/`)] },
});
module.exports = {
  forbidden: [
    layer('core', []),
    layer('api/types', ['oci']),
    layer('oci', ['core']),
    layer('store', ['core', 'oci']),
    layer('drivers', ['store', 'core', 'oci']),
    layer('engine', ['drivers', 'store', 'core', 'oci', 'api/types']),
    layer('api', ['engine', 'core', 'oci']),
    layer('client', ['api/types', 'core']),
    layer('cli', ['client', 'api/types', 'core']),
    layer('daemon', ['api', 'engine', 'drivers', 'store', 'core', 'oci']),
    layer('registry', ['core', 'oci']),
    layer('monitor', ['drivers/runtime', 'oci', 'core']),
    {
      name: 'rootfs-through-index',
      comment: 'other engine modules use engine/rootfs through its index.ts (issue 16: one exported API for changes, commit and export)',
      severity: 'error',
      from: { path: '^src/engine/', pathNot: '^src/engine/rootfs/' },
      to: { path: '^src/engine/rootfs/', pathNot: '^src/engine/rootfs/index\\.ts$' },
    },
    {
      name: 'snapshotter-diff-inside',
      comment: 'overlay and vfs diff specifics (whiteouts, opaque dirs, lower dirs) stay behind the Snapshotter interface',
      severity: 'error',
      from: { pathNot: '^src/drivers/snapshotter/' },
      to: { path: '^src/drivers/snapshotter/diff/(lower-view|overlay-changes|naive-changes|mount-stubs|layer-diff|changes-size)\\.ts$' },
    },
    {
      name: 'engine-not-monitor',
      comment: 'src/engine drives containers through the ContainerRuntime seam (drivers/runtime/container-runtime.ts) alone, never the monitor itself',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { path: '^src/drivers/monitor/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: { doNotFollow: { path: 'node_modules' }, tsConfig: { fileName: 'tsconfig.json' }, tsPreCompilationDeps: true },
};
