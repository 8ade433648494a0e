/*
 * log.c - the operator's log: levels, one line per event, the thread's
 * name on each line, to stderr, a file or syslog.  The audit trace is kept
 * apart (trace.c); this log is for people.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "gshutdown.h"

static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static enum gs_log_level log_level = GS_LOG_INFO;
static int log_fd = STDERR_FILENO;
static bool log_syslog;
static char log_ident[32] = "gshutdown";

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int
gs_log_facility(const char *name)
{
	static const struct {
		const char *name;
		int value;
	} facilities[] = {
		{"daemon", LOG_DAEMON}, {"user", LOG_USER},
		{"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
		{"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
		{"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
		{"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
	};
	size_t i;

	for (i = 0; name && i < sizeof(facilities) / sizeof(facilities[0]);
	     i++)
		if (strcasecmp(name, facilities[i].name) == 0)
			return facilities[i].value;
	return LOG_DAEMON;
}

/* Open the destination; called with log_mutex held. */
static int
log_open_locked(enum gs_log_level level, const char *file, bool use_syslog,
		const char *facility)
{
	int fd = STDERR_FILENO;

	if (file != NULL && file[0] != '\0') {
		fd = open(file,
			  O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			  0640);
		if (fd < 0)
			return -errno;
	}
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
	if (log_syslog)
		closelog();
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(log_ident, LOG_PID | LOG_NDELAY,
			gs_log_facility(facility));
	log_level = level;
	return 0;
}

int
gs_log_open(enum gs_log_level level, const char *file, bool use_syslog,
	    const char *facility, const char *ident)
{
	int rc;

	pthread_mutex_lock(&log_mutex);
	if (ident != NULL)
		snprintf(log_ident, sizeof(log_ident), "%s", ident);
	rc = log_open_locked(level, file, use_syslog, facility);
	pthread_mutex_unlock(&log_mutex);
	return rc;
}

int
gs_log_reopen(enum gs_log_level level, const char *file, bool use_syslog,
	      const char *facility)
{
	int rc;

	pthread_mutex_lock(&log_mutex);
	rc = log_open_locked(level, file, use_syslog, facility);
	pthread_mutex_unlock(&log_mutex);
	return rc;
}

void
gs_log_close(void)
{
	pthread_mutex_lock(&log_mutex);
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = STDERR_FILENO;
	if (log_syslog)
		closelog();
	log_syslog = false;
	pthread_mutex_unlock(&log_mutex);
}

void
gs_log_set_level(enum gs_log_level level)
{
	pthread_mutex_lock(&log_mutex);
	log_level = level;
	pthread_mutex_unlock(&log_mutex);
}

bool
gs_log_enabled(enum gs_log_level level)
{
	bool on;

	pthread_mutex_lock(&log_mutex);
	on = level <= log_level;
	pthread_mutex_unlock(&log_mutex);
	return on;
}

void
gs_vlog(enum gs_log_level level, const char *fmt, va_list ap)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	char msg[2048], line[2400], thread[16] = "?", stamp[32];
	struct timespec now;
	struct tm tm;
	int n;

	if (!gs_log_enabled(level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	pthread_getname_np(pthread_self(), thread, sizeof(thread));
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s.%03ldZ %s[%d] %s %s: %s\n", stamp,
		     now.tv_nsec / 1000000L, log_ident, (int)getpid(), thread,
		     level_names[level], msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;

	pthread_mutex_lock(&log_mutex);
	if (log_syslog)
		syslog(prio[level], "%s %s", thread, msg);
	if (!log_syslog || log_fd != STDERR_FILENO) {
		ssize_t off = 0;

		while (off < n) {
			ssize_t w = write(log_fd, line + off, n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += w;
		}
	}
	pthread_mutex_unlock(&log_mutex);
}

void
gs_log(enum gs_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gs_vlog(level, fmt, ap);
	va_end(ap);
}
