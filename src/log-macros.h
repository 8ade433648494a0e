/*
 * log-macros.h - the project's short names for gs_log() (the library, the
 * daemon, the simulator, the tests).  Not installed: the public header
 * defines no unprefixed names.
 */
#ifndef GS_LOG_MACROS_H
#define GS_LOG_MACROS_H

#include "gshutdown.h"

#define log_error(...) gs_log(GS_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) gs_log(GS_LOG_WARN, __VA_ARGS__)
#define log_info(...) gs_log(GS_LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                         \
	do {                                                                   \
		if (gs_log_enabled(GS_LOG_DEBUG))                              \
			gs_log(GS_LOG_DEBUG, __VA_ARGS__);                     \
	} while (0)

#endif
