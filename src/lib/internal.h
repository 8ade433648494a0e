/*
 * internal.h - what the library's files share and nobody else sees.
 */
#ifndef GS_INTERNAL_H
#define GS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <jansson.h>

#include "gshutdown.h"
#include "log-macros.h"

enum gs_on_sighup {
	GS_SIGHUP_SHUTDOWN,
	GS_SIGHUP_RELOAD,
};

enum gs_on_second_signal {
	GS_SECOND_FORCE,
	GS_SECOND_IGNORE,
};

struct cfg_key;
struct cfg_section;
struct cfg_check;

/* What gshutdown.h keeps opaque: the library's keys, and the registry. */
struct gs_config {
	char path[GS_PATH_MAX];
	struct {
		int cancel_timeout_ms;
		int close_timeout_ms;
		int join_timeout_ms;
		int total_timeout_ms;
		int on_sighup;	      /* enum gs_on_sighup */
		int on_second_signal; /* enum gs_on_second_signal */
		/* a repeat within this of the first signal is the same request */
		int duplicate_signal_ms;
	} shutdown;
	struct {
		char path[GS_PATH_MAX];
		bool fsync;
		char seal_key_file[GS_PATH_MAX]; /* empty: not sealed */
	} trace;
	struct {
		int level; /* enum gs_log_level */
		char file[GS_PATH_MAX];
		bool syslog;
		char syslog_facility[16];
	} log;
	/*
	 * The registry: every key, the library's and the application's, in
	 * the order registered.  A copy of the struct (the supervisor's
	 * [log] as last reloaded) shares it and only reads it.
	 */
	struct cfg_key *keys;
	size_t nkeys, keys_cap;
	struct cfg_section *sections;
	size_t nsections, sections_cap;
	struct cfg_check *checks;
	size_t nchecks, checks_cap;
	json_t *start; /* the application's START fields */
};

/* Re-read only the [log] section of path into cfg (SIGHUP reload). */
int gs_config_reload_log(struct gs_config *cfg, const char *path,
			 char *cause);

#define SUP_MAX_WORKERS 64

struct sup_worker {
	char name[16];
	pthread_t thread;
	gs_worker_fn fn;
	void *arg;
	gs_hook_fn wake;
	void *wake_arg;
	bool joined;
};

/* The deadline timer's state: armed at shutdown, then fired or disarmed. */
/*
 * The deadline timer's state: ARMED when shutdown begins (fires with 70),
 * DECIDED once the exit code is known (fires with that code: the last
 * records may still be on their way to a slow disk), DISARMED at the end.
 */
enum { DL_IDLE, DL_ARMED, DL_DECIDED, DL_FIRED, DL_DISARMED };

/* A record decided under sup->mu and written after it is released. */
struct sup_rec {
	unsigned long ticket;
	const char *event;
	enum gs_state from, to;
	bool transition;
	json_t *detail; /* a reference, or NULL */
	gs_state_hook_fn state_fn;
	void *state_arg;
};

struct sig_job;
struct reload_ctl;

struct gs_supervisor {
	const struct gs_config *cfg;
	struct gs_config logcfg; /* [log] as last (re)loaded */
	struct gs_trace *trace;

	/*
	 * mu guards the decisions (state, pending, figures); no trace or log
	 * write, no hook that does I/O, ever runs under it.  Each decision
	 * takes a ticket under mu, and records are written after mu is
	 * released in ticket order (rec_mu, rec_cv), so the trace shows the
	 * transitions in the order they were made.
	 */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_int state;
	bool pending;
	bool begun; /* the request's first log line is out: phases may run */
	bool start_failed; /* a worker did not start: no READY */
	atomic_bool stop; /* this supervisor's stop flag */
	int exit_hint;
	bool degraded;
	json_t *degraded_why;
	long long phase_ms[GS_STATE_COUNT]; /* set when a phase is left */
	struct timespec entered[GS_STATE_COUNT];
	struct timespec started;
	struct timespec shutdown_start;
	bool signalled;		     /* a shutdown signal was received */
	struct timespec first_signal; /* when (duplicate_signal_ms) */

