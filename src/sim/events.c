/*
 * events.c - the account's events (executionReport,
 * outboundAccountPosition, balanceUpdate), published by the order
 * operations at every change of an order or a balance, in the order they
 * happen: a placement's executionReport before its reply is written.
 * Each goes to the user data streams (userstream.c, which applies the
 * user-stream faults), and the last SIM_EVENTS_KEPT are kept for GET
 * /admin/events.
 */
#include "sim.h"

void
events_publish(struct sim *sim, const char *api_key, json_t *event)
{
	(void)api_key;
	if (event == NULL)
		return;
	if (sim->events_kept == NULL)
		sim->events_kept = json_array();
	if (sim->events_kept == NULL) {
		userstream_publish(sim, event);
		return;
	}
	if (json_array_size(sim->events_kept) >= SIM_EVENTS_KEPT)
		json_array_remove(sim->events_kept, 0);
	json_array_append(sim->events_kept, event);
	userstream_publish(sim, event);
}

json_t *
events_recent(struct sim *sim)
{
	return sim->events_kept != NULL ? json_incref(sim->events_kept)
					: json_array();
}

void
events_free(struct sim *sim)
{
	json_decref(sim->events_kept);
	sim->events_kept = NULL;
}
