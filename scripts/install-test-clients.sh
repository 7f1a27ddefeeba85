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
#   - crictl (cri-tools, Go): built from the Go module proxy at a pinned version into
#     .cache/test-clients/crictl-<version>/crictl; the CRI tests (test/integration/cri) run it.
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

# --- ssh-agent ---------------------------------------------------------------------------
# The agent buildx forwards for RUN --mount=type=ssh (buildx.test.ts).
step="openssh-client (apt)"
if command -v ssh-agent >/dev/null && command -v ssh-add >/dev/null && command -v ssh-keygen >/dev/null; then
  log "openssh-client already installed"
else
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends openssh-client >/dev/null
  log "installed openssh-client"
fi

# --- ufw ---------------------------------------------------------------------------------------
# The host firewall that published ports must obey (network/firewall-publishing.test.ts). The
# package leaves ufw disabled; the test runs it only inside namespaces of its own, on copies of
# /etc/ufw, so the host's firewall is never enabled or changed.
step="ufw (apt)"
if command -v ufw >/dev/null && [[ -d /etc/ufw ]]; then
  log "ufw already installed"
else
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends ufw >/dev/null
  log "installed ufw"
fi

# unpack NAME URL SHA256 DIR PROGRAM ARGS…: a Debian package unpacked (not installed) into DIR,
# checked by its pinned hash and by running PROGRAM (a path inside the package) with ARGS.
unpack() {
  local name="$1" url="$2" sha256="$3" dir="$4" program="$5"
  shift 5
  step="$name (unpack ${url##*/})"
  if [[ -x "$dir/$program" && "$(cat "$dir.sha256" 2>/dev/null || true)" == "$sha256" ]]; then
    log "$name already unpacked ($dir/$program)"
    return
  fi
  mkdir -p "$root/.cache/test-clients"
  local tmp
  tmp="$(mktemp -d "$root/.cache/test-clients/.unpack.XXXXXX")"
  # http is fine: the pinned hash is what makes the download trustworthy.
  curl -fsSL --retry 3 -o "$tmp/package.deb" "$url"
  echo "$sha256  $tmp/package.deb" | sha256sum -c --quiet -
  dpkg-deb -x "$tmp/package.deb" "$tmp/root"
  "$tmp/root/$program" "$@" >/dev/null
  # Replace the old tree in one rename, so a failed run never leaves half a package behind.
  rm -rf "$dir"
  mv "$tmp/root" "$dir"
  echo "$sha256" >"$dir.sha256"
  rm -rf "$tmp"
  log "unpacked $name into $dir"
}

pool="http://deb.debian.org/debian/pool/main"
unpack "docker compose v2 2.26.1" "$pool/d/docker-compose/docker-compose_2.26.1-4_amd64.deb" \
  47681197cb2b1ab88206b42a1a92fc75f50d9530a6322d03494a473eed0408ea \
  "$root/.cache/test-clients/docker-compose-2.26.1" usr/libexec/docker/cli-plugins/docker-compose version
unpack "docker buildx 0.13.1" "$pool/d/docker-buildx/docker-buildx_0.13.1%2Bds1-3_amd64.deb" \
  fcf8c48204d1603c8f209451d7827eb91bf30759578baf7704e9e1a87e5f1d7f \
  "$root/.cache/test-clients/docker-buildx-0.13.1" usr/libexec/docker/cli-plugins/docker-buildx version
# The CLI from before buildx: with a daemon that says BuildKit it builds through
# POST /build?version=2 and a session. (The package also holds a dockerd, never started.)
unpack "docker CLI 20.10" "$pool/d/docker.io/docker.io_20.10.24%2Bdfsg1-1%2Bdeb12u1%2Bb6_amd64.deb" \
  daf8ff8f7aa53e8533d38e386fcc2a11e8f3891210776fb78a84b98feb4eea0e \
  "$root/.cache/test-clients/docker.io-20.10.24" usr/bin/docker --version

# --- crictl -----------------------------------------------------------------------------
# Built by `go install` from the Go module proxy (go.sum checks every module against sum.golang.org).
crictl_version="v1.37.0"
crictl_dir="$root/.cache/test-clients/crictl-${crictl_version#v}"
step="crictl $crictl_version (go install)"
# go install stamps no version into the binary: a marker beside it says which one was built.
if [[ -x "$crictl_dir/crictl" && "$(cat "$crictl_dir/.version" 2>/dev/null || true)" == "$crictl_version" ]]; then
  log "crictl already built ($crictl_dir/crictl)"
else
  mkdir -p "$crictl_dir"
  GOBIN="$crictl_dir" GOFLAGS=-mod=mod GOTOOLCHAIN=local go install "sigs.k8s.io/cri-tools/cmd/crictl@${crictl_version}"
  "$crictl_dir/crictl" --version >/dev/null
  echo "$crictl_version" >"$crictl_dir/.version"
  log "built crictl $crictl_version into $crictl_dir"
fi

step="done"
log "done"
