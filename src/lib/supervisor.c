/*
 * supervisor.c - drives the state machine from start to exit.
 *
 * The first shutdown request (a signal from the signal thread, or FATAL
 * from any thread) makes the RUNNING -> CANCELLING transition itself, under
 * the supervisor's mutex; the stop flag rises and every wake hook is called
 * before the trace record is written, so stop propagates whatever the disk
 * does.  The main thread, blocked in
 * gs_supervisor_run(), then runs the phases in order, each against its own
 * absolute deadline, and joins the workers against one deadline.  The signal
 * thread (sigthread.c) traces the total deadline and forced exits; the
 * deadline timer below enforces the total deadline whatever else is stuck.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <unistd.h>

#include "internal.h"

/*
 * The stop flag of the live supervisor, for gs_stop_requested(): one
 * supervisor at a time takes a process's signals (see sup_live).
 */
static atomic_bool stop_flag;
/* A supervisor exists: signals are process-wide, so only one may. */
static atomic_bool sup_live;

bool
gs_stop_requested(void)
{
	return atomic_load_explicit(&stop_flag, memory_order_acquire);
}

void
gs_stop_set(bool stop)
{
	atomic_store_explicit(&stop_flag, stop, memory_order_release);
}

bool
gs_supervisor_stop_requested(struct gs_supervisor *sup)
{
	return atomic_load_explicit(&sup->stop, memory_order_acquire);
}

static void
sup_stop_set(struct gs_supervisor *sup)
{
	atomic_store_explicit(&sup->stop, true, memory_order_release);
	gs_stop_set(true);
}

int
gs_join_until(pthread_t thread, const struct timespec *deadline, void **ret)
{
	int rc;

/*
 * ThreadSanitizer intercepts pthread_timedjoin_np but not
 * pthread_clockjoin_np, and would report every clock-joined thread as
 * leaked: under it, join on the realtime clock.
 */
#if defined(HAVE_PTHREAD_CLOCKJOIN_NP) && !defined(__SANITIZE_THREAD__)
	rc = pthread_clockjoin_np(thread, ret, CLOCK_MONOTONIC, deadline);
#else
	struct timespec now_mono = gs_mono_now(), abs;
	long long ns;

	clock_gettime(CLOCK_REALTIME, &abs);
	ns = (deadline->tv_sec - now_mono.tv_sec) * 1000000000LL +
	     (deadline->tv_nsec - now_mono.tv_nsec);
	if (ns < 0)
		ns = 0;
	abs.tv_sec += ns / 1000000000LL;
	abs.tv_nsec += ns % 1000000000LL;
	if (abs.tv_nsec >= 1000000000L) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000L;
	}
	rc = pthread_timedjoin_np(thread, ret, &abs);
#endif
	return rc == 0 ? 0 : -rc;
}

static void *
worker_main(void *arg)
{
	struct sup_worker *w = arg;

	pthread_setname_np(pthread_self(), w->name);
	return w->fn(w->arg);
}

int
gs_worker_add(struct gs_supervisor *sup, const char *name, gs_worker_fn fn,
	      void *arg, gs_hook_fn wake, void *wake_arg)
{
	struct sup_worker *w;
	int rc;

	if (name == NULL || name[0] == '\0' || strlen(name) >= sizeof(w->name)) {
		log_error("worker \"%s\": a name of 1 to %zu characters is "
			  "needed (a thread's name is cut beyond); not started",
			  name ? name : "(null)", sizeof(w->name) - 1);
		rc = -ENAMETOOLONG;
		goto failed;
	}
	pthread_mutex_lock(&sup->mu);
	if (sup->nworkers >= SUP_MAX_WORKERS) {
		pthread_mutex_unlock(&sup->mu);
		log_error("worker %s: more than %d workers; not started", name,
			  SUP_MAX_WORKERS);
		rc = -ENOSPC;
		goto failed;
	}
	w = &sup->workers[sup->nworkers];
	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->fn = fn;
	w->arg = arg;
	w->wake = wake;
	w->wake_arg = wake_arg;
	rc = -pthread_create(&w->thread, NULL, worker_main, w);
	if (rc == 0)
		sup->nworkers++;
	pthread_mutex_unlock(&sup->mu);
	if (rc < 0) {
		log_error("worker %s: cannot start a thread: %s", name,
			  strerror(-rc));
		goto failed;
	}
	/* A worker added after the flag rose must still be woken. */
	if (wake != NULL && atomic_load(&sup->stop))
		wake(wake_arg);
	return 0;
failed:
	/* A start that is not whole is never reported READY. */
	pthread_mutex_lock(&sup->mu);
	sup->start_failed = true;
	pthread_mutex_unlock(&sup->mu);
	return rc;
}

