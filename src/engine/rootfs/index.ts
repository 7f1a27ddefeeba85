/**
 * What other engine modules (build, containers) use of a rootfs: commit its changes as a layer,
 * export it, unpack an archive into it, and which layer it was made on. The diff itself is the
 * snapshotter's (`Snapshotter.changes`/`diff`/`diffSize`); the API's container file routes use
 * `ContainerChanges`, loaded lazily by the daemon. A dependency rule keeps other modules to this file.
 */
export { rootfsParent } from './changes-source.js';
export { buildCommitConfig } from './commit-config.js';
export { commitContainer, EMPTY_TAR_DIGEST, type CommitInput, type CommitPause } from './commit-layer.js';
export { exportRootfs } from './export-rootfs.js';
export { extractArchive } from './extract-archive.js';
