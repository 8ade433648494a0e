/*
 * tap.c - the request targets exactly as the clients sent them.
 *
 * libwebsockets hands a server the path with "//" collapsed and the query
 * arguments URL-decoded, so "//stream" looks like "/stream" and a query
 * signed as sent cannot be told from one re-encoded.  The exchange sees
 * the bytes; so does this simulator: recv() of the simulator's process is
 * wrapped here, and the head of each HTTP request on a tapped connection
 * is parsed for its request line (up to TAP_QUEUE_MAX heads pipelined
 * ahead of the answers).  The service thread is the only caller
 * of recv() on a tapped socket, so nothing here is locked.
 *
 * A connection that opens with HTTP/2's preface (ALPN "h2") is followed
 * frame by frame: each request's header block (HEADERS, then any
 * CONTINUATION) is decoded with nghttp2's HPACK inflater, which keeps the
 * connection's dynamic table, and its ":path" queued like an HTTP/1
 * request line.  libwebsockets starts a stream's request when its header
 * block ends, in the order the blocks arrive, so the queue's order is the
 * order of the requests handed over.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <nghttp2/nghttp2.h>

#include "gshutdown.h"
#include "sim.h"

#define TAP_FDS 4096
#define TAP_HEAD_MAX 32768
#define TAP_QUEUE_MAX 1024 /* pipelined heads not yet answered */
#define TAP_OPEN_MAX 256 /* HTTP/2 requests still sending, per connection */
#define TAP_VALUE_MAX 160 /* an API key or admin token, as sim_pss holds */
#define TAP_UNIT_MAX 16   /* X-MBX-TIME-UNIT: MICROSECOND and the like */

#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24
#define H2_FRAME_HEAD 9
#define H2_DATA 0x0
#define H2_HEADERS 0x1
#define H2_RST_STREAM 0x3
#define H2_CONTINUATION 0x9
#define H2_END_STREAM 0x1
#define H2_END_HEADERS 0x4
#define H2_PADDED 0x8
#define H2_PRIORITY 0x20

/* One request as its client sent it. */
struct tap_req {
	char method[8];
	char key[TAP_VALUE_MAX];   /* X-MBX-APIKEY; "" when not sent */
	char admin[TAP_VALUE_MAX]; /* X-Admin-Token */
	char unit[TAP_UNIT_MAX];   /* X-MBX-TIME-UNIT */
	bool body;    /* HTTP/2: DATA follows the header block */
	uint32_t sid; /* HTTP/2: its stream */
	uint64_t id;  /* method, target and the headers, hashed */
	int64_t at;   /* ms, when its header block came */
	char target[]; /* path?query */
};

struct tap {
	char head[TAP_HEAD_MAX];
	size_t hlen;
	long long body_left;
	bool off;      /* upgraded, or not HTTP we can follow */
	bool overflow; /* a head did not fit the queue: the rest are lost */
	struct tap_req **targets; /* ring of qcap */
	int qcap, qh, qn;
	long taken;
	struct tap_req *last; /* the one handed over last */
	/* HTTP/2 */
	bool h2;
	size_t preface; /* bytes of the preface still to come */
	unsigned char fhead[H2_FRAME_HEAD];
	size_t fhave;       /* of fhead */
	size_t fleft;       /* of the current frame's payload */
	bool fkeep;         /* the payload is part of a header block */
	unsigned char *fbuf; /* that payload (TAP_HEAD_MAX) */
	size_t flen;
	char *block; /* the header block so far (TAP_HEAD_MAX) */
	size_t blen;
	bool in_block; /* HEADERS without END_HEADERS seen */
	bool block_body; /* that HEADERS frame had no END_STREAM */
	uint32_t block_sid;
	/* Streams whose request has not ended (no END_STREAM seen yet), and
	 * their requests' identities. */
	uint32_t open_sids[TAP_OPEN_MAX];
	uint64_t open_ids[TAP_OPEN_MAX];
	int64_t open_at[TAP_OPEN_MAX]; /* ms: older than SIM_H2_END_WAIT_MS
					* reads as ended */
	int nopen;
	nghttp2_hd_inflater *hpack;
	long streams; /* request header blocks seen */
};

