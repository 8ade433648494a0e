/*
 * time.c - monotonic deadlines.  Every deadline in the project is an
 * absolute CLOCK_MONOTONIC timespec, so a wall-clock step never shortens or
 * stretches a shutdown.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "gshutdown.h"

struct timespec
gs_mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

struct timespec
gs_mono_after_ms(long long ms)
{
	struct timespec ts = gs_mono_now();

	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

int64_t
gs_mono_ns(void)
{
	struct timespec ts = gs_mono_now();

	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long long
gs_ms_until(const struct timespec *ts)
{
	struct timespec now = gs_mono_now();

	return (ts->tv_sec - now.tv_sec) * 1000LL +
	       (ts->tv_nsec - now.tv_nsec) / 1000000L;
}

long long
gs_ms_since(const struct timespec *ts)
{
	return -gs_ms_until(ts);
}

int
gs_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu,
		   const struct timespec *deadline)
{
	if (gs_mono_ns() >=
	    (int64_t)deadline->tv_sec * 1000000000LL + deadline->tv_nsec)
		return ETIMEDOUT;
	/*
	 * pthread_cond_clockwait measures the deadline on the clock it is
	 * given, whatever clock the condition variable was created with, so
	 * a wall-clock step neither shortens nor stretches the wait.
	 */
	return pthread_cond_clockwait(cv, mu, CLOCK_MONOTONIC, deadline);
}
