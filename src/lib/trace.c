/*
 * trace.c - the audit trace: an append-only, hash-chained JSON Lines file.
 *
 * Each record is one compact JSON object on its own line with its members in
 * a fixed order and "hash" last, where
 *
 *	hash = SHA-256_hex(prev || body)
 *
 * and body is the line without its ,"hash":"..." member.  prev is the hash
 * of the file's previous complete record (64 zeros for the first), so runs
 * chain onto each other.  A record is written with one write() on an
 * O_APPEND descriptor and made durable with fdatasync() before the call
 * returns.  A line torn by a crash is kept; the next run starts a new line
 * and chains from the last complete record.  The file is locked (flock) so
 * two processes never interleave their chains.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "gshutdown.h"

#define HASH_HEX 64
/* ,"hash":" + 64 hex + "} */
#define HASH_SUFFIX_LEN (9 + HASH_HEX + 2)
#define TAIL_MAX (1024 * 1024)

struct gs_trace {
	pthread_mutex_t mutex;
	int fd;
	bool fsync;
	bool sealed;
	bool need_newline;
	long seq;
	char run[33];
	char prev[HASH_HEX + 1];
};

void
gs_sha256_hex(const void *a, size_t alen, const void *b, size_t blen,
	      char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, alen) != 1 ||
	    EVP_DigestUpdate(ctx, b, blen) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		mdlen = 0;
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < mdlen && i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * i] = '\0';
}

