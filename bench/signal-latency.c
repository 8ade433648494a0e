/*
 * signal-latency.c - time from kill(SIGTERM) to the CANCELLING record, and
 * from the first shutdown request to every one of 64 blocked workers
 * seeing the stop flag.  Both clocks are CLOCK_MONOTONIC, shared by every
 * process on the machine, so the trace's mono_ns compares directly.
 *
 *	signal-latency GS-EXAMPLE RUNS
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gshutdown.h"

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, long long *v, int n)
{
	int p99 = (int)(0.99 * n + 0.999999) - 1;

	qsort(v, (size_t)n, sizeof(*v), cmp_ll);
	printf("%-34s %5d runs  median %8.1f us  p99 %8.1f us  min %8.1f us  "
	       "max %8.1f us\n",
	       what, n, v[n / 2] / 1000.0, v[p99 < 0 ? 0 : p99] / 1000.0,
	       v[0] / 1000.0, v[n - 1] / 1000.0);
}

/* The mono_ns of the first record with this event, or -1. */
static long long
trace_mono(const char *path, const char *event, int nth)
{
	char line[8192], key[64];
	long long found = -1;
	int seen = 0;
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		return -1;
	snprintf(key, sizeof(key), "\"event\":\"%s\"", event);
	while (fgets(line, sizeof(line), fp)) {
		char *m;

		if (strstr(line, key) == NULL || seen++ != nth)
			continue;
		m = strstr(line, "\"mono_ns\":");
		if (m)
			found = atoll(m + 10);
		break;
	}
	fclose(fp);
	return found;
}

static long long
now_ns(void)
{
	return gs_mono_ns();
}

static int
signal_latency(const char *example, int runs, long long *out)
{
	char dir[] = "/tmp/gs-bench-XXXXXX", ini[256], trace[256];
	FILE *fp;
	int i, done = 0;

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(ini, sizeof(ini), "%s/b.ini", dir);
	snprintf(trace, sizeof(trace), "%s/t.jsonl", dir);
	fp = fopen(ini, "w");
	fprintf(fp, "[trace]\npath = %s\nfsync = true\n[log]\nlevel = error\n",
		trace);
	fclose(fp);
	for (i = 0; i < runs; i++) {
		pid_t pid = fork();
		long long t0, t1;
		int st;

		if (pid == 0) {
			execl(example, example, "-c", ini, "--workers", "4",
			      (char *)NULL);
			_exit(127);
		}
		while (trace_mono(trace, "READY", i) < 0)
			usleep(1000); /* poll the file the child writes */
		t0 = now_ns();
		kill(pid, SIGTERM);
		waitpid(pid, &st, 0);
		t1 = trace_mono(trace, "SIGTERM", i);
		if (t1 > 0)
			out[done++] = t1 - t0;
	}
	unlink(ini);
	unlink(trace);
	rmdir(dir);
	return done;
}

/* ---- stop propagation, in process ---- */

#define WORKERS 64

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long long seen_at[WORKERS];
static int ready;

static void *
worker(void *arg)
{
	int i = (int)(long)arg;

	pthread_mutex_lock(&mu);
	ready++;
	pthread_cond_broadcast(&cv);
	while (!gs_stop_requested())
		pthread_cond_wait(&cv, &mu);
	seen_at[i] = now_ns();
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void
wake(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static int
stop_propagation(int runs, long long *out)
{
	char dir[] = "/tmp/gs-bench-XXXXXX";
	struct gs_config *cfg;
	char cause[GS_CAUSE_MAX], ini[64];
	int r, i, done = 0;
	FILE *fp;

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(ini, sizeof(ini), "%s/t.ini", dir);
	fp = fopen(ini, "w");
	if (fp == NULL)
		return -1;
	/* fsync off: measure the wake-ups, not the disk */
	fprintf(fp, "[trace]\npath = %s/t.jsonl\nfsync = false\n", dir);
	fclose(fp);
	cfg = gs_config_new();
	if (cfg == NULL || gs_config_load(cfg, ini, cause) < 0) {
		fprintf(stderr, "%s\n", cfg ? cause : "out of memory");
		gs_config_free(cfg);
		return -1;
	}
	for (r = 0; r < runs; r++) {
		struct gs_supervisor *sup;
		long long t0, last = 0;
		char name[16];

		if (gs_supervisor_new(&sup, cfg, "bench", cause) < 0) {
			fprintf(stderr, "%s\n", cause);
			break;
		}
		ready = 0;
		for (i = 0; i < WORKERS; i++) {
			snprintf(name, sizeof(name), "w%d", i);
			gs_worker_add(sup, name, worker, (void *)(long)i, wake,
				      NULL);
		}
		pthread_mutex_lock(&mu);
		while (ready < WORKERS)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
		t0 = now_ns();
		gs_request_shutdown(sup, 0, "bench");
		gs_supervisor_run(sup);
		gs_supervisor_free(sup);
		for (i = 0; i < WORKERS; i++)
			if (seen_at[i] - t0 > last)
				last = seen_at[i] - t0;
		out[done++] = last;
	}
	gs_config_free(cfg);
	snprintf(cause, sizeof(cause), "%s/t.jsonl", dir);
	unlink(cause);
	unlink(ini);
	rmdir(dir);
	return done;
}

int
main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[2]) : 200, n;
	long long *v;

	if (argc < 2 || runs < 1) {
		fprintf(stderr, "usage: signal-latency GS-EXAMPLE [RUNS]\n");
		return 2;
	}
	gs_signals_block();
	gs_log_open(GS_LOG_ERROR, "/dev/null", false, NULL, "bench");
	v = calloc((size_t)runs, sizeof(*v));
	n = signal_latency(argv[1], runs, v);
	if (n > 0)
		report("kill() -> CANCELLING traced", v, n);
	n = stop_propagation(runs, v);
	if (n > 0)
		report("request -> all 64 workers saw it", v, n);
	free(v);
	return 0;
}
