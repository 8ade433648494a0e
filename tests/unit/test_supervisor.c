/*
 * test_supervisor.c - the supervisor used wrong or from code: signals not
 * blocked, a second supervisor, a worker name the kernel would cut, a stop
 * asked for by code (before the service ran, and while it runs), each
 * checked in the trace it leaves.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"


static void *
worker(void *arg)
{
	struct gs_supervisor *sup = arg;

	pthread_mutex_lock(&unit_mu);
	while (!gs_supervisor_stop_requested(sup))
		pthread_cond_wait(&unit_cv, &unit_mu);
	pthread_mutex_unlock(&unit_mu);
	return NULL;
}

/* A configuration of the library's keys only, its trace in the tmpdir. */
static struct gs_config *
config(const char *name)
{
	struct gs_config *cfg = gs_config_new();

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	snprintf(cfg->trace.path, sizeof(cfg->trace.path), "%s/%s",
		 unit_tmpdir(), name);
	cfg->trace.fsync = false;
	return cfg;
}

struct seen {
	int ready;
	char first_event[32]; /* the event that left RUNNING */
	char reason[64];
	char path[128]; /* RUNNING>CANCELLING>... */
	int exit_code;
};

static void
visit(void *arg, long line, json_t *rec)
{
	struct seen *s = arg;
	const char *from = json_string_value(json_object_get(rec, "from"));
	const char *state = json_string_value(json_object_get(rec, "state"));
	const char *ev = json_string_value(json_object_get(rec, "event"));
	json_t *d = json_object_get(rec, "detail");

	(void)line;
	if (strcmp(ev, "START") == 0)
		memset(s, 0, sizeof(*s));
	if (strcmp(ev, "READY") == 0)
		s->ready++;
	if (from == NULL || strcmp(from, state) != 0) {
		size_t n = strlen(s->path);

		snprintf(s->path + n, sizeof(s->path) - n, "%s%s",
			 n ? ">" : "", state);
	}
	if (from != NULL && strcmp(from, "RUNNING") == 0 &&
	    strcmp(state, "CANCELLING") == 0) {
		snprintf(s->first_event, sizeof(s->first_event), "%s", ev);
		snprintf(s->reason, sizeof(s->reason), "%s",
			 json_string_value(json_object_get(d, "reason"))
			     ?: "");
	}
	if (strcmp(ev, "EXIT") == 0)
		s->exit_code = (int)json_integer_value(
		    json_object_get(d, "exit_code"));
}

static void
seen_of(const char *path, struct seen *s)
{
	struct gs_trace_report r;

	memset(s, 0, sizeof(*s));
	CU_ASSERT_EQUAL(gs_trace_verify(path, &r, visit, s), 0);
	CU_ASSERT_EQUAL(r.runs_incomplete, 0);
}

/* Forgetting gs_signals_block() is refused, naming the signal. */
static void
test_sup_signals_not_blocked(void)
{
	struct gs_supervisor *sup = NULL;
	struct gs_config *cfg;
	char cause[GS_CAUSE_MAX] = "";
	sigset_t term;

	cfg = config("unblocked.jsonl");
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &term, NULL);
	CU_ASSERT_EQUAL(gs_supervisor_new(&sup, cfg, "test", cause), -EINVAL);
	pthread_sigmask(SIG_BLOCK, &term, NULL);
	CU_ASSERT_PTR_NULL(sup);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "SIGTERM is not blocked"));
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "gs_signals_block()"));
	/* Nothing was started: blocked again, it works. */
	CU_ASSERT_EQUAL_FATAL(gs_supervisor_new(&sup, cfg, "test", cause), 0);
	gs_supervisor_stop(sup, "done");
	CU_ASSERT_EQUAL(gs_supervisor_run(sup), 0);
	gs_supervisor_free(sup);
	gs_config_free(cfg);
}

