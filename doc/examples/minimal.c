/*
 * minimal.c - the smallest service on libgshutdown: one worker, a
 * CANCELLING action, and the library's own INI sections.
 *
 *	cc minimal.c $(pkg-config --cflags --libs gshutdown) -o minimal
 *	./minimal service.ini &  kill -TERM $!  (exit code 0)
 *
 * service.ini needs no more than
 *
 *	[trace]
 *	path = /tmp/minimal-trace.jsonl
 */
#include <pthread.h>
#include <stdio.h>

#include <gshutdown.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

/* The worker: waits for work until the stop flag rises. */
static void *
worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!gs_stop_requested())
		pthread_cond_wait(&cv, &mu); /* real work would go here */
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* Called right after the stop flag rises: leave the wait at once. */
static void
worker_wake(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/* CANCELLING: undo what must not outlive the process, by deadline. */
static enum gs_outcome
cancel(void *arg, const struct timespec *deadline, struct json_t *detail)
{
	(void)arg;
	(void)deadline;
	gs_record_add_int(detail, "jobs_cancelled", 0);
	return GS_OUTCOME_DONE;
}

int
main(int argc, char **argv)
{
	struct gs_supervisor *sup;
	struct gs_config *cfg;
	char cause[GS_CAUSE_MAX];
	int code;

	/* 1. Before any thread exists. */
	if (gs_signals_block() < 0)
		return 1;
	if (argc != 2) {
		fprintf(stderr, "usage: minimal FILE.ini\n");
		return GS_EXIT_USAGE;
	}
	/* 2. The configuration: defaults, then the file. */
	cfg = gs_config_new();
	if (cfg == NULL)
		return 1;
	if (gs_config_load(cfg, argv[1], cause) < 0 ||
	    gs_config_validate(cfg, cause) < 0) {
		fprintf(stderr, "minimal: %s\n", cause);
		gs_config_free(cfg);
		return GS_EXIT_CONFIG;
	}
	gs_record_add_str(gs_config_start_record(cfg), "service", "minimal");
	/* 3. The supervisor: opens [log], the trace, the signal thread. */
	if (gs_supervisor_new(&sup, cfg, "1.0", cause) < 0) {
		fprintf(stderr, "minimal: %s\n", cause);
		gs_config_free(cfg);
		return GS_EXIT_CONFIG;
	}
	/* 4. Workers and phase actions. */
	gs_worker_add(sup, "worker", worker, NULL, worker_wake, NULL);
	gs_phase_set(sup, GS_STATE_CANCELLING, cancel, NULL);
	/* 5. Run until a signal (or gs_request_shutdown) and its end. */
	code = gs_supervisor_run(sup);
	gs_supervisor_free(sup);
	gs_log_close();
	gs_config_free(cfg);
	return code;
}
