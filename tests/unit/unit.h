/*
 * unit.h - what the CUnit suites share: each file registers its suite from
 * one function the runner calls.
 */
#ifndef UNIT_H
#define UNIT_H

#include <CUnit/CUnit.h>

#include "gshutdown.h"

void suite_fsm(void);
void suite_config(void);
void suite_trace(void);
void suite_join(void);
void suite_bot(void);
void suite_keys(void);

/* A fresh temporary directory for this process's files. */
const char *unit_tmpdir(void);
/* Write text to dir/name, return the path (static buffer per call site). */
void unit_write(char *path, size_t size, const char *name, const char *text);

#define UNIT_ADD(suite, fn) CU_add_test(suite, #fn, fn)

#endif
