/*
 * test_log.c - the operator's log to a regular file: every line arrives,
 * in order, through the log's writer thread, and a reopen (logrotate)
 * leaves each line in the file that was current when it was logged.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define LOG_LINES 500

/* How many lines of path hold tag, and whether their numbers rise. */
static int
count_lines(const char *path, const char *tag, bool *ordered)
{
	char line[4096], *at;
	FILE *f = fopen(path, "r");
	int n = 0, last = -1;

	*ordered = true;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		at = strstr(line, tag);
		if (at == NULL)
			continue;
		if (atoi(at + strlen(tag)) <= last)
			*ordered = false;
		last = atoi(at + strlen(tag));
		n++;
	}
	fclose(f);
	return n;
}

static void *
log_lines(void *arg)
{
	const char *tag = arg;
	int i;

	for (i = 0; i < LOG_LINES; i++)
		log_info("%s%d", tag, i);
	return NULL;
}

static void
test_log_file_every_line_in_order(void)
{
	char path[512];
	unsigned long dropped = gs_log_dropped();
	pthread_t a, b;
	bool ordered;

	snprintf(path, sizeof(path), "%s/every-line.log", unit_tmpdir());
	CU_ASSERT_EQUAL_FATAL(
	    gs_log_open(GS_LOG_INFO, path, false, NULL, "unit-tests"), 0);
	CU_ASSERT_EQUAL(pthread_create(&a, NULL, log_lines, "first-"), 0);
	CU_ASSERT_EQUAL(pthread_create(&b, NULL, log_lines, "second-"), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	gs_log_close();
	gs_log_open(GS_LOG_ERROR, NULL, false, NULL, "unit-tests");
	CU_ASSERT_EQUAL(gs_log_dropped(), dropped);
	CU_ASSERT_EQUAL(count_lines(path, " first-", &ordered), LOG_LINES);
	CU_ASSERT_TRUE(ordered);
	CU_ASSERT_EQUAL(count_lines(path, " second-", &ordered), LOG_LINES);
	CU_ASSERT_TRUE(ordered);
}

static void
test_log_reopen_keeps_lines_in_their_file(void)
{
	char path[512], old[520];
	bool ordered;
	int i;

	snprintf(path, sizeof(path), "%s/rotated.log", unit_tmpdir());
	snprintf(old, sizeof(old), "%s.1", path);
	CU_ASSERT_EQUAL_FATAL(
	    gs_log_open(GS_LOG_INFO, path, false, NULL, "unit-tests"), 0);
	for (i = 0; i < LOG_LINES; i++)
		log_info("before-%d", i);
	CU_ASSERT_EQUAL(rename(path, old), 0);
	CU_ASSERT_EQUAL(gs_log_reopen(GS_LOG_INFO, path, false, NULL), 0);
	for (i = 0; i < LOG_LINES; i++)
		log_info("after-%d", i);
	gs_log_close();
	gs_log_open(GS_LOG_ERROR, NULL, false, NULL, "unit-tests");
	CU_ASSERT_EQUAL(count_lines(old, " before-", &ordered), LOG_LINES);
	CU_ASSERT_TRUE(ordered);
	CU_ASSERT_EQUAL(count_lines(old, " after-", &ordered), 0);
	CU_ASSERT_EQUAL(count_lines(path, " after-", &ordered), LOG_LINES);
	CU_ASSERT_TRUE(ordered);
	CU_ASSERT_EQUAL(count_lines(path, " before-", &ordered), 0);
}

static const char *
esc(const char *in, size_t len, size_t size)
{
	static char out[256];

	CU_ASSERT_EQUAL(gs_log_escape(out, size, in, len), strlen(out));
	return out;
}
#define ESC(lit) esc(lit, sizeof(lit) - 1, 256)

static void
test_log_escape(void)
{
	CU_ASSERT_STRING_EQUAL(ESC("plain text: 1.5% ok"), "plain text: 1.5% ok");
	CU_ASSERT_STRING_EQUAL(ESC("a\\b"), "a\\\\b");
	CU_ASSERT_STRING_EQUAL(ESC("1\n2\r3\t4"), "1\\n2\\r3\\t4");
	CU_ASSERT_STRING_EQUAL(ESC("\x1b[2J\x07\x7f\x01"),
			       "\\x1b[2J\\x07\\x7f\\x01");
	CU_ASSERT_STRING_EQUAL(ESC("nul\0after"), "nul\\x00after");
	/* UTF-8 that shows as itself stays. */
	CU_ASSERT_STRING_EQUAL(ESC("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
			       "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	/* C1 controls (U+009B is CSI), bidi overrides and isolates, marks,
	 * zero-width characters, the BOM, separators, noncharacters, tags. */
	CU_ASSERT_STRING_EQUAL(ESC("\xc2\x9b" "2J\xc2\x85"), "\\u009b2J\\u0085");
	CU_ASSERT_STRING_EQUAL(ESC("gsb-\xe2\x80\xae" "cba"), "gsb-\\u202ecba");
	CU_ASSERT_STRING_EQUAL(
	    ESC("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad"),
	    "\\u202a\\u202b\\u202c\\u202d");
	CU_ASSERT_STRING_EQUAL(
	    ESC("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9"),
	    "\\u2066\\u2067\\u2068\\u2069");
	CU_ASSERT_STRING_EQUAL(ESC("\xe2\x80\x8e\xe2\x80\x8f\xe2\x80\x8b"),
			       "\\u200e\\u200f\\u200b");
	CU_ASSERT_STRING_EQUAL(ESC("\xef\xbb\xbf\xe2\x80\xa8\xd8\x9c"),
			       "\\ufeff\\u2028\\u061c");
	CU_ASSERT_STRING_EQUAL(ESC("\xef\xbf\xbe\xef\xbf\xbf"), "\\ufffe\\uffff");
	CU_ASSERT_STRING_EQUAL(ESC("\xf3\xa0\x80\x81"), "\\U000e0001");
	/* Not UTF-8: stray continuation, overlong, surrogate, cut short,
	 * beyond U+10FFFF. */
	CU_ASSERT_STRING_EQUAL(ESC("\x80"), "\\x80");
	CU_ASSERT_STRING_EQUAL(ESC("\xc0\xaf"), "\\xc0\\xaf");
	CU_ASSERT_STRING_EQUAL(ESC("\xed\xa0\x80"), "\\xed\\xa0\\x80");
	CU_ASSERT_STRING_EQUAL(ESC("\xe2\x82"), "\\xe2\\x82");
	CU_ASSERT_STRING_EQUAL(ESC("\xf4\x90\x80\x80"),
			       "\\xf4\\x90\\x80\\x80");
	/* Cut on an escape's boundary, never inside one. */
	CU_ASSERT_STRING_EQUAL(esc("ab\x1b", 3, 6), "ab");
	CU_ASSERT_STRING_EQUAL(esc("ab\x1b", 3, 7), "ab\\x1b");
	CU_ASSERT_STRING_EQUAL(esc("a\xe2\x82\xac", 4, 4), "a");
	CU_ASSERT_STRING_EQUAL(esc("abc", 3, 1), "");
}

/* A message with a newline and an escape stays one line, escaped. */
static void
test_log_line_escaped(void)
{
	char path[512], line[4096];
	int lines = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/escaped.log", unit_tmpdir());
	CU_ASSERT_EQUAL_FATAL(
	    gs_log_open(GS_LOG_INFO, path, false, NULL, "unit-tests"), 0);
	log_warn("exchange said: %s",
		 "-1013 x\n2026-12-07T00:00:00.000Z tradebotd[1] main info: "
		 "trace anchor: run 0 records 1 hash 00\x1b]0;t\x07");
	gs_log_close();
	gs_log_open(GS_LOG_ERROR, NULL, false, NULL, "unit-tests");
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		lines++;
		CU_ASSERT_PTR_NOT_NULL(strstr(
		    line, " warn: exchange said: -1013 x\\n2026-12-07T00:00:00"
			  ".000Z tradebotd[1] main info: trace anchor: run 0 "
			  "records 1 hash 00\\x1b]0;t\\x07\n"));
	}
	fclose(f);
	CU_ASSERT_EQUAL(lines, 1);
}

void
suite_log(void)
{
	CU_pSuite s = CU_add_suite("log", NULL, NULL);

	UNIT_ADD(s, test_log_file_every_line_in_order);
	UNIT_ADD(s, test_log_reopen_keeps_lines_in_their_file);
	UNIT_ADD(s, test_log_escape);
	UNIT_ADD(s, test_log_line_escaped);
}
