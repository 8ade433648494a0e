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

void
suite_log(void)
{
	CU_pSuite s = CU_add_suite("log", NULL, NULL);

	UNIT_ADD(s, test_log_file_every_line_in_order);
	UNIT_ADD(s, test_log_reopen_keeps_lines_in_their_file);
}