/* One at a time, said truly; the next after the first is freed. */
static void
test_sup_second_refused(void)
{
	struct gs_supervisor *a = NULL, *b = NULL;
	struct gs_config *ca, *cb;
	char cause[GS_CAUSE_MAX] = "";

	ca = config("first.jsonl");
	cb = config("second.jsonl");
	CU_ASSERT_EQUAL_FATAL(gs_supervisor_new(&a, ca, "test", cause), 0);
	CU_ASSERT_EQUAL(gs_supervisor_new(&b, cb, "test", cause), -EBUSY);
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "one supervisor at a time"));
	CU_ASSERT_PTR_NULL(strstr(cause, "another process"));
	gs_supervisor_stop(a, "done");
	CU_ASSERT_EQUAL(gs_supervisor_run(a), 0);
	gs_supervisor_free(a);
	CU_ASSERT_EQUAL_FATAL(gs_supervisor_new(&b, cb, "test", cause), 0);
	gs_supervisor_stop(b, "done");
	CU_ASSERT_EQUAL(gs_supervisor_run(b), 0);
	gs_supervisor_free(b);
	gs_config_free(ca);
	gs_config_free(cb);
}

/*
 * A stop from code before the service ran: exit 0, event STOP with its
 * reason (no "fatal"), no READY; a second request says it came too late.
 */
static void
test_sup_stop_before_run(void)
{
	struct gs_supervisor *sup;
	struct gs_config *cfg;
	char cause[GS_CAUSE_MAX];
	struct seen s;
	int i;

	cfg = config("stop-before.jsonl");
	CU_ASSERT_EQUAL_FATAL(gs_supervisor_new(&sup, cfg, "test", cause), 0);
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(gs_worker_add(sup, "w", worker, sup, unit_wake,
					      NULL),
				0);
	CU_ASSERT_FALSE(gs_supervisor_stop_requested(sup));
	CU_ASSERT_EQUAL(gs_supervisor_stop(sup, "test done"), 0);
	CU_ASSERT_TRUE(gs_supervisor_stop_requested(sup));
	CU_ASSERT_TRUE(gs_stop_requested());
	CU_ASSERT_EQUAL(gs_supervisor_stop(sup, "again"), -EALREADY);
	CU_ASSERT_EQUAL(gs_supervisor_run(sup), 0);
	gs_supervisor_free(sup);
	seen_of(cfg->trace.path, &s);
	CU_ASSERT_EQUAL(s.ready, 0);
	CU_ASSERT_STRING_EQUAL(s.first_event, "STOP");
	CU_ASSERT_STRING_EQUAL(s.reason, "test done");
	CU_ASSERT_STRING_EQUAL(s.path,
			       "RUNNING>CANCELLING>CLOSING>JOINING>EXIT");
	CU_ASSERT_EQUAL(s.exit_code, 0);
	gs_config_free(cfg);
}

/* A signal before gs_supervisor_run(): no READY (it was "READY (in
 * CANCELLING)"), a clean 0. */
static void
test_sup_signal_before_run(void)
{
	struct gs_supervisor *sup;
	struct gs_config *cfg;
	char cause[GS_CAUSE_MAX];
	struct timespec until;
	struct seen s;

	cfg = config("signal-before.jsonl");
	CU_ASSERT_EQUAL_FATAL(gs_supervisor_new(&sup, cfg, "test", cause), 0);
	gs_worker_add(sup, "w", worker, sup, unit_wake, NULL);
	kill(getpid(), SIGTERM);
	until = gs_mono_after_ms(10000);
	while (!gs_shutdown_pending(sup) && gs_ms_until(&until) > 0)
		clock_nanosleep(CLOCK_MONOTONIC, 0,
				&(struct timespec){.tv_nsec = 1000000}, NULL);
	CU_ASSERT_TRUE(gs_shutdown_pending(sup));
	CU_ASSERT_EQUAL(gs_supervisor_run(sup), 0);
	gs_supervisor_free(sup);
	seen_of(cfg->trace.path, &s);
	CU_ASSERT_EQUAL(s.ready, 0);
	CU_ASSERT_STRING_EQUAL(s.first_event, "SIGTERM");
	CU_ASSERT_EQUAL(s.exit_code, 0);
	gs_config_free(cfg);
}

static void *
stop_later(void *arg)
{
	struct timespec t = {0, 50 * 1000000L};

	nanosleep(&t, NULL);
	gs_supervisor_stop(arg, "test done");
	return NULL;
}