static bool
is_hex64(const char *s)
{
	int i;

	for (i = 0; i < HASH_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * If line[0..len) ends with a well-formed hash member, copy the hash to
 * hash (if not NULL) and return the length of the body without it.
 * Returns 0 otherwise.
 */
static size_t
trace_split(const char *line, size_t len, char *hash)
{
	const char *sfx;

	if (len < HASH_SUFFIX_LEN + 2 || line[0] != '{')
		return 0;
	sfx = line + len - HASH_SUFFIX_LEN;
	if (memcmp(sfx, ",\"hash\":\"", 9) != 0 || !is_hex64(sfx + 9) ||
	    memcmp(sfx + 9 + HASH_HEX, "\"}", 2) != 0)
		return 0;
	if (hash != NULL) {
		memcpy(hash, sfx + 9, HASH_HEX);
		hash[HASH_HEX] = '\0';
	}
	return len - HASH_SUFFIX_LEN;
}

/* Find the chain's tip: the hash of the last complete record. */
static int
trace_find_tip(struct gs_trace *tr)
{
	struct stat st;
	off_t start;
	size_t len, end;
	char *buf;
	ssize_t n;

	memset(tr->prev, '0', HASH_HEX);
	tr->prev[HASH_HEX] = '\0';
	if (fstat(tr->fd, &st) < 0)
		return -errno;
	if (st.st_size == 0)
		return 0;
	start = st.st_size > TAIL_MAX ? st.st_size - TAIL_MAX : 0;
	len = (size_t)(st.st_size - start);
	buf = malloc(len);
	if (buf == NULL)
		return -ENOMEM;
	n = pread(tr->fd, buf, len, start);
	if (n != (ssize_t)len) {
		free(buf);
		return n < 0 ? -errno : -EIO;
	}
	tr->need_newline = buf[len - 1] != '\n';
	/* Walk back over complete lines until one carries a hash. */
	end = len;
	while (end > 0) {
		size_t e = end, b;

		while (e > 0 && buf[e - 1] != '\n')
			e--; /* skip a torn tail */
		if (e == 0)
			break;
		e--; /* at the '\n' */
		b = e;
		while (b > 0 && buf[b - 1] != '\n')
			b--;
		if (trace_split(buf + b, e - b, tr->prev) > 0)
			break;
		end = b;
	}
	free(buf);
	return 0;
}

int
gs_trace_open(struct gs_trace **out, const char *path, bool fsync,
	      char *cause)
{
	struct gs_trace *tr;
	unsigned char rnd[16];
	int rc, i;

	tr = calloc(1, sizeof(*tr));
	if (tr == NULL)
		return -ENOMEM;
	pthread_mutex_init(&tr->mutex, NULL);
	tr->fsync = fsync;
	tr->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		      0640);
	if (tr->fd < 0) {
		rc = -errno;
		snprintf(cause, GS_CAUSE_MAX, "trace %s: %s", path,
			 strerror(errno));
		goto fail;
	}
	if (flock(tr->fd, LOCK_EX | LOCK_NB) < 0) {
		rc = -errno;
		snprintf(cause, GS_CAUSE_MAX,
			 "trace %s: in use by another process (%s)", path,
			 strerror(errno));
		goto fail;
	}
	rc = trace_find_tip(tr);
	if (rc < 0) {
		snprintf(cause, GS_CAUSE_MAX, "trace %s: %s", path,
			 strerror(-rc));
		goto fail;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		rc = -EIO;
		snprintf(cause, GS_CAUSE_MAX, "trace: no random run id");
		goto fail;
	}
	for (i = 0; i < 16; i++)
		snprintf(tr->run + 2 * i, 3, "%02x", rnd[i]);
	*out = tr;
	return 0;
fail:
	if (tr->fd >= 0)
		close(tr->fd);
	pthread_mutex_destroy(&tr->mutex);
	free(tr);
	return rc;
}

void
gs_trace_close(struct gs_trace *tr)
{
	if (tr == NULL)
		return;
	if (tr->fd >= 0) {
		fdatasync(tr->fd);
		close(tr->fd);
	}
	pthread_mutex_destroy(&tr->mutex);
	free(tr);
}

const char *
gs_trace_run_id(const struct gs_trace *tr)
{
	return tr->run;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A JSON string literal for s (or null); the caller frees it. */
static char *
json_literal(const char *s)
{
	json_t *j = s ? json_string(s) : json_null();
	char *out = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

	json_decref(j);
	return out;
}

int
gs_trace_append(struct gs_trace *tr, const char *event, const char *from,
		const char *state, json_t *detail)
{
	char *ev = NULL, *fr = NULL, *st = NULL, *det = NULL, *body = NULL;
	char stamp[64], date[32], hash[HASH_HEX + 1];
	struct timespec now;
	struct tm tm;
	int rc = -ENOMEM, n;
	size_t blen;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp, sizeof(stamp), "%s.%06ldZ", date,
		 now.tv_nsec / 1000L);

	ev = json_literal(event);
	fr = json_literal(from);
	st = json_literal(state);
	det = detail ? json_dumps(detail, JSON_COMPACT | JSON_ENCODE_ANY)
		     : strdup("{}");
	if (!ev || !fr || !st || !det)
		goto out;

	pthread_mutex_lock(&tr->mutex);
	if (tr->sealed) {
		pthread_mutex_unlock(&tr->mutex);
		rc = -ECANCELED;
		goto out;
	}
	n = asprintf(&body,
		     "%s{\"seq\":%ld,\"run\":\"%s\",\"time\":\"%s\","
		     "\"mono_ns\":%" PRId64 ",\"pid\":%d,\"event\":%s,"
		     "\"from\":%s,\"state\":%s,\"detail\":%s,\"prev\":\"%s\"}",
		     tr->need_newline ? "\n" : "", tr->seq, tr->run, stamp,
		     gs_mono_ns(), (int)getpid(), ev, fr, st, det, tr->prev);
	if (n < 0) {
		body = NULL;
		pthread_mutex_unlock(&tr->mutex);
		goto out;
	}
	{
		size_t skip = tr->need_newline ? 1 : 0;
		char *line;

		blen = (size_t)n;
		gs_sha256_hex(tr->prev, HASH_HEX, body + skip, blen - skip,
			      hash);
		line = malloc(blen + HASH_SUFFIX_LEN + 2);
		if (line == NULL) {
			pthread_mutex_unlock(&tr->mutex);
			goto out;
		}
		memcpy(line, body, blen - 1); /* without the closing } */
		n = snprintf(line + blen - 1, HASH_SUFFIX_LEN + 3,
			     ",\"hash\":\"%s\"}\n", hash);
		rc = write_all(tr->fd, line, blen - 1 + (size_t)n);
		free(line);
	}
	if (rc == 0 && tr->fsync && fdatasync(tr->fd) < 0)
		rc = -errno;
	if (rc == 0) {
		memcpy(tr->prev, hash, sizeof(hash));
		tr->seq++;
		tr->need_newline = false;
	}
	pthread_mutex_unlock(&tr->mutex);
out:
	free(ev);
	free(fr);
	free(st);
	free(det);
	free(body);
	return rc;
}

void
gs_trace_seal(struct gs_trace *tr)
{
	pthread_mutex_lock(&tr->mutex);
	tr->sealed = true;
	if (tr->fd >= 0)
		fdatasync(tr->fd);
	pthread_mutex_unlock(&tr->mutex);
}

/* ---- Verification ------------------------------------------------------- */

static const char *const record_keys[] = {
	"seq",	 "run",	  "time",   "mono_ns", "pid",  "event",
	"from", "state", "detail", "prev",    "hash",
};

struct verify {
	struct gs_trace_report *r;
	char prev[HASH_HEX + 1];
	char run[33];
	long seq;
	int state; /* of the current run; -1 before any */
	bool after_torn;
	long line;
};

static void
verify_error(struct verify *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
verify_error(struct verify *v, const char *fmt, ...)
{
	va_list ap;

	v->r->errors++;
	if (v->r->first_error_line != 0)
		return;
	v->r->first_error_line = v->line;
	va_start(ap, fmt);
	vsnprintf(v->r->first_error, sizeof(v->r->first_error), fmt, ap);
	va_end(ap);
}

static bool
verify_shape(json_t *rec)
{
	const char *key;
	json_t *val;
	size_t i = 0;

	if (!json_is_object(rec) ||
	    json_object_size(rec) != sizeof(record_keys) / sizeof(*record_keys))
		return false;
	json_object_foreach(rec, key, val)
	{
		if (strcmp(key, record_keys[i++]) != 0)
			return false;
	}
	return json_is_integer(json_object_get(rec, "seq")) &&
	       json_is_string(json_object_get(rec, "run")) &&
	       json_is_string(json_object_get(rec, "event")) &&
	       json_is_string(json_object_get(rec, "state")) &&
	       json_is_object(json_object_get(rec, "detail"));
}

/* Check one complete record against the run it belongs to. */
static void
verify_record(struct verify *v, json_t *rec)
{
	const char *run = json_string_value(json_object_get(rec, "run"));
	const char *event = json_string_value(json_object_get(rec, "event"));
	json_t *jfrom = json_object_get(rec, "from");
	long seq = (long)json_integer_value(json_object_get(rec, "seq"));
	int state = gs_state_from_name(
	    json_string_value(json_object_get(rec, "state")));
	int from, ev;
	enum gs_state next;

	if (strcmp(event, "START") == 0) {
		if (v->state >= 0 && v->state != GS_STATE_EXIT)
			v->r->runs_incomplete++;
		v->r->runs++;
		snprintf(v->run, sizeof(v->run), "%s", run);
		snprintf(v->r->last_run, sizeof(v->r->last_run), "%s", run);
		if (seq != 0 || !json_is_null(jfrom) ||
		    state != GS_STATE_RUNNING)
			verify_error(v, "START must have seq 0, from null and "
					"state RUNNING");
		v->seq = seq;
		v->state = GS_STATE_RUNNING;
		return;
	}
	if (v->after_torn)
		verify_error(v, "a torn line is followed by a record that "
				"does not start a run");
	if (v->state < 0 || strcmp(run, v->run) != 0) {
		verify_error(v, "record of run %s without its START", run);
		return;
	}
	if (seq != v->seq + 1)
		verify_error(v, "seq %ld follows %ld", seq, v->seq);
	v->seq = seq;
	from = gs_state_from_name(json_string_value(jfrom));
	if (from < 0 || state < 0) {
		verify_error(v, "unknown state");
		return;
	}
	if (from != v->state)
		verify_error(v, "from %s, but the run is in %s",
			     gs_state_name((enum gs_state)from),
			     gs_state_name((enum gs_state)v->state));
	if (from != state) {
		ev = gs_event_from_name(event);
		if (ev < 0 || gs_fsm_next((enum gs_state)from,
					  (enum gs_event)ev, &next) < 0 ||
		    (int)next != state)
			verify_error(v, "illegal transition %s --%s--> %s",
				     gs_state_name((enum gs_state)from), event,
				     gs_state_name((enum gs_state)state));
	}
	v->state = state;
}

static void
verify_line(struct verify *v, const char *line, size_t len, bool last_torn,
	    gs_trace_visit_fn visit, void *arg)
{
	char hash[HASH_HEX + 1], calc[HASH_HEX + 1], *body;
	size_t blen = trace_split(line, len, hash);
	json_t *rec;
	const char *prev;

	if (blen == 0) {
		/* Not a complete record: a torn write, or damage. */
		v->r->torn_lines++;
		if (!last_torn && v->after_torn)
			verify_error(v, "two torn lines in a row");
		v->after_torn = true;
		return;
	}
	body = malloc(blen + 1);
	if (body == NULL) {
		verify_error(v, "out of memory");
		return;
	}
	memcpy(body, line, blen);
	body[blen] = '}';
	gs_sha256_hex(v->prev, HASH_HEX, body, blen + 1, calc);
	rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	free(body);
	v->r->records++;
	if (rec == NULL || !verify_shape(rec)) {
		verify_error(v, "not a trace record (bad JSON or members out "
				"of order)");
		json_decref(rec);
		memcpy(v->prev, hash, sizeof(hash));
		v->after_torn = false;
		return;
	}
	prev = json_string_value(json_object_get(rec, "prev"));
	if (prev == NULL || strcmp(prev, v->prev) != 0)
		verify_error(v, "chain broken: prev does not match the "
				"previous record's hash");
	else if (strcmp(calc, hash) != 0)
		verify_error(v, "hash mismatch: the record was altered");
	verify_record(v, rec);
	v->after_torn = false;
	if (visit)
		visit(arg, v->line, rec);
	json_decref(rec);
	memcpy(v->prev, hash, sizeof(hash));
}

int
gs_trace_verify(const char *path, struct gs_trace_report *report,
		gs_trace_visit_fn visit, void *arg)
{
	struct verify v = {.r = report, .state = -1};
	char *buf = NULL;
	size_t len = 0, cap = 0, pos;
	int fd, rc = 0;

	memset(report, 0, sizeof(*report));
	memset(v.prev, '0', HASH_HEX);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (nb == NULL) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -errno;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	for (pos = 0; pos < len;) {
		char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;

		v.line++;
		if (end == pos)
			verify_error(&v, "empty line");
		else
			verify_line(&v, buf + pos, end - pos, nl == NULL,
				    visit, arg);
		pos = end + 1;
	}
	free(buf);
	if (v.state >= 0 && v.state != GS_STATE_EXIT)
		report->runs_incomplete++;
	return report->errors ? -EBADMSG : 0;
}
