/*
 * internal.h - what the library's files share and nobody else sees.
 */
#ifndef GS_INTERNAL_H
#define GS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "gshutdown.h"

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
	int exit_hint;
	bool degraded;
	json_t *degraded_why;
	long long phase_ms[GS_STATE_COUNT];
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

	/* The deadline timer: a thread polling a timerfd and an eventfd. */
	pthread_t dl_thread;
	bool dl_started;
	int dl_tfd, dl_efd;
	atomic_int dl_state;
	atomic_int dl_code;
	char dl_msg[2][200];
};

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

bool sup_begin_shutdown(struct gs_supervisor *sup, enum gs_event ev,
			json_t *detail, int exit_code);
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
void sigthread_stop(struct gs_supervisor *sup);
void sigthread_poke(struct gs_supervisor *sup);

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
