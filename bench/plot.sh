#!/bin/bash
# plot.sh RESULTS-DIR OUT.svg: shutdown time (median of the runs) against
# the number of resting orders, ours (auto) and the sequential baseline,
# one line per injected latency; order count on a log scale.
set -eu
dir=$1 out=$2
for f in "$dir"/*-*-*.txt; do
	b=$(basename "$f" .txt)       # mode-lat-KxM
	mode=${b%%-*}; rest=${b#*-}; lat=${rest%%-*}; km=${rest#*-}
	n=$(( ${km%x*} * ${km#*x} ))
	med=$(cut -d' ' -f1 "$f" | sort -n | awk -f "$(dirname "$0")/stats.awk" | cut -d' ' -f1)
	echo "$mode $lat $n $med"
done | sort -k1,1 -k2,2n -k3,3n | awk -v out="$out" -f "$(dirname "$0")/svg.awk" -f "$(dirname "$0")/plot.awk"