int
gs_phase_set(struct gs_supervisor *sup, enum gs_state phase, gs_phase_fn fn,
	     void *arg)
{
	if (phase != GS_STATE_CANCELLING && phase != GS_STATE_CLOSING)
		return -EINVAL;
	sup->phase_fn[phase] = fn;
	sup->phase_arg[phase] = arg;
	return 0;
}

void
gs_set_force_hook(struct gs_supervisor *sup, gs_hook_fn fn, void *arg)
{
	pthread_mutex_lock(&sup->mu); /* the signal thread reads it */
	sup->force_fn = fn;
	sup->force_arg = arg;
	pthread_mutex_unlock(&sup->mu);
}

void
gs_set_reload_hook(struct gs_supervisor *sup, gs_hook_fn fn, void *arg)
{
	pthread_mutex_lock(&sup->mu); /* the signal thread reads it */
	sup->reload_fn = fn;
	sup->reload_arg = arg;
	pthread_mutex_unlock(&sup->mu);
}

void
gs_set_status_hook(struct gs_supervisor *sup, gs_status_fn fn, void *arg)
{
	pthread_mutex_lock(&sup->mu); /* the signal thread reads it */
	sup->status_fn = fn;
	sup->status_arg = arg;
	pthread_mutex_unlock(&sup->mu);
}

void
gs_set_state_hook(struct gs_supervisor *sup, gs_state_hook_fn fn, void *arg)
{
	pthread_mutex_lock(&sup->mu); /* the signal thread reads it */
	sup->state_fn = fn;
	sup->state_arg = arg;
	pthread_mutex_unlock(&sup->mu);
}

enum gs_state
gs_supervisor_state(struct gs_supervisor *sup)
{
	return (enum gs_state)atomic_load(&sup->state);
}

const char *
gs_supervisor_run_id(struct gs_supervisor *sup)
{
	return gs_trace_run_id(sup->trace);
}

const struct gs_config *
gs_supervisor_config(struct gs_supervisor *sup)
{
	return sup->cfg;
}

/* ---- records: decided under mu, written after it ---------------------- */

/* A non-transition record in the current state; sup->mu held. */
void
sup_record_locked(struct gs_supervisor *sup, const char *event,
		  json_t *detail, struct sup_rec *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->ticket = sup->rec_next++;
	rec->event = event;
	rec->from = rec->to = gs_supervisor_state(sup);
	rec->detail = detail ? json_incref(detail) : NULL;
}

/* An event the table refuses in the current state; sup->mu held. */
void
sup_refused_locked(struct gs_supervisor *sup, enum gs_event ev,
		   json_t *detail, struct sup_rec *rec)
{
	json_t *d = detail ? json_deep_copy(detail) : json_object();

	json_object_set_new(d, "refused", json_true());
	sup_record_locked(sup, gs_event_name(ev), d, rec);
	json_decref(d);
}

/* Tell the service manager: the state and its figures; during a phase,
 * how long it may take (so systemd does not kill a shutdown in progress). */
static void
sup_notify_state(struct gs_supervisor *sup, const char *ev,
		 enum gs_state to, json_t *detail)
{
	const struct gs_config *cfg = sup->cfg;
	char *figures = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
	long long phase_ms = 0;

	if (to == GS_STATE_CANCELLING)
		gs_notify("STOPPING=1");
	if (to != GS_STATE_EXIT) /* EXIT's STATUS carries the anchor */
		gs_notify("STATUS=%s after %s %s", gs_state_name(to), ev,
			  figures ? figures : "");
	free(figures);
	switch (to) {
	case GS_STATE_CANCELLING:
		phase_ms = cfg->shutdown.cancel_timeout_ms;
		break;
	case GS_STATE_CLOSING:
		phase_ms = cfg->shutdown.close_timeout_ms;
		break;
	case GS_STATE_JOINING:
		phase_ms = cfg->shutdown.join_timeout_ms;
		break;
	default:
		break;
	}
	if (phase_ms > 0)
		gs_notify("EXTEND_TIMEOUT_USEC=%lld", (phase_ms + 1000) * 1000);
}

/*
 * Write a record decided earlier, in the order of the decisions: wait for
 * its turn (behind a record a slow disk holds up, never holding sup->mu),
 * append it, and for a transition tell the service manager and the state
 * hook.  Returns what gs_trace_append returned.
 */
int
sup_write(struct gs_supervisor *sup, struct sup_rec *rec)
{
	int rc;

	pthread_mutex_lock(&sup->rec_mu);
	while (sup->rec_turn != rec->ticket)
		pthread_cond_wait(&sup->rec_cv, &sup->rec_mu);
	pthread_mutex_unlock(&sup->rec_mu);

	rc = gs_trace_append(sup->trace, rec->event, gs_state_name(rec->from),
			     gs_state_name(rec->to), rec->detail);
	if (rec->transition) {
		sup_notify_state(sup, rec->event, rec->to, rec->detail);
		if (rec->state_fn != NULL)
			rec->state_fn(rec->state_arg, rec->to, rec->detail);
	}

	pthread_mutex_lock(&sup->rec_mu);
	sup->rec_turn++;
	pthread_cond_broadcast(&sup->rec_cv);
	pthread_mutex_unlock(&sup->rec_mu);
	json_decref(rec->detail);
	rec->detail = NULL;
	return rc;
}