/* A stop from code while running: READY, then a clean 0. */
static void
test_sup_stop_while_running(void)
{
	struct gs_supervisor *sup;
	struct gs_config *cfg;
	char cause[GS_CAUSE_MAX];
	struct seen s;
	pthread_t th;

	cfg = config("stop-running.jsonl");
	CU_ASSERT_EQUAL_FATAL(gs_supervisor_new(&sup, cfg, "test", cause), 0);
	gs_worker_add(sup, "w", worker, sup, unit_wake, NULL);
	pthread_create(&th, NULL, stop_later, sup);
	CU_ASSERT_EQUAL(gs_supervisor_run(sup), 0);
	pthread_join(th, NULL);
	gs_supervisor_free(sup);
	seen_of(cfg->trace.path, &s);
	CU_ASSERT_EQUAL(s.ready, 1);
	CU_ASSERT_STRING_EQUAL(s.first_event, "STOP");
	CU_ASSERT_EQUAL(s.exit_code, 0);
	gs_config_free(cfg);
}

/*
 * A signal the process raised on its own main thread before the
 * supervisor existed waits for that thread alone; the supervisor hands it
 * to its signal thread.
 */
static void
test_sup_raise_before_new(void)
{
	struct gs_supervisor *sup;
	struct gs_config *cfg;
	char cause[GS_CAUSE_MAX];
	struct timespec until;
	struct seen s;

	cfg = config("raise-before.jsonl");
	raise(SIGTERM);
	CU_ASSERT_EQUAL_FATAL(gs_supervisor_new(&sup, cfg, "test", cause), 0);
	gs_worker_add(sup, "w", worker, sup, unit_wake, NULL);
	until = gs_mono_after_ms(10000);
	while (!gs_shutdown_pending(sup) && gs_ms_until(&until) > 0)
		clock_nanosleep(CLOCK_MONOTONIC, 0,
				&(struct timespec){.tv_nsec = 1000000}, NULL);
	CU_ASSERT_TRUE(gs_shutdown_pending(sup));
	if (!gs_shutdown_pending(sup))
		gs_supervisor_stop(sup, "signal never taken");
	CU_ASSERT_EQUAL(gs_supervisor_run(sup), 0);
	gs_supervisor_free(sup);
	seen_of(cfg->trace.path, &s);
	CU_ASSERT_STRING_EQUAL(s.first_event, "SIGTERM");
	gs_config_free(cfg);
}

/* A CANCELLING phase that returns 30 ms after its deadline. */
static enum gs_outcome
late_phase(void *arg, const struct timespec *deadline, json_t *detail)
{
	struct timespec until = *deadline;

	(void)arg;
	(void)detail;
	until.tv_nsec += 30 * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until,
			       NULL) == EINTR)
		;
	return GS_OUTCOME_DONE;
}

static void
visit_overrun(void *arg, long line, json_t *rec)
{
	long long *overran = arg;
	const char *from = json_string_value(json_object_get(rec, "from"));
	json_t *d = json_object_get(rec, "detail");

	(void)line;
	if (from != NULL && strcmp(from, "CANCELLING") == 0)
		*overran = json_is_integer(json_object_get(d, "overran_ms"))
			       ? json_integer_value(
				     json_object_get(d, "overran_ms"))
			       : -1;
}

/* A phase done past its bound is done, and its record says by how much. */
static void
test_sup_phase_overrun(void)
{
	struct gs_supervisor *sup;
	struct gs_config *cfg;
	char cause[GS_CAUSE_MAX];
	struct gs_trace_report r;
	long long overran = -2;

	cfg = config("overrun.jsonl");
	cfg->shutdown.cancel_timeout_ms = 20;
	CU_ASSERT_EQUAL_FATAL(gs_supervisor_new(&sup, cfg, "test", cause), 0);
	gs_phase_set(sup, GS_STATE_CANCELLING, late_phase, NULL);
	gs_supervisor_stop(sup, "test done");
	CU_ASSERT_EQUAL(gs_supervisor_run(sup), 0);
	gs_supervisor_free(sup);
	CU_ASSERT_EQUAL(gs_trace_verify(cfg->trace.path, &r, visit_overrun,
					&overran),
			0);
	CU_ASSERT(overran >= 30);
	gs_config_free(cfg);
}

