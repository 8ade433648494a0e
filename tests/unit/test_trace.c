/*
 * test_trace.c - the audit trace: format, chain across runs, and that each
 * kind of tampering (one byte edited, a line deleted, two lines swapped,
 * the file truncated) is detected by the verifier.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
}
