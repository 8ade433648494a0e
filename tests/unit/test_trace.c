/*
 * test_trace.c - the audit trace: format, chain across runs, and that each
 * kind of tampering (one byte edited, a line deleted, two lines swapped,
 * the file truncated) is detected by the verifier; sealing against an
 * attacker who re-chains the file or steals the current key; the tail
 * anchor; and write failures (fdatasync, short writes, RLIMIT_FSIZE).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "unit.h"

static char cause[GS_CAUSE_MAX];

static void
trace_path(char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s/%s", unit_tmpdir(), name);
	unlink(path);
}

/* One complete run: START, the four transitions, the EXIT summary. */
static void
write_run(const char *path)
{
	struct gs_trace *tr;
	json_t *d = json_pack("{s:i}", "orders_cancelled", 4);

	CU_ASSERT_EQUAL_FATAL(gs_trace_open(&tr, path, true, cause), 0);
	CU_ASSERT_EQUAL(gs_trace_append(tr, "START", NULL, "RUNNING", NULL),
			0);
	CU_ASSERT_EQUAL(
	    gs_trace_append(tr, "SIGTERM", "RUNNING", "CANCELLING", NULL), 0);
	CU_ASSERT_EQUAL(
	    gs_trace_append(tr, "PHASE_DONE", "CANCELLING", "CLOSING", d), 0);
	CU_ASSERT_EQUAL(
	    gs_trace_append(tr, "PHASE_DONE", "CLOSING", "JOINING", NULL), 0);
	CU_ASSERT_EQUAL(
	    gs_trace_append(tr, "PHASE_DONE", "JOINING", "EXIT", NULL), 0);
	CU_ASSERT_EQUAL(gs_trace_append(tr, "EXIT", "EXIT", "EXIT", NULL), 0);
	gs_trace_close(tr);
	json_decref(d);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n)
		n = 0;
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void
spit(const char *path, const char *buf, size_t len)
{
	FILE *fp = fopen(path, "w");

	fwrite(buf, 1, len, fp);
	fclose(fp);
}

/* Offsets of the line starts; returns the count. */
static int
lines(const char *buf, size_t len, size_t *starts, int max)
{
	int n = 0;
	size_t i;

	for (i = 0; i < len && n < max; i++)
		if (i == 0 || buf[i - 1] == '\n')
			starts[n++] = i;
	return n;
}

static void
test_trace_good_run_verifies(void)
{
	struct gs_trace_report r;
	char path[512];

	trace_path(path, sizeof(path), "good.jsonl");
	write_run(path);
	CU_ASSERT_EQUAL(gs_trace_verify(path, &r, NULL, NULL), 0);
	CU_ASSERT_EQUAL(r.records, 6);
	CU_ASSERT_EQUAL(r.runs, 1);
	CU_ASSERT_EQUAL(r.runs_incomplete, 0);
	CU_ASSERT_EQUAL(r.torn_lines, 0);
	CU_ASSERT_EQUAL(r.errors, 0);
}

static void
test_trace_record_format(void)
{
	char path[512], *buf, *nl, hash[65], want[65];
	size_t len, blen;
	json_t *rec;
	const char *key;
	json_t *val;
	static const char *const order[] = {"seq",   "run",   "time",
					    "mono_ns", "pid", "event",
					    "from", "state", "detail",
					    "prev",    "hash"};
	int i = 0;

	trace_path(path, sizeof(path), "format.jsonl");
	write_run(path);
	buf = slurp(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	nl = strchr(buf, '\n');
	*nl = '\0';
	/* Compact: no space between tokens. */
	CU_ASSERT_PTR_NULL(strstr(buf, "\": "));
	CU_ASSERT_PTR_NULL(strstr(buf, ", \""));
	rec = json_loads(buf, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
	json_object_foreach(rec, key, val) CU_ASSERT_STRING_EQUAL(key,
								  order[i++]);
	CU_ASSERT_EQUAL(i, 11);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(rec, "seq")), 0);
	CU_ASSERT_TRUE(json_is_null(json_object_get(rec, "from")));
	CU_ASSERT_STRING_EQUAL(
	    json_string_value(json_object_get(rec, "prev")),
	    "0000000000000000000000000000000000000000000000000000000000000000");
	CU_ASSERT_EQUAL(strlen(json_string_value(json_object_get(rec, "run"))),
			32);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(rec, "pid")),
			getpid());
	/* hash = SHA-256(prev || body without the hash member). */
	snprintf(hash, sizeof(hash), "%s",
		 json_string_value(json_object_get(rec, "hash")));
	blen = strlen(buf) - strlen(",\"hash\":\"\"}") - 64;
	buf[blen] = '}';
	gs_sha256_hex(json_string_value(json_object_get(rec, "prev")), 64, buf,
		      blen + 1, want);
	CU_ASSERT_STRING_EQUAL(hash, want);
	/* The time is RFC 3339 UTC with microseconds. */
	CU_ASSERT_EQUAL(
	    strlen(json_string_value(json_object_get(rec, "time"))), 27);
	json_decref(rec);
	free(buf);
}

static void
test_trace_chain_across_runs(void)
{
	struct gs_trace_report r;
	char path[512];

	trace_path(path, sizeof(path), "two.jsonl");
	write_run(path);
	write_run(path);
	CU_ASSERT_EQUAL(gs_trace_verify(path, &r, NULL, NULL), 0);
	CU_ASSERT_EQUAL(r.runs, 2);
	CU_ASSERT_EQUAL(r.records, 12);
	CU_ASSERT_EQUAL(r.errors, 0);
}

static void
test_trace_edit_one_byte(void)
{
	struct gs_trace_report r;
	char path[512], *buf, *p;
	size_t len;

	trace_path(path, sizeof(path), "edit.jsonl");
	write_run(path);
	buf = slurp(path, &len);
	p = strstr(buf, "\"orders_cancelled\":4");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p[strlen("\"orders_cancelled\":")] = '0';
	spit(path, buf, len);
	free(buf);
	CU_ASSERT_EQUAL(gs_trace_verify(path, &r, NULL, NULL), -EBADMSG);
	CU_ASSERT_EQUAL(r.first_error_line, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.first_error, "hash mismatch"));
}

static void
test_trace_delete_line(void)
{
	struct gs_trace_report r;
	char path[512], *buf, *out;
	size_t len, st[16];
	int n;

	trace_path(path, sizeof(path), "delete.jsonl");
	write_run(path);
	buf = slurp(path, &len);
	n = lines(buf, len, st, 16);
	CU_ASSERT_EQUAL_FATAL(n, 6);
	out = malloc(len);
	memcpy(out, buf, st[2]);
	memcpy(out + st[2], buf + st[3], len - st[3]);
	spit(path, out, len - (st[3] - st[2]));
	free(out);
	free(buf);
	CU_ASSERT_EQUAL(gs_trace_verify(path, &r, NULL, NULL), -EBADMSG);
	CU_ASSERT_EQUAL(r.first_error_line, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.first_error, "chain broken"));
}

static void
test_trace_swap_lines(void)
{
	struct gs_trace_report r;
	char path[512], *buf, *out;
	size_t len, st[16], a, b;
	int n;

	trace_path(path, sizeof(path), "swap.jsonl");
	write_run(path);
	buf = slurp(path, &len);
	n = lines(buf, len, st, 16);
	CU_ASSERT_EQUAL_FATAL(n, 6);
	a = st[2] - st[1];
	b = st[3] - st[2];
	out = malloc(len);
	memcpy(out, buf, len);
	memcpy(out + st[1], buf + st[2], b);
	memcpy(out + st[1] + b, buf + st[1], a);
	spit(path, out, len);
	free(out);
	free(buf);
	CU_ASSERT_EQUAL(gs_trace_verify(path, &r, NULL, NULL), -EBADMSG);
	CU_ASSERT_EQUAL(r.first_error_line, 2);
}

