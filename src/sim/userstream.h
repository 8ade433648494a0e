/*
 * userstream.h - what userstream.c (the user-stream connections and the
 * delivery of the account's events) and wsapi.c (the WebSocket API's
 * requests) share.  Nothing else in the simulator looks inside.
 */
#ifndef SIM_USERSTREAM_H
#define SIM_USERSTREAM_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <libwebsockets.h>

#define US_KEY_LEN 60	  /* a listenKey: as long as the exchange's */
#define US_RX_MAX 65536	  /* one request frame, at most */
#define US_SUB_IDS 65535  /* subscriptions a session may ever open */

/* One frame waiting to be written; seq > 0 for an event (its number). */
struct us_msg {
	struct us_msg *next;
	uint64_t seq;
	size_t len;
	unsigned char buf[]; /* LWS_PRE bytes, then len bytes of text */
};

/* A connection of the user-stream protocol. */
struct us_conn {
	struct us_conn *next;
	struct lws *wsi;
	bool is_api; /* /ws-api/v3; otherwise /ws/<listenKey> */
	char listen_key[US_KEY_LEN + 1];

	/* The WebSocket API session. */
	int64_t connected_ms;
	int64_t authorized_ms; /* session.logon; 0: not logged on */
	bool return_rate_limits; /* the connection's default */
	int sub_id;		 /* the active subscription, -1 none */
	bool sub_by_logon;	 /* ...made by userDataStream.subscribe */
	int next_sub_id;

	struct us_msg *head, *tail;
	int queued;
	bool ping_due;
	int64_t ping_unanswered_ms; /* when the oldest unanswered ping left */
	bool gone;		    /* being dropped: write nothing more */
	bool drop_when_written;	    /* the drop fault, once the queue is out */
	char *rx;
	size_t rx_len;
};

/* ---- userstream.c, for wsapi.c ---- */
/* Queue text (a reply, or an event when seq > 0) on the connection. */
void userstream_send(struct us_conn *c, const char *text, size_t len,
		     uint64_t seq);
/* Subscribe the connection; its id, or -2035 / -2042. */
int userstream_subscribe(struct us_conn *c, bool by_logon);
/* End the subscription (id, or -1 for any): eventStreamTerminated is
 * sent; 0, or -2036 when there was none such. */
int userstream_unsubscribe(struct us_conn *c, int id);

/* ---- wsapi.c ---- */
/* One request frame of the WebSocket API: the reply is queued. */
void wsapi_request(struct sim *sim, struct us_conn *c, const char *text,
		   size_t len);

#endif
