import { existsSync, readFileSync } from 'node:fs';
import { fromJSON, type Options, type PackageDefinition } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { UnavailableError } from '../../core/errors.js';
import { buildkitDescriptorPath, NO_PROTOCOLS_MESSAGE } from './descriptor-path.js';

/** Field names as in the .proto files (buildx's Go names: `Ref`, `FrontendAttrs`), int64 as numbers. */
export const LOADER_OPTIONS: Options = { keepCase: true, longs: Number, enums: Number, bytes: Buffer, defaults: true, oneofs: true };

export interface BuildkitProtocol {
  /** For @grpc/grpc-js: services with their (de)serializers. */
  packages: PackageDefinition;
  /** For the session's calls, whose message types a method's declaration does not always tell (FileSend carries fsutil packets). */
  types: protobuf.Root;
}

let loaded: BuildkitProtocol | undefined;

export function buildkitProtocol(): BuildkitProtocol {
  if (loaded) return loaded;
  const path = buildkitDescriptorPath();
  if (!existsSync(path)) {
    throw new UnavailableError(NO_PROTOCOLS_MESSAGE);
  }
  const json = JSON.parse(readFileSync(path, 'utf8')) as { root: protobuf.INamespace };
  loaded = { packages: fromJSON(json.root, LOADER_OPTIONS), types: protobuf.Root.fromJSON(json.root) };
  return loaded;
}

/** Encodes/decodes one message type with the loader's conversions (Buffers, numbers, defaults). */
export function messageCodec<T>(typeName: string): { encode(msg: T): Buffer; decode(data: Buffer): T } {
  const type = buildkitProtocol().types.lookupType(typeName);
  return {
    encode: (msg) => Buffer.from(type.encode(type.fromObject(msg as Record<string, unknown>)).finish()),
    decode: (data) => type.toObject(type.decode(data), { longs: Number, enums: Number, defaults: true, oneofs: true }) as T,
  };
}
