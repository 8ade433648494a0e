/*
 * sigthread.c - the only place signals are received.
 *
 * gs_signals_block() blocks every handled signal in main before any thread
 * exists, so each thread inherits the mask and no handler ever runs.  The
 * signal thread takes them with sigtimedwait() (so the trace records who
 * sent each one) and turns them into decisions, and does nothing else:
 * whatever can block is handed to a thread of its own.
 *
 *  - Termination signals first: each turn looks for a pending one before
 *    it takes any other, so no storm of another kind (sigwaitinfo takes
 *    the lowest number first, and SIGHUP is 1) keeps SIGTERM waiting.
 *  - The records it decides are written by "signal-work", in decision
 *    order: a trace fsync that stalls holds that thread, never this one,
 *    so a repeated signal is taken (and judged) when it comes.
 *  - A repeat is judged by when it was sent: one already pending when
 *    this thread got back to its wait arrived while it was busy, so it is
 *    dated from the moment the thread stopped waiting.
 *  - A reload (SIGHUP) reads the configuration on "reload": a file on a
 *    hung mount holds that thread, not shutdown.  Requests that come while
 *    one runs are merged into one more.  The file is opened and read
 *    through first (reload_probe), touching nothing shared; only then is
 *    it parsed.  A reload still blocked when the process ends is left
 *    behind; it touches nothing of the supervisor's, nor the
 *    configuration's registry, once told so (reload_enter).
 *  - A forced exit and the total deadline are carried out by
 *    "signal-exit": the snapshot (the force hook), the record, _exit.
 *    The deadline timer (supervisor.c) ends the process at the deadline
 *    should any of them be stuck.
 *
 * SIGUSR2 sent by the process itself only wakes this thread (to re-arm or
 * to quit).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* RELOADING=1 and READY=1 after a reload wait this long for room in a
 * full notification queue (on the reload thread). */
#define SIG_NOTIFY_WAIT_MS 250
/* Stack of the library's own threads: they run hooks, not deep code. */
#define SIG_STACK (1024 * 1024)

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

/* The signals that ask for a shutdown: taken before any other. */
static void
sig_term_set(const struct gs_config *cfg, sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGQUIT);
	if (!sighup_ignored && cfg->shutdown.on_sighup != GS_SIGHUP_RELOAD)
		sigaddset(set, SIGHUP);
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

/*
 * 0 when every signal the library takes is blocked in the calling thread;
 * else -EINVAL with cause naming the first one that is not.
 */
int
sigthread_check_blocked(char *cause)
{
	static const struct {
		int signo;
		const char *name;
	} sigs[] = {{SIGTERM, "SIGTERM"}, {SIGINT, "SIGINT"},
		    {SIGQUIT, "SIGQUIT"}, {SIGHUP, "SIGHUP"},
		    {SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"}};
	sigset_t want, cur;
	size_t i;

	if (pthread_sigmask(SIG_BLOCK, NULL, &cur) != 0)
		return 0; /* cannot tell: do not refuse */
	sig_set(&want);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigismember(&want, sigs[i].signo) != 1 ||
		    sigismember(&cur, sigs[i].signo) == 1)
			continue;
		snprintf(cause, GS_CAUSE_MAX,
			 "%s is not blocked in the calling thread: call "
			 "gs_signals_block() first, before any thread is "
			 "created (else the signal ends the process at once, "
			 "or goes to a thread that does not take it)",
			 sigs[i].name);
		return -EINVAL;
	}
	return 0;
}

int
sup_thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int rc;

	if (pthread_attr_init(&attr) != 0)
		return pthread_create(t, NULL, fn, arg);
	pthread_attr_setstacksize(&attr, SIG_STACK);
	rc = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return rc;
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

/* ---- signal-work: the records this thread decides ---------------------- */

struct sig_job {
	struct sup_rec rec;
	bool status; /* a SIGUSR1 status line, not a record */
	struct sig_job *next;
};

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