static void
test_trace_truncate_mid_line(void)
{
	struct gs_trace_report r;
	char path[512];
	size_t len;
	char *buf;

	trace_path(path, sizeof(path), "trunc.jsonl");
	write_run(path);
	buf = slurp(path, &len);
	CU_ASSERT_EQUAL(truncate(path, (off_t)len - 30), 0);
	free(buf);
	CU_ASSERT_EQUAL(gs_trace_verify(path, &r, NULL, NULL), 0);
	CU_ASSERT_EQUAL(r.torn_lines, 1);
	CU_ASSERT_EQUAL(r.runs_incomplete, 0);
	/* Cut into the JOINING->EXIT transition: the run never ended. */
	CU_ASSERT_EQUAL(truncate(path, (off_t)len / 2), 0);
	CU_ASSERT_EQUAL(gs_trace_verify(path, &r, NULL, NULL), 0);
	CU_ASSERT_EQUAL(r.torn_lines, 1);
	CU_ASSERT_EQUAL(r.runs_incomplete, 1);
}

static void
test_trace_truncate_whole_lines(void)
{
	struct gs_trace_report r;
	char path[512], *buf;
	size_t len, st[16];

	trace_path(path, sizeof(path), "cut.jsonl");
	write_run(path);
	buf = slurp(path, &len);
	lines(buf, len, st, 16);
	CU_ASSERT_EQUAL(truncate(path, (off_t)st[3]), 0);
	free(buf);
	CU_ASSERT_EQUAL(gs_trace_verify(path, &r, NULL, NULL), 0);
	CU_ASSERT_EQUAL(r.records, 3);
	CU_ASSERT_EQUAL(r.runs_incomplete, 1);
}

static void
test_trace_torn_then_new_run(void)
{
	struct gs_trace_report r;
	char path[512];
	size_t len;
	char *buf;

	trace_path(path, sizeof(path), "torn.jsonl");
	write_run(path);
	buf = slurp(path, &len);
	CU_ASSERT_EQUAL(truncate(path, (off_t)len - 30), 0);
	free(buf);
	write_run(path); /* must start on a new line, chained to the tip */
	CU_ASSERT_EQUAL(gs_trace_verify(path, &r, NULL, NULL), 0);
	CU_ASSERT_EQUAL(r.torn_lines, 1);
	CU_ASSERT_EQUAL(r.runs, 2);
	CU_ASSERT_EQUAL(r.records, 11);
	CU_ASSERT_EQUAL(r.errors, 0);
}

static void
test_trace_illegal_transition(void)
{
	struct gs_trace_report r;
	struct gs_trace *tr;
	char path[512];

	trace_path(path, sizeof(path), "illegal.jsonl");
	CU_ASSERT_EQUAL_FATAL(gs_trace_open(&tr, path, false, cause), 0);
	gs_trace_append(tr, "START", NULL, "RUNNING", NULL);
	gs_trace_append(tr, "PHASE_DONE", "RUNNING", "CLOSING", NULL);
	gs_trace_close(tr);
	CU_ASSERT_EQUAL(gs_trace_verify(path, &r, NULL, NULL), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.first_error, "illegal transition"));
}

static void
test_trace_locked_against_second_writer(void)
{
	struct gs_trace *a, *b = NULL;
	char path[512];

	trace_path(path, sizeof(path), "lock.jsonl");
	CU_ASSERT_EQUAL_FATAL(gs_trace_open(&a, path, false, cause), 0);
	CU_ASSERT_NOT_EQUAL(gs_trace_open(&b, path, false, cause), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "in use"));
	gs_trace_close(a);
	CU_ASSERT_EQUAL(gs_trace_open(&b, path, false, cause), 0);
	gs_trace_close(b);
}

static void
test_trace_frozen(void)
{
	struct gs_trace *tr;
	char path[512];

	trace_path(path, sizeof(path), "frozen.jsonl");
	CU_ASSERT_EQUAL_FATAL(gs_trace_open(&tr, path, false, cause), 0);
	CU_ASSERT_EQUAL(gs_trace_append(tr, "START", NULL, "RUNNING", NULL),
			0);
	gs_trace_freeze(tr);
	CU_ASSERT_EQUAL(
	    gs_trace_append(tr, "SIGTERM", "RUNNING", "CANCELLING", NULL),
	    -ECANCELED);
	gs_trace_close(tr);
}

static void
test_trace_missing_file(void)
{
	struct gs_trace_report r;

	CU_ASSERT_EQUAL(gs_trace_verify("/nonexistent/t.jsonl", &r, NULL,
					NULL),
			-ENOENT);
}

/* ---- Faults of the machine: write, fdatasync and fsync interposed ------ */

/*
 * These definitions take the place of libc's for the whole test binary
 * (the library's calls included) and pass through unless a test arms a
 * fault.  Only the trace (a *.jsonl file) is ever failed.
 */
static int fault_write_short; /* cut N trace writes in half, each... */
static int fault_write_err;   /* ...then failing once with ENOSPC */
static int fault_datasync;    /* fail the next N trace fdatasyncs (EIO) */
static int dir_fsyncs;	      /* fsyncs of a directory seen */
static int fault_seal_fsync;  /* fail the next N fsyncs of a *.tmp file */
static const char *fault_sync_on; /* a write holding it arms 2 EIO syncs */

/* A trace fdatasync that blocks until released, as on a stalled disk. */
static pthread_mutex_t stall_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stall_cv = PTHREAD_COND_INITIALIZER;
static bool stall_armed, stall_entered, stall_released;

static bool
fd_path_ends(int fd, const char *suffix)
{
	char link[64], target[1024];
	size_t sl = strlen(suffix);
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < (ssize_t)sl)
		return false;
	target[n] = '\0';
	return strcmp(target + n - sl, suffix) == 0;
}

static bool
is_trace_fd(int fd)
{
	return fd_path_ends(fd, ".jsonl");
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	static ssize_t (*real)(int, const void *, size_t);

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "write");
	/* The faults are the trace's alone, and only the thread writing the
	 * trace reads them: the log's writer thread writes too. */
	if (!is_trace_fd(fd))
		return real(fd, buf, len);
	if (fault_sync_on != NULL &&
	    memmem(buf, len, fault_sync_on, strlen(fault_sync_on)) != NULL) {
		fault_sync_on = NULL;
		fault_datasync = 2;
	}
	if (fault_write_short > 0 || fault_write_err > 0) {
		if (fault_write_err > 0) {
			fault_write_err--;
			errno = ENOSPC;
			return -1;
		}
		/* Half of it lands; the rest finds the disk full. */
		fault_write_short--;
		fault_write_err++;
		if (len > 1)
			len /= 2;
	}
	return real(fd, buf, len);
}

int
fdatasync(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "fdatasync");
	if (is_trace_fd(fd) && fault_datasync > 0) {
		fault_datasync--;
		errno = EIO;
		return -1;
	}
	pthread_mutex_lock(&stall_mu);
	if (stall_armed && is_trace_fd(fd)) {
		stall_entered = true;
		pthread_cond_broadcast(&stall_cv);
		while (!stall_released)
			pthread_cond_wait(&stall_cv, &stall_mu);
	}
	pthread_mutex_unlock(&stall_mu);
	return real(fd);
}

