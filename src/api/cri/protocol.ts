import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromJSON, type Options, type PackageDefinition } from '@grpc/proto-loader';
import type protobuf from 'protobufjs';
import { UnavailableError } from '../../core/errors.js';

/**
 * dist/protos/cri.json: Kubernetes' CRI v1 (k8s.io/cri-api's api.proto), fetched from the Go
 * module proxy and compiled by scripts/fetch-protos.mjs at build time, its license beside it.
 */
export function criDescriptorPath(): string {
  const here = fileURLToPath(import.meta.url);
  return join(here.slice(0, here.lastIndexOf('/dist/')), 'dist/protos/cri.json');
}

export function criProtocolPresent(): boolean {
  return existsSync(criDescriptorPath());
}

/**
 * Field names as in api.proto (`pod_sandbox_id`), int64 as decimal strings (nanosecond times pass
 * 2^53), enums by name, absent messages null: the shapes engine/cri/cri-types.ts describes.
 */
export const CRI_LOADER_OPTIONS: Options = { keepCase: true, longs: String, enums: String, bytes: Buffer, defaults: true, oneofs: true };

export function criPackage(): PackageDefinition {
  const path = criDescriptorPath();
  if (!existsSync(path)) throw new UnavailableError('this Berth build has no CRI protocol definitions (scripts/fetch-protos.mjs could not reach the Go module proxy at build time): rebuild with network access to serve Kubernetes');
  const json = JSON.parse(readFileSync(path, 'utf8')) as { root: protobuf.INamespace };
  return fromJSON(json.root, CRI_LOADER_OPTIONS);
}
