/*
 * fsm.c - the shutdown state machine as one table.
 *
 * The transition function is pure: it looks the pair up and nothing else.
 * The supervisor and the signal thread act on what it answers; an event that
 * is not legal in a state is refused (and traced by the caller).
 */
#include <errno.h>
#include <string.h>

#include "gshutdown.h"

#define R GS_STATE_RUNNING
#define C GS_STATE_CANCELLING
#define L GS_STATE_CLOSING
#define J GS_STATE_JOINING
#define X GS_STATE_EXIT
#define NO -1

/*
 * Rows are states, columns events in enum order: SIGTERM SIGINT SIGHUP
 * SIGQUIT FATAL PHASE_DONE PHASE_TIMEOUT PHASE_FAILED FORCE DEADLINE STOP.
 * STOP is a normal stop asked for by the application's code.
 * A shutdown request is legal only in RUNNING: only the first one starts a
 * shutdown, later ones become FORCE (or are refused).  A phase ends with
 * DONE, TIMEOUT or FAILED and the machine moves on either way: a degraded
 * phase changes the exit code, never the order of the phases.
 */
static const signed char fsm_table[GS_STATE_COUNT][GS_EV_COUNT] = {
	/* RUNNING */ {C, C, C, C, C, NO, NO, NO, NO, NO, C},
	/* CANCELLING */ {NO, NO, NO, NO, NO, L, L, L, X, X, NO},
	/* CLOSING */ {NO, NO, NO, NO, NO, J, J, J, X, X, NO},
	/* JOINING */ {NO, NO, NO, NO, NO, X, X, X, X, X, NO},
	/* EXIT */ {NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO},
};

static const char *const state_names[GS_STATE_COUNT] = {
	"RUNNING", "CANCELLING", "CLOSING", "JOINING", "EXIT",
};

static const char *const event_names[GS_EV_COUNT] = {
	"SIGTERM",	"SIGINT",	 "SIGHUP",	 "SIGQUIT", "FATAL",
	"PHASE_DONE", "PHASE_TIMEOUT", "PHASE_FAILED", "FORCE",	 "DEADLINE",
	"STOP",
};

const char *
gs_state_name(enum gs_state state)
{
	if ((unsigned)state >= GS_STATE_COUNT)
		return "?";
	return state_names[state];
}

const char *
gs_event_name(enum gs_event event)
{
	if ((unsigned)event >= GS_EV_COUNT)
		return "?";
	return event_names[event];
}

static int
fsm_lookup(const char *const *names, int n, const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

int
gs_state_from_name(const char *name)
{
	return fsm_lookup(state_names, GS_STATE_COUNT, name);
}

int
gs_event_from_name(const char *name)
{
	return fsm_lookup(event_names, GS_EV_COUNT, name);
}

int
gs_fsm_next(enum gs_state state, enum gs_event event, enum gs_state *next)
{
	int to;

	if ((unsigned)state >= GS_STATE_COUNT ||
	    (unsigned)event >= GS_EV_COUNT)
		return -EINVAL;
	to = fsm_table[state][event];
	if (to == NO)
		return -EINVAL;
	*next = (enum gs_state)to;
	return 0;
}
