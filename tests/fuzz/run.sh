#!/bin/bash
# Build the libFuzzer targets with clang (ASan+UBSan) and run each for a
# bounded time from its seed corpus.  A crash leaves its input in
# tests/fuzz/crashes/; add it to the corpus and to the unit tests.
#   tests/fuzz/run.sh [SECONDS-PER-TARGET]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-20}
out=${FUZZ_OUT:-$top/_fuzz}
mkdir -p "$out" "$top/tests/fuzz/crashes"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-D_GNU_SOURCE -DPACKAGE_VERSION=\"fuzz\" -I$top/include -I$top/src -I$top/src/lib -I$top/src/bot
	$(pkg-config --cflags jansson libwebsockets libcurl inih libcrypto)"
libs="$(pkg-config --libs jansson inih libcrypto libcurl) -lm -pthread"
lib="$top/src/lib/config.c $top/src/lib/fsm.c $top/src/lib/log.c
	$top/src/lib/time.c $top/src/lib/trace.c"
# shellcheck disable=SC2086
clang $flags "$top/tests/fuzz/fuzz_ini.c" "$top/src/bot/config.c" $lib -o "$out/fuzz_ini" $libs
# shellcheck disable=SC2086
clang $flags "$top/tests/fuzz/fuzz_trace.c" $lib -o "$out/fuzz_trace" $libs
# shellcheck disable=SC2086
clang $flags "$top/tests/fuzz/fuzz_json.c" "$top/src/bot/parse.c" -o "$out/fuzz_json" $libs
for t in ini json trace; do
	mkdir -p "$out/corpus-$t"
	echo "== fuzz_$t for ${secs}s"
	"$out/fuzz_$t" -max_total_time="$secs" -max_len=8192 -timeout=10 \
		-artifact_prefix="$top/tests/fuzz/crashes/$t-" \
		"$out/corpus-$t" "$top/tests/fuzz/corpus/$t" 2>&1 | tail -3
done
echo "fuzzing passed"
