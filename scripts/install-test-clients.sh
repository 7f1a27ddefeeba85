#!/usr/bin/env bash
# Installs the outside clients the integration tests drive Berth with (test/integration/outside),
# each at a pinned version, as root. The product does not need them, so scripts/install.sh leaves
# them out and scripts/test.sh runs this after it. Safe to run again: each step is skipped when done.
#   - docker-compose v1 (Python): Debian bookworm's package, from apt, as /usr/bin/docker-compose.
#   - docker compose v2 (Go CLI plugin): Debian trixie's package. Its name is docker-compose too,
#     so it is not installed but unpacked into .cache/test-clients; the tests link it into the
#     private DOCKER_CONFIG/cli-plugins of each run, and the machine's docker CLI stays as it was.
#   - docker buildx 0.13 (Go CLI plugin): Debian trixie's docker-buildx, unpacked the same way, so
#     `docker build` means buildx only where a test links it (test/integration/outside/buildx.test.ts).
#   - the docker CLI 20.10 (Debian bookworm's docker.io, its CLI only): BuildKit builds from before
#     buildx (POST /build?version=2), in the same test.
#   - testcontainers (npm) is a devDependency: scripts/install.sh's `npm ci` brings it.
set -euo pipefail

root="$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"

step="start"
trap 'echo "install-test-clients.sh: FAILED during step: $step" >&2' ERR
log() { echo "install-test-clients.sh: $*"; }

if [[ $EUID -ne 0 ]]; then
  echo "install-test-clients.sh: must run as root (it installs a Debian package)" >&2
  exit 1
fi

# --- compose v1 ------------------------------------------------------------------------
v1_version="1.29.2-3"
step="docker-compose v1 $v1_version (apt)"
if [[ "$(dpkg-query -W -f='${Status} ${Version}' docker-compose 2>/dev/null || true)" == "install ok installed $v1_version" ]]; then
  log "docker-compose $v1_version already installed"
else
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "docker-compose=$v1_version" >/dev/null
  log "installed docker-compose $v1_version"
fi

# --- compose v2 ------------------------------------------------------------------------
v2_deb="docker-compose_2.26.1-4_amd64.deb"
v2_url="http://deb.debian.org/debian/pool/main/d/docker-compose/$v2_deb"
v2_sha256="47681197cb2b1ab88206b42a1a92fc75f50d9530a6322d03494a473eed0408ea"
v2_dir="$root/.cache/test-clients/docker-compose-2.26.1"
v2_plugin="$v2_dir/usr/libexec/docker/cli-plugins/docker-compose"
step="docker compose v2 (unpack $v2_deb)"
if [[ -x "$v2_plugin" && "$(cat "$v2_dir.sha256" 2>/dev/null || true)" == "$v2_sha256" ]]; then
  log "docker compose v2 plugin already unpacked ($v2_plugin)"
else
  mkdir -p "$root/.cache/test-clients"
  tmp="$(mktemp -d "$root/.cache/test-clients/.unpack.XXXXXX")"
  # http is fine: the pinned hash is what makes the download trustworthy.
  curl -fsSL --retry 3 -o "$tmp/$v2_deb" "$v2_url"
  echo "$v2_sha256  $tmp/$v2_deb" | sha256sum -c --quiet -
  dpkg-deb -x "$tmp/$v2_deb" "$tmp/root"
  "$tmp/root/usr/libexec/docker/cli-plugins/docker-compose" version >/dev/null
  # Replace the old tree in one rename, so a failed run never leaves half a plugin behind.
  rm -rf "$v2_dir"
  mv "$tmp/root" "$v2_dir"
  echo "$v2_sha256" >"$v2_dir.sha256"
  rm -rf "$tmp"
  log "unpacked docker compose v2 2.26.1 into $v2_dir"
fi

# --- buildx ----------------------------------------------------------------------------
bx_deb="docker-buildx_0.13.1+ds1-3_amd64.deb"
bx_url="http://deb.debian.org/debian/pool/main/d/docker-buildx/docker-buildx_0.13.1%2Bds1-3_amd64.deb"
bx_sha256="fcf8c48204d1603c8f209451d7827eb91bf30759578baf7704e9e1a87e5f1d7f"
bx_dir="$root/.cache/test-clients/docker-buildx-0.13.1"
bx_plugin="$bx_dir/usr/libexec/docker/cli-plugins/docker-buildx"
step="docker buildx (unpack $bx_deb)"
if [[ -x "$bx_plugin" && "$(cat "$bx_dir.sha256" 2>/dev/null || true)" == "$bx_sha256" ]]; then
  log "docker buildx plugin already unpacked ($bx_plugin)"
else
  mkdir -p "$root/.cache/test-clients"
  tmp="$(mktemp -d "$root/.cache/test-clients/.unpack.XXXXXX")"
  curl -fsSL --retry 3 -o "$tmp/$bx_deb" "$bx_url"
  echo "$bx_sha256  $tmp/$bx_deb" | sha256sum -c --quiet -
  dpkg-deb -x "$tmp/$bx_deb" "$tmp/root"
  "$tmp/root/usr/libexec/docker/cli-plugins/docker-buildx" version >/dev/null
  rm -rf "$bx_dir"
  mv "$tmp/root" "$bx_dir"
  echo "$bx_sha256" >"$bx_dir.sha256"
  rm -rf "$tmp"
  log "unpacked docker buildx 0.13.1 into $bx_dir"
fi

# --- docker CLI 20.10 ---------------------------------------------------------------------
# The CLI from before buildx: with a daemon that says BuildKit it builds through
# POST /build?version=2 and a session. Only its CLI is kept (the package also has a dockerd).
cli_deb="docker.io_20.10.24+dfsg1-1+deb12u1+b6_amd64.deb"
cli_url="http://deb.debian.org/debian/pool/main/d/docker.io/docker.io_20.10.24%2Bdfsg1-1%2Bdeb12u1%2Bb6_amd64.deb"
cli_sha256="daf8ff8f7aa53e8533d38e386fcc2a11e8f3891210776fb78a84b98feb4eea0e"
cli_dir="$root/.cache/test-clients/docker-cli-20.10"
step="docker CLI 20.10 (unpack $cli_deb)"
if [[ -x "$cli_dir/docker" && "$(cat "$cli_dir.sha256" 2>/dev/null || true)" == "$cli_sha256" ]]; then
  log "docker CLI 20.10 already unpacked ($cli_dir/docker)"
else
  mkdir -p "$root/.cache/test-clients"
  tmp="$(mktemp -d "$root/.cache/test-clients/.unpack.XXXXXX")"
  curl -fsSL --retry 3 -o "$tmp/$cli_deb" "$cli_url"
  echo "$cli_sha256  $tmp/$cli_deb" | sha256sum -c --quiet -
  dpkg-deb -x "$tmp/$cli_deb" "$tmp/root"
  mkdir "$tmp/cli"
  mv "$tmp/root/usr/bin/docker" "$tmp/cli/docker"
  "$tmp/cli/docker" --version >/dev/null
  rm -rf "$cli_dir"
  mv "$tmp/cli" "$cli_dir"
  echo "$cli_sha256" >"$cli_dir.sha256"
  rm -rf "$tmp"
  log "unpacked docker CLI 20.10 into $cli_dir"
fi

step="done"
log "done"