static void *
sw_main(void *arg)
{
	struct gs_supervisor *sup = arg;
	struct sig_job *j;

	pthread_setname_np(pthread_self(), "signal-work");
	for (;;) {
		pthread_mutex_lock(&sup->sw_mu);
		while (sup->sw_head == NULL && !sup->sw_quit)
			pthread_cond_wait(&sup->sw_cv, &sup->sw_mu);
		j = sup->sw_head;
		if (j != NULL) {
			sup->sw_head = j->next;
			if (sup->sw_head == NULL)
				sup->sw_tail = &sup->sw_head;
		}
		pthread_mutex_unlock(&sup->sw_mu);
		if (j == NULL)
			return NULL; /* quit, with the queue drained */
		if (j->status)
			sig_status(sup);
		else
			sup_write(sup, &j->rec);
		free(j);
	}
}

/* A copy of detail that no other thread holds a reference to. */
static json_t *
sig_own(json_t *detail)
{
	return detail != NULL ? json_deep_copy(detail) : NULL;
}

static bool
sw_post(struct gs_supervisor *sup, struct sig_job *j)
{
	pthread_mutex_lock(&sup->sw_mu);
	if (!sup->sw_started) {
		pthread_mutex_unlock(&sup->sw_mu);
		return false;
	}
	j->next = NULL;
	*sup->sw_tail = j;
	sup->sw_tail = &j->next;
	pthread_cond_broadcast(&sup->sw_cv);
	pthread_mutex_unlock(&sup->sw_mu);
	return true;
}

/*
 * Have a decided record written by signal-work (in ticket order, like
 * every record).  Written here only when there is no room for the job or
 * no thread to do it.
 */
void
sigwork_post(struct gs_supervisor *sup, struct sup_rec *rec)
{
	struct sig_job *j = calloc(1, sizeof(*j));

	if (j != NULL) {
		/* The job's own copy: a json_t's reference count is not
		 * shared between threads. */
		j->rec = *rec;
		j->rec.detail = sig_own(rec->detail);
		if (sw_post(sup, j)) {
			json_decref(rec->detail);
			rec->detail = NULL;
			return;
		}
		json_decref(j->rec.detail);
		free(j);
	}
	sup_write(sup, rec);
}

static void
sig_post_status(struct gs_supervisor *sup)
{
	struct sig_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return; /* a status line is not worth blocking for */
	j->status = true;
	if (!sw_post(sup, j))
		free(j);
}

/* ---- signal-exit: a forced exit or the total deadline ------------------- */

static void *
sx_main(void *arg)
{
	struct gs_supervisor *sup = arg;
	gs_hook_fn force;
	void *force_arg;
	bool go;

	pthread_setname_np(pthread_self(), "signal-exit");
	pthread_mutex_lock(&sup->sw_mu);
	while (!sup->sx_go && !sup->sx_quit)
		pthread_cond_wait(&sup->sw_cv, &sup->sw_mu);
	go = sup->sx_go;
	pthread_mutex_unlock(&sup->sw_mu);
	if (!go)
		return NULL;
	pthread_mutex_lock(&sup->mu);
	force = sup->force_fn;
	force_arg = sup->force_arg;
	pthread_mutex_unlock(&sup->mu);
	/* The snapshot first: it must not wait behind a slow trace. */
	if (force != NULL)
		force(force_arg);
	if (sup->sx_code == GS_EXIT_DEADLINE)
		log_error("%s", sup->sx_msg);
	else
		log_warn("%s", sup->sx_msg);
	sup_write(sup, &sup->sx_rec);
	sup_final_exit(sup, sup->sx_code, sup->sx_extra);
}

/* Hand the exit to signal-exit: rec becomes its, with copies of the
 * details (no json_t is shared between threads). */
