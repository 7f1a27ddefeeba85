import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * dist/protos/buildkit.json: BuildKit's and fsutil's protocol definitions, fetched from the Go
 * module proxy and compiled by scripts/fetch-protos.mjs at build time (they are not ours to commit).
 * Kept apart from the loader so the daemon can ask at start without loading gRPC.
 */
export function buildkitDescriptorPath(): string {
  const here = fileURLToPath(import.meta.url);
  return join(here.slice(0, here.lastIndexOf('/dist/')), 'dist/protos/buildkit.json');
}

/** Whether this build has the BuildKit protocols: /_ping advertises BuildKit only then. */
export function buildkitProtocolsPresent(): boolean {
  return existsSync(buildkitDescriptorPath());
}

/** What to do when this build lacks them: said by /grpc, /session and POST /build?version=2. */
export const NO_PROTOCOLS_MESSAGE = 'this Berth build has no BuildKit protocol definitions (scripts/fetch-protos.mjs could not reach the Go module proxy at build time): rebuild with network access, or build with the legacy builder (DOCKER_BUILDKIT=0)';
