#!/usr/bin/env bash
# Install the Debian 12 packages tsdb needs to build, test and benchmark.
# Idempotent: does nothing when everything is already there.
# clang and libclang-rt-14-dev (libFuzzer's runtime, only a Recommends of
# clang-14) build the codec fuzzers of `make fuzz`.
set -euo pipefail

pkgs=(make gcc postgresql-15 postgresql-server-dev-15 postgresql-client-15
      postgresql-contrib liblz4-dev libipc-run-perl perl zstd procps gnuplot-nox
      clang libclang-rt-14-dev)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run this script as root (or with sudo)" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Debian's postgresql-common would create and start a "main" cluster on
# install; tsdb's scripts run their own throwaway clusters instead.
mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/tsdb-no-main.conf
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