static struct tap *taps[TAP_FDS];

void
tap_close(int fd)
{
	struct tap *t;

	if (fd < 0 || fd >= TAP_FDS || taps[fd] == NULL)
		return;
	t = taps[fd];
	while (t->qn > 0) {
		free(t->targets[t->qh]);
		t->qh = (t->qh + 1) % t->qcap;
		t->qn--;
	}
	free(t->targets);
	free(t->last);
	free(t->fbuf);
	free(t->block);
	if (t->hpack != NULL)
		nghttp2_hd_inflate_del(t->hpack);
	free(t);
	taps[fd] = NULL;
}

void
tap_open(int fd)
{
	if (fd < 0 || fd >= TAP_FDS)
		return;
	tap_close(fd);
	taps[fd] = calloc(1, sizeof(struct tap));
}

void
tap_free_all(void)
{
	int fd;

	for (fd = 0; fd < TAP_FDS; fd++)
		tap_close(fd);
}

/* Room for one more target: the ring doubles, up to TAP_QUEUE_MAX. */
static bool
tap_grow(struct tap *t)
{
	struct tap_req **q;
	int cap, i;

	if (t->qn < t->qcap)
		return true;
	cap = t->qcap == 0 ? 8 : 2 * t->qcap;
	if (cap > TAP_QUEUE_MAX)
		return false;
	q = malloc((size_t)cap * sizeof(*q));
	if (q == NULL)
		return false;
	for (i = 0; i < t->qn; i++)
		q[i] = t->targets[(t->qh + i) % t->qcap];
	free(t->targets);
	t->targets = q;
	t->qcap = cap;
	t->qh = 0;
	return true;
}

/* A request's parts, pointing into what was received. */
struct tap_hdrs {
	const char *method, *key, *admin, *unit;
	size_t method_len, key_len, admin_len, unit_len;
	bool body; /* HTTP/2: DATA follows the header block (no END_STREAM) */
	uint32_t sid; /* HTTP/2: its stream */
};

static uint64_t
tap_hash(uint64_t h, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull; /* a separator */
}

/* Queue one request; false when it could not be followed. */
static struct tap_req *
tap_queue(struct tap *t, const char *target, size_t n,
	  const struct tap_hdrs *h)
{
	struct tap_req *r = calloc(1, sizeof(*r) + n + 1);

	if (r == NULL || !tap_grow(t) || h->method_len >= sizeof(r->method) ||
	    h->key_len >= sizeof(r->key) || h->admin_len >= sizeof(r->admin) ||
	    h->unit_len >= sizeof(r->unit)) {
		/* This request could not be followed: from here on the
		 * connection's targets are unknown; it is closed when the
		 * queue runs dry (tap_take). */
		free(r);
		t->overflow = true;
		t->off = true;
		return NULL;
	}
	memcpy(r->method, h->method, h->method_len);
	memcpy(r->key, h->key, h->key_len);
	memcpy(r->admin, h->admin, h->admin_len);
	memcpy(r->unit, h->unit, h->unit_len);
	memcpy(r->target, target, n);
	r->body = h->body;
	r->sid = h->sid;
	r->id = tap_hash(tap_hash(tap_hash(tap_hash(14695981039346656037ull,
						    r->method, h->method_len),
					   target, n),
				  r->key, h->key_len),
			 r->admin, h->admin_len);
	r->id = tap_hash(r->id, r->unit, h->unit_len);
	t->targets[(t->qh + t->qn) % t->qcap] = r;
	t->qn++;
	return r;
}