int
gs_supervisor_trace(struct gs_supervisor *sup, const char *event,
		    json_t *detail)
{
	struct sup_rec rec;

	pthread_mutex_lock(&sup->mu);
	sup_record_locked(sup, event, detail, &rec);
	pthread_mutex_unlock(&sup->mu);
	return sup_write(sup, &rec);
}

/*
 * Make the transition ev names from the current state and describe its
 * record in rec, for sup_write() once sup->mu is released.  Called with
 * sup->mu held.  Returns -EINVAL (rec then describes the refusal) when the
 * table refuses the event.
 */
int
sup_transition_locked(struct gs_supervisor *sup, enum gs_event ev,
		      json_t *detail, struct sup_rec *rec)
{
	enum gs_state from = gs_supervisor_state(sup), to;

	if (gs_fsm_next(from, ev, &to) < 0) {
		sup_refused_locked(sup, ev, detail, rec);
		return -EINVAL;
	}
	sup_record_locked(sup, gs_event_name(ev), detail, rec);
	rec->to = to;
	rec->transition = true;
	/* How long the phase left ran: also when FORCE or DEADLINE cut it. */
	if (from != GS_STATE_RUNNING && from != GS_STATE_EXIT)
		sup->phase_ms[from] = gs_ms_since(&sup->entered[from]);
	sup->entered[to] = gs_mono_now();
	rec->state_fn = sup->state_fn;
	rec->state_arg = sup->state_arg;
	atomic_store(&sup->state, (int)to);
	pthread_cond_broadcast(&sup->cv);
	return 0;
}

/* ---- the deadline timer --------------------------------------------------- */

static void *
dl_note_main(void *arg)
{
	const char *msg = arg;

	pthread_setname_np(pthread_self(), "deadline-note");
	log_emergency(msg, strlen(msg));
	return NULL;
}

/*
 * Say why the process ends, best effort, never waiting for it: a pipe, a
 * terminal or a socket take the line without blocking (log_emergency);
 * stderr that is a regular file may sit on a stalled filesystem, where
 * even a "non-blocking" write blocks, so a thread of its own writes it and
 * the timer does not wait (the line may then be lost with the process).
 */
static void
dl_say(struct gs_supervisor *sup, const char *msg)
{
	pthread_t t;

	if (!sup->dl_note_thread) {
		log_emergency(msg, strlen(msg));
		return;
	}
	if (sup_thread_create(&t, dl_note_main, (void *)msg) == 0)
		sched_yield();
}

/*
 * The process did not run at its deadline (stopped by SIGSTOP, frozen by
 * a cgroup, a suspended machine): CLOCK_MONOTONIC ran on, and every
 * thread wakes past the deadline at once.  The signal thread begins the
 * DEADLINE record and the snapshot as it wakes; give them the margin they
 * would have had before exiting, instead of racing them.
 */
#define DL_LATE_MS 1000

static void
dl_late_grace(struct gs_supervisor *sup)
{
	long long margin = sigthread_deadline_margin(sup);
	struct timespec until;

	/* Over a second late: the process did not run (a thread of a loaded
	 * machine is late by milliseconds, and then the deadline holds). */
	if (-gs_ms_until(&sup->total_deadline) <= DL_LATE_MS)
		return;
	until = gs_mono_after_ms(margin);
	while (atomic_load(&sup->dl_state) == DL_ARMED &&
	       gs_ms_until(&until) > 0)
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
}

/*
 * Sleeps on a CLOCK_MONOTONIC timerfd set to the total deadline when
 * shutdown begins.  It takes no lock and does no blocking I/O, so no slow
 * disk, stalled log reader or stuck resolver can keep it from ending the
 * process: at the deadline it has one fixed line written (dl_say, which
 * never waits for it) and calls _exit().
 */
static void *
dl_main(void *arg)
{
	struct gs_supervisor *sup = arg;

	pthread_setname_np(pthread_self(), "deadline");
	for (;;) {
		struct pollfd p[2] = {{sup->dl_tfd, POLLIN, 0},
				      {sup->dl_efd, POLLIN, 0}};
		int st = DL_ARMED;

		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents != 0)
			return NULL;
		if (p[0].revents == 0)
			continue;
		if (atomic_load(&sup->dl_state) == DL_ARMED)
			dl_late_grace(sup);
		if (atomic_compare_exchange_strong(&sup->dl_state, &st,
						   DL_FIRED)) {
			dl_say(sup, sup->dl_msg[0]);
			_exit(GS_EXIT_DEADLINE);
		}
		if (st == DL_DECIDED) {
			dl_say(sup, sup->dl_msg[1]);
			_exit(atomic_load(&sup->dl_code));
		}
		return NULL; /* disarmed */
	}
}

