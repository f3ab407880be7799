#!/bin/sh
# Installs the Debian packages Lamina needs, only those that are missing.
# Idempotent; safe to run on every `make`.  Needs root (apt-get).
set -eu

PKGS="build-essential pkg-config meson ninja-build
      libdpdk-dev dpdk dpdk-dev
      libjansson-dev libcmocka-dev libnl-3-dev libnl-route-3-dev
      libbpf-dev libglpk-dev glpk-utils libigraph-dev
      libsqlite3-dev libevent-dev libssl-dev openssl
      openvswitch-source openvswitch-switch-dpdk openvswitch-switch
      openvswitch-common openvswitch-testcontroller python3-os-ken
      iproute2 iputils-ping tcpdump ethtool procps
      clang llvm libclang-rt-14-dev
      gnuplot-nox graphviz python3 python3-networkx python3-yaml iperf3
      openvswitch-switch mininet
      libmicrohttpd-dev libcurl4-openssl-dev libpq-dev postgresql libyaml-dev
      sqlite3 jq curl prometheus chromium
      libmetis-dev frr linux-perf"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages:$missing" >&2
    echo "install-deps: run as root (or install them with apt-get)" >&2
    exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
