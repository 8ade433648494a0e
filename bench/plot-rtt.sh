#!/bin/bash
# plot-rtt.sh RESULTS-DIR OUT.svg: shutdown time on the network model
# (median of the runs, log scale) against the round-trip time, one line
# per mode and workload (bench/network.sh's results: MODE-RTT-KxM.txt),
# with the 4 RTT + 30 ms target dashed.
set -eu
dir=$1 out=$2
for f in "$dir"/*-*-*.txt; do
	b=$(basename "$f" .txt)       # mode-rtt-KxM
	mode=${b%%-*}; rest=${b#*-}; rtt=${rest%%-*}; km=${rest#*-}
	med=$(cut -d' ' -f1 "$f" | sort -n | awk -f "$(dirname "$0")/stats.awk" | cut -d' ' -f1)
	echo "$mode $km $rtt $med"
done | sort -k1,1 -k2,2 -k3,3n | awk -v out="$out" -f "$(dirname "$0")/svg.awk" -f "$(dirname "$0")/plot-rtt.awk"
