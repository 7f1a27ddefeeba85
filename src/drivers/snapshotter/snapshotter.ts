import type { Readable } from 'node:stream';
import type { Change } from './diff/change-types.js';

export type StorageDriverName = 'overlay2' | 'vfs';

export interface LayerApplyResult {
  /** Bytes the layer's content takes on disk once unpacked (regular file sizes). */
  size: number;
}

/** A layer unpacked before anyone knew its ID or parent (Snapshotter.unpackDetached). */
export interface DetachedLayer {
  /** As LayerApplyResult.size. */
  size: number;
  /** Makes it layer `id` on `parent` (null: a base layer); on failure nothing of it is left. */
  adopt(id: string, parent: string | null): Promise<void>;
  /** Removes it unused. Either this or adopt, once. */
  discard(): Promise<void>;
}

/** What `inspect` shows under GraphDriver.Data. */
export type GraphDriverData = Record<string, string>;

/**
 * A storage driver: turns layer tars into read-only layer directories and stacks them into
 * container root filesystems. Lifecycle of a layer: `createLayer` (unpack once, on top of a
 * parent that exists) → used by any number of images and rootfs → `removeLayer` when nothing
 * references it (callers count references; the driver does not). Lifecycle of a rootfs:
 * `createRootfs` (writable layer on a top image layer) → `mountRootfs`/`unmountRootfs` any number
 * of times → `removeRootfs`. IDs are opaque names chosen by the caller (hex of chain IDs for layers,
 * container IDs for rootfs), safe as file names.
 */
export interface Snapshotter {
  readonly name: StorageDriverName;

  /**
   * Unpacks an uncompressed layer tar as a new layer on `parent` (null for a base layer). Paths
   * are confined to the layer: `../`, absolute paths and links pointing outside never write
   * outside it. OCI whiteouts (`.wh.name`, `.wh..wh..opq`) are translated to the driver's form.
   * On any error nothing of the layer is left behind.
   */
  createLayer(id: string, parent: string | null, tar: Readable): Promise<LayerApplyResult>;
  /**
   * Unpacks a layer tar before its ID and parent are known, with createLayer's guarantees; only
   * drivers whose layers hold no files of their parents (overlay2) can. A load uses it to unpack
   * while its archive streams.
   */
  unpackDetached?(tar: Readable): Promise<DetachedLayer>;
  hasLayer(id: string): Promise<boolean>;
  removeLayer(id: string): Promise<void>;
  /** Lists layer IDs present on disk (to reconcile with metadata after a crash). */
  listLayers(): Promise<string[]>;
  layerData(id: string): GraphDriverData;
  /** The directory of a layer's files: for overlay2 only that layer's own, for vfs the full tree. */
  layerPath(id: string): string;

  /** Makes a container's writable layer on top of image layer `parent` (null: empty rootfs). */
  createRootfs(id: string, parent: string | null): Promise<void>;
  /** Mounts the container's root filesystem and returns the path where it is mounted. */
  mountRootfs(id: string): Promise<string>;
  unmountRootfs(id: string): Promise<void>;
  removeRootfs(id: string): Promise<void>;
  rootfsData(id: string): GraphDriverData;
  // What a rootfs changed in its image, as moby's graphdriver DiffDriver. `parent` is the layer
  // the rootfs was made on (createRootfs' parent): a full-copy driver compares with it.

  /** docker's `GET /containers/{id}/changes`, sorted by path; a running container's vanishing entries are skipped. */
  changes(id: string, parent: string | null): Promise<Change[]>;
  /** The changes as an uncompressed OCI layer tar (whiteouts for deletions), the same bytes for the same changes. */
  diff(id: string, parent: string | null, log?: (msg: string) => void): Readable;
  /** docker's SizeRw: bytes the rootfs added or changed. */
  diffSize(id: string, parent: string | null): Promise<number>;
  /** Removes the empty stubs a runtime made in the rootfs' own layer only to mount onto (build secrets). */
  removeMountStubs(id: string, targets: readonly string[]): Promise<void>;
}