	pthread_mutex_t rec_mu;
	pthread_cond_t rec_cv;
	unsigned long rec_next; /* under mu */
	unsigned long rec_turn; /* under rec_mu */

	struct sup_worker workers[SUP_MAX_WORKERS];
	int nworkers;

	gs_phase_fn phase_fn[GS_STATE_COUNT];
	void *phase_arg[GS_STATE_COUNT];
	gs_hook_fn force_fn, reload_fn;
	void *force_arg, *reload_arg;
	gs_status_fn status_fn;
	void *status_arg;
	gs_state_hook_fn state_fn;
	void *state_arg;

	pthread_t sigthread;
	pthread_mutex_t sig_mu; /* sig_started vs pthread_kill and join */
	bool sig_started;
	atomic_bool sig_quit;
	atomic_bool deadline_armed;
	struct timespec total_deadline; /* set once, before deadline_armed */

	/* signal-work writes the records the signal thread decides;
	 * signal-exit carries out a forced or deadline exit (sigthread.c). */
	pthread_mutex_t sw_mu;
	pthread_cond_t sw_cv;
	pthread_t sw_thread, sx_thread;
	bool sw_started, sx_started, sw_quit, sx_quit, sx_go; /* sw_mu */
	struct sig_job *sw_head, **sw_tail;		     /* sw_mu */
	int sx_code;
	struct sup_rec sx_rec;
	json_t *sx_extra;
	char sx_msg[128];
	atomic_bool sx_posted;
	struct reload_ctl *reload;

	/* The deadline timer: a thread polling a timerfd and an eventfd. */
	pthread_t dl_thread;
	bool dl_started;
	int dl_tfd, dl_efd;
	bool dl_note_thread; /* stderr is a file: write the note off-thread */
	atomic_int dl_state;
	atomic_int dl_code;
	char dl_msg[2][200];
};

/*
 * Begin the shutdown if none is pending: msg is logged first (before
 * anything the request causes), then the transition is made.  post: the
 * caller may not block (the signal thread), signal-work writes the record.
 */
bool sup_begin_shutdown(struct gs_supervisor *sup, enum gs_event ev,
			json_t *detail, int exit_code, const char *msg,
			bool post);
int sup_transition_locked(struct gs_supervisor *sup, enum gs_event ev,
			  json_t *detail, struct sup_rec *rec);
void sup_record_locked(struct gs_supervisor *sup, const char *event,
		       json_t *detail, struct sup_rec *rec);
void sup_refused_locked(struct gs_supervisor *sup, enum gs_event ev,
			json_t *detail, struct sup_rec *rec);
int sup_write(struct gs_supervisor *sup, struct sup_rec *rec);
json_t *sup_summary(struct gs_supervisor *sup, int code);
void sup_final_exit(struct gs_supervisor *sup, int code, json_t *extra)
	__attribute__((noreturn));
bool sup_deadline_decide(struct gs_supervisor *sup, int code);

int sigthread_start(struct gs_supervisor *sup);
int sigthread_check_blocked(char *cause);
long long sigthread_deadline_margin(const struct gs_supervisor *sup);
void sigwork_post(struct gs_supervisor *sup, struct sup_rec *rec);
/* pthread_create with the stack the library's own threads need. */
int sup_thread_create(pthread_t *t, void *(*fn)(void *), void *arg);
void sigthread_stop(struct gs_supervisor *sup);
void sigthread_poke(struct gs_supervisor *sup);

/* log.c: whether the application opened the log (gs_log_open). */
bool log_is_open(void);
/* log.c: the fixed message of the deadline timer; no lock, never blocks. */
void log_emergency(const char *msg, size_t len);
/* Before an _exit(): let the log's writer thread write what it holds, as
 * long as its writes complete (100 ms for one at most, 500 ms in all),
 * never past deadline (NULL: none). */
void log_flush(const struct timespec *deadline);
/* At the end of a shutdown, while the deadline timer still bounds it: the
 * writer drains and ends (a stuck one is left behind), by deadline. */
void log_finish_by(const struct timespec *deadline);

#endif