/* "PRI * HTTP/2.0" and a blank line: HTTP/2 follows "SM\r\n\r\n". */
static void
tap_h2_start(struct tap *t)
{
	t->h2 = true;
	t->preface = H2_PREFACE_LEN - 18; /* the 18 bytes seen were a head */
	t->fbuf = malloc(TAP_HEAD_MAX);
	t->block = malloc(TAP_HEAD_MAX);
	if (t->fbuf == NULL || t->block == NULL ||
	    nghttp2_hd_inflate_new(&t->hpack) != 0) {
		t->hpack = NULL;
		t->off = true;
	}
}

static int
tap_sid_find(const struct tap *t, uint32_t sid)
{
	int i;

	for (i = 0; i < t->nopen; i++)
		if (t->open_sids[i] == sid)
			return i;
	return -1;
}

/* A request whose body is still to come; beyond the table, it reads as
 * ended (tap_request_open), as without this tracking. */
static void
tap_sid_open(struct tap *t, uint32_t sid, uint64_t id, int64_t at)
{
	if (tap_sid_find(t, sid) < 0 && t->nopen < TAP_OPEN_MAX) {
		t->open_sids[t->nopen] = sid;
		t->open_at[t->nopen] = at;
		t->open_ids[t->nopen++] = id;
	}
}

static int64_t
tap_now_ms(void)
{
	return gs_mono_ns() / 1000000;
}

/* A client reset the stream: a request of it still queued never reaches
 * a callback, and must not be taken for another's. */
static void
tap_drop_sid(struct tap *t, uint32_t sid)
{
	int k, w = 0;

	for (k = 0; k < t->qn; k++) {
		struct tap_req *r = t->targets[(t->qh + k) % t->qcap];

		if (r->sid == sid)
			free(r);
		else
			t->targets[(t->qh + w++) % t->qcap] = r;
	}
	t->qn = w;
}

static void
tap_sid_end(struct tap *t, uint32_t sid)
{
	int i = tap_sid_find(t, sid);

	if (i >= 0) {
		t->nopen--;
		t->open_sids[i] = t->open_sids[t->nopen];
		t->open_ids[i] = t->open_ids[t->nopen];
		t->open_at[i] = t->open_at[t->nopen];
	}
}

/* A complete header block: the request's ":path", decoded. */
static void
tap_h2_block(struct tap *t)
{
	const uint8_t *in = (const uint8_t *)t->block;
	size_t left = t->blen;
	char path[TAP_HEAD_MAX], key[TAP_VALUE_MAX], admin[TAP_VALUE_MAX];
	char method[8], unit[TAP_UNIT_MAX];
	struct tap_hdrs h = {method, key, admin, unit, 0, 0, 0, 0,
			     t->block_body, t->block_sid};
	struct tap_req *r;
	size_t plen = 0;
	bool have = false;

	for (;;) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t used = nghttp2_hd_inflate_hd2(t->hpack, &nv, &flags, in,
						      left, 1);

		if (used < 0) {
			/* The table is lost: nothing after this is known. */
			t->off = true;
			t->overflow = true;
			return;
		}
		in += used;
		left -= (size_t)used;
		if (!(flags & NGHTTP2_HD_INFLATE_EMIT))
			;
		else if (nv.namelen == 5 && memcmp(nv.name, ":path", 5) == 0 &&
			 nv.valuelen < sizeof(path) && !have) {
			memcpy(path, nv.value, nv.valuelen);
			plen = nv.valuelen;
			have = true;
		} else if (nv.namelen == 7 &&
			   memcmp(nv.name, ":method", 7) == 0 &&
			   nv.valuelen < sizeof(method) && h.method_len == 0) {
			memcpy(method, nv.value, nv.valuelen);
			h.method_len = nv.valuelen;
		} else if (nv.namelen == 12 &&
			   memcmp(nv.name, "x-mbx-apikey", 12) == 0 &&
			   nv.valuelen < sizeof(key) && h.key_len == 0) {
			memcpy(key, nv.value, nv.valuelen);
			h.key_len = nv.valuelen;
		} else if (nv.namelen == 13 &&
			   memcmp(nv.name, "x-admin-token", 13) == 0 &&
			   nv.valuelen < sizeof(admin) && h.admin_len == 0) {
			memcpy(admin, nv.value, nv.valuelen);
			h.admin_len = nv.valuelen;
		} else if (nv.namelen == 15 &&
			   memcmp(nv.name, "x-mbx-time-unit", 15) == 0 &&
			   nv.valuelen < sizeof(unit) && h.unit_len == 0) {
			memcpy(unit, nv.value, nv.valuelen);
			h.unit_len = nv.valuelen;
		}
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(t->hpack);
			break;
		}
		if (!(flags & NGHTTP2_HD_INFLATE_EMIT) &&
		    (left == 0 || used == 0))
			break;
	}
	t->streams++;
	/* Trailers carry no ":path"; a request without one is refused by
	 * libwebsockets before any callback, so it queues nothing. */
	if (have && (r = tap_queue(t, path, plen, &h)) != NULL) {
		r->at = tap_now_ms();
		if (r->body)
			tap_sid_open(t, r->sid, r->id, r->at);
	}
}

