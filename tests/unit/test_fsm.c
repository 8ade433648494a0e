/*
 * test_fsm.c - the transition table, over every state x event pair.
 */
#include <errno.h>

#include "unit.h"

/*
 * The expected table, written from DESIGN independently of fsm.c: -1 means
 * refused.
 */
static int
expected(enum gs_state s, enum gs_event e)
{
	bool request = e == GS_EV_SIGTERM || e == GS_EV_SIGINT ||
		       e == GS_EV_SIGHUP || e == GS_EV_SIGQUIT ||
		       e == GS_EV_FATAL || e == GS_EV_STOP;
	bool outcome = e == GS_EV_PHASE_DONE || e == GS_EV_PHASE_TIMEOUT ||
		       e == GS_EV_PHASE_FAILED;
	bool abort_ = e == GS_EV_FORCE || e == GS_EV_DEADLINE;

	switch (s) {
	case GS_STATE_RUNNING:
		return request ? GS_STATE_CANCELLING : -1;
	case GS_STATE_CANCELLING:
		return outcome ? GS_STATE_CLOSING : abort_ ? GS_STATE_EXIT : -1;
	case GS_STATE_CLOSING:
		return outcome ? GS_STATE_JOINING : abort_ ? GS_STATE_EXIT : -1;
	case GS_STATE_JOINING:
		return outcome || abort_ ? GS_STATE_EXIT : -1;
	default:
		return -1;
	}
}

static void
test_fsm_every_pair(void)
{
	int s, e, checked = 0;

	for (s = 0; s < GS_STATE_COUNT; s++) {
		for (e = 0; e < GS_EV_COUNT; e++) {
			enum gs_state next = GS_STATE_COUNT;
			int rc = gs_fsm_next((enum gs_state)s,
					     (enum gs_event)e, &next);
			int want = expected((enum gs_state)s, (enum gs_event)e);

			if (want < 0) {
				CU_ASSERT_EQUAL(rc, -EINVAL);
				CU_ASSERT_EQUAL(next, GS_STATE_COUNT);
			} else {
				CU_ASSERT_EQUAL(rc, 0);
				CU_ASSERT_EQUAL((int)next, want);
			}
			checked++;
		}
	}
	CU_ASSERT_EQUAL(checked, GS_STATE_COUNT * GS_EV_COUNT);
}

static void
test_fsm_happy_path(void)
{
	enum gs_state s = GS_STATE_RUNNING;

	CU_ASSERT_EQUAL(gs_fsm_next(s, GS_EV_SIGTERM, &s), 0);
	CU_ASSERT_EQUAL(s, GS_STATE_CANCELLING);
	CU_ASSERT_EQUAL(gs_fsm_next(s, GS_EV_PHASE_DONE, &s), 0);
	CU_ASSERT_EQUAL(s, GS_STATE_CLOSING);
	CU_ASSERT_EQUAL(gs_fsm_next(s, GS_EV_PHASE_DONE, &s), 0);
	CU_ASSERT_EQUAL(s, GS_STATE_JOINING);
	CU_ASSERT_EQUAL(gs_fsm_next(s, GS_EV_PHASE_DONE, &s), 0);
	CU_ASSERT_EQUAL(s, GS_STATE_EXIT);
}

static void
test_fsm_only_first_request(void)
{
	enum gs_state s;
	int e;

	for (e = GS_EV_SIGTERM; e <= GS_EV_FATAL; e++) {
		CU_ASSERT_EQUAL(gs_fsm_next(GS_STATE_CANCELLING,
					    (enum gs_event)e, &s),
				-EINVAL);
		CU_ASSERT_EQUAL(gs_fsm_next(GS_STATE_RUNNING,
					    (enum gs_event)e, &s),
				0);
		CU_ASSERT_EQUAL(s, GS_STATE_CANCELLING);
	}
}