/*
 * A name the kernel would cut is refused, and a start that is not whole
 * is never READY: the run shuts down with 69 at once.
 */
static void
test_sup_worker_name_refused(void)
{
	struct gs_supervisor *sup;
	struct gs_config *cfg;
	char cause[GS_CAUSE_MAX];
	struct seen s;

	cfg = config("long-name.jsonl");
	CU_ASSERT_EQUAL_FATAL(gs_supervisor_new(&sup, cfg, "test", cause), 0);
	CU_ASSERT_EQUAL(gs_worker_add(sup, "fifteen-chars-x", worker, sup,
				      unit_wake, NULL),
			0);
	CU_ASSERT_EQUAL(gs_worker_add(sup, "sixteen-chars-xx", worker, sup,
				      unit_wake, NULL),
			-ENAMETOOLONG);
	CU_ASSERT_EQUAL(gs_supervisor_run(sup), GS_EXIT_UNAVAILABLE);
	gs_supervisor_free(sup);
	seen_of(cfg->trace.path, &s);
	CU_ASSERT_EQUAL(s.ready, 0);
	CU_ASSERT_STRING_EQUAL(s.first_event, "FATAL");
	CU_ASSERT_EQUAL(s.exit_code, GS_EXIT_UNAVAILABLE);
	gs_config_free(cfg);
}

static enum gs_outcome
phase_logs(void *arg, const struct timespec *deadline, json_t *detail)
{
	(void)arg;
	(void)deadline;
	(void)detail;
	gs_log(GS_LOG_INFO, "in the CANCELLING phase");
	return GS_OUTCOME_DONE;
}

static void *
fatal_later(void *arg)
{
	struct timespec t = {0, 20 * 1000000L};

	nanosleep(&t, NULL);
	gs_request_shutdown(arg, GS_EXIT_UNAVAILABLE, "the cause");
	return NULL;
}

/*
 * The log follows causality: the line that says why the shutdown began
 * comes before anything the phases log, though the trace record of the
 * transition (fsync on) is still on its way when the phase begins.
 */
static void
test_sup_log_order(void)
{
	struct gs_supervisor *sup;
	struct gs_config *cfg;
	char cause[GS_CAUSE_MAX], path[1024], buf[8192];
	const char *why, *phase;
	pthread_t th;
	FILE *fp;
	size_t n;

	cfg = config("log-order.jsonl");
	cfg->trace.fsync = true;
	snprintf(path, sizeof(path), "%s/log-order.log", unit_tmpdir());
	CU_ASSERT_EQUAL_FATAL(gs_log_open(GS_LOG_INFO, path, false, "daemon",
					  "unit-tests"),
			      0);
	CU_ASSERT_EQUAL_FATAL(gs_supervisor_new(&sup, cfg, "test", cause), 0);
	gs_phase_set(sup, GS_STATE_CANCELLING, phase_logs, NULL);
	pthread_create(&th, NULL, fatal_later, sup);
	CU_ASSERT_EQUAL(gs_supervisor_run(sup), GS_EXIT_UNAVAILABLE);
	pthread_join(th, NULL);
	gs_supervisor_free(sup);
	gs_config_free(cfg);
	gs_log_close();
	fp = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	why = strstr(buf, "fatal: the cause");
	phase = strstr(buf, "in the CANCELLING phase");
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(phase);
	CU_ASSERT_TRUE(why < phase);
}

void
suite_supervisor(void)
{
	CU_pSuite s = CU_add_suite("supervisor", NULL, NULL);

	UNIT_ADD(s, test_sup_signals_not_blocked);
	UNIT_ADD(s, test_sup_second_refused);
	UNIT_ADD(s, test_sup_stop_before_run);
	UNIT_ADD(s, test_sup_signal_before_run);
	UNIT_ADD(s, test_sup_stop_while_running);
	UNIT_ADD(s, test_sup_worker_name_refused);
	UNIT_ADD(s, test_sup_log_order);
	UNIT_ADD(s, test_sup_phase_overrun);
	UNIT_ADD(s, test_sup_raise_before_new);
}
