# plot.awk - bench/plot.sh's plot: shutdown time against resting orders
# (log scale), one line per mode and injected latency L.  Input lines:
# "MODE L ORDERS MEDIAN_MS".  With svg.awk.

function px(n) { return L + (log(n) - log(5)) / (log(4000) - log(5)) * (W - L - R) }
function py(v) { return T + (H - T - B) * (1 - log(v) / log(ymax)) }
BEGIN { W = 760; H = 440; L = 70; R = 150; T = 40; B = 50; ymax = 20000 }
{ key = $1 " L=" $2 " ms"; if (!(key in seen)) { seen[key] = 1; keys[++nk] = key }
  pts[key] = pts[key] sprintf("%.1f,%.1f ", px($3), py($4 < 1 ? 1 : $4)) }
END {
  svg_begin("SIGTERM to exit (median) vs resting orders")
  svg_axes("10 100 1000", "1 10 100 1000 10000", "orders resting at SIGTERM (log scale)")
  split("#1b5e20 #43a047 #a5d6a7", ga, " "); split("#b71c1c #e53935 #ef9a9a", ra, " ")
  for (k = 1; k <= nk; k++) {
    c = (keys[k] ~ /^auto/) ? ga[(ga_i++ % 3) + 1] : ra[(ra_i++ % 3) + 1]
    svg_series(pts[keys[k]], c, (keys[k] ~ /^auto/ ? "ours " : "sequential ") substr(keys[k], index(keys[k], " ") + 1), T + 10 + k * 18, 0)
  }
  svg_end()
}