static void
sx_post(struct gs_supervisor *sup, int code, struct sup_rec *rec,
	json_t *extra, const char *msg)
{
	json_t *rd = sig_own(rec->detail), *x = sig_own(extra);

	json_decref(rec->detail);
	rec->detail = NULL;
	pthread_mutex_lock(&sup->sw_mu);
	sup->sx_code = code;
	sup->sx_rec = *rec;
	sup->sx_rec.detail = rd;
	sup->sx_extra = x;
	snprintf(sup->sx_msg, sizeof(sup->sx_msg), "%s", msg);
	sup->sx_go = true;
	pthread_cond_broadcast(&sup->sw_cv);
	pthread_mutex_unlock(&sup->sw_mu);
	atomic_store(&sup->sx_posted, true);
}

/* ---- the decisions ------------------------------------------------------ */

/*
 * A shutdown signal after the first.  A repeat sent within
 * duplicate_signal_ms of the first is the same request (timeout(1) signals
 * the child and its group; a wrapper forwards what it got); the first
 * signal during a shutdown that FATAL or a stop from code began is that
 * shutdown's first.  Both are traced as refused.  After that: FORCE, or
 * refused when on_second_signal = ignore.  sent is the earliest the
 * signal may have been sent.
 */
static void
sig_again(struct gs_supervisor *sup, const siginfo_t *info,
	  const struct timespec *sent)
{
	const struct gs_config *cfg = sup->cfg;
	json_t *d = sig_detail(info);
	const char *why = NULL;
	struct sup_rec rec;
	long long gap_ms;
	json_t *x;
	char msg[128];

	if (atomic_load(&sup->sx_posted)) {
		/* signal-exit ends the process: this one changes nothing */
		json_decref(d);
		return;
	}
	pthread_mutex_lock(&sup->mu);
	gap_ms = (sent->tv_sec - sup->first_signal.tv_sec) * 1000LL +
		 (sent->tv_nsec - sup->first_signal.tv_nsec) / 1000000L;
	if (!sup->signalled) {
		sup->signalled = true;
		sup->first_signal = *sent;
		why = "the first signal of a shutdown begun by FATAL or a "
		      "stop from code";
	} else if (gap_ms < cfg->shutdown.duplicate_signal_ms) {
		why = "a repeat within duplicate_signal_ms: the same request";
	} else if (cfg->shutdown.on_second_signal == GS_SECOND_IGNORE) {
		why = "shutdown in progress; on_second_signal = ignore";
	}
	if (why != NULL) {
		json_object_set_new(d, "reason", json_string(why));
		sup_refused_locked(sup, sig_event(info->si_signo), d, &rec);
		pthread_mutex_unlock(&sup->mu);
		log_info("signal %s during the shutdown: %s",
			 gs_event_name(sig_event(info->si_signo)), why);
		sigwork_post(sup, &rec);
		json_decref(d);
		return;
	}
	json_object_set_new(d, "after_first_ms", json_integer(gap_ms));
	if (sup_transition_locked(sup, GS_EV_FORCE, d, &rec) < 0) {
		/* EXIT: nothing left to force. */
		pthread_mutex_unlock(&sup->mu);
		sigwork_post(sup, &rec);
		json_decref(d);
		return;
	}
	pthread_mutex_unlock(&sup->mu);
	snprintf(msg, sizeof(msg), "second signal (%s): forcing exit",
		 strsignal(info->si_signo));
	x = json_deep_copy(d);
	json_object_set_new(x, "forced", json_true());
	sx_post(sup, 128 + info->si_signo, &rec, x, msg);
	json_decref(x);
	json_decref(d);
}

/*
 * How long before the total deadline the DEADLINE record and the snapshot
 * are begun, so both land before the deadline timer's _exit.
 */
long long
sigthread_deadline_margin(const struct gs_supervisor *sup)
{
	long long t = sup->cfg->shutdown.total_timeout_ms / 10;

	return t < 200 ? t : 200;
}