int
fsync(int fd)
{
	static int (*real)(int);
	struct stat st;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "fsync");
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
		dir_fsyncs++;
	if (fd_path_ends(fd, ".tmp") && fault_seal_fsync > 0) {
		fault_seal_fsync--;
		errno = EIO;
		return -1;
	}
	return real(fd);
}

/* ---- Editing a trace as an attacker would ------------------------------ */

#define MAXL 64
static char *ln[MAXL];
static int nln;

static void
lines_load(const char *path)
{
	size_t len, i, b = 0;
	char *buf = slurp(path, &len);

	nln = 0;
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	for (i = 0; i < len && nln < MAXL; i++) {
		if (buf[i] != '\n')
			continue;
		ln[nln++] = strndup(buf + b, i - b);
		b = i + 1;
	}
	free(buf);
}

static void
lines_save(const char *path)
{
	FILE *fp = fopen(path, "w");
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	for (i = 0; i < nln; i++) {
		fprintf(fp, "%s\n", ln[i]);
		free(ln[i]);
	}
	fclose(fp);
	nln = 0;
}

static void
line_replace(int i, const char *from, const char *to)
{
	char *p = strstr(ln[i], from), *n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	n = malloc(strlen(ln[i]) - strlen(from) + strlen(to) + 1);
	sprintf(n, "%.*s%s%s", (int)(p - ln[i]), ln[i], to, p + strlen(from));
	free(ln[i]);
	ln[i] = n;
}

/* Suffix lengths: ,"mac":"<64>" ,"prev":"<64>" ,"hash":"<64>"} */
#define MAC_M 73
#define PREV_M 74
#define HASH_M 75

/* Recompute every prev and hash, as anyone who can write the file can. */
static void
lines_rechain(void)
{
	char prev[65], hash[65], *body;
	size_t len;
	int i;

	memset(prev, '0', 64);
	prev[64] = '\0';
	for (i = 0; i < nln; i++) {
		len = strlen(ln[i]);
		memcpy(ln[i] + len - HASH_M - PREV_M + 9, prev, 64);
		body = strndup(ln[i], len - HASH_M + 1);
		body[len - HASH_M] = '}';
		gs_sha256_hex(prev, 64, body, len - HASH_M + 1, hash);
		free(body);
		memcpy(ln[i] + len - HASH_M + 9, hash, 64);
		memcpy(prev, hash, 65);
	}
}

/* Put a mac made with key on line i. */
static void
line_reseal(int i, const unsigned char key[GS_SEAL_KEY_LEN])
{
	size_t len = strlen(ln[i]), m = len - HASH_M - PREV_M - MAC_M;
	unsigned char md[32];
	unsigned int mdlen = 0;
	char *body = strndup(ln[i], m + 1);
	int j;

	CU_ASSERT_EQUAL_FATAL(memcmp(ln[i] + m, ",\"mac\":\"", 8), 0);
	body[m] = '}';
	HMAC(EVP_sha256(), key, GS_SEAL_KEY_LEN, (unsigned char *)body, m + 1,
	     md, &mdlen);
	free(body);
	for (j = 0; j < 32; j++) {
		static const char hex[] = "0123456789abcdef";

		ln[i][m + 8 + 2 * j] = hex[md[j] >> 4];
		ln[i][m + 8 + 2 * j + 1] = hex[md[j] & 0xf];
	}
}

/* ---- Sealing ----------------------------------------------------------- */

static void
seal_paths(char *seal, char *verify, size_t size, const char *name)
{
	snprintf(seal, size, "%s/%s.seal", unit_tmpdir(), name);
	snprintf(verify, size, "%s/%s.verify", unit_tmpdir(), name);
	unlink(seal);
	unlink(verify);
	CU_ASSERT_EQUAL_FATAL(gs_seal_keygen(seal, verify, cause), 0);
}

/* A complete run, sealed with seal (NULL: not sealed). */
static void
write_run_sealed(const char *path, const char *seal, char anchor[65])
{
	struct gs_trace *tr;
	long n, s;

	CU_ASSERT_EQUAL_FATAL(gs_trace_open(&tr, path, false, cause), 0);
	if (seal != NULL)
		CU_ASSERT_EQUAL_FATAL(gs_trace_set_seal(tr, seal, cause), 0);
	CU_ASSERT_EQUAL(gs_trace_append(tr, "START", NULL, "RUNNING", NULL),
			0);
	CU_ASSERT_EQUAL(
	    gs_trace_append(tr, "SIGTERM", "RUNNING", "CANCELLING", NULL), 0);
	CU_ASSERT_EQUAL(gs_trace_append(tr, "PHASE_DONE", "CANCELLING",
					"CLOSING", NULL),
			0);
	CU_ASSERT_EQUAL(
	    gs_trace_append(tr, "PHASE_DONE", "CLOSING", "JOINING", NULL), 0);
	CU_ASSERT_EQUAL(
	    gs_trace_append(tr, "PHASE_DONE", "JOINING", "EXIT", NULL), 0);
	CU_ASSERT_EQUAL(gs_trace_append(tr, "EXIT", "EXIT", "EXIT", NULL), 0);
	if (anchor != NULL) {
		gs_trace_anchor(tr, anchor, &n, &s);
		CU_ASSERT_EQUAL(n, 6);
	}
	gs_trace_close(tr);
}

/* Verify with the verify key, and the seal file's count and key if seal. */
static int
verify_keyed(const char *path, const char *verify, const char *seal,
	     const char *anchor, struct gs_trace_report *r)
{
	struct gs_trace_verify_opts o = {.seal_count = -1, .anchor = anchor};
	long n;

	CU_ASSERT_EQUAL_FATAL(gs_seal_read(verify, o.key, &n, cause), 0);
	o.have_key = true;
	if (seal != NULL) {
		CU_ASSERT_EQUAL_FATAL(
		    gs_seal_read(seal, o.seal_key, &o.seal_count, cause), 0);
		o.have_seal_key = true;
	}
	return gs_trace_verify_opts(path, &o, r, NULL, NULL);
}

