#!/usr/bin/env bash
# Writes Berth's default CNI network for Kubernetes pods (the CRI's pod networking) into the CNI
# config directory, ONLY when that directory holds no network config yet: a cluster's own network
# add-on (flannel, calico, cilium…) or another runtime's config always wins, and a second run
# changes nothing. Usage: install-cni-config.sh [CONF_DIR] (default $BERTH_CNI_CONF_DIR, else
# /etc/cni/net.d). The network: a bridge `berth-cni0` (not Berth's own `berth0`), host-local
# addresses of 10.88.0.0/16 as containerd's and podman's defaults use, outbound masquerade, and
# portmap for hostPorts — run by the plugins of Debian's containernetworking-plugins.
set -euo pipefail

conf_dir="${1:-${BERTH_CNI_CONF_DIR:-/etc/cni/net.d}}"
name="10-berth-cni.conflist"
log() { echo "install-cni-config: $*"; }

# libcni reads these three extensions; any of them means the host already has a pod network.
shopt -s nullglob
existing=("$conf_dir"/*.conf "$conf_dir"/*.conflist "$conf_dir"/*.json)
if ((${#existing[@]})); then
  log "$conf_dir already has a network config (${existing[0]##*/}); not writing Berth's default"
  exit 0
fi

mkdir -p "$conf_dir"
tmp="$(mktemp "$conf_dir/.$name.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
cat >"$tmp" <<'JSON'
{
  "cniVersion": "1.0.0",
  "name": "berth-cni",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "berth-cni0",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "10.88.0.0/16" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    {
      "type": "portmap",
      "capabilities": { "portMappings": true }
    }
  ]
}
JSON
chmod 0644 "$tmp"
# A rename, so a runtime reading the directory never sees half a file (it is a .conflist only once whole).
mv -f "$tmp" "$conf_dir/$name"
trap - EXIT
log "wrote $conf_dir/$name (network berth-cni, bridge berth-cni0, 10.88.0.0/16)"
if command -v ip >/dev/null && ip -4 route show 10.88.0.0/16 2>/dev/null | grep -q . ; then
  log "warning: a host route already covers 10.88.0.0/16 ($(ip -4 route show 10.88.0.0/16 | head -1)); change the subnet in $conf_dir/$name"
fi
