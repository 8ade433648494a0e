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
 * returns.  A record that cannot be written or synced is tried once more
 * after re-reading the file's tail, then reported; seq and prev only ever
 * advance past a record the file holds (one written but not made durable
 * is counted at once, its seal key renewed), and a record never follows a
 * fragment on the same line.  A line torn by a crash is kept; the next run
 * starts a new line and chains from the last complete record.  The file is
 * locked (flock) so two processes never interleave their chains.
 *
 * Sealing: with a seal key, each record also carries "mac" (just before
 * "prev"), HMAC-SHA256 under k_i of the line without its mac, prev and hash
 * members.  After each record the key evolves, k_{i+1} = SHA-256("gs-seal"
 * || k_i), and the seal file (key and count of sealed records) is replaced
 * atomically, so a key stolen later cannot seal an earlier record.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <jansson.h>

#include "gshutdown.h"
#include "log-macros.h"

#define HASH_HEX 64
/* ,"hash":" + 64 hex + "} */
#define HASH_SUFFIX_LEN (9 + HASH_HEX + 2)
/* ,"prev":" + 64 hex + " */
#define PREV_MEMBER_LEN (9 + HASH_HEX + 1)
/* ,"mac":" + 64 hex + " */
#define MAC_MEMBER_LEN (8 + HASH_HEX + 1)
#define TAIL_MAX (1024 * 1024)
/* How far the seal file may lag the trace and still be caught up. */
#define SEAL_CATCH_UP_MAX 1024

struct gs_trace {
	pthread_mutex_t mutex;
	int fd;
	bool fsync;
	bool frozen;
	bool need_newline;
	bool reread;		/* an append failed: re-read the tail first */
	long seq;
	atomic_long failures;	/* read without the mutex */
	char run[33];
	char prev[HASH_HEX + 1];
	char pending[HASH_HEX + 1]; /* hash of the record that failed */

	/* sealing */
	bool sealed;
	bool seal_dirty;	/* the seal file lags the key in memory */
	unsigned char key[GS_SEAL_KEY_LEN];
	long seal_count;
	char *seal_path;

	/*
	 * The tip as last committed (prev, seq, seal_count), for readers that
	 * must not wait behind a write or fdatasync in progress: tip_mu is
	 * taken after mutex, only to copy these, never across I/O.
	 */
	pthread_mutex_t tip_mu;
	char tip_hash[HASH_HEX + 1];
	long tip_records;
	long tip_sealed;
};

/* Publish the committed tip for gs_trace_anchor; mutex held. */
static void
tip_publish_locked(struct gs_trace *tr)
{
	pthread_mutex_lock(&tr->tip_mu);
	memcpy(tr->tip_hash, tr->prev, sizeof(tr->tip_hash));
	tr->tip_records = tr->seq;
	tr->tip_sealed = tr->sealed ? tr->seal_count : -1;
	pthread_mutex_unlock(&tr->tip_mu);
}

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

static void
to_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
from_hex(const char *in, unsigned char *out, size_t n)
{
	size_t i;

	for (i = 0; i < 2 * n; i++) {
		char c = in[i];
		int v = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
					       : -1;

		if (v < 0)
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(v << 4);
		else
			out[i / 2] |= (unsigned char)v;
	}
	return 0;
}

void
gs_seal_evolve(unsigned char key[GS_SEAL_KEY_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, "gs-seal", 7) == 1 &&
	    EVP_DigestUpdate(ctx, key, GS_SEAL_KEY_LEN) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 &&
	    mdlen == GS_SEAL_KEY_LEN)
		memcpy(key, md, GS_SEAL_KEY_LEN);
	else
		abort(); /* a seal key must never silently stay the same */
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(md, sizeof(md));
}