static void
test_fsm_degraded_phase_moves_on(void)
{
	enum gs_state s;

	CU_ASSERT_EQUAL(
	    gs_fsm_next(GS_STATE_CANCELLING, GS_EV_PHASE_TIMEOUT, &s), 0);
	CU_ASSERT_EQUAL(s, GS_STATE_CLOSING);
	CU_ASSERT_EQUAL(gs_fsm_next(GS_STATE_CLOSING, GS_EV_PHASE_FAILED, &s),
			0);
	CU_ASSERT_EQUAL(s, GS_STATE_JOINING);
}

static void
test_fsm_force_and_deadline_end(void)
{
	enum gs_state s;
	int st;

	for (st = GS_STATE_CANCELLING; st <= GS_STATE_JOINING; st++) {
		CU_ASSERT_EQUAL(
		    gs_fsm_next((enum gs_state)st, GS_EV_FORCE, &s), 0);
		CU_ASSERT_EQUAL(s, GS_STATE_EXIT);
		CU_ASSERT_EQUAL(
		    gs_fsm_next((enum gs_state)st, GS_EV_DEADLINE, &s), 0);
		CU_ASSERT_EQUAL(s, GS_STATE_EXIT);
	}
	CU_ASSERT_EQUAL(gs_fsm_next(GS_STATE_RUNNING, GS_EV_FORCE, &s),
			-EINVAL);
	CU_ASSERT_EQUAL(gs_fsm_next(GS_STATE_RUNNING, GS_EV_DEADLINE, &s),
			-EINVAL);
}

static void
test_fsm_exit_is_terminal(void)
{
	enum gs_state s;
	int e;

	for (e = 0; e < GS_EV_COUNT; e++)
		CU_ASSERT_EQUAL(
		    gs_fsm_next(GS_STATE_EXIT, (enum gs_event)e, &s), -EINVAL);
}

static void
test_fsm_out_of_range(void)
{
	enum gs_state s;

	CU_ASSERT_EQUAL(gs_fsm_next(GS_STATE_COUNT, GS_EV_SIGTERM, &s),
			-EINVAL);
	CU_ASSERT_EQUAL(gs_fsm_next(GS_STATE_RUNNING, GS_EV_COUNT, &s),
			-EINVAL);
	CU_ASSERT_EQUAL(gs_fsm_next((enum gs_state)-1, GS_EV_SIGTERM, &s),
			-EINVAL);
}

static void
test_fsm_names_roundtrip(void)
{
	int i;

	for (i = 0; i < GS_STATE_COUNT; i++)
		CU_ASSERT_EQUAL(
		    gs_state_from_name(gs_state_name((enum gs_state)i)), i);
	for (i = 0; i < GS_EV_COUNT; i++)
		CU_ASSERT_EQUAL(
		    gs_event_from_name(gs_event_name((enum gs_event)i)), i);
	CU_ASSERT_STRING_EQUAL(gs_state_name(GS_STATE_CANCELLING),
			       "CANCELLING");
	CU_ASSERT_STRING_EQUAL(gs_event_name(GS_EV_PHASE_TIMEOUT),
			       "PHASE_TIMEOUT");
	CU_ASSERT_EQUAL(gs_state_from_name("NOPE"), -1);
	CU_ASSERT_EQUAL(gs_state_from_name(NULL), -1);
}

void
suite_fsm(void)
{
	CU_pSuite s = CU_add_suite("fsm", NULL, NULL);

	UNIT_ADD(s, test_fsm_every_pair);
	UNIT_ADD(s, test_fsm_happy_path);
	UNIT_ADD(s, test_fsm_only_first_request);
	UNIT_ADD(s, test_fsm_degraded_phase_moves_on);
	UNIT_ADD(s, test_fsm_force_and_deadline_end);
	UNIT_ADD(s, test_fsm_exit_is_terminal);
	UNIT_ADD(s, test_fsm_out_of_range);
	UNIT_ADD(s, test_fsm_names_roundtrip);
}
