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

struct gs_supervisor {
	const struct gs_config *cfg;
	struct gs_config logcfg; /* [log] as last (re)loaded */
	struct gs_trace *trace;

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
	atomic_bool sig_started; /* read by sigthread_poke from any thread */
	atomic_bool sig_quit;
	atomic_bool deadline_armed;
	struct timespec total_deadline;
};

bool sup_begin_shutdown(struct gs_supervisor *sup, enum gs_event ev,
			json_t *detail, int exit_code);
int sup_transition_locked(struct gs_supervisor *sup, enum gs_event ev,
			  json_t *detail);
int sup_trace_locked(struct gs_supervisor *sup, const char *event,
		     json_t *detail);
void sup_trace_refused(struct gs_supervisor *sup, enum gs_event ev,
		       json_t *detail);
json_t *sup_summary(struct gs_supervisor *sup, int code);
void sup_final_exit_locked(struct gs_supervisor *sup, int code,
			   json_t *extra)
	__attribute__((noreturn));

int sigthread_start(struct gs_supervisor *sup);
void sigthread_stop(struct gs_supervisor *sup);
void sigthread_poke(struct gs_supervisor *sup);

#endif
