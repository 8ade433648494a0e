/*
 * sigthread.c - the only place signals are received.
 *
 * gs_signals_block() blocks every handled signal in main before any thread
 * exists, so each thread inherits the mask and no handler ever runs.  This
 * thread takes them one at a time with sigwaitinfo() (so the trace records
 * who sent each one) and turns them into state machine events.  Once a
 * shutdown has begun it waits with sigtimedwait() against the total
 * deadline and, just before it, traces DEADLINE, persists the snapshot and
 * ends the process; the deadline timer (supervisor.c) ends it at the
 * deadline should this thread be stuck.  SIGUSR2 sent by the process
 * itself only wakes it (to re-arm or to quit).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* RELOADING=1 and READY=1 after a reload wait this long for room in a
 * full notification queue: the signal thread takes no signal meanwhile. */
#define SIG_NOTIFY_WAIT_MS 250

/*
 * SIGHUP was ignored when the process started (nohup): it stays ignored,
 * and is neither blocked nor waited for (a blocked signal is queued even
 * when ignored).  Set before any thread exists.
 */
static bool sighup_ignored;

static void
sig_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	if (!sighup_ignored)
		sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
}

int
gs_signals_block(void)
{
	struct sigaction sa;
	sigset_t set;
	int rc, signo;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -errno;
	/*
	 * An ignored signal is discarded even while blocked, so sigwaitinfo
	 * would never see it: a shell starts background jobs with SIGINT and
	 * SIGQUIT ignored.  Restore the default action; blocking keeps it
	 * from ever running.  An inherited SIG_IGN on SIGHUP is the one kept:
	 * it is what nohup asks for.
	 */
	{
		struct sigaction old;

		sighup_ignored = sigaction(SIGHUP, NULL, &old) == 0 &&
				 old.sa_handler == SIG_IGN;
	}
	sig_set(&set);
	rc = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (rc != 0)
		return -rc;
	sa.sa_handler = SIG_DFL;
	for (signo = 1; signo < NSIG; signo++)
		if (sigismember(&set, signo) == 1)
			sigaction(signo, &sa, NULL);
	return 0;
}

static enum gs_event
sig_event(int signo)
{
	switch (signo) {
	case SIGINT:
		return GS_EV_SIGINT;
	case SIGHUP:
		return GS_EV_SIGHUP;
	case SIGQUIT:
		return GS_EV_SIGQUIT;
	default:
		return GS_EV_SIGTERM;
	}
}

/*
 * A sender with no pid to name: the kernel (a terminal's ^C, ^\\ or
 * hang-up), or a process in an outer PID namespace (a container's
 * runtime).  NULL when sender_pid says it all.
 */
static const char *
sig_sender(const siginfo_t *info)
{
	if (info->si_code == SI_KERNEL)
		return "kernel";
	if (info->si_pid == 0 && info->si_code <= 0)
		return "outside-pid-namespace";
	return NULL;
}

/* The sender for a person: "the kernel (terminal)", "pid 42, uid 0". */
static void
sig_sender_text(const siginfo_t *info, char *buf, size_t size)
{
	const char *who = sig_sender(info);

	if (who != NULL && strcmp(who, "kernel") == 0)
		snprintf(buf, size, "the kernel%s",
			 info->si_signo != SIGTERM ? " (terminal)" : "");
	else if (who != NULL)
		snprintf(buf, size, "a process outside this PID namespace");
	else
		snprintf(buf, size, "pid %d, uid %d", (int)info->si_pid,
			 (int)info->si_uid);
}

static json_t *
sig_detail(const siginfo_t *info)
{
	json_t *d = json_pack("{s:s, s:i, s:i}", "signal",
			      gs_event_name(sig_event(info->si_signo)),
			      "sender_pid", (int)info->si_pid, "sender_uid",
			      (int)info->si_uid);

	if (d != NULL && sig_sender(info) != NULL)
		json_object_set_new(d, "sender", json_string(sig_sender(info)));
	return d;
}

/*
 * A shutdown signal after the first.  A repeat within duplicate_signal_ms
 * of the first is the same request (timeout(1) signals the child and its
 * group; a wrapper forwards what it got); the first signal during a
 * shutdown that FATAL began is that shutdown's first.  Both are traced as
 * refused.  After that: FORCE, or refused when on_second_signal = ignore.
 */