static uint32_t
tap_frame_sid(const struct tap *t)
{
	return ((uint32_t)t->fhead[5] << 24 | (uint32_t)t->fhead[6] << 16 |
		(uint32_t)t->fhead[7] << 8 | t->fhead[8]) &
	       0x7fffffffu;
}

/* One frame's payload complete: keep the header block's fragment. */
static void
tap_h2_frame(struct tap *t)
{
	unsigned type = t->fhead[3], flags = t->fhead[4];
	const unsigned char *p = t->fbuf;
	size_t n = t->flen, pad = 0;

	if (type == H2_HEADERS) {
		if (flags & H2_PADDED) {
			if (n < 1) {
				t->off = true;
				return;
			}
			pad = p[0];
			p++;
			n--;
		}
		if (flags & H2_PRIORITY) {
			if (n < 5) {
				t->off = true;
				return;
			}
			p += 5;
			n -= 5;
		}
		if (pad > n) {
			t->off = true;
			return;
		}
		n -= pad;
		t->blen = 0;
		t->block_body = !(flags & H2_END_STREAM);
		t->block_sid = tap_frame_sid(t);
		if (t->block_sid == 0) {
			t->off = true; /* a connection error */
			return;
		}
		if (!t->block_body)
			tap_sid_end(t, t->block_sid); /* trailers */
	} else if (!t->in_block || tap_frame_sid(t) != t->block_sid) {
		t->off = true; /* CONTINUATION out of its block */
		return;
	}
	if (t->blen + n > TAP_HEAD_MAX) {
		t->off = true; /* beyond any header list we accept */
		return;
	}
	memcpy(t->block + t->blen, p, n);
	t->blen += n;
	t->in_block = !(flags & H2_END_HEADERS);
	if (!t->in_block)
		tap_h2_block(t);
}