static void
sig_deadline(struct gs_supervisor *sup)
{
	json_t *d;
	struct sup_rec rec;
	char msg[128];

	if (atomic_load(&sup->sx_posted)) {
		/* a forced exit is under way: nothing more to enforce here */
		atomic_store(&sup->deadline_armed, false);
		return;
	}
	d = json_pack("{s:i}", "total_timeout_ms",
		      sup->cfg->shutdown.total_timeout_ms);
	pthread_mutex_lock(&sup->mu);
	if (gs_supervisor_state(sup) == GS_STATE_EXIT) {
		/* The shutdown ended in time (or is being forced). */
		atomic_store(&sup->deadline_armed, false);
		pthread_mutex_unlock(&sup->mu);
		json_decref(d);
		return;
	}
	sup_transition_locked(sup, GS_EV_DEADLINE, d, &rec);
	pthread_mutex_unlock(&sup->mu);
	atomic_store(&sup->deadline_armed, false);
	snprintf(msg, sizeof(msg),
		 "shutdown did not finish within total_timeout_ms = %d",
		 sup->cfg->shutdown.total_timeout_ms);
	sx_post(sup, GS_EXIT_DEADLINE, &rec, d, msg);
	json_decref(d);
}

/* ---- reload: SIGHUP with on_sighup = reload ----------------------------- */

struct reload_ctl {
	struct gs_supervisor *sup; /* only between reload_enter and _leave */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned long asked, taken; /* under mu */
	siginfo_t info;		    /* the last request's sender, under mu */
	bool quit;		    /* under mu */
	atomic_bool gone;	    /* the supervisor is going: hands off */
	atomic_bool applying;	    /* between reload_enter and _leave */
	char path[GS_PATH_MAX];
	struct gs_config cfg; /* [log] as last (re)loaded */
};

/* Reloads left blocked when their supervisor ended (still referenced). */
static struct reload_ctl *reload_left[4];

/*
 * May the reload thread touch the supervisor?  Sequentially consistent
 * with reload_stop: either this sees gone, or reload_stop sees applying
 * and waits for reload_leave.
 */
static bool
reload_enter(struct reload_ctl *c)
{
	atomic_store(&c->applying, true);
	if (atomic_load(&c->gone)) {
		atomic_store(&c->applying, false);
		return false;
	}
	return true;
}

static void
reload_leave(struct reload_ctl *c)
{
	atomic_store(&c->applying, false);
}

/*
 * Open and read path through, touching nothing shared: the part of a
 * reload that a file on a hung mount (or a FIFO) holds for ever.  The
 * parse that follows (gs_config_reload_log, which uses the application's
 * key registry) then finds a file that answers.
 */
static void
reload_probe(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return; /* the parse says why */
	do
		n = read(fd, buf, sizeof(buf));
	while (n > 0 || (n < 0 && errno == EINTR));
	close(fd);
}