static void
sig_again(struct gs_supervisor *sup, const siginfo_t *info)
{
	const struct gs_config *cfg = sup->cfg;
	json_t *d = sig_detail(info);
	const char *why = NULL;
	struct sup_rec rec;
	gs_hook_fn force;
	void *force_arg;

	pthread_mutex_lock(&sup->mu);
	if (!sup->signalled) {
		sup->signalled = true;
		sup->first_signal = gs_mono_now();
		why = "the first signal of a shutdown begun by FATAL";
	} else if (gs_ms_since(&sup->first_signal) <
		   cfg->shutdown.duplicate_signal_ms) {
		why = "a repeat within duplicate_signal_ms: the same request";
	} else if (cfg->shutdown.on_second_signal == GS_SECOND_IGNORE) {
		why = "shutdown in progress; on_second_signal = ignore";
	}
	if (why != NULL) {
		json_object_set_new(d, "reason", json_string(why));
		sup_refused_locked(sup, sig_event(info->si_signo), d, &rec);
		pthread_mutex_unlock(&sup->mu);
		sup_write(sup, &rec);
		log_info("signal %s during the shutdown: %s",
			 gs_event_name(sig_event(info->si_signo)), why);
		json_decref(d);
		return;
	}
	if (sup_transition_locked(sup, GS_EV_FORCE, d, &rec) < 0) {
		/* EXIT: nothing left to force. */
		pthread_mutex_unlock(&sup->mu);
		sup_write(sup, &rec);
		json_decref(d);
		return;
	}
	force = sup->force_fn;
	force_arg = sup->force_arg;
	pthread_mutex_unlock(&sup->mu);
	/* The snapshot first: it must not wait behind a slow trace. */
	if (force != NULL)
		force(force_arg);
	log_warn("second signal (%s): forcing exit",
		 strsignal(info->si_signo));
	sup_write(sup, &rec);
	json_object_set_new(d, "forced", json_true());
	sup_final_exit(sup, 128 + info->si_signo, d);
}

/*
 * How long before the total deadline this thread traces DEADLINE and
 * persists the snapshot, so both land before the deadline timer's _exit.
 */
static long long
sig_deadline_margin(struct gs_supervisor *sup)
{
	long long t = sup->cfg->shutdown.total_timeout_ms / 10;

	return t < 200 ? t : 200;
}

static void
sig_deadline(struct gs_supervisor *sup)
{
	json_t *d = json_pack("{s:i}", "total_timeout_ms",
			      sup->cfg->shutdown.total_timeout_ms);
	struct sup_rec rec;
	gs_hook_fn force;
	void *force_arg;

	pthread_mutex_lock(&sup->mu);
	if (gs_supervisor_state(sup) == GS_STATE_EXIT) {
		/* The shutdown ended in time: nothing to enforce. */
		atomic_store(&sup->deadline_armed, false);
		pthread_mutex_unlock(&sup->mu);
		json_decref(d);
		return;
	}
	sup_transition_locked(sup, GS_EV_DEADLINE, d, &rec);
	force = sup->force_fn;
	force_arg = sup->force_arg;
	pthread_mutex_unlock(&sup->mu);
	if (force != NULL)
		force(force_arg);
	log_error("shutdown did not finish within total_timeout_ms = %d",
		  sup->cfg->shutdown.total_timeout_ms);
	sup_write(sup, &rec);
	sup_final_exit(sup, GS_EXIT_DEADLINE, d);
}

static void
sig_status(struct gs_supervisor *sup)
{
	char extra[512] = "";
	gs_status_fn fn;
	void *arg;

	pthread_mutex_lock(&sup->mu);
	fn = sup->status_fn;
	arg = sup->status_arg;
	pthread_mutex_unlock(&sup->mu);
	if (fn != NULL)
		fn(arg, extra, sizeof(extra));
	log_info("status: state=%s uptime_s=%lld%s%s",
		 gs_state_name(gs_supervisor_state(sup)),
		 gs_ms_since(&sup->started) / 1000, extra[0] ? " " : "",
		 extra);
}

static void
sig_reload(struct gs_supervisor *sup, const siginfo_t *info)
{
	char cause[GS_CAUSE_MAX];
	json_t *d = sig_detail(info);
	int rc;

	if (gs_stop_requested()) {
		/* Shutting down: this thread enforces the deadline and takes
		 * a second signal, so it reads no file now. */
		log_warn("SIGHUP: not reloading, shutting down");
		json_object_set_new(d, "action", json_string("reload"));
		json_object_set_new(d, "ok", json_false());
		json_object_set_new(d, "why", json_string("shutting down"));
		gs_supervisor_trace(sup, "SIGHUP", d);
		json_decref(d);
		return;
	}
	/* systemctl reload waits for READY=1 after RELOADING=1. */
	gs_notify_wait(SIG_NOTIFY_WAIT_MS, "RELOADING=1\nMONOTONIC_USEC=%lld",
		       (long long)(gs_mono_ns() / 1000));
	rc = gs_config_reload_log(&sup->logcfg, sup->cfg->path, cause);
	if (rc == 0)
		rc = gs_log_reopen(sup->logcfg.log.level, sup->logcfg.log.file,
				   sup->logcfg.log.syslog,
				   sup->logcfg.log.syslog_facility);
	else
		log_error("reload: %s (keeping the current [log])", cause);
	if (rc == 0) {
		gs_hook_fn fn;
		void *arg;

		pthread_mutex_lock(&sup->mu);
		fn = sup->reload_fn;
		arg = sup->reload_arg;
		pthread_mutex_unlock(&sup->mu);
		if (fn != NULL)
			fn(arg);
	}
	log_info("SIGHUP: log re-opened%s", rc == 0 ? "" : " (failed)");
	gs_notify_wait(SIG_NOTIFY_WAIT_MS, "READY=1\nSTATUS=RUNNING: reloaded%s",
		       rc == 0 ? "" : " (the log could not be re-opened)");
	json_object_set_new(d, "action", json_string("reload"));
	json_object_set_new(d, "ok", json_boolean(rc == 0));
	gs_supervisor_trace(sup, "SIGHUP", d);
	json_decref(d);
}

