/*
 * bench.h - what the C benchmarks share: a monotonic clock in ns and the
 * sort their median, p99 and min are read from.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdlib.h>
#include <time.h>

static inline long long
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline int
bench_cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Sort runs timings in place: ns[runs / 2] is then the median. */
static inline void
bench_sort(long long *ns, int runs)
{
	qsort(ns, (size_t)runs, sizeof(*ns), bench_cmp_ll);
}

#endif
