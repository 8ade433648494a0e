#!/bin/bash
# The whole test suite from a clean tree: install what is missing, build
# with warnings as errors in _build/, run make check and make distcheck.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
[ -x configure ] || autoreconf -fi >/dev/null
rm -rf _build
mkdir _build
cd _build
../configure --enable-werror >/dev/null
make -j"$(nproc)" >/dev/null
if ! make -j"$(nproc)" check; then
	cat test-suite.log
	exit 1
fi
make -j"$(nproc)" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror >distcheck.log 2>&1 ||
	{ tail -50 distcheck.log; exit 1; }
echo "distcheck passed"