/* HTTP/2 frames: follow the header blocks, skip everything else. */
static void
tap_h2_feed(struct tap *t, const char *buf, size_t len)
{
	while (len > 0 && !t->off) {
		size_t take;

		if (t->preface > 0) {
			take = t->preface < len ? t->preface : len;
			if (memcmp(buf, H2_PREFACE + H2_PREFACE_LEN - t->preface,
				   take) != 0) {
				t->off = true;
				return;
			}
			t->preface -= take;
		} else if (t->fhave < H2_FRAME_HEAD) {
			take = H2_FRAME_HEAD - t->fhave < len
				   ? H2_FRAME_HEAD - t->fhave
				   : len;
			memcpy(t->fhead + t->fhave, buf, take);
			t->fhave += take;
			if (t->fhave == H2_FRAME_HEAD) {
				unsigned type = t->fhead[3];

				t->fleft = (size_t)t->fhead[0] << 16 |
					   (size_t)t->fhead[1] << 8 |
					   t->fhead[2];
				/* A block's fragments come back to back. */
				if (t->in_block && type != H2_CONTINUATION) {
					t->off = true;
					return;
				}
				t->fkeep = type == H2_HEADERS ||
					   type == H2_CONTINUATION;
				if (t->fkeep && t->fleft > TAP_HEAD_MAX) {
					t->off = true;
					return;
				}
				t->flen = 0;
			}
		} else {
			take = t->fleft < len ? t->fleft : len;
			if (t->fkeep)
				memcpy(t->fbuf + t->flen, buf, take);
			t->flen += take;
			t->fleft -= take;
		}
		buf += take;
		len -= take;
		if (t->preface == 0 && t->fhave == H2_FRAME_HEAD &&
		    t->fleft == 0) {
			if (t->fkeep)
				tap_h2_frame(t);
			else if (t->fhead[3] == H2_DATA &&
				 (t->fhead[4] & H2_END_STREAM))
				tap_sid_end(t, tap_frame_sid(t));
			else if (t->fhead[3] == H2_RST_STREAM) {
				tap_sid_end(t, tap_frame_sid(t));
				tap_drop_sid(t, tap_frame_sid(t));
			}
			t->fhave = 0;
		}
	}
}

/* A header's value from v to the end of its line, blanks trimmed; too
 * long to be an API key or a token, it reads as empty. */
static const char *
tap_value(const char *v, const char *end, size_t *len)
{
	const char *e;

	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	for (e = v; e < end && *e != '\r' && *e != '\n'; e++)
		;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*len = (size_t)(e - v) < TAP_VALUE_MAX ? (size_t)(e - v) : 0;
	return v;
}

/* One complete request head: queue its target, note its body. */
static void
tap_head(struct tap *t, const char *h, size_t len)
{
	const char *sp1, *sp2, *eol, *p;
	struct tap_hdrs hd = {"", "", "", "", 0, 0, 0, 0, false, 0};
	bool off = false;
	size_t n;

	while (len > 0 && (*h == '\r' || *h == '\n')) {
		h++;
		len--;
	}
	eol = memchr(h, '\r', len);
	if (eol == NULL)
		eol = h + len;
	sp1 = memchr(h, ' ', (size_t)(eol - h));
	sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
	if (sp2 == NULL) {
		t->off = true;
		return;
	}
	n = (size_t)(sp2 - sp1 - 1);
	hd.method = h;
	hd.method_len = (size_t)(sp1 - h);
	if (n == 1 && sp1[1] == '*' && (size_t)(eol - h) >= 14 &&
	    memcmp(h, "PRI * HTTP/2.0", 14) == 0) {
		tap_h2_start(t);
		return;
	}
	/* Headers: the two read as sent, Content-Length, and the end of
	 * HTTP on this socket. */
	for (p = h; (p = memchr(p, '\n', (size_t)(h + len - p))) != NULL;) {
		size_t left = (size_t)(h + len - ++p);

		if (left > 13 && strncasecmp(p, "x-mbx-apikey:", 13) == 0 &&
		    hd.key_len == 0)
			hd.key = tap_value(p + 13, h + len, &hd.key_len);
		else if (left > 14 &&
			 strncasecmp(p, "x-admin-token:", 14) == 0 &&
			 hd.admin_len == 0)
			hd.admin = tap_value(p + 14, h + len, &hd.admin_len);
		else if (left > 16 &&
			 strncasecmp(p, "x-mbx-time-unit:", 16) == 0 &&
			 hd.unit_len == 0)
			hd.unit = tap_value(p + 16, h + len, &hd.unit_len);
		else if (left > 15 &&
			 strncasecmp(p, "content-length:", 15) == 0)
			t->body_left = atoll(p + 15);
		else if (left > 18 &&
			 strncasecmp(p, "transfer-encoding:", 18) == 0)
			off = true; /* chunked: not followed */
		else if (left > 8 && strncasecmp(p, "upgrade:", 8) == 0)
			off = true;
	}
	if (tap_queue(t, sp1 + 1, n, &hd) != NULL && off)
		t->off = true;
}