static void
reload_once(struct reload_ctl *c, const siginfo_t *info, unsigned long n)
{
	struct gs_supervisor *sup = c->sup;
	char cause[GS_CAUSE_MAX], file[GS_PATH_MAX], facility[16];
	struct gs_config tmp;
	bool use_syslog;
	gs_hook_fn fn;
	int rc, level;
	void *arg;
	json_t *d;

	if (!reload_enter(c))
		return;
	if (atomic_load(&sup->stop)) {
		reload_leave(c);
		return; /* the signal thread traced it when it took it */
	}
	reload_leave(c);
	/* systemctl reload waits for READY=1 after RELOADING=1. */
	gs_notify_wait(SIG_NOTIFY_WAIT_MS, "RELOADING=1\nMONOTONIC_USEC=%lld",
		       (long long)(gs_mono_ns() / 1000));
	reload_probe(c->path);
	if (!reload_enter(c))
		return;
	tmp = c->cfg; /* shares the registry: only inside reload_enter */
	rc = gs_config_reload_log(&tmp, c->path, cause);
	if (rc == 0)
		c->cfg = tmp;
	level = c->cfg.log.level;
	use_syslog = c->cfg.log.syslog;
	snprintf(file, sizeof(file), "%s", c->cfg.log.file);
	snprintf(facility, sizeof(facility), "%s", c->cfg.log.syslog_facility);
	reload_leave(c);
	/* The log file's open may wait on its mount too: outside. */
	if (rc == 0)
		rc = gs_log_reopen((enum gs_log_level)level, file, use_syslog,
				   facility);
	else
		log_error("reload: %s (keeping the current [log])", cause);
	if (!reload_enter(c))
		return;
	if (rc == 0) {
		pthread_mutex_lock(&sup->mu);
		fn = sup->reload_fn;
		arg = sup->reload_arg;
		pthread_mutex_unlock(&sup->mu);
		if (fn != NULL)
			fn(arg);
	}
	log_info("SIGHUP: log re-opened%s", rc == 0 ? "" : " (failed)");
	d = sig_detail(info);
	json_object_set_new(d, "action", json_string("reload"));
	json_object_set_new(d, "ok", json_boolean(rc == 0));
	if (n > 1)
		json_object_set_new(d, "requests", json_integer((json_int_t)n));
	gs_supervisor_trace(sup, "SIGHUP", d);
	json_decref(d);
	reload_leave(c);
	gs_notify_wait(SIG_NOTIFY_WAIT_MS, "READY=1\nSTATUS=RUNNING: reloaded%s",
		       rc == 0 ? "" : " (the log could not be re-opened)");
}

static void *
reload_main(void *arg)
{
	struct reload_ctl *c = arg;
	siginfo_t info;
	unsigned long n;

	pthread_setname_np(pthread_self(), "reload");
	for (;;) {
		pthread_mutex_lock(&c->mu);
		while (c->asked == c->taken && !c->quit)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->quit) {
			pthread_mutex_unlock(&c->mu);
			return NULL;
		}
		n = c->asked - c->taken;
		c->taken = c->asked;
		info = c->info;
		pthread_mutex_unlock(&c->mu);
		reload_once(c, &info, n);
	}
}

static int
reload_start(struct gs_supervisor *sup)
{
	struct reload_ctl *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;
	int rc;

	if (c == NULL)
		return -ENOMEM;
	c->sup = sup;
	c->cfg = *sup->cfg;
	snprintf(c->path, sizeof(c->path), "%s", sup->cfg->path);
	pthread_mutex_init(&c->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cv, &ca);
	pthread_condattr_destroy(&ca);
	rc = sup_thread_create(&c->thread, reload_main, c);
	if (rc != 0) {
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
		free(c);
		return -rc;
	}
	sup->reload = c;
	return 0;
}

