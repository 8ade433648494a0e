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
done | sort -k1,1 -k2,2 -k3,3n | awk -v out="$out" '
function px(r) { return L + r / 160 * (W - L - R) }
function py(v) { return T + (H - T - B) * (1 - (log(v) - log(ymin)) / (log(ymax) - log(ymin))) }
BEGIN { W = 760; H = 440; L = 70; R = 170; T = 40; B = 50; ymin = 10; ymax = 100000 }
{ key = $1 " " $2; if (!(key in seen)) { seen[key] = 1; keys[++nk] = key }
  pts[key] = pts[key] sprintf("%.1f,%.1f ", px($3), py($4 < ymin ? ymin : $4)) }
END {
  printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H > out
  printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n" > out
  printf "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">SIGTERM to exit (median), TLS through a delay proxy, 20 symbols</text>\n", L > out
  split("0 10 50 100 150", xt, " ")
  for (i = 1; i <= 5; i++) printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", px(xt[i]), T, px(xt[i]), H - B, px(xt[i]), H - B + 16, xt[i] > out
  split("10 100 1000 10000 100000", yt, " ")
  for (i = 1; i <= 5; i++) printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s ms</text>\n", L, py(yt[i]), W - R, py(yt[i]), L - 6, py(yt[i]) + 4, yt[i] > out
  printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">round-trip time, ms</text>\n", (L + W - R) / 2, H - 12 > out
  tp = ""; for (r = 5; r <= 160; r += 5) tp = tp sprintf("%.1f,%.1f ", px(r), py(4 * r + 30))
  printf "<polyline fill=\"none\" stroke=\"#555\" stroke-dasharray=\"5,4\" stroke-width=\"1.5\" points=\"%s\"/>\n", tp > out
  printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\" stroke-dasharray=\"5,4\"/><text x=\"%d\" y=\"%d\">target 4 RTT + 30 ms</text>\n", W - R + 10, T + 12, W - R + 24, T + 12, W - R + 28, T + 16 > out
  split("#1b5e20 #66bb6a", ga, " "); split("#b71c1c #ef9a9a", ra, " ")
  for (k = 1; k <= nk; k++) {
    c = (keys[k] ~ /^auto/) ? ga[(ga_i++ % 2) + 1] : ra[(ra_i++ % 2) + 1]
    printf "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" points=\"%s\"/>\n", c, pts[keys[k]] > out
    n = split(pts[keys[k]], pp, " ")
    for (j = 1; j <= n; j++) { split(pp[j], xy, ","); printf "<circle cx=\"%s\" cy=\"%s\" r=\"3\" fill=\"%s\"/>\n", xy[1], xy[2], c > out }
    printf "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n", W - R + 10, T + 20 + k * 18, c, W - R + 28, T + 25 + k * 18, (keys[k] ~ /^auto/ ? "ours " : "sequential ") substr(keys[k], index(keys[k], " ") + 1) > out
  }
  print "</svg>" > out
}'