static void
test_seal_untouched_verifies(void)
{
	unsigned char k0[GS_SEAL_KEY_LEN], kn[GS_SEAL_KEY_LEN];
	char path[512], seal[512], verify[512], anchor[65];
	struct gs_trace_report r;
	struct stat st;
	long n;
	int i;

	trace_path(path, sizeof(path), "sealed.jsonl");
	seal_paths(seal, verify, sizeof(seal), "untouched");
	CU_ASSERT_EQUAL(stat(seal, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	write_run_sealed(path, seal, NULL);
	write_run_sealed(path, seal, anchor);
	CU_ASSERT_EQUAL(verify_keyed(path, verify, seal, anchor, &r), 0);
	CU_ASSERT_EQUAL(r.errors, 0);
	CU_ASSERT_TRUE(r.keyed);
	CU_ASSERT_EQUAL(r.sealed_records, 12);
	CU_ASSERT_EQUAL(r.sealed_runs, 2);
	CU_ASSERT_EQUAL(r.anchor_line, 12);
	CU_ASSERT_FALSE(r.tail_cut);
	/* Unkeyed verifiers still work on a sealed trace. */
	CU_ASSERT_EQUAL(gs_trace_verify(path, &r, NULL, NULL), 0);
	/* The seal file moved on: key k_12, count 12; k_0 is gone from it. */
	CU_ASSERT_EQUAL(gs_seal_read(verify, k0, &n, cause), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(gs_seal_read(seal, kn, &n, cause), 0);
	CU_ASSERT_EQUAL(n, 12);
	CU_ASSERT_NOT_EQUAL(memcmp(k0, kn, sizeof(k0)), 0);
	for (i = 0; i < 12; i++)
		gs_seal_evolve(k0);
	CU_ASSERT_EQUAL(memcmp(k0, kn, sizeof(k0)), 0);
}

static void
test_seal_catches_rechained_edit(void)
{
	char path[512], seal[512], verify[512];
	struct gs_trace_report r;

	trace_path(path, sizeof(path), "rechained.jsonl");
	seal_paths(seal, verify, sizeof(seal), "rechained");
	write_run_sealed(path, seal, NULL);
	lines_load(path);
	line_replace(2, "\"pid\":", "\"pid\":1");
	lines_rechain();
	lines_save(path);
	/* The unkeyed chain cannot tell: anyone can recompute it. */
	CU_ASSERT_EQUAL(gs_trace_verify(path, &r, NULL, NULL), 0);
	CU_ASSERT_EQUAL(verify_keyed(path, verify, NULL, NULL, &r), -EBADMSG);
	CU_ASSERT_EQUAL(r.first_error_line, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.first_error, "seal broken"));
}

static void
test_seal_stolen_key_cannot_forge_the_past(void)
{
	unsigned char stolen[GS_SEAL_KEY_LEN];
	char path[512], seal[512], verify[512];
	struct gs_trace_report r;
	long n;
	int j;

	trace_path(path, sizeof(path), "stolen.jsonl");
	seal_paths(seal, verify, sizeof(seal), "stolen");
	write_run_sealed(path, seal, NULL);
	/* The machine is taken: the key on it, and every key after it. */
	CU_ASSERT_EQUAL_FATAL(gs_seal_read(seal, stolen, &n, cause), 0);
	lines_load(path);
	line_replace(1, "\"SIGTERM\"", "\"SIGINT\"");
	for (j = 0; j < 8; j++) {
		line_reseal(1, stolen);
		lines_rechain();
		lines_save(path);
		CU_ASSERT_EQUAL(gs_trace_verify(path, &r, NULL, NULL), 0);
		CU_ASSERT_EQUAL(verify_keyed(path, verify, NULL, NULL, &r),
				-EBADMSG);
		CU_ASSERT_EQUAL(r.first_error_line, 2);
		CU_ASSERT_PTR_NOT_NULL(strstr(r.first_error, "seal broken"));
		lines_load(path);
		gs_seal_evolve(stolen);
	}
	lines_save(path);
}

/* Delete, reorder or duplicate lines of a sealed run, then re-chain. */
static void
seal_mangle(const char *what, int want_line)
{
	char path[512], seal[512], verify[512], *t;
	struct gs_trace_report r;

	trace_path(path, sizeof(path), "mangled.jsonl");
	seal_paths(seal, verify, sizeof(seal), "mangled");
	write_run_sealed(path, seal, NULL);
	lines_load(path);
	if (strcmp(what, "delete") == 0) {
		free(ln[2]);
		memmove(ln + 2, ln + 3, (size_t)(nln - 3) * sizeof(*ln));
		nln--;
	} else if (strcmp(what, "reorder") == 0) {
		t = ln[2];
		ln[2] = ln[3];
		ln[3] = t;
	} else {
		memmove(ln + 3, ln + 2, (size_t)(nln - 2) * sizeof(*ln));
		ln[2] = strdup(ln[3]);
		nln++;
	}
	lines_rechain();
	lines_save(path);
	CU_ASSERT_EQUAL(verify_keyed(path, verify, NULL, NULL, &r), -EBADMSG);
	CU_ASSERT_EQUAL(r.first_error_line, want_line);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.first_error, "seal broken"));
}

static void
test_seal_catches_delete_reorder_duplicate(void)
{
	seal_mangle("delete", 3);
	seal_mangle("reorder", 3);
	seal_mangle("duplicate", 4);
}

static void
test_seal_tail_cut_or_crash(void)
{
	char path[512], seal[512], verify[512], anchor[65];
	struct gs_trace_report r;
	struct gs_trace *tr;
	size_t len, st[16];
	char *buf;

	trace_path(path, sizeof(path), "tail.jsonl");
	seal_paths(seal, verify, sizeof(seal), "tail");
	write_run_sealed(path, seal, NULL);
	write_run_sealed(path, seal, anchor);
	buf = slurp(path, &len);
	CU_ASSERT_EQUAL(lines(buf, len, st, 16), 12);
	free(buf);
	/* The last three records cut: alone, it reads as a crash. */
	CU_ASSERT_EQUAL(truncate(path, (off_t)st[9]), 0);
	CU_ASSERT_EQUAL(gs_trace_verify(path, &r, NULL, NULL), 0);
	CU_ASSERT_EQUAL(r.runs_incomplete, 1);
	/* The anchor and the seal count each tell it is a cut. */
	CU_ASSERT_EQUAL(verify_keyed(path, verify, NULL, anchor, &r),
			-EBADMSG);
	CU_ASSERT_TRUE(r.tail_cut);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.first_error, "tail cut"));
	CU_ASSERT_EQUAL(verify_keyed(path, verify, seal, NULL, &r), -EBADMSG);
	CU_ASSERT_TRUE(r.tail_cut);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.first_error, "seal count is 12"));

	/* A real crash: all records there, a run without EXIT after it. */
	trace_path(path, sizeof(path), "crash.jsonl");
	seal_paths(seal, verify, sizeof(seal), "crash");
	write_run_sealed(path, seal, anchor);
	CU_ASSERT_EQUAL_FATAL(gs_trace_open(&tr, path, false, cause), 0);
	CU_ASSERT_EQUAL_FATAL(gs_trace_set_seal(tr, seal, cause), 0);
	CU_ASSERT_EQUAL(gs_trace_append(tr, "START", NULL, "RUNNING", NULL),
			0);
	CU_ASSERT_EQUAL(
	    gs_trace_append(tr, "SIGTERM", "RUNNING", "CANCELLING", NULL), 0);
	gs_trace_close(tr); /* and no anchor: it died */
	CU_ASSERT_EQUAL(verify_keyed(path, verify, seal, anchor, &r), 0);
	CU_ASSERT_FALSE(r.tail_cut);
	CU_ASSERT_EQUAL(r.runs_incomplete, 1);
	CU_ASSERT_EQUAL(r.anchor_line, 6);
}

static void
test_seal_mixed_runs(void)
{
	char path[512], seal[512], verify[512];
	struct gs_trace_report r;

	trace_path(path, sizeof(path), "mixed.jsonl");
	seal_paths(seal, verify, sizeof(seal), "mixed");
	write_run_sealed(path, NULL, NULL);
	write_run_sealed(path, seal, NULL);
	CU_ASSERT_EQUAL(gs_trace_verify(path, &r, NULL, NULL), 0);
	CU_ASSERT_EQUAL(r.sealed_runs, 1);
	CU_ASSERT_EQUAL(r.unsealed_runs_before, 1);
	/* Runs from before sealing began: reported, not proven. */
	CU_ASSERT_EQUAL(verify_keyed(path, verify, seal, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.unsealed_runs_before, 1);
	CU_ASSERT_EQUAL(r.sealed_records, 6);
	/* An unsealed run after a sealed one could be an insertion. */
	write_run_sealed(path, NULL, NULL);
	CU_ASSERT_EQUAL(gs_trace_verify(path, &r, NULL, NULL), 0);
	CU_ASSERT_EQUAL(r.unsealed_runs_after, 1);
	CU_ASSERT_EQUAL(verify_keyed(path, verify, NULL, NULL, &r), -EBADMSG);
	CU_ASSERT_EQUAL(r.first_error_line, 13);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.first_error, "unsealed record"));
}