/* HMAC-SHA256 of a (the line's opening part) and "}" under key, as hex. */
static void
seal_mac(const unsigned char key[GS_SEAL_KEY_LEN], const char *a, size_t alen,
	 char out[HASH_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *buf = malloc(alen + 1);

	out[0] = '\0';
	if (buf == NULL)
		return;
	memcpy(buf, a, alen);
	buf[alen] = '}';
	if (HMAC(EVP_sha256(), key, GS_SEAL_KEY_LEN, (unsigned char *)buf,
		 alen + 1, md, &mdlen) != NULL &&
	    mdlen == 32)
		to_hex(md, 32, out);
	free(buf);
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

/*
 * For a body (a line without its hash member) that ends with
 * ,"mac":"...","prev":"...": copy the mac to mac and return the length of
 * the part before the mac member.  Returns 0 when the body has no mac.
 */
static size_t
trace_split_mac(const char *body, size_t blen, char *mac)
{
	const char *m;

	if (blen < PREV_MEMBER_LEN + MAC_MEMBER_LEN + 2)
		return 0;
	m = body + blen - PREV_MEMBER_LEN - MAC_MEMBER_LEN;
	if (memcmp(m, ",\"mac\":\"", 8) != 0 || !is_hex64(m + 8) ||
	    m[8 + HASH_HEX] != '"' ||
	    memcmp(m + MAC_MEMBER_LEN, ",\"prev\":\"", 9) != 0)
		return 0;
	if (mac != NULL) {
		memcpy(mac, m + 8, HASH_HEX);
		mac[HASH_HEX] = '\0';
	}
	return (size_t)(m - body);
}

/*
 * Find the chain's tip: the hash of the last complete record, which may be
 * the file's last line even without its newline (a write cut short by one
 * byte).  If tip_line is not NULL it gets a copy of that record's line (or
 * NULL when the file holds none); the caller frees it.
 */
static int
trace_find_tip(struct gs_trace *tr, char **tip_line)
{
	struct stat st;
	off_t start;
	size_t len, end;
	char *buf;
	ssize_t n;

	if (tip_line != NULL)
		*tip_line = NULL;
	memset(tr->prev, '0', HASH_HEX);
	tr->prev[HASH_HEX] = '\0';
	tr->need_newline = false;
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
	/* Walk back over lines until one is a complete record. */
	end = len;
	if (buf[end - 1] == '\n')
		end--;
	for (;;) {
		size_t b = end;

		while (b > 0 && buf[b - 1] != '\n')
			b--;
		if (b == 0 && start > 0)
			break; /* the line may begin before the window */
		if (trace_split(buf + b, end - b, tr->prev) > 0) {
			if (tip_line != NULL) {
				*tip_line = strndup(buf + b, end - b);
				if (*tip_line == NULL) {
					free(buf);
					return -ENOMEM;
				}
			}
			break;
		}
		if (b == 0)
			break;
		end = b - 1;
	}
	free(buf);
	return 0;
}

/* fsync the directory that holds path. */
static int
fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (copy == NULL)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = -errno;
	close(fd);
	return rc;
}

int
gs_trace_open(struct gs_trace **out, const char *path, bool fsync,
	      char *cause)
{
	struct gs_trace *tr;
	unsigned char rnd[16];
	bool created = false;
	int rc, i;

	tr = calloc(1, sizeof(*tr));
	if (tr == NULL)
		return -ENOMEM;
	pthread_mutex_init(&tr->mutex, NULL);
	pthread_mutex_init(&tr->tip_mu, NULL);
	tr->fsync = fsync;
	tr->fd = open(path,
		      O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		      0640);
	if (tr->fd >= 0)
		created = true;
	else if (errno == EEXIST)
		tr->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
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
	/* A new file's name must survive a power loss too. */
	if (created && fsync && (rc = fsync_dir_of(path)) < 0) {
		snprintf(cause, GS_CAUSE_MAX, "trace %s: fsync of its "
			 "directory: %s", path, strerror(-rc));
		goto fail;
	}
	rc = trace_find_tip(tr, NULL);
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
	tip_publish_locked(tr);
	*out = tr;
	return 0;
fail:
	if (tr->fd >= 0)
		close(tr->fd);
	pthread_mutex_destroy(&tr->mutex);
	pthread_mutex_destroy(&tr->tip_mu);
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
	OPENSSL_cleanse(tr->key, sizeof(tr->key));
	free(tr->seal_path);
	pthread_mutex_destroy(&tr->mutex);
	pthread_mutex_destroy(&tr->tip_mu);
	free(tr);
}

const char *
gs_trace_run_id(const struct gs_trace *tr)
{
	return tr->run;
}

/* ---- Seal files ------------------------------------------------------- */

int
gs_seal_read(const char *path, unsigned char key[GS_SEAL_KEY_LEN],
	     long *count, char *cause)
{
	char buf[160], *end;
	struct stat st;
	ssize_t n;
	long c;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(cause, GS_CAUSE_MAX, "seal key %s: %s", path,
			 strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
		snprintf(cause, GS_CAUSE_MAX,
			 "seal key %s must be a file owned by this user and "
			 "of mode 0600 (it is %04o, uid %d)",
			 path, (unsigned)(st.st_mode & 07777), (int)st.st_uid);
		close(fd);
		return -EPERM;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(cause, GS_CAUSE_MAX, "seal key %s: %s", path,
			 strerror(errno));
		return -EIO;
	}
	buf[n] = '\0';
	/* "gs-seal-v1 <64 hex key> <count>\n" */
	if (n < 11 + HASH_HEX + 2 || memcmp(buf, "gs-seal-v1 ", 11) != 0 ||
	    from_hex(buf + 11, key, GS_SEAL_KEY_LEN) < 0 ||
	    buf[11 + HASH_HEX] != ' ') {
		OPENSSL_cleanse(buf, sizeof(buf));
		OPENSSL_cleanse(key, GS_SEAL_KEY_LEN); /* maybe half filled */
		snprintf(cause, GS_CAUSE_MAX,
			 "seal key %s: not a seal key file (gs-trace keygen "
			 "writes one)",
			 path);
		return -EINVAL;
	}
	errno = 0;
	c = strtol(buf + 11 + HASH_HEX + 1, &end, 10);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (errno != 0 || c < 0 || (*end != '\n' && *end != '\0')) {
		OPENSSL_cleanse(key, GS_SEAL_KEY_LEN);
		snprintf(cause, GS_CAUSE_MAX, "seal key %s: bad record count",
			 path);
		return -EINVAL;
	}
	*count = c;
	return 0;
}

/*
 * Overwrite the content of the seal file fd refers to (already replaced by
 * its successor, so a crash now loses nothing) and make it durable: the
 * old key must not stay in the blocks the file frees, nor in a hard link
 * someone made to it.
 */
static int
seal_scrub(int fd)
{
	char zero[160] = {0};
	struct stat st;
	int rc = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0)
		return 0;
	if (st.st_size > (off_t)sizeof(zero))
		st.st_size = sizeof(zero);
	if (pwrite(fd, zero, (size_t)st.st_size, 0) != st.st_size ||
	    fdatasync(fd) < 0)
		rc = errno ? -errno : -EIO;
	return rc;
}

