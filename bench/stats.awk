# stats.awk - median, p99, min and max of numbers sorted ascending on
# stdin (sort -n | awk -f stats.awk): prints "median p99 min max", the
# p99 by nearest rank.
{ v[NR] = $1 + 0 }
END {
	n = NR
	if (n == 0) { print "- - - -"; exit }
	med = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	r = int(0.99 * n + 0.999999); if (r < 1) r = 1; if (r > n) r = n
	printf "%g %g %g %g\n", med, v[r], v[1], v[n]
}
