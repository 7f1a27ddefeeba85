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
#   - ufw and firewalld (Debian bookworm, apt): host firewalls for the published-port tests, never
#     enabled or started on this host.
#   - testcontainers (npm) is a devDependency: scripts/install.sh's `npm ci` brings it.
#   - cri-tools v1.37.0 (crictl and critest), built from the Go module proxy into
#     .cache/test-clients; containerd 1.6 and the CNI plugins (Debian) as critest's reference engine.
#   - cri-stream-client (Go, test/tools/cri-stream-client): client-go's remotecommand executors and
#     port-forward dialers, the client of the CRI streaming tests (test/integration/cri-streaming),
#     built from the Go module proxy with client-go pinned in its go.mod.
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

# --- firewalld ---------------------------------------------------------------------------------
# The other host firewall published ports must obey (network/firewalld-publishing.test.ts). The
# test runs it only in namespaces of its own, on a private system bus and a copy of /etc/firewalld,
# so it must never run on this host: the package's scripts would start it (where systemd runs) and
# enable it for the next boot. A policy-rc.d that refuses (the host's own, when it has one; else one
# for this install only) stops the start, and `systemctl disable` undoes the enable and the D-Bus
# activation alias that comes with it (a call to firewalld on the system bus would start it).
firewalld_version="1.3.3-1~deb12u2"
step="firewalld $firewalld_version (apt)"
if [[ "$(dpkg-query -W -f='${Status} ${Version}' firewalld 2>/dev/null || true)" == "install ok installed $firewalld_version" ]]; then
  log "firewalld $firewalld_version already installed"
else
  export DEBIAN_FRONTEND=noninteractive
  policy=/usr/sbin/policy-rc.d
  made_policy=""
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\n# install-test-clients.sh: no service starts while firewalld is installed\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
  fi
  apt-get update -qq
  install_status=0
  apt-get install -y -qq --no-install-recommends "firewalld=$firewalld_version" >/dev/null || install_status=$?
  if [[ -n "$made_policy" ]]; then rm -f "$policy"; fi
  if [[ $install_status -ne 0 ]]; then exit "$install_status"; fi
  log "installed firewalld $firewalld_version"
fi
step="firewalld stays off on this host"
# Disabled the way an admin would, so deb-systemd-helper sees it was-disabled at an upgrade.
if command -v systemctl >/dev/null; then
  systemctl disable --quiet firewalld.service
else
  for link in /etc/systemd/system/multi-user.target.wants/firewalld.service /etc/systemd/system/dbus-org.fedoraproject.FirewallD1.service; do
    if [[ -L "$link" ]]; then rm -f "$link"; fi
  done
fi
if [[ -d /run/systemd/system ]] && systemctl is-active --quiet firewalld.service; then
  echo "install-test-clients.sh: firewalld is running on this host; the tests need it off (they run their own)" >&2
  exit 1
fi
if nft list tables 2>/dev/null | grep -qx 'table inet firewalld'; then
  echo "install-test-clients.sh: this host's ruleset has firewalld's table: firewalld runs here, the tests need it off" >&2
  exit 1
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

# --- cri-tools ----------------------------------------------------------------------------
# crictl (a plain `go install`) and critest (a Go test binary: `go test -c` of its module's
# cmd/critest, from a writable copy of the module the proxy serves), at one pinned version, into
# .cache/test-clients/{crictl,critest}-VERSION. Nothing of cri-tools enters the repository.
cri_version="v1.37.0"
gobuild() {
  local name="$1" dir="$root/.cache/test-clients/$1-$cri_version"
  step="$name $cri_version (Go module proxy)"
  if [[ -x "$dir/$name" && "$(cat "$dir/VERSION" 2>/dev/null || true)" == "$cri_version" ]]; then
    log "$name $cri_version already built"
    return
  fi
  command -v go >/dev/null || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; apt-get install -y -qq --no-install-recommends golang-go >/dev/null; }
  local tmp
  mkdir -p "$root/.cache/test-clients"
  tmp="$(mktemp -d "$root/.cache/test-clients/.build.XXXXXX")"
  if [[ "$name" == crictl ]]; then
    GOBIN="$tmp" GOFLAGS=-mod=mod go install "sigs.k8s.io/cri-tools/cmd/crictl@$cri_version"
  else
    GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/cri-tools@$cri_version" >"$tmp/module.json"
    src="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' "$tmp/module.json")"
    cp -r "$src" "$tmp/src" && chmod -R u+w "$tmp/src"
    (cd "$tmp/src" && GOFLAGS=-mod=mod go test -c -o "$tmp/critest" ./cmd/critest)
    rm -rf "$tmp/src" "$tmp/module.json"
  fi
  "$tmp/$name" --version >/dev/null 2>&1
  echo "$cri_version" >"$tmp/VERSION"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  log "built $name $cri_version into $dir"
}
gobuild crictl
gobuild critest

step="containerd and CNI plugins (apt)"
if [[ -x /usr/bin/containerd && -x /usr/lib/cni/bridge && -x /usr/lib/cni/portmap ]]; then
  log "containerd and CNI plugins already installed"
else
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # containerd's package would start it as a service: a policy-rc.d of our own (only if the host
  # has none) keeps services down while installing; the tests start private containerds only.
  own_policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
  fi
  apt-get install -y -qq --no-install-recommends containerd containernetworking-plugins >/dev/null || { [[ -n "$own_policy" ]] && rm -f /usr/sbin/policy-rc.d; false; }
  [[ -n "$own_policy" ]] && rm -f /usr/sbin/policy-rc.d
  log "installed containerd and CNI plugins"
fi

# --- cri-stream-client ---------------------------------------------------------------------
# Built into .cache/test-clients/cri-stream-client-<client-go version>/ and rebuilt only when its
# sources change. All k8s.io modules stay at one release (go.mod).
client_go_version="v0.37.2"
step="cri-stream-client (client-go $client_go_version, go build)"
tool_src="$root/test/tools/cri-stream-client"
tool_dir="$root/.cache/test-clients/cri-stream-client-$client_go_version"
tool_sum="$(cat "$tool_src/go.mod" "$tool_src/go.sum" "$tool_src/main.go" | sha256sum | cut -d' ' -f1)"
if [[ -x "$tool_dir/cri-stream-client" && "$(cat "$tool_dir.sha256" 2>/dev/null || true)" == "$tool_sum" ]]; then
  log "cri-stream-client already built ($tool_dir)"
else
  # A shell without /usr/local/go/bin on its PATH still finds the machine's Go there.
  go_bin="$(command -v go || true)"
  [[ -z "$go_bin" && -x /usr/local/go/bin/go ]] && go_bin=/usr/local/go/bin/go
  if [[ -z "$go_bin" ]]; then
    echo "install-test-clients.sh: cri-stream-client needs the go command (Go 1.26)" >&2
    exit 1
  fi
  grep -q "k8s.io/client-go $client_go_version" "$tool_src/go.mod"
  mkdir -p "$tool_dir"
  # The proxy is whatever this machine's Go is set up to reach.
  (cd "$tool_src" && GOFLAGS=-mod=mod GOPROXY="${GOPROXY:-$("$go_bin" env GOPROXY)}" "$go_bin" build -trimpath -o "$tool_dir/cri-stream-client.new" .)
  mv "$tool_dir/cri-stream-client.new" "$tool_dir/cri-stream-client"
  echo "$tool_sum" >"$tool_dir.sha256"
  log "built cri-stream-client into $tool_dir"
fi

step="done"
log "done"