void
tap_feed(int fd, const char *buf, size_t len)
{
	struct tap *t;

	if (fd < 0 || fd >= TAP_FDS || (t = taps[fd]) == NULL)
		return;
	while (len > 0 && !t->off) {
		size_t take, scan_from;

		if (t->h2) {
			tap_h2_feed(t, buf, len);
			return;
		}
		char *end;

		if (t->body_left > 0) {
			take = (size_t)t->body_left < len ? (size_t)t->body_left
							  : len;
			t->body_left -= (long long)take;
			buf += take;
			len -= take;
			continue;
		}
		take = TAP_HEAD_MAX - 1 - t->hlen < len
			   ? TAP_HEAD_MAX - 1 - t->hlen
			   : len;
		if (take == 0) {
			t->off = true; /* a head beyond any server's limit */
			return;
		}
		scan_from = t->hlen > 3 ? t->hlen - 3 : 0;
		memcpy(t->head + t->hlen, buf, take);
		t->hlen += take;
		t->head[t->hlen] = '\0';
		end = strstr(t->head + scan_from, "\r\n\r\n");
		if (end == NULL) {
			buf += take;
			len -= take;
			continue;
		}
		{
			size_t used = (size_t)(end + 4 - t->head);
			size_t rest = t->hlen - used; /* of this chunk */

			tap_head(t, t->head, used - 2);
			buf += take - rest;
			len -= take - rest;
			t->hlen = 0;
		}
	}
}

bool
tap_taken_headers(int fd, char *key, size_t key_size, char *admin,
		  size_t admin_size, uint64_t *id)
{
	const struct tap_req *r = NULL;

	if (fd >= 0 && fd < TAP_FDS && taps[fd] != NULL)
		r = taps[fd]->last;
	snprintf(key, key_size, "%s", r != NULL ? r->key : "");
	snprintf(admin, admin_size, "%s", r != NULL ? r->admin : "");
	*id = r != NULL && taps[fd]->h2 ? r->id : 0;
	return r != NULL && r->body;
}

void
tap_taken_time_unit(int fd, char *unit, size_t size)
{
	const struct tap_req *r = NULL;

	if (fd >= 0 && fd < TAP_FDS && taps[fd] != NULL)
		r = taps[fd]->last;
	snprintf(unit, size, "%s", r != NULL ? r->unit : "");
}

bool
tap_request_open(int fd, uint64_t id)
{
	const struct tap *t;
	int i;

	if (fd < 0 || fd >= TAP_FDS || (t = taps[fd]) == NULL || id == 0)
		return false;
	for (i = 0; i < t->nopen; i++)
		if (t->open_ids[i] == id &&
		    tap_now_ms() - t->open_at[i] < SIM_H2_END_WAIT_MS)
			return true;
	return false;
}

bool
tap_is_h2(int fd)
{
	return fd >= 0 && fd < TAP_FDS && taps[fd] != NULL && taps[fd]->h2;
}

/* Hand over the k-th queued request and drop it from the ring. */
static int
tap_hand_over(struct tap *t, int k, char *buf, size_t size)
{
	int i;

	free(t->last);
	t->last = t->targets[(t->qh + k) % t->qcap];
	snprintf(buf, size, "%s", t->last->target);
	for (i = k; i > 0; i--)
		t->targets[(t->qh + i) % t->qcap] =
		    t->targets[(t->qh + i - 1) % t->qcap];
	t->qh = (t->qh + 1) % t->qcap;
	t->qn--;
	return ++t->taken > 1000000 ? 2 : (int)t->taken;
}