static void
test_seal_file_catches_up_after_crash(void)
{
	unsigned char k[GS_SEAL_KEY_LEN];
	char path[512], seal[512], verify[512], line[160];
	struct gs_trace_report r;
	long n;
	int i, fd;

	trace_path(path, sizeof(path), "catchup.jsonl");
	seal_paths(seal, verify, sizeof(seal), "catchup");
	write_run_sealed(path, seal, NULL);
	/* A crash after record 5 was written, before the seal file moved. */
	CU_ASSERT_EQUAL_FATAL(gs_seal_read(verify, k, &n, cause), 0);
	for (i = 0; i < 5; i++)
		gs_seal_evolve(k);
	n = snprintf(line, sizeof(line), "gs-seal-v1 ");
	for (i = 0; i < GS_SEAL_KEY_LEN; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", k[i]);
	n += snprintf(line + n, sizeof(line) - (size_t)n, " 5\n");
	fd = open(seal, O_WRONLY | O_TRUNC);
	CU_ASSERT_EQUAL(write(fd, line, (size_t)n), n);
	close(fd);
	write_run_sealed(path, seal, NULL);
	CU_ASSERT_EQUAL(gs_seal_read(seal, k, &n, cause), 0);
	CU_ASSERT_EQUAL(n, 12);
	CU_ASSERT_EQUAL(verify_keyed(path, verify, seal, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.sealed_records, 12);
}

static void
test_seal_file_must_be_private(void)
{
	char path[512], seal[512], verify[512];
	struct gs_trace *tr;

	trace_path(path, sizeof(path), "private.jsonl");
	seal_paths(seal, verify, sizeof(seal), "private");
	/* keygen never overwrites a key. */
	CU_ASSERT_NOT_EQUAL(gs_seal_keygen(seal, verify, cause), 0);
	CU_ASSERT_EQUAL(chmod(seal, 0644), 0);
	CU_ASSERT_EQUAL_FATAL(gs_trace_open(&tr, path, false, cause), 0);
	CU_ASSERT_EQUAL(gs_trace_set_seal(tr, seal, cause), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, "0600"));
	gs_trace_close(tr);
}

/* ---- Write failures ---------------------------------------------------- */

/*
 * START and READY, then the shutdown, with a fault armed for SIGTERM.  With
 * retry, the caller appends SIGTERM again when it was reported lost.
 */
static int
run_with_fault(const char *path, const char *seal, int *armed, int count,
	       bool retry)
{
	struct gs_trace *tr;
	int rc;

	CU_ASSERT_EQUAL_FATAL(gs_trace_open(&tr, path, true, cause), 0);
	if (seal != NULL)
		CU_ASSERT_EQUAL_FATAL(gs_trace_set_seal(tr, seal, cause), 0);
	CU_ASSERT_EQUAL(gs_trace_append(tr, "START", NULL, "RUNNING", NULL),
			0);
	CU_ASSERT_EQUAL(gs_trace_append(tr, "READY", "RUNNING", "RUNNING",
					NULL),
			0);
	*armed = count;
	rc = gs_trace_append(tr, "SIGTERM", "RUNNING", "CANCELLING", NULL);
	*armed = 0;
	CU_ASSERT_EQUAL(gs_trace_failures(tr), rc < 0 ? 1 : 0);
	if (rc < 0 && retry)
		CU_ASSERT_EQUAL(gs_trace_append(tr, "SIGTERM", "RUNNING",
						"CANCELLING", NULL),
				0);
	CU_ASSERT_EQUAL(gs_trace_append(tr, "PHASE_DONE", "CANCELLING",
					"CLOSING", NULL),
			0);
	CU_ASSERT_EQUAL(gs_trace_append(tr, "EXIT", "CLOSING", "CLOSING",
					NULL),
			0);
	gs_trace_close(tr);
	return rc;
}

static void
test_trace_fdatasync_fails_once(void)
{
	char path[512], seal[512], verify[512];
	struct gs_trace_report r;

	trace_path(path, sizeof(path), "sync1.jsonl");
	seal_paths(seal, verify, sizeof(seal), "sync1");
	CU_ASSERT_EQUAL(run_with_fault(path, seal, &fault_datasync, 1, false),
			0);
	CU_ASSERT_EQUAL(verify_keyed(path, verify, seal, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.records, 5); /* no duplicate seq */
	CU_ASSERT_EQUAL(r.torn_lines, 0);
}

static void
test_trace_fdatasync_fails_twice(void)
{
	char path[512], seal[512], verify[512];
	struct gs_trace_report r;

	/*
	 * Reported, though the record is in the file (not known durable):
	 * seq, prev and the seal key go on from it, never past it or twice.
	 */
	trace_path(path, sizeof(path), "sync2.jsonl");
	seal_paths(seal, verify, sizeof(seal), "sync2");
	CU_ASSERT_EQUAL(run_with_fault(path, seal, &fault_datasync, 2, false),
			-EIO);
	CU_ASSERT_EQUAL(verify_keyed(path, verify, seal, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.records, 5);
	CU_ASSERT_EQUAL(r.sealed_records, 5);
}

static void
test_trace_short_write_once(void)
{
	char path[512], seal[512], verify[512];
	struct gs_trace_report r;

	trace_path(path, sizeof(path), "short1.jsonl");
	seal_paths(seal, verify, sizeof(seal), "short1");
	CU_ASSERT_EQUAL(run_with_fault(path, seal, &fault_write_short, 1, false),
			0);
	CU_ASSERT_EQUAL(verify_keyed(path, verify, seal, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.records, 5);
	CU_ASSERT_EQUAL(r.torn_lines, 1); /* the fragment, on its own line */
}

static void
test_trace_write_fails_twice(void)
{
	char path[512], seal[512], verify[512];
	struct gs_trace_report r;

	trace_path(path, sizeof(path), "nospc.jsonl");
	seal_paths(seal, verify, sizeof(seal), "nospc");
	CU_ASSERT_EQUAL(run_with_fault(path, seal, &fault_write_short, 2, true),
			-ENOSPC);
	CU_ASSERT_EQUAL(verify_keyed(path, verify, seal, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.records, 5);
	CU_ASSERT_EQUAL(r.torn_lines, 2);
}

static void
test_trace_rlimit_fsize(void)
{
	char path[512], seal[512], verify[512];
	struct gs_trace_report r;
	struct gs_trace *tr;
	struct rlimit old, lim;
	struct sigaction ign = {.sa_handler = SIG_IGN}, oldsa;
	struct stat st;
	int rc;

	trace_path(path, sizeof(path), "fsize.jsonl");
	seal_paths(seal, verify, sizeof(seal), "fsize");
	CU_ASSERT_EQUAL_FATAL(gs_trace_open(&tr, path, true, cause), 0);
	CU_ASSERT_EQUAL_FATAL(gs_trace_set_seal(tr, seal, cause), 0);
	CU_ASSERT_EQUAL(gs_trace_append(tr, "START", NULL, "RUNNING", NULL),
			0);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	/* Room for 100 more bytes: a record is cut short, like a full disk. */
	sigaction(SIGXFSZ, &ign, &oldsa);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size + 100;
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rc = gs_trace_append(tr, "SIGTERM", "RUNNING", "CANCELLING", NULL);
	setrlimit(RLIMIT_FSIZE, &old);
	sigaction(SIGXFSZ, &oldsa, NULL);
	CU_ASSERT_EQUAL(rc, -EFBIG);
	CU_ASSERT_EQUAL(gs_trace_failures(tr), 1);
	/* Room again: the record starts on a new line, chained to START. */
	CU_ASSERT_EQUAL(
	    gs_trace_append(tr, "SIGTERM", "RUNNING", "CANCELLING", NULL), 0);
	CU_ASSERT_EQUAL(gs_trace_append(tr, "PHASE_DONE", "CANCELLING",
					"CLOSING", NULL),
			0);
	gs_trace_close(tr);
	CU_ASSERT_EQUAL(verify_keyed(path, verify, seal, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.records, 3);
	CU_ASSERT_EQUAL(r.torn_lines, 1);
	CU_ASSERT_EQUAL(r.errors, 0);
}

static void
test_trace_dir_fsynced_on_create(void)
{
	struct gs_trace *tr;
	char path[512];
	int before;

	trace_path(path, sizeof(path), "dirsync.jsonl");
	before = dir_fsyncs;
	CU_ASSERT_EQUAL_FATAL(gs_trace_open(&tr, path, true, cause), 0);
	CU_ASSERT_EQUAL(dir_fsyncs, before + 1);
	gs_trace_close(tr);
	CU_ASSERT_EQUAL_FATAL(gs_trace_open(&tr, path, true, cause), 0);
	CU_ASSERT_EQUAL(dir_fsyncs, before + 1); /* not created this time */
	gs_trace_close(tr);
}

/* Insert text as line i (0-based) of the loaded lines. */
static void
line_insert(int i, const char *text)
{
	CU_ASSERT_FATAL(nln < MAXL);
	memmove(ln + i + 1, ln + i, (size_t)(nln - i) * sizeof(*ln));
	ln[i] = strdup(text);
	nln++;
}

/* A sealed, anchored trace with line ins inserted before line at. */
static int
torn_case(const char *ins, int at, bool cut_of_next,
	  struct gs_trace_report *r)
{
	char path[512], seal[512], verify[512], anchor[65], frag[128];

	trace_path(path, sizeof(path), "tornins.jsonl");
	seal_paths(seal, verify, sizeof(seal), "tornins");
	write_run_sealed(path, seal, anchor);
	lines_load(path);
	if (cut_of_next) {
		/* The beginning of record `at`, as a write cut short. */
		snprintf(frag, sizeof(frag), "%.100s", ln[at]);
		ins = frag;
	}
	line_insert(at, ins);
	lines_save(path);
	return verify_keyed(path, verify, seal, anchor, r);
}

static void
test_trace_torn_only_where_a_write_was_cut(void)
{
	struct gs_trace_report r;
	char forged[1024];

	/* A forged record whose hash is no hash: not a torn line. */
	snprintf(forged, sizeof(forged),
		 "{\"seq\":3,\"run\":\"%032d\",\"time\":\"x\",\"mono_ns\":1,"
		 "\"pid\":1,\"event\":\"FORCE\",\"from\":\"CLOSING\","
		 "\"state\":\"EXIT\",\"detail\":{},\"hash\":\"nothex\"}",
		 0);
	CU_ASSERT_EQUAL(torn_case(forged, 3, false, &r), -EBADMSG);
	CU_ASSERT_EQUAL(r.first_error_line, 4);
	CU_ASSERT_EQUAL(r.torn_lines, 0);
	/* A line of garbage. */
	CU_ASSERT_EQUAL(torn_case("garbage", 2, false, &r), -EBADMSG);
	CU_ASSERT_EQUAL(r.first_error_line, 3);
	/* A fragment that is not the beginning of the record after it. */
	CU_ASSERT_EQUAL(torn_case("{\"seq\":4,\"run\":\"", 2, false, &r),
			-EBADMSG);
	CU_ASSERT_EQUAL(r.first_error_line, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.first_error, "no record"));
	/* A real cut: the beginning of the record that follows. */
	CU_ASSERT_EQUAL(torn_case(NULL, 3, true, &r), 0);
	CU_ASSERT_EQUAL(r.torn_lines, 1);
	CU_ASSERT_EQUAL(r.torn_line[0], 4);
	/* A fragment that is complete JSON is not a cut either. */
	CU_ASSERT_EQUAL(torn_case("{\"seq\":3}", 3, false, &r), -EBADMSG);
}

/* The seal file as path holds it: its count, and whether its key is k_n. */
static long
seal_count_of(const char *seal, const char *verify)
{
	unsigned char k[GS_SEAL_KEY_LEN], kn[GS_SEAL_KEY_LEN];
	long n, i, m;

	CU_ASSERT_EQUAL_FATAL(gs_seal_read(seal, kn, &n, cause), 0);
	CU_ASSERT_EQUAL_FATAL(gs_seal_read(verify, k, &m, cause), 0);
	for (i = 0; i < n; i++)
		gs_seal_evolve(k);
	CU_ASSERT_EQUAL(memcmp(k, kn, sizeof(k)), 0);
	return n;
}

static void
test_seal_renewed_when_only_sync_failed(void)
{
	char path[512], seal[512], verify[512];
	struct gs_trace_report r;
	struct gs_trace *tr;

	trace_path(path, sizeof(path), "syncseal.jsonl");
	seal_paths(seal, verify, sizeof(seal), "syncseal");
	CU_ASSERT_EQUAL_FATAL(gs_trace_open(&tr, path, true, cause), 0);
	CU_ASSERT_EQUAL_FATAL(gs_trace_set_seal(tr, seal, cause), 0);
	CU_ASSERT_EQUAL(gs_trace_append(tr, "START", NULL, "RUNNING", NULL),
			0);
	fault_datasync = 2;
	CU_ASSERT_EQUAL(
	    gs_trace_append(tr, "SIGTERM", "RUNNING", "CANCELLING", NULL),
	    -EIO);
	fault_datasync = 0;
	CU_ASSERT_EQUAL(gs_trace_failures(tr), 1);
	/* Written, not durable: counted at once, its key gone from disk. */
	CU_ASSERT_EQUAL(seal_count_of(seal, verify), 2);
	CU_ASSERT_EQUAL(verify_keyed(path, verify, seal, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.sealed_records, 2);
	CU_ASSERT_EQUAL(r.unproven_records, 0);
	CU_ASSERT_EQUAL(
	    gs_trace_append(tr, "PHASE_DONE", "CANCELLING", "CLOSING", NULL),
	    0);
	gs_trace_close(tr);
	CU_ASSERT_EQUAL(verify_keyed(path, verify, seal, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.records, 3);
	CU_ASSERT_EQUAL(seal_count_of(seal, verify), 3);
}

static void
test_seal_file_not_renewed_is_counted_and_reported(void)
{
	char path[512], seal[512], verify[512];
	struct gs_trace_report r;
	struct gs_trace *tr;

	trace_path(path, sizeof(path), "dirty.jsonl");
	seal_paths(seal, verify, sizeof(seal), "dirty");
	CU_ASSERT_EQUAL_FATAL(gs_trace_open(&tr, path, true, cause), 0);
	CU_ASSERT_EQUAL_FATAL(gs_trace_set_seal(tr, seal, cause), 0);
	CU_ASSERT_EQUAL(gs_trace_append(tr, "START", NULL, "RUNNING", NULL),
			0);
	/* The seal file cannot be rewritten (twice): the record stands. */
	fault_seal_fsync = 2;
	CU_ASSERT_EQUAL(
	    gs_trace_append(tr, "READY", "RUNNING", "RUNNING", NULL), -EIO);
	CU_ASSERT_EQUAL(gs_trace_failures(tr), 1);
	CU_ASSERT_EQUAL(seal_count_of(seal, verify), 1);
	/* The seal file lags: the last record is not proven. */
	CU_ASSERT_EQUAL(verify_keyed(path, verify, seal, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.sealed_records, 2);
	CU_ASSERT_EQUAL(r.unproven_records, 1);
	/* The catch-up rewrite fails too: counted. */
	fault_seal_fsync = 1;
	CU_ASSERT_EQUAL(
	    gs_trace_append(tr, "SIGTERM", "RUNNING", "CANCELLING", NULL), 0);
	CU_ASSERT_EQUAL(gs_trace_failures(tr), 2);
	CU_ASSERT_EQUAL(fault_seal_fsync, 0);
	CU_ASSERT_EQUAL(seal_count_of(seal, verify), 3);
	gs_trace_close(tr);
	CU_ASSERT_EQUAL(verify_keyed(path, verify, seal, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.unproven_records, 0);
	/* No temporary file left behind. */
	CU_ASSERT_NOT_EQUAL(access(strcat(seal, ".tmp"), F_OK), 0);
}

/* Write a seal file holding key k_n of verify, with count. */
static void
seal_forge(const char *seal, const char *verify, int n, long count)
{
	unsigned char k[GS_SEAL_KEY_LEN];
	char line[160];
	long m;
	int i, len, fd;

	CU_ASSERT_EQUAL_FATAL(gs_seal_read(verify, k, &m, cause), 0);
	for (i = 0; i < n; i++)
		gs_seal_evolve(k);
	len = snprintf(line, sizeof(line), "gs-seal-v1 ");
	for (i = 0; i < GS_SEAL_KEY_LEN; i++)
		len += snprintf(line + len, sizeof(line) - (size_t)len, "%02x",
				k[i]);
	len += snprintf(line + len, sizeof(line) - (size_t)len, " %ld\n",
			count);
	fd = open(seal, O_WRONLY | O_TRUNC);
	CU_ASSERT_EQUAL_FATAL(fd >= 0, true);
	CU_ASSERT_EQUAL(write(fd, line, (size_t)len), len);
	close(fd);
}

static void
test_seal_file_key_must_match_its_count(void)
{
	char path[512], seal[512], verify[512];
	struct gs_trace_report r;

	trace_path(path, sizeof(path), "keycount.jsonl");
	seal_paths(seal, verify, sizeof(seal), "keycount");
	write_run_sealed(path, seal, NULL);
	CU_ASSERT_EQUAL(verify_keyed(path, verify, seal, NULL, &r), 0);
	/* An older key under the right count: the key is not k_6. */
	seal_forge(seal, verify, 5, 6);
	CU_ASSERT_EQUAL(verify_keyed(path, verify, seal, NULL, &r), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.first_error, "not key 6"));
	/* Lowered by hand, key k_6 kept: not key 5 either. */
	seal_forge(seal, verify, 6, 5);
	CU_ASSERT_EQUAL(verify_keyed(path, verify, seal, NULL, &r), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.first_error, "not key 5"));
	/* Key and count agree, one record behind: that record unproven. */
	seal_forge(seal, verify, 5, 5);
	CU_ASSERT_EQUAL(verify_keyed(path, verify, seal, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.unproven_records, 1);
}

static void
test_seal_read_wipes_a_bad_key(void)
{
	unsigned char key[GS_SEAL_KEY_LEN], zero[GS_SEAL_KEY_LEN] = {0};
	char path[512];
	long n;

	memset(key, 0x5a, sizeof(key));
	unit_write(path, sizeof(path), "bad.seal",
		   "gs-seal-v1 0123456789abcdef0123456789abcdefXX");
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
	CU_ASSERT_EQUAL(gs_seal_read(path, key, &n, cause), -EINVAL);
	CU_ASSERT_EQUAL(memcmp(key, zero, sizeof(key)), 0);
}

static void
test_seal_tmp_file_planted_is_not_written(void)
{
	char path[512], seal[512], verify[512], tmp[600], victim[600];
	struct gs_trace *tr;
	struct stat st;
	size_t len;
	char *buf;

	trace_path(path, sizeof(path), "planted.jsonl");
	seal_paths(seal, verify, sizeof(seal), "planted");
	/* A hard link to a file of someone else's, where SEAL.tmp goes. */
	unit_write(victim, sizeof(victim), "victim.txt", "keep me\n");
	snprintf(tmp, sizeof(tmp), "%s.tmp", seal);
	CU_ASSERT_EQUAL_FATAL(link(victim, tmp), 0);
	write_run_sealed(path, seal, NULL);
	buf = slurp(victim, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_EQUAL(len, 8);
	CU_ASSERT_EQUAL(memcmp(buf, "keep me\n", 8), 0);
	free(buf);
	CU_ASSERT_EQUAL(stat(victim, &st), 0);
	CU_ASSERT_EQUAL(st.st_nlink, 1);
	CU_ASSERT_EQUAL(seal_count_of(seal, verify), 6);
	/* A hard link to the seal file keeps no old key either. */
	snprintf(tmp, sizeof(tmp), "%s.old", seal);
	CU_ASSERT_EQUAL_FATAL(link(seal, tmp), 0);
	CU_ASSERT_EQUAL_FATAL(gs_trace_open(&tr, path, false, cause), 0);
	CU_ASSERT_EQUAL_FATAL(gs_trace_set_seal(tr, seal, cause), 0);
	CU_ASSERT_EQUAL(gs_trace_append(tr, "START", NULL, "RUNNING", NULL),
			0);
	gs_trace_close(tr);
	buf = slurp(tmp, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_PTR_NULL(memchr(buf, 'g', len)); /* "gs-seal-v1" gone */
	free(buf);
}

/* ---- Readers never wait behind a stalled disk -------------------------- */

struct stall_reader {
	struct gs_trace *tr;
	bool done;
	long failures, records, sealed;
	char hash[65];
};

static void *
stall_append(void *arg)
{
	gs_trace_append(arg, "SIGTERM", "RUNNING", "CANCELLING", NULL);
	return NULL;
}

static void *
stall_read(void *arg)
{
	struct stall_reader *sr = arg;
	long f, n, s;
	char h[65];

	f = gs_trace_failures(sr->tr);
	gs_trace_anchor(sr->tr, h, &n, &s);
	pthread_mutex_lock(&stall_mu);
	sr->failures = f;
	sr->records = n;
	sr->sealed = s;
	memcpy(sr->hash, h, sizeof(h));
	sr->done = true;
	pthread_cond_broadcast(&stall_cv);
	pthread_mutex_unlock(&stall_mu);
	return NULL;
}

static void
test_trace_readers_do_not_wait_for_the_disk(void)
{
	struct stall_reader sr = {0};
	pthread_condattr_t ca;
	pthread_cond_t cv;
	struct timespec until;
	pthread_t w, rd;
	char path[512], seal[512], verify[512], before[65];
	long n, s;

	trace_path(path, sizeof(path), "stall.jsonl");
	seal_paths(seal, verify, sizeof(seal), "stall");
	CU_ASSERT_EQUAL_FATAL(gs_trace_open(&sr.tr, path, true, cause), 0);
	CU_ASSERT_EQUAL_FATAL(gs_trace_set_seal(sr.tr, seal, cause), 0);
	CU_ASSERT_EQUAL(
	    gs_trace_append(sr.tr, "START", NULL, "RUNNING", NULL), 0);
	gs_trace_anchor(sr.tr, before, &n, &s);
	/* A waiter of our own on the monotonic clock, as a bound. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cv, &ca);
	pthread_condattr_destroy(&ca);

	pthread_mutex_lock(&stall_mu);
	stall_armed = true;
	stall_entered = stall_released = false;
	pthread_mutex_unlock(&stall_mu);
	pthread_create(&w, NULL, stall_append, sr.tr);
	pthread_mutex_lock(&stall_mu);
	while (!stall_entered)
		pthread_cond_wait(&stall_cv, &stall_mu);
	pthread_mutex_unlock(&stall_mu);
	/* The writer is inside fdatasync: the readers answer anyway. */
	pthread_create(&rd, NULL, stall_read, &sr);
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += 20; /* generous: they never need to wait at all */
	pthread_mutex_lock(&stall_mu);
	while (!sr.done) {
		pthread_mutex_unlock(&stall_mu);
		pthread_mutex_lock(&stall_mu);
		if (sr.done ||
		    pthread_cond_timedwait(&cv, &stall_mu, &until) == ETIMEDOUT)
			break;
	}
	CU_ASSERT_TRUE(sr.done);
	stall_released = true;
	stall_armed = false;
	pthread_cond_broadcast(&stall_cv);
	pthread_mutex_unlock(&stall_mu);
	pthread_join(w, NULL);
	pthread_join(rd, NULL);
	pthread_cond_destroy(&cv);
	/* They saw the tip as it was before the record in progress. */
	CU_ASSERT_EQUAL(sr.failures, 0);
	CU_ASSERT_EQUAL(sr.records, 1);
	CU_ASSERT_EQUAL(sr.sealed, 1);
	CU_ASSERT_STRING_EQUAL(sr.hash, before);
	gs_trace_anchor(sr.tr, before, &n, &s);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(s, 2);
	gs_trace_close(sr.tr);
}

/* The last EXIT record's exit_code and trace_failures, via the visitor. */
struct last_exit {
	long code, failures;
	int exits;
};

static void
visit_exit(void *arg, long line, json_t *rec)
{
	struct last_exit *le = arg;
	json_t *d = json_object_get(rec, "detail");

	(void)line;
	if (strcmp(json_string_value(json_object_get(rec, "event")), "EXIT") !=
	    0)
		return;
	le->exits++;
	le->code = (long)json_integer_value(json_object_get(d, "exit_code"));
	le->failures =
	    (long)json_integer_value(json_object_get(d, "trace_failures"));
}

static void
test_supervisor_exit_not_durable_agrees(void)
{
	struct gs_supervisor *sup;
	struct gs_trace_report r;
	struct last_exit le = {-1, -1, 0};
	struct gs_config *cfg = gs_config_new();
	int code;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	trace_path(cfg->trace.path, sizeof(cfg->trace.path), "exitsync.jsonl");
	cfg->trace.fsync = true;
	gs_stop_set(false);
	CU_ASSERT_EQUAL_FATAL(gs_supervisor_new(&sup, cfg, "test", cause), 0);
	gs_request_shutdown(sup, GS_EXIT_OK, "test");
	/* EXIT reaches the file, but is never made durable. */
	fault_sync_on = "\"event\":\"EXIT\"";
	code = gs_supervisor_run(sup);
	fault_sync_on = NULL;
	fault_datasync = 0;
	gs_supervisor_free(sup);
	gs_stop_set(false);
	CU_ASSERT_EQUAL(code, GS_EXIT_DEGRADED);
	CU_ASSERT_EQUAL(gs_trace_verify(cfg->trace.path, &r, visit_exit, &le),
			0);
	/* The trace's last word is the code the process ends with. */
	CU_ASSERT_EQUAL(le.exits, 2);
	CU_ASSERT_EQUAL(le.code, GS_EXIT_DEGRADED);
	CU_ASSERT_EQUAL(le.failures, 1);
	gs_config_free(cfg);
}

static void
test_sha256_vector(void)
{
	char out[65];

	gs_sha256_hex("ab", 2, "c", 1, out);
	CU_ASSERT_STRING_EQUAL(out, "ba7816bf8f01cfea414140de5dae2223b00361a3"
				    "96177a9cb410ff61f20015ad");
}

void
suite_trace(void)
{
	CU_pSuite s = CU_add_suite("trace", NULL, NULL);

	UNIT_ADD(s, test_trace_good_run_verifies);
	UNIT_ADD(s, test_trace_record_format);
	UNIT_ADD(s, test_trace_chain_across_runs);
	UNIT_ADD(s, test_trace_edit_one_byte);
	UNIT_ADD(s, test_trace_delete_line);
	UNIT_ADD(s, test_trace_swap_lines);
	UNIT_ADD(s, test_trace_truncate_mid_line);
	UNIT_ADD(s, test_trace_truncate_whole_lines);
	UNIT_ADD(s, test_trace_torn_then_new_run);
	UNIT_ADD(s, test_trace_illegal_transition);
	UNIT_ADD(s, test_trace_locked_against_second_writer);
	UNIT_ADD(s, test_trace_frozen);
	UNIT_ADD(s, test_trace_missing_file);
	UNIT_ADD(s, test_sha256_vector);
	UNIT_ADD(s, test_seal_untouched_verifies);
	UNIT_ADD(s, test_seal_catches_rechained_edit);
	UNIT_ADD(s, test_seal_stolen_key_cannot_forge_the_past);
	UNIT_ADD(s, test_seal_catches_delete_reorder_duplicate);
	UNIT_ADD(s, test_seal_tail_cut_or_crash);
	UNIT_ADD(s, test_seal_mixed_runs);
	UNIT_ADD(s, test_seal_file_catches_up_after_crash);
	UNIT_ADD(s, test_seal_file_must_be_private);
	UNIT_ADD(s, test_trace_fdatasync_fails_once);
	UNIT_ADD(s, test_trace_fdatasync_fails_twice);
	UNIT_ADD(s, test_trace_short_write_once);
	UNIT_ADD(s, test_trace_write_fails_twice);
	UNIT_ADD(s, test_trace_rlimit_fsize);
	UNIT_ADD(s, test_trace_dir_fsynced_on_create);
	UNIT_ADD(s, test_trace_torn_only_where_a_write_was_cut);
	UNIT_ADD(s, test_seal_renewed_when_only_sync_failed);
	UNIT_ADD(s, test_seal_file_not_renewed_is_counted_and_reported);
	UNIT_ADD(s, test_seal_file_key_must_match_its_count);
	UNIT_ADD(s, test_seal_read_wipes_a_bad_key);
	UNIT_ADD(s, test_seal_tmp_file_planted_is_not_written);
	UNIT_ADD(s, test_trace_readers_do_not_wait_for_the_disk);
	UNIT_ADD(s, test_supervisor_exit_not_durable_agrees);
}