static void
sig_shutdown(struct gs_supervisor *sup, const siginfo_t *info)
{
	json_t *d = sig_detail(info);
	const char *name = gs_event_name(sig_event(info->si_signo));
	char who[64];

	sig_sender_text(info, who, sizeof(who));
	if (sup_begin_shutdown(sup, sig_event(info->si_signo), d, 0))
		log_info("Received shutdown signal (%s). Initiating graceful "
			 "shutdown... (sent by %s)",
			 name, who);
	else
		sig_again(sup, info);
	json_decref(d);
}

static void *
sig_main(void *arg)
{
	struct gs_supervisor *sup = arg;
	siginfo_t info;
	sigset_t set;
	int signo;

	long long wd_ms = gs_notify_watchdog_usec() / 2000;
	struct timespec wd_next = gs_mono_after_ms(wd_ms);

	pthread_setname_np(pthread_self(), "signal");
	if (sighup_ignored)
		log_info("SIGHUP ignored, as it was when the process started "
			 "(nohup)");
	sig_set(&set);
	while (!atomic_load(&sup->sig_quit)) {
		long long ms = -1;
		struct timespec ts;

		if (wd_ms > 0) {
			if (gs_ms_until(&wd_next) <= 0) {
				gs_notify("WATCHDOG=1");
				wd_next = gs_mono_after_ms(wd_ms);
			}
			ms = gs_ms_until(&wd_next);
		}
		if (atomic_load(&sup->deadline_armed)) {
			long long left = gs_ms_until(&sup->total_deadline) -
					 sig_deadline_margin(sup);

			if (left <= 0)
				sig_deadline(sup);
			if (ms < 0 || left < ms)
				ms = left;
		}
		if (ms >= 0) {
			ts.tv_sec = ms / 1000;
			ts.tv_nsec = (ms % 1000) * 1000000L;
			signo = sigtimedwait(&set, &info, &ts);
		} else {
			signo = sigwaitinfo(&set, &info);
		}
		if (signo < 0)
			continue; /* EINTR, or EAGAIN: the deadline check */
		switch (signo) {
		case SIGUSR2:
			break; /* a poke: loop to re-read the flags */
		case SIGUSR1:
			sig_status(sup);
			break;
		case SIGHUP:
			if (sup->cfg->shutdown.on_sighup == GS_SIGHUP_RELOAD) {
				sig_reload(sup, &info);
				break;
			}
			/* fall through */
		default:
			sig_shutdown(sup, &info);
			break;
		}
	}
	return NULL;
}

int
sigthread_start(struct gs_supervisor *sup)
{
	int rc;

	pthread_mutex_lock(&sup->sig_mu);
	rc = pthread_create(&sup->sigthread, NULL, sig_main, sup);
	sup->sig_started = rc == 0;
	pthread_mutex_unlock(&sup->sig_mu);
	return -rc;
}

/* Wake the signal thread, if it still runs (never a joined thread). */
void
sigthread_poke(struct gs_supervisor *sup)
{
	pthread_mutex_lock(&sup->sig_mu);
	if (sup->sig_started)
		pthread_kill(sup->sigthread, SIGUSR2);
	pthread_mutex_unlock(&sup->sig_mu);
}

void
sigthread_stop(struct gs_supervisor *sup)
{
	bool started;

	pthread_mutex_lock(&sup->sig_mu);
	started = sup->sig_started;
	if (started) {
		atomic_store(&sup->sig_quit, true);
		pthread_kill(sup->sigthread, SIGUSR2);
		sup->sig_started = false;
	}
	pthread_mutex_unlock(&sup->sig_mu);
	if (started)
		pthread_join(sup->sigthread, NULL);
}
