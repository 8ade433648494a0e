/*
 * gs-example.c - the smallest service on libgshutdown, for the integration
 * tests: N workers that wait on a condition variable until stopped, dummy
 * CANCELLING and CLOSING phases that take a set time, and optionally a
 * worker that ignores the stop flag or a component that reports FATAL.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gshutdown.h"

struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static struct waiter waiter = {PTHREAD_MUTEX_INITIALIZER,
			       PTHREAD_COND_INITIALIZER};

static void *
worker_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&waiter.mu);
	while (!gs_stop_requested())
		pthread_cond_wait(&waiter.cv, &waiter.mu);
	pthread_mutex_unlock(&waiter.mu);
	return NULL;
}

static void
worker_wake(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&waiter.mu);
	pthread_cond_broadcast(&waiter.cv);
	pthread_mutex_unlock(&waiter.mu);
}

/* Ignores the flag: it never returns (every signal is blocked here). */
static void *
stuck_main(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

struct fatal_arg {
	struct gs_supervisor *sup;
	int after_ms;
};

/* Reports FATAL after a while, as a component that lost its peer would. */
static void *
fatal_main(void *arg)
{
	struct fatal_arg *fa = arg;
	struct timespec until = gs_mono_after_ms(fa->after_ms);

	pthread_mutex_lock(&waiter.mu);
	while (!gs_stop_requested() &&
	       gs_cond_wait_until(&waiter.cv, &waiter.mu, &until) == 0)
		;
	pthread_mutex_unlock(&waiter.mu);
	if (!gs_stop_requested())
		gs_request_shutdown(fa->sup, GS_EXIT_UNAVAILABLE,
				    "peer lost (simulated)");
	return NULL;
}

struct phase_arg {
	int take_ms;
	const char *figure;
	bool hang; /* ignore the deadline, as a buggy phase would */
};

/* Takes take_ms (or until the deadline), waiting on a condition. */
static enum gs_outcome
phase_dummy(void *arg, const struct timespec *deadline, json_t *detail)
{
	struct phase_arg *pa = arg;
	struct timespec until = gs_mono_after_ms(pa->take_ms);
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv;
	pthread_condattr_t ca;
	bool timeout = !pa->hang && gs_ms_until(deadline) < pa->take_ms;
	const struct timespec *end = timeout ? deadline : &until;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cv, &ca);
	pthread_mutex_lock(&mu);
	while (gs_ms_until(end) > 0)
		pthread_cond_timedwait(&cv, &mu, end);
	pthread_mutex_unlock(&mu);
	pthread_cond_destroy(&cv);
	pthread_condattr_destroy(&ca);
	json_object_set_new(detail, pa->figure, json_integer(3));
	return timeout ? GS_OUTCOME_TIMEOUT : GS_OUTCOME_DONE;
}

/* The force hook: a "snapshot" written atomically, as a service that must
 * leave its state behind on a forced or deadline exit would. */
static void
snapshot_write(void *arg)
{
	const char *path = arg;
	char tmp[1024];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fp = fopen(tmp, "w");
	if (fp == NULL)
		return;
	fprintf(fp, "{\"state\":\"%s\"}\n", "forced");
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
		fclose(fp);
		return;
	}
	fclose(fp);
	rename(tmp, path);
}

static void
usage(void)
{
	fprintf(stderr, "usage: gs-example -c FILE [--workers N] [--stuck] "
			"[--cancel-ms N] [--close-ms N] [--fatal-after-ms N] "
			"[--hang-cancel] [--snapshot FILE]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"workers", required_argument, NULL, 'w'},
		{"stuck", no_argument, NULL, 's'},
		{"cancel-ms", required_argument, NULL, 'C'},
		{"close-ms", required_argument, NULL, 'L'},
		{"fatal-after-ms", required_argument, NULL, 'F'},
		{"hang-cancel", no_argument, NULL, 'H'},
		{"snapshot", required_argument, NULL, 'S'},
		{NULL, 0, NULL, 0},
	};
	struct phase_arg cancel = {0, "orders_cancelled", false};
	struct phase_arg close = {0, "streams_closed", false};
	struct fatal_arg fatal = {NULL, -1};
	struct gs_supervisor *sup;
	struct gs_config *cfg;
	char cause[GS_CAUSE_MAX], name[16];
	const char *path = NULL, *snapshot = NULL;
	int workers = 4, stuck = 0, c, i, code;

	if (gs_signals_block() < 0)
		return 1;
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'w':
			workers = atoi(optarg);
			break;
		case 's':
			stuck = 1;
			break;
		case 'C':
			cancel.take_ms = atoi(optarg);
			break;
		case 'L':
			close.take_ms = atoi(optarg);
			break;
		case 'F':
			fatal.after_ms = atoi(optarg);
			break;
		case 'S':
			snapshot = optarg;
			break;
		case 'H':
			cancel.hang = true;
			cancel.take_ms = 60000;
			break;
		default:
			usage();
			return GS_EXIT_USAGE;
		}
	}
	if (path == NULL) {
		usage();
		return GS_EXIT_USAGE;
	}
	cfg = gs_config_new();
	if (cfg == NULL)
		return 1;
	if (gs_config_load(cfg, path, cause) < 0) {
		fprintf(stderr, "gs-example: %s\n", cause);
		gs_config_free(cfg);
		return GS_EXIT_CONFIG;
	}
	/* [log] takes effect here: gs_supervisor_new opens the log. */
	if (gs_supervisor_new(&sup, cfg, "example", cause) < 0) {
		fprintf(stderr, "gs-example: %s\n", cause);
		gs_config_free(cfg);
		return GS_EXIT_CONFIG;
	}
	for (i = 0; i < workers; i++) {
		snprintf(name, sizeof(name), "worker-%d", i % 1000);
		gs_worker_add(sup, name, worker_main, NULL, worker_wake, NULL);
	}
	if (stuck)
		gs_worker_add(sup, "stuck", stuck_main, NULL, NULL, NULL);
	if (fatal.after_ms >= 0) {
		fatal.sup = sup;
		gs_worker_add(sup, "fatal", fatal_main, &fatal, worker_wake,
			      NULL);
	}
	if (snapshot != NULL)
		gs_set_force_hook(sup, snapshot_write, (void *)snapshot);
	gs_phase_set(sup, GS_STATE_CANCELLING, phase_dummy, &cancel);
	gs_phase_set(sup, GS_STATE_CLOSING, phase_dummy, &close);
	code = gs_supervisor_run(sup);
	gs_supervisor_free(sup);
	gs_log_close();
	gs_config_free(cfg);
	return code;
}
