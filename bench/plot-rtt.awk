# plot-rtt.awk - bench/plot-rtt.sh's plot: shutdown time on the network
# model (log scale) against the round-trip time, one line per mode and
# workload, and the 4 RTT + 30 ms target dashed.  Input lines:
# "MODE KxM RTT MEDIAN_MS".  With svg.awk.

function px(r) { return L + r / 160 * (W - L - R) }
function py(v) { return T + (H - T - B) * (1 - (log(v) - log(ymin)) / (log(ymax) - log(ymin))) }
BEGIN { W = 760; H = 440; L = 70; R = 170; T = 40; B = 50; ymin = 10; ymax = 100000 }
{ key = $1 " " $2; if (!(key in seen)) { seen[key] = 1; keys[++nk] = key }
  pts[key] = pts[key] sprintf("%.1f,%.1f ", px($3), py($4 < ymin ? ymin : $4)) }
END {
  svg_begin("SIGTERM to exit (median), TLS through a delay proxy, 20 symbols")
  svg_axes("0 10 50 100 150", "10 100 1000 10000 100000", "round-trip time, ms")
  tp = ""; for (r = 5; r <= 160; r += 5) tp = tp sprintf("%.1f,%.1f ", px(r), py(4 * r + 30))
  printf "<polyline fill=\"none\" stroke=\"#555\" stroke-dasharray=\"5,4\" stroke-width=\"1.5\" points=\"%s\"/>\n", tp > out
  printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\" stroke-dasharray=\"5,4\"/><text x=\"%d\" y=\"%d\">target 4 RTT + 30 ms</text>\n", W - R + 10, T + 12, W - R + 24, T + 12, W - R + 28, T + 16 > out
  split("#1b5e20 #66bb6a", ga, " "); split("#b71c1c #ef9a9a", ra, " ")
  for (k = 1; k <= nk; k++) {
    c = (keys[k] ~ /^auto/) ? ga[(ga_i++ % 2) + 1] : ra[(ra_i++ % 2) + 1]
    svg_series(pts[keys[k]], c, (keys[k] ~ /^auto/ ? "ours " : "sequential ") substr(keys[k], index(keys[k], " ") + 1), T + 20 + k * 18, 1)
  }
  svg_end()
}