/* Ask for a reload: never waits for one in progress. */
static void
reload_request(struct gs_supervisor *sup, const siginfo_t *info)
{
	struct reload_ctl *c = sup->reload;

	if (c == NULL) {
		log_error("SIGHUP: no reload thread; not reloading");
		return;
	}
	pthread_mutex_lock(&c->mu);
	c->asked++;
	c->info = *info;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/*
 * End the reload thread by deadline.  One still blocked (reading a file on
 * a hung mount) is left behind: from now on it touches nothing of sup's.
 */
static void
reload_stop(struct gs_supervisor *sup, const struct timespec *deadline)
{
	struct reload_ctl *c = sup->reload;
	size_t i;

	if (c == NULL)
		return;
	sup->reload = NULL;
	pthread_mutex_lock(&c->mu);
	c->quit = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	atomic_store(&c->gone, true);
	if (gs_join_until(c->thread, deadline, NULL) == 0) {
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
		free(c);
		return;
	}
	/* A reload inside reload_enter finishes what it does with sup (a
	 * hook, a record: the deadline timer bounds them). */
	while (atomic_load(&c->applying))
		clock_nanosleep(CLOCK_MONOTONIC, 0,
				&(struct timespec){.tv_nsec = 1000000}, NULL);
	log_warn("reload: still reading %s (a file that does not answer); "
		 "left behind",
		 c->path);
	pthread_detach(c->thread);
	for (i = 0; i < sizeof(reload_left) / sizeof(reload_left[0]); i++)
		if (reload_left[i] == NULL) {
			reload_left[i] = c;
			break;
		}
}

/* ---- the signal thread -------------------------------------------------- */

static void
sig_shutdown(struct gs_supervisor *sup, const siginfo_t *info,
	     const struct timespec *sent)
{
	json_t *d = sig_detail(info);
	const char *name = gs_event_name(sig_event(info->si_signo));
	char who[64], msg[256];

	sig_sender_text(info, who, sizeof(who));
	snprintf(msg, sizeof(msg),
		 "Received shutdown signal (%s). Initiating graceful "
		 "shutdown... (sent by %s)",
		 name, who);
	if (!sup_begin_shutdown(sup, sig_event(info->si_signo), d, 0, msg,
				true))
		sig_again(sup, info, sent);
	json_decref(d);
}

static void
sig_hup(struct gs_supervisor *sup, const siginfo_t *info)
{
	json_t *d;
	struct sup_rec rec;

	if (!atomic_load(&sup->stop)) {
		reload_request(sup, info);
		return;
	}
	/* Shutting down: no reload. */
	d = sig_detail(info);
	json_object_set_new(d, "action", json_string("reload"));
	json_object_set_new(d, "ok", json_false());
	json_object_set_new(d, "why", json_string("shutting down"));
	pthread_mutex_lock(&sup->mu);
	sup_record_locked(sup, "SIGHUP", d, &rec);
	pthread_mutex_unlock(&sup->mu);
	log_warn("SIGHUP: not reloading, shutting down");
	sigwork_post(sup, &rec);
	json_decref(d);
}

static void *
sig_main(void *arg)
{
	struct gs_supervisor *sup = arg;
	static const struct timespec zero = {0, 0};
	sigset_t set, term;
	siginfo_t info;
	int signo;

	long long wd_ms = gs_notify_watchdog_usec() / 2000;
	struct timespec wd_next = gs_mono_after_ms(wd_ms);
	/* When this thread last stopped waiting: a signal found pending
	 * afterwards was sent at that moment at the earliest. */
	struct timespec busy_since = gs_mono_now();

	pthread_setname_np(pthread_self(), "signal");
	if (sighup_ignored)
		log_info("SIGHUP ignored, as it was when the process started "
			 "(nohup)");
	sig_set(&set);
	sig_term_set(sup->cfg, &term);
	while (!atomic_load(&sup->sig_quit)) {
		struct timespec sent;
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
					 sigthread_deadline_margin(sup);

			if (left <= 0)
				sig_deadline(sup);
			if (left < 0)
				left = 0;
			if (atomic_load(&sup->deadline_armed) &&
			    (ms < 0 || left < ms))
				ms = left;
		}
		/* Termination signals first, whatever else is pending. */
		signo = sigtimedwait(&term, &info, &zero);
		if (signo > 0) {
			sent = busy_since;
		} else {
			if (ms >= 0) {
				ts.tv_sec = ms / 1000;
				ts.tv_nsec = (ms % 1000) * 1000000L;
				signo = sigtimedwait(&set, &info, &ts);
			} else {
				signo = sigwaitinfo(&set, &info);
			}
			sent = gs_mono_now();
		}
		busy_since = gs_mono_now();
		if (signo < 0)
			continue; /* EINTR, or EAGAIN: the deadline check */
		switch (signo) {
		case SIGUSR2:
			break; /* a poke: loop to re-read the flags */
		case SIGUSR1:
			sig_post_status(sup);
			break;
		case SIGHUP:
			if (sup->cfg->shutdown.on_sighup == GS_SIGHUP_RELOAD) {
				sig_hup(sup, &info);
				break;
			}
			/* fall through */
		default:
			sig_shutdown(sup, &info, &sent);
			break;
		}
	}
	return NULL;
}

