/*
 * test_join.c - timed joins against one deadline, stop propagation through
 * wake hooks, and the supervisor end to end inside this process (FATAL,
 * a signal, a degraded phase), each checked in the trace it leaves.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

static int release_stuck;
static int observed;

/* Waits until released by the test itself, not by the stop flag. */
static void *
stuck_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&unit_mu);
	while (!release_stuck)
		pthread_cond_wait(&unit_cv, &unit_mu);
	pthread_mutex_unlock(&unit_mu);
	return NULL;
}

static void *
quick_thread(void *arg)
{
	return arg;
}

/* A well-behaved worker: waits on the condition until the flag rises. */
static void *
waiting_worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&unit_mu);
	while (!gs_stop_requested())
		pthread_cond_wait(&unit_cv, &unit_mu);
	observed++;
	pthread_mutex_unlock(&unit_mu);
	return NULL;
}

static void
release_all(pthread_t *th, int n)
{
	int i;

	pthread_mutex_lock(&unit_mu);
	release_stuck = 1;
	pthread_cond_broadcast(&unit_cv);
	pthread_mutex_unlock(&unit_mu);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	release_stuck = 0;
}

static void
test_join_quick_thread(void)
{
	struct timespec dl = gs_mono_after_ms(5000);
	pthread_t th;
	void *ret = NULL;
	int token = 7;

	pthread_create(&th, NULL, quick_thread, &token);
	CU_ASSERT_EQUAL(gs_join_until(th, &dl, &ret), 0);
	CU_ASSERT_PTR_EQUAL(ret, &token);
}

static void
test_join_stuck_thread_times_out(void)
{
	struct timespec dl = gs_mono_after_ms(100);
	pthread_t th;

	pthread_create(&th, NULL, stuck_thread, NULL);
	CU_ASSERT_EQUAL(gs_join_until(th, &dl, NULL), -ETIMEDOUT);
	/* It returned no earlier than the deadline. */
	CU_ASSERT_TRUE(gs_ms_until(&dl) <= 0);
	release_all(&th, 1);
}

static void
test_join_one_deadline_for_all(void)
{
	struct timespec dl = gs_mono_after_ms(100), after_first;
	pthread_t th[3];
	int i;

	for (i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, stuck_thread, NULL);
	CU_ASSERT_EQUAL(gs_join_until(th[0], &dl, NULL), -ETIMEDOUT);
	after_first = gs_mono_now();
	/* The deadline is spent: the others are not given time again. */
	CU_ASSERT_EQUAL(gs_join_until(th[1], &dl, NULL), -ETIMEDOUT);
	CU_ASSERT_EQUAL(gs_join_until(th[2], &dl, NULL), -ETIMEDOUT);
	CU_ASSERT_TRUE(gs_ms_since(&after_first) < 100);
	release_all(th, 3);
}

static void
test_stop_flag(void)
{
	gs_stop_set(false);
	CU_ASSERT_FALSE(gs_stop_requested());
	gs_stop_set(true);
	CU_ASSERT_TRUE(gs_stop_requested());
	gs_stop_set(false);
}

static void
test_stop_propagates_to_waiters(void)
{
	struct timespec dl;
	pthread_t th[8];
	int i, joined = 0;

	gs_stop_set(false);
	observed = 0;
	for (i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, waiting_worker, NULL);
	gs_stop_set(true);
	unit_wake(NULL);
	dl = gs_mono_after_ms(5000);
	for (i = 0; i < 8; i++)
		joined += gs_join_until(th[i], &dl, NULL) == 0;
	CU_ASSERT_EQUAL(joined, 8);
	CU_ASSERT_EQUAL(observed, 8);
	gs_stop_set(false);
}

/* ---- the supervisor in-process ---------------------------------------- */

struct seen {
	int states[16];
	int n;
	char last_event[32];
	json_t *cancel_detail;
	int exit_code;
};

static void
visit(void *arg, long line, json_t *rec)
{
	struct seen *s = arg;
	const char *from = json_string_value(json_object_get(rec, "from"));
	const char *state = json_string_value(json_object_get(rec, "state"));
	const char *ev = json_string_value(json_object_get(rec, "event"));

	(void)line;
	if (strcmp(ev, "START") == 0) {
		s->n = 0;
		json_decref(s->cancel_detail);
		s->cancel_detail = NULL;
	}
	if (from == NULL || strcmp(from, state) != 0)
		s->states[s->n++] = gs_state_from_name(state);
	if (strcmp(ev, "EXIT") == 0)
		s->exit_code = (int)json_integer_value(
		    json_object_get(json_object_get(rec, "detail"),
				    "exit_code"));
	if (from && strcmp(from, "CANCELLING") == 0 &&
	    strcmp(state, "CLOSING") == 0) {
		json_decref(s->cancel_detail);
		s->cancel_detail =
		    json_deep_copy(json_object_get(rec, "detail"));
	}
	if (from == NULL || strcmp(from, "RUNNING") == 0)
		snprintf(s->last_event, sizeof(s->last_event), "%s", ev);
}