int
tap_take(int fd, char *buf, size_t size)
{
	struct tap *t;

	if (fd < 0 || fd >= TAP_FDS || (t = taps[fd]) == NULL)
		return -1;
	if (t->qn == 0)
		return t->overflow ? -2 : -1;
	return tap_hand_over(t, 0, buf, size);
}

int
tap_take_match(int fd, char *buf, size_t size,
	       bool (*mine)(const char *method, const char *target, void *arg),
	       void *arg)
{
	struct tap *t;
	int k, first = -1, w = 0;
	int64_t now = tap_now_ms();

	if (fd < 0 || fd >= TAP_FDS || (t = taps[fd]) == NULL)
		return -1;
	/* A request libwebsockets refused before any callback (it answers
	 * some itself) is never taken: forgotten after a while. */
	for (k = 0; k < t->qn; k++) {
		struct tap_req *r = t->targets[(t->qh + k) % t->qcap];

		if (now - r->at > SIM_H2_END_WAIT_MS)
			free(r);
		else
			t->targets[(t->qh + w++) % t->qcap] = r;
	}
	t->qn = w;
	for (k = 0; k < t->qn; k++) {
		const struct tap_req *r = t->targets[(t->qh + k) % t->qcap];
		const struct tap_req *f;

		if (!mine(r->method, r->target, arg))
			continue;
		if (first < 0) {
			first = k;
			continue;
		}
		/* Two requests libwebsockets cannot tell apart: the same
		 * bytes, they are the same request; otherwise which is this
		 * stream's is unknown. */
		f = t->targets[(t->qh + first) % t->qcap];
		if (strcmp(r->method, f->method) != 0 ||
		    strcmp(r->target, f->target) != 0 ||
		    strcmp(r->key, f->key) != 0 ||
		    strcmp(r->admin, f->admin) != 0)
			return -4;
	}
	if (first >= 0)
		return tap_hand_over(t, first, buf, size);
	return t->overflow ? -2 : -3;
}

/*
 * Whether uri is the path of target as libwebsockets reads it: the part
 * before '?' or ';', "%XX" decoded, then "//" and "." collapsed and ".."
 * resolved.  A tapped target that does not match belongs to another
 * request, and must not be answered (nor its signature checked) as this
 * one.
 */
bool
tap_target_matches(const char *target, const char *uri)
{
	char dec[SIM_ARGS_MAX], out[SIM_ARGS_MAX];
	size_t d = 0, o = 0;
	const char *p, *seg;
	bool trailing = false;

	for (p = target; *p && *p != '?' && *p != ';'; p++) {
		int c = (unsigned char)*p, hi, lo;

		if (c == '%') {
			hi = sim_hexval((unsigned char)p[1]);
			lo = hi < 0 ? -1 : sim_hexval((unsigned char)p[2]);
			if (lo < 0 || hi * 16 + lo == 0)
				return false;
			c = hi * 16 + lo;
			p += 2;
		}
		if (d + 1 >= sizeof(dec))
			return false;
		dec[d++] = (char)c;
	}
	dec[d] = '\0';
	if (dec[0] != '/')
		return false;
	for (seg = dec + 1;; seg = p + 1) {
		size_t n;

		p = strchr(seg, '/');
		if (p == NULL)
			p = seg + strlen(seg);
		n = (size_t)(p - seg);
		trailing = false;
		if (n == 0 || (n == 1 && seg[0] == '.')) {
			trailing = true;
		} else if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (o > 0 && out[--o] != '/')
				;
		} else {
			if (o + 1 + n >= sizeof(out))
				return false;
			out[o++] = '/';
			memcpy(out + o, seg, n);
			o += n;
		}
		if (*p == '\0')
			break;
	}
	if (o == 0 || trailing)
		out[o++] = '/';
	out[o] = '\0';
	return strcmp(out, uri) == 0;
}

ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t n = recvfrom(fd, buf, len, flags, NULL, NULL);

	if (n > 0 && !(flags & MSG_PEEK))
		tap_feed(fd, buf, (size_t)n);
	return n;
}
