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
done | sort -k1,1 -k2,2n -k3,3n | awk -v out="$out" '
function px(n) { return L + (log(n) - log(5)) / (log(4000) - log(5)) * (W - L - R) }
function py(v) { return T + (H - T - B) * (1 - log(v) / log(ymax)) }
BEGIN { W = 760; H = 440; L = 70; R = 150; T = 40; B = 50; ymax = 20000 }
{ key = $1 " L=" $2 " ms"; if (!(key in seen)) { seen[key] = 1; keys[++nk] = key }
  pts[key] = pts[key] sprintf("%.1f,%.1f ", px($3), py($4 < 1 ? 1 : $4)) }
END {
  printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H > out
  printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n" > out
  printf "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">SIGTERM to exit (median) vs resting orders</text>\n", L > out
  split("10 100 1000", xt, " ")
  for (i = 1; i <= 3; i++) printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", px(xt[i]), T, px(xt[i]), H - B, px(xt[i]), H - B + 16, xt[i] > out
  split("1 10 100 1000 10000", yt, " ")
  for (i = 1; i <= 5; i++) printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s ms</text>\n", L, py(yt[i]), W - R, py(yt[i]), L - 6, py(yt[i]) + 4, yt[i] > out
  printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">orders resting at SIGTERM (log scale)</text>\n", (L + W - R) / 2, H - 12 > out
  split("#1b5e20 #43a047 #a5d6a7", ga, " "); split("#b71c1c #e53935 #ef9a9a", ra, " ")
  for (k = 1; k <= nk; k++) {
    c = (keys[k] ~ /^auto/) ? ga[(ga_i++ % 3) + 1] : ra[(ra_i++ % 3) + 1]
    printf "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" points=\"%s\"/>\n", c, pts[keys[k]] > out
    printf "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n", W - R + 10, T + 10 + k * 18, c, W - R + 28, T + 15 + k * 18, (keys[k] ~ /^auto/ ? "ours " : "sequential ") substr(keys[k], index(keys[k], " ") + 1) > out
  }
  print "</svg>" > out
}'