/*
 * Write key and count to path: a temporary file in the same directory
 * (created afresh, never one found there), fsync, rename over path, fsync
 * the directory, then overwrite the old file's key.  With exclusive, an
 * existing path is an error instead.
 */
static int
seal_write(const char *path, const unsigned char key[GS_SEAL_KEY_LEN],
	   long count, bool exclusive)
{
	char line[160], *tmp = NULL;
	int fd, old = -1, n, rc = 0;

	n = snprintf(line, sizeof(line), "gs-seal-v1 ");
	to_hex(key, GS_SEAL_KEY_LEN, line + n);
	n += 2 * GS_SEAL_KEY_LEN;
	n += snprintf(line + n, sizeof(line) - (size_t)n, " %ld\n", count);
	if (exclusive) {
		fd = open(path,
			  O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			  0600);
	} else {
		if (asprintf(&tmp, "%s.tmp", path) < 0) {
			OPENSSL_cleanse(line, sizeof(line));
			return -ENOMEM;
		}
		/* A file (or link) planted under that name is not written. */
		if (unlink(tmp) < 0 && errno != ENOENT) {
			rc = -errno;
			goto out;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
				   O_NOFOLLOW,
			  0600);
	}
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	errno = 0;
	if (fchmod(fd, 0600) < 0 || write(fd, line, (size_t)n) != n ||
	    fsync(fd) < 0)
		rc = errno ? -errno : -EIO;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && tmp != NULL) {
		old = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (rename(tmp, path) < 0)
			rc = -errno;
	}
	if (rc < 0 && tmp != NULL)
		unlink(tmp);
	if (rc < 0 && exclusive)
		unlink(path);
	if (rc == 0)
		rc = fsync_dir_of(path);
	if (rc == 0 && old >= 0)
		rc = seal_scrub(old);
	if (old >= 0)
		close(old);
out:
	OPENSSL_cleanse(line, sizeof(line));
	free(tmp);
	return rc;
}