/*
 * A signal sent to one thread (raise(), pthread_kill()) waits for that
 * thread alone: sigwaitinfo in the signal thread never sees one the
 * caller raised on itself between gs_signals_block() and here.  Take each
 * such signal of ours pending on the calling thread (its own pending set,
 * SigPnd in /proc, not the process's) and queue it again to the process,
 * with its siginfo, where the signal thread takes it.
 */
static void
sig_hand_over_pending(void)
{
	static const struct timespec zero = {0, 0};
	char line[128];
	unsigned long long pnd = 0;
	sigset_t ours, one;
	siginfo_t info;
	FILE *fp;
	int signo;

	fp = fopen("/proc/thread-self/status", "re");
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "SigPnd: %llx", &pnd) == 1)
			break;
	fclose(fp);
	sig_set(&ours);
	for (signo = 1; signo < 64 && pnd != 0; signo++) {
		if ((pnd & (1ULL << (signo - 1))) == 0 ||
		    sigismember(&ours, signo) != 1)
			continue;
		sigemptyset(&one);
		sigaddset(&one, signo);
		/* The thread's own pending signal is dequeued first. */
		if (sigtimedwait(&one, &info, &zero) != signo)
			continue;
		/* Only the main thread may queue a kill()'s siginfo again. */
		if (syscall(SYS_rt_sigqueueinfo, getpid(), signo, &info) < 0)
			kill(getpid(), signo);
	}
}

int
sigthread_start(struct gs_supervisor *sup)
{
	int rc;

	sup->sw_tail = &sup->sw_head;
	rc = sup_thread_create(&sup->sw_thread, sw_main, sup);
	if (rc != 0)
		return -rc;
	sup->sw_started = true;
	rc = sup_thread_create(&sup->sx_thread, sx_main, sup);
	if (rc != 0)
		goto fail;
	sup->sx_started = true;
	if (sup->cfg->shutdown.on_sighup == GS_SIGHUP_RELOAD &&
	    !sighup_ignored && (rc = -reload_start(sup)) != 0)
		goto fail;
	pthread_mutex_lock(&sup->sig_mu);
	rc = sup_thread_create(&sup->sigthread, sig_main, sup);
	sup->sig_started = rc == 0;
	pthread_mutex_unlock(&sup->sig_mu);
	if (rc != 0)
		goto fail;
	sig_hand_over_pending();
	return 0;
fail:
	sigthread_stop(sup);
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

/*
 * Stop the signal thread, then its helpers: signal-work once it has
 * written every record handed to it, the reload thread by a short bound
 * (a blocked one is left behind), signal-exit unless it ends the process.
 */
void
sigthread_stop(struct gs_supervisor *sup)
{
	struct timespec reload_by;
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

	reload_by = gs_mono_after_ms(50);
	reload_stop(sup, &reload_by);

	pthread_mutex_lock(&sup->sw_mu);
	started = sup->sw_started;
	sup->sw_quit = true;
	sup->sw_started = false;
	pthread_cond_broadcast(&sup->sw_cv);
	pthread_mutex_unlock(&sup->sw_mu);
	if (started)
		pthread_join(sup->sw_thread, NULL);

	pthread_mutex_lock(&sup->sw_mu);
	started = sup->sx_started && !sup->sx_go;
	sup->sx_quit = true;
	pthread_cond_broadcast(&sup->sw_cv);
	pthread_mutex_unlock(&sup->sw_mu);
	if (started) {
		sup->sx_started = false;
		pthread_join(sup->sx_thread, NULL);
	}
}
