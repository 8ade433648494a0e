/*
 * queue-service.c - a service with an INI section of its own, its own
 * phases, and (on request) a worker that never stops.
 *
 *	cc queue-service.c $(pkg-config --cflags --libs gshutdown) -o qs
 *	./qs queue.ini
 *
 * queue.ini holds the library's sections and the service's own:
 *
 *	[queue]
 *	name = mail           ; required
 *	consumers = 3         ; 1 to 32
 *	mode = at_least_once  ; or at_most_once
 *	stuck = false         ; true: one consumer never stops (exit 75)
 *
 *	[shutdown]
 *	join_timeout_ms = 500
 *
 *	[trace]
 *	path = /tmp/queue-trace.jsonl
 *
 * A bad value in [queue] is reported as "queue.ini:LINE: message" and
 * the service exits 78, as for the library's own keys.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gshutdown.h>

struct queue {
	char name[32];
	int consumers;
	int mode; /* index into modes */
	bool stuck;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	long handled;
};

static const char *const modes[] = {"at_least_once", "at_most_once", NULL};

/* A validator: queue names are lower-case words. */
static int
check_name(void *arg, const char *value, char *why, size_t size)
{
	(void)arg;
	if (value[strspn(value, "abcdefghijklmnopqrstuvwxyz")] != '\0') {
		snprintf(why, size, "\"%s\": only lower-case letters", value);
		return -1;
	}
	return 0;
}

static int
register_queue(struct gs_config *cfg, struct queue *q, char *cause)
{
	const struct gs_option opts[] = {
		{.name = "name", .type = GS_OPTION_STRING, .dest = q->name,
		 .size = sizeof(q->name), .required = true,
		 .help = "the queue to consume", .check = check_name},
		{.name = "consumers", .type = GS_OPTION_INT,
		 .dest = &q->consumers, .min = 1, .max = 32, .def = "3",
		 .help = "consumer threads"},
		{.name = "mode", .type = GS_OPTION_ENUM, .dest = &q->mode,
		 .choices = modes, .def = "at_least_once",
		 .help = "at_least_once or at_most_once"},
		{.name = "stuck", .type = GS_OPTION_BOOL, .dest = &q->stuck,
		 .def = "false", .help = "one consumer never stops"},
	};

	return gs_config_add_section(cfg, "queue", opts,
				     sizeof(opts) / sizeof(opts[0]), cause);
}

static void *
consumer(void *arg)
{
	struct queue *q = arg;

	pthread_mutex_lock(&q->mu);
	while (!gs_stop_requested()) {
		q->handled++;
		pthread_cond_wait(&q->cv, &q->mu);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

static void
consumer_wake(void *arg)
{
	struct queue *q = arg;

	pthread_mutex_lock(&q->mu);
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* Ignores the stop flag: the supervisor names it and ends with 75. */
static void *
stuck_consumer(void *arg)
{
	struct timespec ts = {3600, 0};

	(void)arg;
	for (;;)
		nanosleep(&ts, NULL);
	return NULL;
}

/* CANCELLING: hand unfinished messages back to the broker. */
static enum gs_outcome
requeue(void *arg, const struct timespec *deadline, struct json_t *detail)
{
	struct queue *q = arg;

	(void)deadline;
	gs_record_add_str(detail, "queue", q->name);
	gs_record_add_int(detail, "requeued", 0);
	return GS_OUTCOME_DONE;
}

/* CLOSING: say goodbye to the broker. */
static enum gs_outcome
disconnect(void *arg, const struct timespec *deadline, struct json_t *detail)
{
	struct queue *q = arg;

	(void)deadline;
	pthread_mutex_lock(&q->mu);
	gs_record_add_int(detail, "handled", q->handled);
	pthread_mutex_unlock(&q->mu);
	gs_record_add_bool(detail, "broker_closed", true);
	return GS_OUTCOME_DONE;
}

int
main(int argc, char **argv)
{
	struct queue q = {.mu = PTHREAD_MUTEX_INITIALIZER,
			  .cv = PTHREAD_COND_INITIALIZER};
	struct gs_supervisor *sup;
	struct gs_config *cfg;
	char cause[GS_CAUSE_MAX], name[16];
	int i, code;

	if (gs_signals_block() < 0)
		return 1;
	if (argc != 2) {
		fprintf(stderr, "usage: queue-service FILE.ini\n");
		return GS_EXIT_USAGE;
	}
	cfg = gs_config_new();
	if (cfg == NULL)
		return 1;
	if (register_queue(cfg, &q, cause) < 0 ||
	    gs_config_load(cfg, argv[1], cause) < 0 ||
	    gs_config_validate(cfg, cause) < 0) {
		fprintf(stderr, "queue-service: %s\n", cause);
		gs_config_free(cfg);
		return GS_EXIT_CONFIG;
	}
	gs_record_add_str(gs_config_start_record(cfg), "queue", q.name);
	gs_record_add_str(gs_config_start_record(cfg), "mode", modes[q.mode]);
	if (gs_supervisor_new(&sup, cfg, "1.0", cause) < 0) {
		fprintf(stderr, "queue-service: %s\n", cause);
		gs_config_free(cfg);
		return GS_EXIT_CONFIG;
	}
	for (i = 0; i < q.consumers; i++) {
		snprintf(name, sizeof(name), "consumer-%d", i % 100);
		gs_worker_add(sup, name, consumer, &q, consumer_wake, &q);
	}
	if (q.stuck)
		gs_worker_add(sup, "stuck", stuck_consumer, NULL, NULL, NULL);
	gs_phase_set(sup, GS_STATE_CANCELLING, requeue, &q);
	gs_phase_set(sup, GS_STATE_CLOSING, disconnect, &q);
	code = gs_supervisor_run(sup);
	gs_supervisor_free(sup);
	gs_log_close();
	gs_config_free(cfg);
	return code;
}