static int
dl_start(struct gs_supervisor *sup)
{
	const char *who = program_invocation_short_name;
	int rc;

	snprintf(sup->dl_msg[0], sizeof(sup->dl_msg[0]),
		 "%s[%d]: shutdown exceeded total_timeout_ms = %d: the "
		 "deadline timer ends the process with code %d\n",
		 who, (int)getpid(), sup->cfg->shutdown.total_timeout_ms,
		 GS_EXIT_DEADLINE);
	snprintf(sup->dl_msg[1], sizeof(sup->dl_msg[1]),
		 "%s[%d]: the last records were not written within "
		 "total_timeout_ms = %d: ending with the exit code decided\n",
		 who, (int)getpid(), sup->cfg->shutdown.total_timeout_ms);
	{
		struct stat st;

		sup->dl_note_thread = fstat(STDERR_FILENO, &st) == 0 &&
				      (S_ISREG(st.st_mode) ||
				       S_ISBLK(st.st_mode));
	}
	sup->dl_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (sup->dl_tfd < 0)
		return -errno;
	sup->dl_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sup->dl_efd < 0) {
		rc = -errno;
		close(sup->dl_tfd);
		sup->dl_tfd = -1;
		return rc;
	}
	rc = sup_thread_create(&sup->dl_thread, dl_main, sup);
	if (rc != 0) {
		close(sup->dl_tfd);
		close(sup->dl_efd);
		sup->dl_tfd = sup->dl_efd = -1;
		return -rc;
	}
	sup->dl_started = true;
	return 0;
}

