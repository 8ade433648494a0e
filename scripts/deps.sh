#!/bin/bash
# Install the Debian 12 packages the build, the tests and the quick start
# need (as root; sudo is used when available otherwise).  Quiet when all
# are present already; otherwise apt's own lines show the progress.
set -euo pipefail
pkgs=(build-essential autoconf automake libtool pkg-config
	libwebsockets-dev libcurl4-openssl-dev libjansson-dev libcunit1-dev
	libinih-dev libssl-dev libnghttp2-dev jq curl openssl valgrind python3
	libxml2-utils)
# Node.js and npm run the real clients of tests/integration/sim-clients.sh
# (Debian 12's Node.js 18 will do); a node from elsewhere is kept.
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -q update
$SUDO apt-get -q install -y --no-install-recommends "${missing[@]}"
