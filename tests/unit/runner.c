/*
 * runner.c - runs every CUnit suite; exits non-zero when any test fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "unit.h"

static char tmpdir[256];

pthread_mutex_t unit_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t unit_cv = PTHREAD_COND_INITIALIZER;

void
unit_wake(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&unit_mu);
	pthread_cond_broadcast(&unit_cv);
	pthread_mutex_unlock(&unit_mu);
}

const char *
unit_tmpdir(void)
{
	return tmpdir;
}

void
unit_write(char *path, size_t size, const char *name, const char *text)
{
	FILE *fp;

	snprintf(path, size, "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	if (fp == NULL) {
		perror(path);
		exit(99);
	}
	fputs(text, fp);
	fclose(fp);
}

/* Every configuration the tests made, freed at the end. */
static struct gs_config **configs;
static size_t nconfigs;

static void
unit_track(struct bot_config *cfg, bool require)
{
	char cause[GS_CAUSE_MAX];
	struct gs_config **p;

	if (bot_config_init(cfg, require, cause) < 0) {
		fprintf(stderr, "bot_config_init: %s\n", cause);
		exit(99);
	}
	p = realloc(configs, (nconfigs + 1) * sizeof(*configs));
	if (p == NULL)
		exit(99);
	configs = p;
	configs[nconfigs++] = cfg->gs;
}

void
unit_bot_config(struct bot_config *cfg)
{
	unit_track(cfg, true);
}

int
unit_config_load(struct bot_config *cfg, const char *text, int flags,
		 char *path, size_t size, char *cause)
{
	unit_write(path, size, "t.ini", text);
	unit_track(cfg, flags & UNIT_REQUIRE_BOT);
	cause[0] = '\0';
	return bot_config_load(cfg, path, cause);
}

void
unit_config_error(const char *text, int flags, int line, const char *needle)
{
	static char cause[GS_CAUSE_MAX];
	struct bot_config cfg;
	char path[512], want[600];

	CU_ASSERT_EQUAL(unit_config_load(&cfg, text, flags, path,
					 sizeof(path), cause),
			-EINVAL);
	snprintf(want, sizeof(want), "%s:%d: ", path, line);
	CU_ASSERT_EQUAL(strncmp(cause, want, strlen(want)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(cause, needle));
	if (strncmp(cause, want, strlen(want)) != 0 || !strstr(cause, needle))
		fprintf(stderr, "\n  got: %s\n  want: %s...%s\n", cause, want,
			needle);
}

int
main(void)
{
	unsigned failed;
	char cmd[300];

	/* The supervisor tests need the signal mask main would set. */
	gs_signals_block();
	snprintf(tmpdir, sizeof(tmpdir), "%s/gs-unit-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	gs_log_open(GS_LOG_ERROR, NULL, false, NULL, "unit-tests");
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	suite_fsm();
	suite_config();
	suite_trace();
	suite_join();
	suite_bot();
	suite_keys();
	suite_log();
	suite_supervisor();
	suite_timing();
	suite_outcome();
	suite_book();
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	while (nconfigs > 0)
		gs_config_free(configs[--nconfigs]);
	free(configs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (failed == 0 && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return failed ? 1 : 0;
}
