#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs and builds (install.sh), then runs unit
# and integration tests (`npm test`). Integration tests use the real kernel, so root only.
set -euo pipefail

root="$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"

if [[ $EUID -ne 0 ]]; then
  echo "test.sh: must run as root: the integration tests create namespaces, mounts, cgroups and network devices" >&2
  exit 1
fi

bash "$root/scripts/install.sh" || { echo "test.sh: install failed (scripts/install.sh)" >&2; exit 1; }
# Clients only the tests use (compose v2 and v1; testcontainers comes with npm ci above).
bash "$root/scripts/install-test-clients.sh" || { echo "test.sh: installing the test clients failed (scripts/install-test-clients.sh)" >&2; exit 1; }

# npm puts node_modules/.bin first on PATH, so run-tests.mjs runs on Node 24.
exec npm test
