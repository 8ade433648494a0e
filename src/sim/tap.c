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
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "sim.h"

#define TAP_FDS 4096
#define TAP_HEAD_MAX 32768
#define TAP_QUEUE_MAX 256 /* pipelined heads not yet answered */

struct tap {
	char head[TAP_HEAD_MAX];
	size_t hlen;
	long long body_left;
	bool off;      /* upgraded, or not HTTP we can follow */
	bool overflow; /* a head did not fit the queue: the rest are lost */
	char **targets; /* ring of qcap */
	int qcap, qh, qn;
	long taken;
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
	char **q;
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

/* One complete request head: queue its target, note its body. */
static void
tap_head(struct tap *t, const char *h, size_t len)
{
	const char *sp1, *sp2, *eol, *p;
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
	{
		char *target = malloc(n + 1);

		if (target == NULL || !tap_grow(t)) {
			/* This request could not be followed: from here on the
			 * connection's targets are unknown; it is closed when
			 * the queue runs dry (tap_take). */
			free(target);
			t->overflow = true;
			t->off = true;
			return;
		}
		memcpy(target, sp1 + 1, n);
		target[n] = '\0';
		t->targets[(t->qh + t->qn) % t->qcap] = target;
		t->qn++;
	}
	/* Headers: Content-Length, and the end of HTTP on this socket. */
	for (p = h; (p = memchr(p, '\n', (size_t)(h + len - p))) != NULL;) {
		size_t left = (size_t)(h + len - ++p);

		if (left > 15 && strncasecmp(p, "content-length:", 15) == 0)
			t->body_left = atoll(p + 15);
		else if (left > 18 &&
			 strncasecmp(p, "transfer-encoding:", 18) == 0)
			t->off = true; /* chunked: not followed */
		else if (left > 8 && strncasecmp(p, "upgrade:", 8) == 0)
			t->off = true;
	}
}

void
tap_feed(int fd, const char *buf, size_t len)
{
	struct tap *t;

	if (fd < 0 || fd >= TAP_FDS || (t = taps[fd]) == NULL)
		return;
	while (len > 0 && !t->off) {
		size_t take, scan_from;
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

int
tap_take(int fd, char *buf, size_t size)
{
	struct tap *t;

	if (fd < 0 || fd >= TAP_FDS || (t = taps[fd]) == NULL)
		return -1;
	if (t->qn == 0)
		return t->overflow ? -2 : -1;
	snprintf(buf, size, "%s", t->targets[t->qh]);
	free(t->targets[t->qh]);
	t->qh = (t->qh + 1) % t->qcap;
	t->qn--;
	return ++t->taken > 1000000 ? 2 : (int)t->taken;
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
