# svg.awk - the frame the benchmark plots share (bench/plot.sh,
# bench/plot-rtt.sh): an SVG of W x H with margins L, R, T, B, a title,
# grid lines with their labels on both axes, and one line per series with
# its legend.  The plot's own program sets those variables and `out`, and
# defines px() and py(), the positions of a value on each axis.

function svg_begin(title)
{
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H > out
	printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n" > out
	printf "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>\n", L, title > out
}

# svg_axes(XTICKS, YTICKS, XLABEL): space-separated tick values; the y
# axis is in ms.
function svg_axes(xticks, yticks, xlabel,    xt, yt, i, n)
{
	n = split(xticks, xt, " ")
	for (i = 1; i <= n; i++)
		printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", px(xt[i]), T, px(xt[i]), H - B, px(xt[i]), H - B + 16, xt[i] > out
	n = split(yticks, yt, " ")
	for (i = 1; i <= n; i++)
		printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s ms</text>\n", L, py(yt[i]), W - R, py(yt[i]), L - 6, py(yt[i]) + 4, yt[i] > out
	printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", (L + W - R) / 2, H - 12, xlabel > out
}

# svg_series(POINTS, COLOUR, LABEL, LEGEND_Y, DOTS): a line through
# "x,y x,y ...", a dot on each point when DOTS, and its legend entry.
function svg_series(pts, c, label, ly, dots,    n, j, pp, xy)
{
	printf "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" points=\"%s\"/>\n", c, pts > out
	if (dots) {
		n = split(pts, pp, " ")
		for (j = 1; j <= n; j++) {
			split(pp[j], xy, ",")
			printf "<circle cx=\"%s\" cy=\"%s\" r=\"3\" fill=\"%s\"/>\n", xy[1], xy[2], c > out
		}
	}
	printf "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n", W - R + 10, ly, c, W - R + 28, ly + 5, label > out
}

function svg_end()
{
	print "</svg>" > out
}