static enum gs_outcome
phase_ok(void *arg, const struct timespec *deadline, json_t *detail)
{
	(void)arg;
	(void)deadline;
	json_object_set_new(detail, "orders_cancelled", json_integer(12));
	return GS_OUTCOME_DONE;
}

static enum gs_outcome
phase_late(void *arg, const struct timespec *deadline, json_t *detail)
{
	(void)arg;
	(void)deadline;
	json_object_set_new(detail, "orders_remaining", json_integer(1));
	return GS_OUTCOME_TIMEOUT;
}

static void
sup_config(struct gs_config *cfg, const char *name)
{
	snprintf(cfg->trace.path, sizeof(cfg->trace.path), "%s/%s",
		 unit_tmpdir(), name);
	cfg->trace.fsync = false;
	cfg->shutdown.join_timeout_ms = 5000;
}

static void *
fatal_later(void *arg)
{
	gs_request_shutdown(arg, GS_EXIT_UNAVAILABLE, "test");
	gs_request_shutdown(arg, GS_EXIT_UNAVAILABLE, "again, refused");
	return NULL;
}

static int
sup_case(const char *name, gs_phase_fn cancel, bool by_signal,
	 struct seen *seen)
{
	struct gs_supervisor *sup;
	struct gs_trace_report r;
	struct gs_config *cfg = gs_config_new();
	char cause[GS_CAUSE_MAX];
	pthread_t th;
	int code, i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	sup_config(cfg, name);
	gs_stop_set(false);
	if (gs_supervisor_new(&sup, cfg, "test", cause) != 0) {
		gs_config_free(cfg);
		return -1;
	}
	for (i = 0; i < 4; i++)
		gs_worker_add(sup, "w", waiting_worker, NULL, unit_wake, NULL);
	gs_phase_set(sup, GS_STATE_CANCELLING, cancel, NULL);
	if (by_signal)
		kill(getpid(), SIGTERM);
	else
		pthread_create(&th, NULL, fatal_later, sup);
	code = gs_supervisor_run(sup);
	if (!by_signal)
		pthread_join(th, NULL);
	gs_supervisor_free(sup);
	gs_stop_set(false);
	memset(seen, 0, sizeof(*seen));
	CU_ASSERT_EQUAL(gs_trace_verify(cfg->trace.path, &r, visit, seen), 0);
	CU_ASSERT_EQUAL(r.runs_incomplete, 0);
	gs_config_free(cfg);
	return code;
}

static void
test_supervisor_fatal(void)
{
	struct seen s;
	int code = sup_case("fatal.jsonl", phase_ok, false, &s);

	CU_ASSERT_EQUAL(code, GS_EXIT_UNAVAILABLE);
	CU_ASSERT_EQUAL_FATAL(s.n, 5);
	CU_ASSERT_EQUAL(s.states[0], GS_STATE_RUNNING);
	CU_ASSERT_EQUAL(s.states[1], GS_STATE_CANCELLING);
	CU_ASSERT_EQUAL(s.states[2], GS_STATE_CLOSING);
	CU_ASSERT_EQUAL(s.states[3], GS_STATE_JOINING);
	CU_ASSERT_EQUAL(s.states[4], GS_STATE_EXIT);
	CU_ASSERT_STRING_EQUAL(s.last_event, "FATAL");
	CU_ASSERT_EQUAL(s.exit_code, GS_EXIT_UNAVAILABLE);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    s.cancel_detail, "orders_cancelled")),
			12);
	CU_ASSERT_PTR_NOT_NULL(json_object_get(s.cancel_detail, "elapsed_ms"));
	json_decref(s.cancel_detail);
}

static void
test_supervisor_signal(void)
{
	struct seen s;
	int code = sup_case("signal.jsonl", phase_ok, true, &s);

	CU_ASSERT_EQUAL(code, 0);
	CU_ASSERT_EQUAL(s.n, 5);
	CU_ASSERT_STRING_EQUAL(s.last_event, "SIGTERM");
	CU_ASSERT_EQUAL(s.exit_code, 0);
	json_decref(s.cancel_detail);
}