/* Arm at sup->total_deadline; sup->mu held (no I/O: one system call). */
static void
dl_arm(struct gs_supervisor *sup)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value = sup->total_deadline;
	atomic_store(&sup->dl_state, DL_ARMED);
	if (timerfd_settime(sup->dl_tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		atomic_store(&sup->dl_state, DL_IDLE);
}

/*
 * The exit code is decided: from now on the timer, should the last records
 * be stuck on their way to disk, exits with code and never with 70.  False
 * when the timer has already fired (it is ending the process).
 */
bool
sup_deadline_decide(struct gs_supervisor *sup, int code)
{
	int st = DL_ARMED;

	atomic_store(&sup->dl_code, code);
	if (atomic_compare_exchange_strong(&sup->dl_state, &st, DL_DECIDED))
		return true;
	return st != DL_FIRED;
}

static void
dl_stop(struct gs_supervisor *sup)
{
	uint64_t one = 1;

	if (!sup->dl_started)
		return;
	atomic_store(&sup->dl_state, DL_DISARMED);
	if (write(sup->dl_efd, &one, sizeof(one)) < 0)
		log_error("deadline timer: cannot wake it: %s",
			  strerror(errno));
	pthread_join(sup->dl_thread, NULL);
	close(sup->dl_tfd);
	close(sup->dl_efd);
	sup->dl_started = false;
}

/* Another thread ends the process (a forced exit, the deadline timer). */
static void __attribute__((noreturn))
sup_wait_for_end(void)
{
	for (;;)
		pause();
}

bool
sup_begin_shutdown(struct gs_supervisor *sup, enum gs_event ev,
		   json_t *detail, int exit_code, const char *msg, bool post)
{
	struct {
		gs_hook_fn fn;
		void *arg;
	} wake[SUP_MAX_WORKERS];
	struct sup_rec rec;
	int i, n = 0;

	pthread_mutex_lock(&sup->mu);
	if (gs_supervisor_state(sup) != GS_STATE_RUNNING || sup->pending) {
		pthread_mutex_unlock(&sup->mu);
		return false;
	}
	/* This request is the first: claim it, and say so before anything
	 * it causes is logged (the phases, the workers stopping). */
	sup->pending = true;
	sup->exit_hint = exit_code;
	sup->shutdown_start = gs_mono_now();
	if (ev != GS_EV_FATAL && ev != GS_EV_STOP) {
		sup->signalled = true;
		sup->first_signal = sup->shutdown_start;
	}
	pthread_mutex_unlock(&sup->mu);
	if (msg != NULL)
		gs_log(ev == GS_EV_FATAL ? GS_LOG_ERROR : GS_LOG_INFO, "%s",
		       msg);

	pthread_mutex_lock(&sup->mu);
	sup->total_deadline =
	    gs_mono_after_ms(sup->cfg->shutdown.total_timeout_ms);
	dl_arm(sup);
	atomic_store(&sup->deadline_armed, true);
	/* The flag first, so nothing new starts; the record after. */
	sup_stop_set(sup);
	/* A worker added from now on sees the flag and wakes itself. */
	for (i = 0; i < sup->nworkers; i++)
		if (sup->workers[i].wake != NULL) {
			wake[n].fn = sup->workers[i].wake;
			wake[n++].arg = sup->workers[i].wake_arg;
		}
	sup_transition_locked(sup, ev, detail, &rec);
	sup->begun = true;
	pthread_mutex_unlock(&sup->mu);
	/* Hooks only signal (a condition variable, lws_cancel_service, an
	 * eventfd); then the record, which a slow disk may hold up. */
	for (i = 0; i < n; i++)
		wake[i].fn(wake[i].arg);
	if (post)
		sigwork_post(sup, &rec);
	else
		sup_write(sup, &rec);
	return true;
}

bool
gs_shutdown_pending(struct gs_supervisor *sup)
{
	bool p;

	pthread_mutex_lock(&sup->mu);
	p = sup->pending;
	pthread_mutex_unlock(&sup->mu);
	return p;
}

void
gs_request_shutdown(struct gs_supervisor *sup, int exit_code,
		    const char *reason)
{
	json_t *d = json_pack("{s:s, s:i}", "reason", reason ? reason : "",
			      "exit_code", exit_code);
	char msg[512];

	snprintf(msg, sizeof(msg), "fatal: %s; shutting down",
		 reason ? reason : "?");
	if (sup_begin_shutdown(sup, GS_EV_FATAL, d, exit_code, msg, false))
		sigthread_poke(sup); /* arm the total deadline */
	json_decref(d);
}

int
gs_supervisor_stop(struct gs_supervisor *sup, const char *reason)
{
	json_t *d = json_pack("{s:s}", "reason", reason ? reason : "");
	char msg[512];
	bool first;

	snprintf(msg, sizeof(msg), "stop requested: %s; shutting down",
		 reason ? reason : "(no reason given)");
	first = sup_begin_shutdown(sup, GS_EV_STOP, d, GS_EXIT_OK, msg, false);
	if (first)
		sigthread_poke(sup); /* arm the total deadline */
	json_decref(d);
	return first ? 0 : -EALREADY;
}

/* Record a phase's duration and whether it degraded the exit. */
static void
sup_phase_end_locked(struct gs_supervisor *sup, enum gs_state phase,
		     bool degraded)
{
	if (degraded) {
		sup->degraded = true;
		json_array_append_new(sup->degraded_why,
				      json_string(gs_state_name(phase)));
	}
}

/* Run one phase action and make the transition its outcome names. */
static void
sup_run_phase(struct gs_supervisor *sup, enum gs_state phase, int timeout_ms)
{
	static const enum gs_event outcome_event[] = {
	    [GS_OUTCOME_DONE] = GS_EV_PHASE_DONE,
	    [GS_OUTCOME_TIMEOUT] = GS_EV_PHASE_TIMEOUT,
	    [GS_OUTCOME_FAILED] = GS_EV_PHASE_FAILED,
	};
	struct timespec start = gs_mono_now();
	struct timespec deadline = gs_mono_after_ms(timeout_ms);
	enum gs_outcome out = GS_OUTCOME_DONE;
	json_t *detail = json_object();
	struct sup_rec rec;
	long long ms;

	if (sup->phase_fn[phase] != NULL)
		out = sup->phase_fn[phase](sup->phase_arg[phase], &deadline,
					   detail);
	ms = gs_ms_since(&start);
	/* A value that is no outcome is a failure, never a table index. */
	if (out != GS_OUTCOME_DONE && out != GS_OUTCOME_TIMEOUT &&
	    out != GS_OUTCOME_FAILED)
		out = GS_OUTCOME_FAILED;
	json_object_set_new(detail, "elapsed_ms", json_integer(ms));
	/*
	 * Done is done, but a phase that kept the shutdown past its bound
	 * says so: the bound is a promise the operator sized other timers
	 * (systemd's, Kubernetes') on.
	 */
	if (ms > timeout_ms) {
		json_object_set_new(detail, "overran_ms",
				    json_integer(ms - timeout_ms));
		log_warn("%s ran %lld ms past its %d ms bound",
			 gs_state_name(phase), ms - timeout_ms, timeout_ms);
	}
	log_info("%s finished: %s in %lld ms", gs_state_name(phase),
		 out == GS_OUTCOME_DONE	     ? "done"
		 : out == GS_OUTCOME_TIMEOUT ? "timed out"
					     : "failed",
		 ms);
	pthread_mutex_lock(&sup->mu);
	sup_phase_end_locked(sup, phase, out != GS_OUTCOME_DONE);
	sup_transition_locked(sup, outcome_event[out], detail, &rec);
	pthread_mutex_unlock(&sup->mu);
	sup_write(sup, &rec);
	json_decref(detail);
}

/* Join every worker against one deadline; returns how many did not join. */
static int
sup_join(struct gs_supervisor *sup, json_t *detail)
{
	struct timespec start = gs_mono_now();
	struct timespec deadline =
	    gs_mono_after_ms(sup->cfg->shutdown.join_timeout_ms);
	json_t *late = json_array();
	int i, joined = 0, n;

	pthread_mutex_lock(&sup->mu);
	n = sup->nworkers;
	pthread_mutex_unlock(&sup->mu);
	for (i = 0; i < n; i++) {
		struct sup_worker *w = &sup->workers[i];

		if (gs_join_until(w->thread, &deadline, NULL) == 0) {
			w->joined = true;
			joined++;
		} else {
			json_array_append_new(late, json_string(w->name));
			log_error("thread %s did not stop within %d ms",
				  w->name, sup->cfg->shutdown.join_timeout_ms);
		}
	}
	json_object_set_new(detail, "threads_joined", json_integer(joined));
	json_object_set_new(detail, "threads_not_joined",
			    json_integer(n - joined));
	json_object_set_new(detail, "not_joined", late);
	json_object_set_new(detail, "elapsed_ms",
			    json_integer(gs_ms_since(&start)));
	pthread_mutex_lock(&sup->mu);
	sup_phase_end_locked(sup, GS_STATE_JOINING, joined < n);
	pthread_mutex_unlock(&sup->mu);
	return n - joined;
}

/* A trace record that could not be written degrades the exit; mu held. */
static void
sup_trace_failed_locked(struct gs_supervisor *sup)
{
	size_t i;
	json_t *v;

	if (gs_trace_failures(sup->trace) == 0)
		return;
	json_array_foreach(sup->degraded_why, i, v)
		if (strcmp(json_string_value(v), "TRACE") == 0)
			return;
	sup->degraded = true;
	json_array_append_new(sup->degraded_why, json_string("TRACE"));
}

/*
 * Send the run's tail anchor off the machine: syslog (the configured
 * facility), log and STATUS.  When syslog cannot take it and [log] syslog
 * is on, the log gets it as a warning, so it is not lost below the log
 * level; with syslog off a machine without one is no fault to warn of.
 */
static void
sup_send_anchor(struct gs_supervisor *sup, int code)
{
	char anchor[256];
	int rc;

	if (gs_trace_anchor_text(sup->trace, anchor, sizeof(anchor)) < 0)
		return;
	rc = gs_syslog_send(gs_log_facility(sup->cfg->log.syslog_facility) |
				LOG_NOTICE,
			    anchor);
	if (rc < 0 && sup->cfg->log.syslog)
		log_warn("not sent to syslog (%s): %s", strerror(-rc), anchor);
	else
		log_info("%s", anchor);
	gs_notify("STATUS=EXIT with code %d; %s", code, anchor);
}

json_t *
sup_summary(struct gs_supervisor *sup, int code)
{
	return json_pack("{s:i, s:I, s:O, s:{s:I, s:I, s:I}, s:I, s:I}",
			 "exit_code", code, "elapsed_ms",
			 (json_int_t)gs_ms_since(&sup->shutdown_start),
			 "degraded", sup->degraded_why, "phase_ms",
			 "cancelling",
			 (json_int_t)sup->phase_ms[GS_STATE_CANCELLING],
			 "closing", (json_int_t)sup->phase_ms[GS_STATE_CLOSING],
			 "joining", (json_int_t)sup->phase_ms[GS_STATE_JOINING],
			 "trace_failures",
			 (json_int_t)gs_trace_failures(sup->trace),
			 "log_lines_dropped", (json_int_t)gs_log_dropped());
}

int
gs_supervisor_run(struct gs_supervisor *sup)
{
	json_t *detail, *summary;
	struct sup_rec rec;
	char hash[65];
	long before, after, sealed;
	int late, code;
	bool pending, failed;

	pthread_mutex_lock(&sup->mu);
	pending = sup->pending;
	failed = sup->start_failed;
	pthread_mutex_unlock(&sup->mu);
	if (failed && !pending) {
		/* A start that is not whole: never READY. */
		gs_request_shutdown(sup, GS_EXIT_UNAVAILABLE,
				    "a worker did not start");
	} else if (!pending) {
		detail = json_pack("{s:i}", "workers", sup->nworkers);
		gs_supervisor_trace(sup, "READY", detail);
		json_decref(detail);
	} else {
		log_info("shutdown requested before the service ran: not "
			 "READY");
	}

	pthread_mutex_lock(&sup->mu);
	while (gs_supervisor_state(sup) == GS_STATE_RUNNING || !sup->begun)
		pthread_cond_wait(&sup->cv, &sup->mu);
	pthread_mutex_unlock(&sup->mu);

	sup_run_phase(sup, GS_STATE_CANCELLING,
		      sup->cfg->shutdown.cancel_timeout_ms);
	sup_run_phase(sup, GS_STATE_CLOSING,
		      sup->cfg->shutdown.close_timeout_ms);

	detail = json_object();
	late = sup_join(sup, detail);
	pthread_mutex_lock(&sup->mu);
	if (sup_transition_locked(sup, late ? GS_EV_PHASE_TIMEOUT
					    : GS_EV_PHASE_DONE,
				  detail, &rec) < 0) {
		/* A forced exit or the deadline got there first and ends
		 * the process: write the refusal and wait for it. */
		pthread_mutex_unlock(&sup->mu);
		json_decref(detail);
		sup_write(sup, &rec);
		sup_wait_for_end();
	}
	sup_trace_failed_locked(sup);
	code = sup->degraded ? GS_EXIT_DEGRADED : sup->exit_hint;
	pthread_mutex_unlock(&sup->mu);
	json_decref(detail);
	/* EXIT reached in time: the timer can no longer make this a 70. */
	if (!sup_deadline_decide(sup, code))
		sup_wait_for_end();
	sup_write(sup, &rec);
	/*
	 * Every record decided before this one is written now: one of them
	 * (or this one) that failed degrades the exit, and the timer must
	 * end with that code too.
	 */
	pthread_mutex_lock(&sup->mu);
	sup_trace_failed_locked(sup);
	if (sup->degraded && code != GS_EXIT_DEGRADED) {
		code = GS_EXIT_DEGRADED;
		pthread_mutex_unlock(&sup->mu);
		if (!sup_deadline_decide(sup, code))
			sup_wait_for_end();
	} else {
		pthread_mutex_unlock(&sup->mu);
	}

	if (late > 0) {
		/*
		 * Threads still run: the process cannot go on safely (a
		 * thread left running while main returns and exit() tears
		 * down what it uses), so no free, no exit(): the force hook
		 * (the application's last word), flush, _exit.
		 */
		gs_hook_fn force;
		void *force_arg;

		pthread_mutex_lock(&sup->mu);
		force = sup->force_fn;
		force_arg = sup->force_arg;
		pthread_mutex_unlock(&sup->mu);
		if (force != NULL)
			force(force_arg);
		sup_final_exit(sup, code, NULL);
	}
	sigthread_stop(sup);
	pthread_mutex_lock(&sup->mu);
	summary = sup_summary(sup, code);
	sup_record_locked(sup, "EXIT", summary, &rec);
	pthread_mutex_unlock(&sup->mu);
	json_decref(summary);
	/* Workers are joined and the signal thread stopped: no record but
	 * this one is on its way, so a longer tip means EXIT reached the file. */
	gs_trace_anchor(sup->trace, hash, &before, &sealed);
	if (sup_write(sup, &rec) < 0 && code < GS_EXIT_DEGRADED) {
		code = GS_EXIT_DEGRADED;
		if (!sup_deadline_decide(sup, code))
			sup_wait_for_end();
		gs_trace_anchor(sup->trace, hash, &after, &sealed);
		if (after > before) {
			/*
			 * EXIT is in the file (not made durable) with the
			 * code it had: a second EXIT says the code the
			 * process ends with, so the two agree.
			 */
			pthread_mutex_lock(&sup->mu);
			sup_trace_failed_locked(sup);
			summary = sup_summary(sup, code);
			sup_record_locked(sup, "EXIT", summary, &rec);
			pthread_mutex_unlock(&sup->mu);
			json_decref(summary);
			sup_write(sup, &rec);
		}
	}
	/* syslog and STATUS, with the code decided and mu released */
	sup_send_anchor(sup, code);
	log_info("shutdown complete in %lld ms, exit code %d",
		 gs_ms_since(&sup->shutdown_start), code);
	return code;
}

/*
 * End the process now with code: trace the summary (extra members merged
 * in), freeze the trace so no other thread writes after it, send the tail
 * anchor, _exit.  The state is EXIT already, so no other thread changes it
 * meanwhile.  sup->mu is not held while the records go to disk: the
 * deadline timer, told the code, bounds that wait.
 */
void
sup_final_exit(struct gs_supervisor *sup, int code, json_t *extra)
{
	struct sup_rec rec;
	json_t *summary;

	pthread_mutex_lock(&sup->mu);
	sup_trace_failed_locked(sup);
	summary = sup_summary(sup, code);
	if (extra != NULL)
		json_object_update(summary, extra);
	sup_record_locked(sup, "EXIT", summary, &rec);
	pthread_mutex_unlock(&sup->mu);
	json_decref(summary);
	if (!sup_deadline_decide(sup, code))
		sup_wait_for_end();
	sup_write(sup, &rec);
	gs_trace_freeze(sup->trace);
	sup_send_anchor(sup, code);
	/* 70 and 128+n keep their meaning; lost records are counted here. */
	log_error("exiting with code %d; trace_failures %ld", code,
		  gs_trace_failures(sup->trace));
	log_flush(&sup->total_deadline);
	_exit(code);
}

int
gs_supervisor_new(struct gs_supervisor **out, const struct gs_config *cfg,
		  const char *version, char *cause)
{
	struct gs_supervisor *sup;
	bool no = false;
	json_t *start;
	int rc;

	rc = sigthread_check_blocked(cause);
	if (rc < 0)
		return rc;
	if (!atomic_compare_exchange_strong(&sup_live, &no, true)) {
		snprintf(cause, GS_CAUSE_MAX,
			 "a supervisor already exists in this process: "
			 "signals are process-wide and one thread takes them, "
			 "so there is one supervisor at a time (free the "
			 "other first)");
		return -EBUSY;
	}
	sup = calloc(1, sizeof(*sup));
	if (sup == NULL) {
		atomic_store(&sup_live, false);
		return -ENOMEM;
	}
	sup->cfg = cfg;
	sup->logcfg = *cfg;
	/* [log] takes effect here unless the application opened the log. */
	if (!log_is_open() &&
	    (rc = gs_log_open_config(cfg, program_invocation_short_name,
				     cause)) < 0) {
		free(sup);
		return rc;
	}
	sup->started = gs_mono_now();
	sup->degraded_why = json_array();
	sup->dl_tfd = sup->dl_efd = -1;
	pthread_mutex_init(&sup->mu, NULL);
	pthread_cond_init(&sup->cv, NULL);
	pthread_mutex_init(&sup->rec_mu, NULL);
	pthread_cond_init(&sup->rec_cv, NULL);
	pthread_mutex_init(&sup->sig_mu, NULL);
	pthread_mutex_init(&sup->sw_mu, NULL);
	pthread_cond_init(&sup->sw_cv, NULL);
	atomic_store(&sup->state, GS_STATE_RUNNING);
	sup->entered[GS_STATE_RUNNING] = sup->started;
	gs_stop_set(false);

	rc = gs_trace_open(&sup->trace, cfg->trace.path, cfg->trace.fsync,
			   cause);
	if (rc < 0)
		goto fail;
	if (cfg->trace.seal_key_file[0] != '\0' &&
	    (rc = gs_trace_set_seal(sup->trace, cfg->trace.seal_key_file,
				    cause)) < 0)
		goto fail;
	/* The library's fields, then what the application added. */
	start = json_pack("{s:s, s:s}", "version", version ? version : "",
			  "config", cfg->path);
	json_object_update(start, cfg->start);
	rc = gs_trace_append(sup->trace, "START", NULL, "RUNNING", start);
	json_decref(start);
	if (rc < 0) {
		snprintf(cause, GS_CAUSE_MAX, "trace %s: %s", cfg->trace.path,
			 strerror(-rc));
		goto fail;
	}
	rc = dl_start(sup);
	if (rc < 0) {
		snprintf(cause, GS_CAUSE_MAX, "deadline timer: %s",
			 strerror(-rc));
		goto fail;
	}
	rc = sigthread_start(sup);
	if (rc < 0) {
		snprintf(cause, GS_CAUSE_MAX, "signal thread: %s",
			 strerror(-rc));
		goto fail;
	}
	*out = sup;
	return 0;
fail:
	dl_stop(sup);
	gs_trace_close(sup->trace);
	json_decref(sup->degraded_why);
	pthread_mutex_destroy(&sup->mu);
	pthread_cond_destroy(&sup->cv);
	pthread_mutex_destroy(&sup->rec_mu);
	pthread_cond_destroy(&sup->rec_cv);
	pthread_mutex_destroy(&sup->sig_mu);
	pthread_mutex_destroy(&sup->sw_mu);
	pthread_cond_destroy(&sup->sw_cv);
	free(sup);
	atomic_store(&sup_live, false);
	return rc;
}

void
gs_supervisor_free(struct gs_supervisor *sup)
{
	if (sup == NULL)
		return;
	sigthread_stop(sup);
	/* The log's last lines (the summary too) go out while the deadline
	 * timer still bounds the wait; a writer stuck on the disk is left
	 * behind at the deadline. */
	log_finish_by(gs_supervisor_state(sup) == GS_STATE_EXIT
			  ? &sup->total_deadline
			  : NULL);
	/* Its last fdatasync too: a stalled trace disk ends at the deadline
	 * with the exit code decided. */
	gs_trace_close(sup->trace);
	dl_stop(sup);
	json_decref(sup->degraded_why);
	pthread_mutex_destroy(&sup->mu);
	pthread_cond_destroy(&sup->cv);
	pthread_mutex_destroy(&sup->rec_mu);
	pthread_cond_destroy(&sup->rec_cv);
	pthread_mutex_destroy(&sup->sig_mu);
	pthread_mutex_destroy(&sup->sw_mu);
	pthread_cond_destroy(&sup->sw_cv);
	json_decref(sup->sx_extra);
	free(sup);
	atomic_store(&sup_live, false);
}
