/*
 * unit.h - what the CUnit suites share: each file registers its suite from
 * one function the runner calls.
 */
#ifndef UNIT_H
#define UNIT_H

#include <pthread.h>

#include <CUnit/CUnit.h>

#include "../../src/bot/bot.h"
#include "../../src/lib/internal.h"

void suite_fsm(void);
void suite_config(void);
void suite_trace(void);
void suite_join(void);
void suite_bot(void);
void suite_keys(void);
void suite_log(void);
void suite_supervisor(void);
void suite_timing(void);
void suite_outcome(void);
void suite_book(void);

/*
 * The lock and condition the test workers wait on, and a wake hook for
 * gs_worker_add() that broadcasts it.
 */
extern pthread_mutex_t unit_mu;
extern pthread_cond_t unit_cv;
void unit_wake(void *arg);

/* A fresh temporary directory for this process's files. */
const char *unit_tmpdir(void);
/* Write text to dir/name, return the path (static buffer per call site). */
void unit_write(char *path, size_t size, const char *name, const char *text);

/* For unit_config_load(): [bot] symbols and client_order_prefix required. */
#define UNIT_REQUIRE_BOT 1

/*
 * The daemon's configuration at its defaults, freed when the tests end
 * (a struct set up again gets a new one).
 */
void unit_bot_config(struct bot_config *cfg);
/* Load text as an INI file (path set); returns bot_config_load's code. */
int unit_config_load(struct bot_config *cfg, const char *text, int flags,
		     char *path, size_t size, char *cause);
/* Assert loading text fails with "<path>:<line>: ..." holding needle. */
void unit_config_error(const char *text, int flags, int line,
		       const char *needle);

#define UNIT_ADD(suite, fn) CU_add_test(suite, #fn, fn)

#endif