int
gs_seal_keygen(const char *seal_path, const char *verify_path, char *cause)
{
	unsigned char key[GS_SEAL_KEY_LEN];
	int rc;

	if (getrandom(key, sizeof(key), 0) != sizeof(key)) {
		snprintf(cause, GS_CAUSE_MAX, "keygen: no random key");
		return -EIO;
	}
	rc = seal_write(seal_path, key, 0, true);
	if (rc < 0) {
		snprintf(cause, GS_CAUSE_MAX, "%s: %s", seal_path,
			 strerror(-rc));
	} else {
		rc = seal_write(verify_path, key, 0, true);
		if (rc < 0) {
			snprintf(cause, GS_CAUSE_MAX, "%s: %s", verify_path,
				 strerror(-rc));
			unlink(seal_path);
		}
	}
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

/* Evolve the key past one sealed record and save it; mutex held. */
static int
seal_advance_locked(struct gs_trace *tr)
{
	int rc;

	gs_seal_evolve(tr->key);
	tr->seal_count++;
	rc = seal_write(tr->seal_path, tr->key, tr->seal_count, false);
	if (rc < 0) /* once more, then report */
		rc = seal_write(tr->seal_path, tr->key, tr->seal_count, false);
	tr->seal_dirty = rc < 0;
	return rc;
}

int
gs_trace_set_seal(struct gs_trace *tr, const char *seal_path, char *cause)
{
	unsigned char k[GS_SEAL_KEY_LEN];
	char *tip = NULL, mac[HASH_HEX + 1], calc[HASH_HEX + 1];
	size_t blen, mlen;
	int rc, j;

	pthread_mutex_lock(&tr->mutex);
	tr->seal_path = strdup(seal_path);
	if (tr->seal_path == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = gs_seal_read(seal_path, tr->key, &tr->seal_count, cause);
	if (rc < 0)
		goto out;
	/*
	 * A crash between a sealed record and the seal file's rewrite leaves
	 * the file one key behind: if the trace's last record was sealed
	 * with the key on disk (or one a little later), move past it.
	 */
	rc = trace_find_tip(tr, &tip);
	if (rc < 0) {
		snprintf(cause, GS_CAUSE_MAX, "trace: %s", strerror(-rc));
		goto out;
	}
	blen = tip ? trace_split(tip, strlen(tip), NULL) : 0;
	mlen = blen ? trace_split_mac(tip, blen, mac) : 0;
	if (mlen > 0) {
		memcpy(k, tr->key, sizeof(k));
		for (j = 0; j < SEAL_CATCH_UP_MAX; j++) {
			seal_mac(k, tip, mlen, calc);
			if (strcmp(calc, mac) == 0) {
				memcpy(tr->key, k, sizeof(k));
				tr->seal_count += j;
				rc = seal_advance_locked(tr);
				if (rc < 0)
					snprintf(cause, GS_CAUSE_MAX,
						 "seal key %s: %s", seal_path,
						 strerror(-rc));
				break;
			}
			gs_seal_evolve(k);
		}
		OPENSSL_cleanse(k, sizeof(k));
	}
	if (rc == 0)
		tr->sealed = true;
	tip_publish_locked(tr);
out:
	free(tip);
	pthread_mutex_unlock(&tr->mutex);
	return rc;
}

void
gs_trace_anchor(struct gs_trace *tr, char hash[65], long *records,
		long *sealed)
{
	pthread_mutex_lock(&tr->tip_mu);
	memcpy(hash, tr->tip_hash, HASH_HEX + 1);
	*records = tr->tip_records;
	*sealed = tr->tip_sealed;
	pthread_mutex_unlock(&tr->tip_mu);
}

long
gs_trace_failures(struct gs_trace *tr)
{
	return atomic_load(&tr->failures);
}

/* ---- Appending -------------------------------------------------------- */

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
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

/*
 * The record's line for head (the members up to detail, without the
 * closing brace) after prev: optional leading newline, mac, prev, hash.
 */
static char *
record_line(struct gs_trace *tr, const char *head, const char *mac,
	    char hash[HASH_HEX + 1], size_t *len)
{
	char *body = NULL, *line;
	int n;

	n = asprintf(&body, "%s%s%s%s,\"prev\":\"%s\"}", head,
		     mac ? ",\"mac\":\"" : "", mac ? mac : "", mac ? "\"" : "",
		     tr->prev);
	if (n < 0)
		return NULL;
	gs_sha256_hex(tr->prev, HASH_HEX, body, (size_t)n, hash);
	if (asprintf(&line, "%s%.*s,\"hash\":\"%s\"}\n",
		     tr->need_newline ? "\n" : "", n - 1, body, hash) < 0)
		line = NULL;
	else
		*len = strlen(line);
	free(body);
	return line;
}

/*
 * Re-read the tail after a failed append; mutex held.  If the record that
 * failed is in the file after all (complete, maybe not yet durable), count
 * it as written: seq, prev and the key follow the file.  *seal_rc gets the
 * result of renewing the seal file for it.
 */
static int
trace_resync_locked(struct gs_trace *tr, int *seal_rc)
{
	int rc = trace_find_tip(tr, NULL);

	*seal_rc = 0;
	if (rc < 0)
		return rc;
	tr->reread = false;
	if (tr->pending[0] != '\0' && strcmp(tr->prev, tr->pending) == 0) {
		tr->seq++;
		if (tr->sealed)
			*seal_rc = seal_advance_locked(tr);
	}
	tr->pending[0] = '\0';
	return 0;
}

int
gs_trace_append(struct gs_trace *tr, const char *event, const char *from,
		const char *state, json_t *detail)
{
	char *ev = NULL, *fr = NULL, *st = NULL, *det = NULL, *head = NULL;
	char *line = NULL;
	char stamp[64], date[32], hash[HASH_HEX + 1], mac[HASH_HEX + 1];
	struct timespec now;
	struct tm tm;
	int rc = -ENOMEM, attempt, seal_rc = 0, dirty_rc = 0, sync_rc = 0;
	bool written = false;
	size_t len = 0;
	int64_t mono;

	hash[0] = '\0';
	clock_gettime(CLOCK_REALTIME, &now);
	mono = gs_mono_ns();
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
	if (tr->frozen) {
		pthread_mutex_unlock(&tr->mutex);
		rc = -ECANCELED;
		goto out;
	}
	if (tr->reread) {
		rc = trace_resync_locked(tr, &seal_rc);
		if (seal_rc < 0)
			atomic_fetch_add(&tr->failures, 1);
		if (rc < 0)
			goto failed;
	}
	if (tr->seal_dirty && tr->sealed) {
		/* The seal file lags: the key that sealed a record is on disk. */
		dirty_rc = seal_write(tr->seal_path, tr->key, tr->seal_count,
				      false);
		tr->seal_dirty = dirty_rc < 0;
		if (dirty_rc < 0)
			atomic_fetch_add(&tr->failures, 1);
	}
	if (asprintf(&head,
		     "{\"seq\":%ld,\"run\":\"%s\",\"time\":\"%s\","
		     "\"mono_ns\":%" PRId64 ",\"pid\":%d,\"event\":%s,"
		     "\"from\":%s,\"state\":%s,\"detail\":%s",
		     tr->seq, tr->run, stamp, mono, (int)getpid(), ev, fr, st,
		     det) < 0) {
		head = NULL;
		rc = -ENOMEM;
		goto failed;
	}
	if (tr->sealed)
		seal_mac(tr->key, head, strlen(head), mac);
	for (attempt = 0; attempt < 2; attempt++) {
		if (attempt > 0 && !written) {
			/* Follow the file: a fragment, or the record. */
			rc = trace_find_tip(tr, NULL);
			if (rc < 0)
				break;
			written = strcmp(tr->prev, hash) == 0;
		}
		if (!written) {
			free(line);
			line = record_line(tr, head, tr->sealed ? mac : NULL,
					   hash, &len);
			if (line == NULL) {
				rc = -ENOMEM;
				break;
			}
			rc = write_all(tr->fd, line, len);
			if (rc < 0)
				continue;
			written = true;
		}
		rc = tr->fsync && fdatasync(tr->fd) < 0 ? -errno : 0;
		if (rc == 0)
			break;
	}
	if (!written) {
		memcpy(tr->pending, hash, sizeof(hash));
		goto failed;
	}
	/*
	 * The record is in the file, durable or not: count it at once, and
	 * move the key past it, so the key that sealed it leaves the disk
	 * now and not at some later record that may never come.
	 */
	sync_rc = rc;
	memcpy(tr->prev, hash, sizeof(hash));
	tr->seq++;
	tr->need_newline = false;
	if (sync_rc < 0)
		atomic_fetch_add(&tr->failures, 1);
	if (tr->sealed && (seal_rc = seal_advance_locked(tr)) < 0)
		atomic_fetch_add(&tr->failures, 1);
	tip_publish_locked(tr);
	pthread_mutex_unlock(&tr->mutex);
	if (dirty_rc < 0)
		log_error("trace: seal key %s still not renewed: %s",
			  tr->seal_path, strerror(-dirty_rc));
	if (sync_rc < 0)
		log_error("trace: record %s written but not made durable: %s",
			  event, strerror(-sync_rc));
	if (seal_rc < 0)
		log_error("trace: seal key %s not renewed: %s", tr->seal_path,
			  strerror(-seal_rc));
	rc = sync_rc < 0 ? sync_rc : seal_rc;
	goto out;
failed:
	atomic_fetch_add(&tr->failures, 1);
	tr->reread = true;
	tip_publish_locked(tr);
	pthread_mutex_unlock(&tr->mutex);
	if (dirty_rc < 0)
		log_error("trace: seal key %s still not renewed: %s",
			  tr->seal_path, strerror(-dirty_rc));
	if (seal_rc < 0)
		log_error("trace: seal key %s not renewed: %s", tr->seal_path,
			  strerror(-seal_rc));
	log_error("trace: record %s not written: %s", event, strerror(-rc));
out:
	free(ev);
	free(fr);
	free(st);
	free(det);
	free(head);
	free(line);
	return rc;
}

void
gs_trace_freeze(struct gs_trace *tr)
{
	pthread_mutex_lock(&tr->mutex);
	tr->frozen = true;
	if (tr->fd >= 0)
		fdatasync(tr->fd);
	pthread_mutex_unlock(&tr->mutex);
}

/* ---- Verification ------------------------------------------------------- */

static const char *const record_keys[] = {
	"seq",	 "run",	  "time",   "mono_ns", "pid",  "event",
	"from", "state", "detail", "mac",     "prev", "hash",
};
#define MAC_INDEX 9

/* How much of a torn line is kept: enough for its seq and run. */
#define TORN_HEAD 80

struct torn {
	long line;
	size_t len;
	char head[TORN_HEAD];
};

#define SEAL_PROBES 4
/* Keys tried past the sealed records' count for a head cut off. */
#define SEAL_PROBE_SLACK 4096

struct verify {
	struct gs_trace_report *r;
	const struct gs_trace_verify_opts *o;
	char prev[HASH_HEX + 1];
	char run[33];
	long seq;
	int state;	 /* of the current run; -1 before any */
	int run_sealed;	 /* of the current run; -1 before any */
	bool keyed;
	unsigned char key[GS_SEAL_KEY_LEN]; /* k_i for the next sealed record */
	bool anchor_seen;
	char anchor_run[33];
	long line;
	/* Torn lines waiting for the record after them to be judged. */
	struct torn *torn;
	size_t ntorn, torn_cap;
	/* Seals that verified, and the first ones that did not: when none
	 * verifies, these tell a wrong key from records cut before them. */
	long seals_ok;
	struct seal_probe {
		char *head; /* the record up to its mac member */
		size_t len;
		char mac[HASH_HEX + 1];
	} probe[SEAL_PROBES];
	int nprobe;
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

/* Members in order, "mac" optional; sets *sealed. */
static bool
verify_shape(json_t *rec, bool *sealed)
{
	const size_t nkeys = sizeof(record_keys) / sizeof(*record_keys);
	const char *key, *mac;
	json_t *val;
	size_t i = 0;

	if (!json_is_object(rec) || json_object_size(rec) < nkeys - 1 ||
	    json_object_size(rec) > nkeys)
		return false;
	*sealed = json_object_size(rec) == nkeys;
	json_object_foreach(rec, key, val)
	{
		if (i == MAC_INDEX && !*sealed)
			i++;
		if (strcmp(key, record_keys[i++]) != 0)
			return false;
	}
	mac = json_string_value(json_object_get(rec, "mac"));
	if (*sealed && (mac == NULL || strlen(mac) != HASH_HEX ||
			!is_hex64(mac)))
		return false;
	return json_is_integer(json_object_get(rec, "seq")) &&
	       json_is_string(json_object_get(rec, "run")) &&
	       json_is_string(json_object_get(rec, "event")) &&
	       json_is_string(json_object_get(rec, "state")) &&
	       json_is_object(json_object_get(rec, "detail"));
}

/* Check one complete record against the run it belongs to. */
static void
verify_record(struct verify *v, json_t *rec, bool sealed)
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
		if (sealed)
			v->r->sealed_runs++;
		else if (v->r->sealed_records > 0)
			v->r->unsealed_runs_after++;
		else
			v->r->unsealed_runs_before++;
		v->run_sealed = sealed;
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
	if (v->state < 0 || strcmp(run, v->run) != 0) {
		verify_error(v, "record of run %s without its START", run);
		return;
	}
	if (v->run_sealed != (int)sealed)
		verify_error(v, "run %s mixes sealed and unsealed records",
			     run);
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

/* The mac of a sealed record under the next key, which then evolves. */
static void
verify_mac(struct verify *v, const char *line, size_t blen, long seq)
{
	char mac[HASH_HEX + 1], calc[HASH_HEX + 1];
	size_t mlen = trace_split_mac(line, blen, mac);

	v->r->sealed_records++;
	if (!v->keyed)
		return;
	if (mlen == 0) {
		verify_error(v, "sealed record seq %ld is not in compact form",
			     seq);
	} else {
		seal_mac(v->key, line, mlen, calc);
		if (strcmp(calc, mac) == 0)
			v->seals_ok++;
		else if (v->nprobe < SEAL_PROBES &&
			 (v->probe[v->nprobe].head = malloc(mlen)) != NULL) {
			struct seal_probe *p = &v->probe[v->nprobe++];

			memcpy(p->head, line, mlen);
			p->len = mlen;
			memcpy(p->mac, mac, sizeof(p->mac));
		}
		if (strcmp(calc, mac) != 0)
			verify_error(
			    v,
			    "seal broken at record seq %ld (sealed record "
			    "%ld): its mac does not verify under the key; a "
			    "record was edited, forged, deleted, reordered or "
			    "duplicated here",
			    seq, v->r->sealed_records - 1);
	}
	gs_seal_evolve(v->key);
}

/*
 * Whether line[0..len) can be a record as the writer begins it, cut short:
 * {"seq":DIGITS,"run":"HEX..." as far as it goes.  (That it is no complete
 * JSON value is checked apart.)
 */
static bool
torn_shape(const char *line, size_t len)
{
	static const char seq[] = "{\"seq\":", run[] = ",\"run\":\"";
	size_t i, n;

	n = len < 7 ? len : 7;
	if (memcmp(line, seq, n) != 0)
		return false;
	i = n;
	if (i == len)
		return true;
	while (i < len && line[i] >= '0' && line[i] <= '9')
		i++;
	if (i == n)
		return false;
	if (i == len)
		return true;
	n = len - i < 8 ? len - i : 8;
	if (memcmp(line + i, run, n) != 0)
		return false;
	i += n;
	for (n = 0; i < len && n < 32; i++, n++)
		if (!((line[i] >= '0' && line[i] <= '9') ||
		      (line[i] >= 'a' && line[i] <= 'f')))
			return false;
	return i == len || (n == 32 && line[i] == '"');
}

static void
torn_push(struct verify *v, const char *line, size_t len)
{
	struct torn *t;

	if (v->ntorn == v->torn_cap) {
		size_t cap = v->torn_cap ? v->torn_cap * 2 : 4;

		t = realloc(v->torn, cap * sizeof(*t));
		if (t == NULL) {
			verify_error(v, "out of memory");
			return;
		}
		v->torn = t;
		v->torn_cap = cap;
	}
	t = &v->torn[v->ntorn++];
	t->line = v->line;
	t->len = len < TORN_HEAD ? len : TORN_HEAD;
	memcpy(t->head, line, t->len);
}

/* Whether torn line t begins as want[0..wlen) does, as far as both go. */
static bool
torn_fits(const struct torn *t, const char *want, int wlen)
{
	size_t n;

	if (wlen <= 0)
		return false;
	n = t->len < (size_t)wlen ? t->len : (size_t)wlen;
	return memcmp(t->head, want, n) == 0;
}

/*
 * Judge the torn lines before rec, the next record (NULL: the end of the
 * file, or a line that is no record).  A write cut short is followed by
 * the same record written again (or, when it was lost, the next one with
 * the same seq), or by a new run's START after a crash; at the end of the
 * file it is the last run's next record.  Anything else is not a torn
 * write but a line put there.
 */
static void
torn_resolve(struct verify *v, json_t *rec)
{
	static const char start[] = "{\"seq\":0,\"run\":\"";
	const char *event = NULL, *run;
	char want[TORN_HEAD];
	long line = v->line;
	bool new_run;
	size_t i;
	int wn = 0;

	if (v->ntorn == 0)
		return;
	if (rec != NULL)
		event = json_string_value(json_object_get(rec, "event"));
	new_run = event == NULL || strcmp(event, "START") == 0;
	if (!new_run) {
		run = json_string_value(json_object_get(rec, "run"));
		wn = snprintf(want, sizeof(want),
			      "{\"seq\":%" JSON_INTEGER_FORMAT ",\"run\":\"%s\"",
			      json_integer_value(json_object_get(rec, "seq")),
			      run ? run : "");
	} else if (v->state >= 0) {
		wn = snprintf(want, sizeof(want),
			      "{\"seq\":%ld,\"run\":\"%s\"", v->seq + 1,
			      v->run);
	}
	if (wn >= (int)sizeof(want))
		wn = (int)sizeof(want) - 1;
	for (i = 0; i < v->ntorn; i++) {
		struct torn *t = &v->torn[i];

		if (torn_fits(t, want, wn) ||
		    (new_run && torn_fits(t, start, (int)strlen(start)))) {
			if (v->r->torn_lines < GS_TRACE_TORN_LIST)
				v->r->torn_line[v->r->torn_lines] = t->line;
			v->r->torn_lines++;
			continue;
		}
		v->line = t->line;
		verify_error(v, "a line that is no record: not the beginning "
				"of the record after it (a write cut short is "
				"followed by that record or by a START)");
	}
	v->line = line;
	v->ntorn = 0;
}

static void
verify_line(struct verify *v, const char *line, size_t len,
	    gs_trace_visit_fn visit, void *arg)
{
	char hash[HASH_HEX + 1], calc[HASH_HEX + 1], *body;
	size_t blen = trace_split(line, len, hash);
	json_t *rec;
	const char *prev;
	bool sealed = false;

	if (blen == 0) {
		/*
		 * Not a complete record.  A write cut short (a crash, a full
		 * disk) leaves the beginning of a record, no complete JSON,
		 * followed by the record it began or a new run; it is judged
		 * when that comes.  Anything else (a record whose hash member
		 * is damaged, a line of garbage) is an error.
		 */
		rec = json_loadb(line, len, 0, NULL);
		if (rec != NULL || !torn_shape(line, len)) {
			json_decref(rec);
			verify_error(v, "not a trace record: no valid hash "
					"member, and not a record cut short");
			return;
		}
		torn_push(v, line, len);
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
	if (rec == NULL || !verify_shape(rec, &sealed)) {
		torn_resolve(v, NULL);
		verify_error(v, "not a trace record (bad JSON or members out "
				"of order)");
		json_decref(rec);
		memcpy(v->prev, hash, sizeof(hash));
		return;
	}
	torn_resolve(v, rec);
	prev = json_string_value(json_object_get(rec, "prev"));
	if (prev == NULL || strcmp(prev, v->prev) != 0)
		verify_error(v, "chain broken: prev does not match the "
				"previous record's hash");
	else if (strcmp(calc, hash) != 0)
		verify_error(v, "hash mismatch: the record was altered");
	if (sealed)
		verify_mac(v, line, blen,
			   (long)json_integer_value(json_object_get(rec, "seq")));
	else if (v->keyed && v->r->sealed_records > 0)
		verify_error(v, "unsealed record after sealing began: it "
				"cannot be told from an inserted one");
	if (v->anchor_seen &&
	    strcmp(json_string_value(json_object_get(rec, "run")),
		   v->anchor_run) == 0)
		verify_error(v, "record of run %s after its anchor",
			     v->anchor_run);
	verify_record(v, rec, sealed);
	if (v->o != NULL && v->o->anchor != NULL &&
	    strcmp(hash, v->o->anchor) == 0) {
		v->anchor_seen = true;
		v->r->anchor_line = v->line;
		snprintf(v->anchor_run, sizeof(v->anchor_run), "%s", v->run);
	}
	if (visit)
		visit(arg, v->line, rec);
	json_decref(rec);
	memcpy(v->prev, hash, sizeof(hash));
}

/*
 * Not one seal verified.  Records cut from the head shift every key, so
 * before the key is called wrong the first failing records are tried
 * under each key k_0 .. k_{n + slack}: one that verifies under some k_j
 * means the key is this trace's and records went missing.
 */
static bool
verify_key_matches_none(struct verify *v)
{
	const struct gs_trace_verify_opts *o = v->o;
	unsigned char k[GS_SEAL_KEY_LEN];
	char calc[HASH_HEX + 1];
	long j, n = v->r->sealed_records;
	bool none = true;
	int i;

	if (o->seal_count > n)
		n = o->seal_count;
	memcpy(k, o->key, sizeof(k));
	for (j = 0; none && j <= n + SEAL_PROBE_SLACK; j++) {
		for (i = 0; none && i < v->nprobe; i++) {
			seal_mac(k, v->probe[i].head, v->probe[i].len, calc);
			none = strcmp(calc, v->probe[i].mac) != 0;
		}
		gs_seal_evolve(k);
	}
	OPENSSL_cleanse(k, sizeof(k));
	return none;
}

/* After the last line: the tail against the anchor and the seal count. */
static void
verify_tail(struct verify *v)
{
	const struct gs_trace_verify_opts *o = v->o;
	struct gs_trace_report *r = v->r;
	unsigned char k[GS_SEAL_KEY_LEN];
	long i;

	torn_resolve(v, NULL);
	if (v->state >= 0 && v->state != GS_STATE_EXIT)
		r->runs_incomplete++;
	if (o == NULL)
		return;
	if (v->keyed && r->sealed_records > 0 && v->seals_ok == 0 &&
	    v->nprobe > 0)
		r->key_mismatch = verify_key_matches_none(v);
	if (o->anchor != NULL && !v->anchor_seen) {
		r->tail_cut = true;
		verify_error(v, "tail cut: the anchor %.16s... is in no record "
				"of the trace; records were removed from its "
				"end",
			     o->anchor);
	}
	if (o->seal_count >= 0 && v->keyed) {
		if (r->sealed_records < o->seal_count) {
			r->tail_cut = true;
			verify_error(v, "tail cut: the seal count is %ld, the "
					"trace holds %ld sealed records",
				     o->seal_count, r->sealed_records);
		}
		/*
		 * More sealed records than the seal file counts: the file was
		 * not renewed after them (a crash, a failing disk), so it
		 * still holds the key that sealed them.  Whoever has the
		 * machine could have written them: not proven.
		 */
		if (o->have_seal_key && r->sealed_records > o->seal_count)
			r->unproven_records =
			    r->sealed_records - o->seal_count;
		if (o->have_seal_key) {
			/* The count is only as good as the key beside it. */
			memcpy(k, o->key, sizeof(k));
			for (i = 0; i < o->seal_count; i++)
				gs_seal_evolve(k);
			if (CRYPTO_memcmp(k, o->seal_key, sizeof(k)) != 0)
				verify_error(v, "the seal file's key is not "
						"key %ld of this verify key: the "
						"seal file was altered or "
						"belongs to another key",
					     o->seal_count);
			OPENSSL_cleanse(k, sizeof(k));
		}
	}
}

int
gs_trace_verify_opts(const char *path, const struct gs_trace_verify_opts *o,
		     struct gs_trace_report *report, gs_trace_visit_fn visit,
		     void *arg)
{
	struct verify v = {.r = report, .o = o, .state = -1, .run_sealed = -1};
	char *buf = NULL;
	size_t len = 0, cap = 0, pos;
	int fd, rc = 0;

	memset(report, 0, sizeof(*report));
	memset(v.prev, '0', HASH_HEX);
	if (o != NULL && o->have_key) {
		v.keyed = true;
		report->keyed = true;
		memcpy(v.key, o->key, sizeof(v.key));
	}
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
		OPENSSL_cleanse(v.key, sizeof(v.key));
		return rc;
	}
	for (pos = 0; pos < len;) {
		char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;

		v.line++;
		if (end == pos)
			verify_error(&v, "empty line");
		else
			verify_line(&v, buf + pos, end - pos, visit, arg);
		pos = end + 1;
	}
	free(buf);
	verify_tail(&v);
	free(v.torn);
	while (v.nprobe > 0)
		free(v.probe[--v.nprobe].head);
	OPENSSL_cleanse(v.key, sizeof(v.key));
	return report->errors ? -EBADMSG : 0;
}

int
gs_trace_verify(const char *path, struct gs_trace_report *report,
		gs_trace_visit_fn visit, void *arg)
{
	return gs_trace_verify_opts(path, NULL, report, visit, arg);
}

/* ---- The tail anchor ------------------------------------------------------ */

int
gs_trace_anchor_text(struct gs_trace *tr, char *buf, size_t size)
{
	char hash[HASH_HEX + 1], seal[40] = "";
	long records, sealed;
	int n;

	gs_trace_anchor(tr, hash, &records, &sealed);
	if (sealed >= 0)
		snprintf(seal, sizeof(seal), " sealed %ld", sealed);
	n = snprintf(buf, size, "trace anchor: run %s records %ld%s hash %s",
		     tr->run, records, seal, hash);
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}