static void
test_supervisor_degraded_phase(void)
{
	struct seen s;
	int code = sup_case("degraded.jsonl", phase_late, false, &s);

	CU_ASSERT_EQUAL(code, GS_EXIT_DEGRADED);
	CU_ASSERT_EQUAL(s.n, 5);
	CU_ASSERT_EQUAL(s.exit_code, GS_EXIT_DEGRADED);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
			    s.cancel_detail, "orders_remaining")),
			1);
	json_decref(s.cancel_detail);
}

/*
 * Signals the process from inside the phase and returns once the signal
 * thread has taken it (and had the time to act on it).
 */
static enum gs_outcome
phase_signalled(void *arg, const struct timespec *deadline, json_t *detail)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	struct timespec until = gs_mono_after_ms(10000), tick;
	sigset_t pending;

	(void)arg;
	(void)deadline;
	(void)detail;
	kill(getpid(), SIGTERM);
	pthread_mutex_lock(&m);
	do {
		tick = gs_mono_after_ms(5);
		while (gs_cond_wait_until(&c, &m, &tick) == 0)
			;
		sigpending(&pending);
	} while (sigismember(&pending, SIGTERM) == 1 &&
		 gs_ms_until(&until) > 0);
	tick = gs_mono_after_ms(200);
	while (gs_cond_wait_until(&c, &m, &tick) == 0)
		;
	pthread_mutex_unlock(&m);
	return GS_OUTCOME_DONE;
}

/* A signal during a shutdown that FATAL began is its first, not FORCE. */
static void
test_supervisor_fatal_then_signal(void)
{
	struct seen s;
	int code = sup_case("fatal-signal.jsonl", phase_signalled, false, &s);

	CU_ASSERT_EQUAL(code, GS_EXIT_UNAVAILABLE);
	CU_ASSERT_EQUAL(s.n, 5);
	CU_ASSERT_EQUAL(s.exit_code, GS_EXIT_UNAVAILABLE);
	json_decref(s.cancel_detail);
}

/*
 * gs_cond_wait_until on a condition variable of the default clock waits
 * its deadline on CLOCK_MONOTONIC and reports ETIMEDOUT.
 */
static void
test_cond_wait_monotonic(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	struct timespec start = gs_mono_now();
	struct timespec until = gs_mono_after_ms(150);
	int rc;

	pthread_mutex_lock(&m);
	while ((rc = gs_cond_wait_until(&c, &m, &until)) == 0)
		;
	pthread_mutex_unlock(&m);
	CU_ASSERT_EQUAL(rc, ETIMEDOUT);
	CU_ASSERT_TRUE(gs_ms_since(&start) >= 149);
	CU_ASSERT_TRUE(gs_ms_since(&start) < 5000);
	/* A deadline already past returns at once. */
	pthread_mutex_lock(&m);
	CU_ASSERT_EQUAL(gs_cond_wait_until(&c, &m, &start), ETIMEDOUT);
	pthread_mutex_unlock(&m);
}

static void
test_supervisor_bad_trace_path(void)
{
	struct gs_supervisor *sup = NULL;
	struct gs_config *cfg = gs_config_new();
	char cause[GS_CAUSE_MAX];

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	snprintf(cfg->trace.path, sizeof(cfg->trace.path),
		 "/nonexistent/dir/t.jsonl");
	CU_ASSERT_EQUAL(gs_supervisor_new(&sup, cfg, "test", cause), -ENOENT);
	gs_config_free(cfg);
	CU_ASSERT_PTR_NULL(sup);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "/nonexistent/dir/t.jsonl"));
}

void
suite_join(void)
{
	CU_pSuite s = CU_add_suite("join", NULL, NULL);

	UNIT_ADD(s, test_join_quick_thread);
	UNIT_ADD(s, test_join_stuck_thread_times_out);
	UNIT_ADD(s, test_join_one_deadline_for_all);
	UNIT_ADD(s, test_stop_flag);
	UNIT_ADD(s, test_stop_propagates_to_waiters);
	UNIT_ADD(s, test_supervisor_fatal);
	UNIT_ADD(s, test_supervisor_signal);
	UNIT_ADD(s, test_supervisor_degraded_phase);
	UNIT_ADD(s, test_supervisor_fatal_then_signal);
	UNIT_ADD(s, test_cond_wait_monotonic);
	UNIT_ADD(s, test_supervisor_bad_trace_path);
}
