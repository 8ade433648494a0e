#!/bin/bash
# The whole test suite from a clean tree: install what is missing, build
# with warnings as errors in _build/, run make check and make distcheck.
# One line per step; the logs of a failing step are shown.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
if [ ! -x configure ]; then
	echo "generating configure (autoreconf)..."
	./scripts/autogen.sh
fi
rm -rf _build
mkdir _build
cd _build
echo "configuring (_build, warnings as errors)..."
../configure --enable-werror >configure.out 2>&1 || { tail -30 configure.out; exit 1; }
echo "building..."
make -j"$(nproc)" >build.log 2>&1 || { grep -E 'error|warning' build.log | head -40; exit 1; }
echo "testing: make check (unit and integration tests)..."
if ! make -j"$(nproc)" check >check.out 2>&1; then
	grep -E '^(FAIL|ERROR|XPASS):' check.out || true
	cat test-suite.log
	exit 1
fi
echo "  $(grep -c '^PASS:' check.out) tests passed, $(grep -c '^SKIP:' check.out) skipped"
echo "testing: make distcheck (the tarball builds and passes alone)..."
if ! make -j"$(nproc)" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror >distcheck.log 2>&1; then
	grep -E '^(FAIL|ERROR|XPASS):' distcheck.log || tail -50 distcheck.log
	# A failing check leaves the unpacked tree: show what the tests said.
	find . -path '*/_build/sub/test-suite.log' -exec cat {} + 2>/dev/null || true
	exit 1
fi
echo "all tests passed"
