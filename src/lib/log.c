/*
 * log.c - the operator's log: levels, one line per event, the thread's
 * name on each line, to stderr, a file or syslog.  The audit trace is kept
 * apart (trace.c); this log is for people.
 *
 * A log write never blocks: a paused terminal, a full pipe or a stalled
 * journald must not hold up a shutdown.  Pipes and terminals are written
 * through a descriptor of their own opened O_NONBLOCK (so the flags of the
 * descriptor the process inherited are left alone), sockets with
 * MSG_DONTWAIT, syslog through our own non-blocking datagram socket.  A
 * line the destination cannot take at once is dropped and counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* How a descriptor is written without blocking. */
enum out_kind { OUT_PLAIN, OUT_SOCKET };

struct out {
	int fd;
	bool own; /* opened here: closed here */
	enum out_kind kind;
};

static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static enum gs_log_level log_level = GS_LOG_INFO;
static struct out log_out = {STDERR_FILENO, false, OUT_PLAIN};
static bool log_syslog;
static int log_prio_facility = LOG_DAEMON;
static int syslog_fd = -1;
static char log_ident[32] = "gshutdown";
static atomic_ulong log_dropped;
/* stderr as the deadline timer writes it: set with log_mutex, read without */
static atomic_int emerg_fd = -1;
static atomic_int emerg_kind = OUT_PLAIN;

unsigned long
gs_log_dropped(void)
{
	return atomic_load(&log_dropped);
}

/*
 * A non-blocking way to write fd: a pipe or a terminal is re-opened
 * through /proc (a new open file description, so O_NONBLOCK stays ours);
 * a socket is sent to with MSG_DONTWAIT; a regular file is written as is.
 */
static struct out
out_for(int fd)
{
	struct out o = {fd, false, OUT_PLAIN};
	char path[64];
	struct stat st;
	int nfd;

	if (fstat(fd, &st) < 0)
		return o;
	if (S_ISSOCK(st.st_mode)) {
		o.kind = OUT_SOCKET;
		return o;
	}
	if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
		return o;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (nfd >= 0) {
		o.fd = nfd;
		o.own = true;
	}
	return o;
}

static void
out_close(struct out *o)
{
	if (o->own)
		close(o->fd);
	o->fd = STDERR_FILENO;
	o->own = false;
	o->kind = OUT_PLAIN;
}

/* Write one line at once or not at all (a pipe takes <= PIPE_BUF whole). */
static bool
out_write(int fd, int kind, const char *buf, size_t len)
{
	ssize_t w;

	do {
		if (kind == OUT_SOCKET)
			w = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			w = write(fd, buf, len);
	} while (w < 0 && errno == EINTR);
	return w == (ssize_t)len;
}

bool
gs_log_raw(const char *text, size_t len)
{
	int fd = atomic_load(&emerg_fd), kind = atomic_load(&emerg_kind);

	if (fd < 0) {
		fd = STDERR_FILENO;
		kind = OUT_PLAIN;
	}
	if (out_write(fd, kind, text, len))
		return true;
	atomic_fetch_add(&log_dropped, 1);
	return false;
}

void
log_emergency(const char *msg, size_t len)
{
	int fd = atomic_load(&emerg_fd);

	if (fd >= 0)
		(void)out_write(fd, atomic_load(&emerg_kind), msg, len);
}

/* Our own syslog client: a datagram to /dev/log that never waits. */
static void
syslog_connect(void)
{
	struct sockaddr_un sa;

	if (syslog_fd >= 0)
		close(syslog_fd);
	syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			   0);
	if (syslog_fd < 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", "/dev/log");
	if (connect(syslog_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(syslog_fd);
		syslog_fd = -1;
	}
}

/* log_mutex held. */
static bool
syslog_send(int prio, const char *thread, const char *msg)
{
	char line[2400], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "<%d>%s %s[%d]: %s %s",
		     log_prio_facility | prio, stamp, log_ident, (int)getpid(),
		     thread, msg);
	if (n < 0)
		return false;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (syslog_fd < 0)
		syslog_connect();
	if (syslog_fd < 0)
		return false;
	if (send(syslog_fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) ==
	    n)
		return true;
	if (errno == ECONNREFUSED || errno == ENOTCONN) {
		/* journald restarted: one new connection, one more try */
		syslog_connect();
		return syslog_fd >= 0 &&
		       send(syslog_fd, line, (size_t)n,
			    MSG_DONTWAIT | MSG_NOSIGNAL) == n;
	}
	return false;
}

/*
 * One message to the local syslog socket (journald's too), never
 * blocking: a stalled log reader must not hold up an exit.  It goes
 * through the log's own non-blocking socket, whether or not the log
 * itself goes to syslog.
 */
int
gs_syslog_send(int priority, const char *msg)
{
	char line[1024];
	int n, rc = 0;

	n = snprintf(line, sizeof(line), "<%d>%s[%d]: %s", priority,
		     program_invocation_short_name, (int)getpid(), msg);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -EMSGSIZE;
	pthread_mutex_lock(&log_mutex);
	if (syslog_fd < 0)
		syslog_connect();
	if (syslog_fd < 0) {
		rc = -ENOTCONN;
	} else if (send(syslog_fd, line, (size_t)n,
			MSG_DONTWAIT | MSG_NOSIGNAL) != n) {
		rc = -errno;
		if (errno == ECONNREFUSED || errno == ENOTCONN) {
			/* journald restarted: one new connection, one try */
			syslog_connect();
			rc = syslog_fd < 0 ? -ENOTCONN : 0;
			if (rc == 0 && send(syslog_fd, line, (size_t)n,
					    MSG_DONTWAIT | MSG_NOSIGNAL) != n)
				rc = -errno;
		}
	}
	pthread_mutex_unlock(&log_mutex);
	return rc;
}

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
	struct out o = {STDERR_FILENO, false, OUT_PLAIN};

	if (file != NULL && file[0] != '\0') {
		int fd = open(file,
			      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
				  O_NOFOLLOW | O_NONBLOCK,
			      0640);

		if (fd < 0)
			return -errno;
		o.fd = fd;
		o.own = true;
	}
	out_close(&log_out);
	log_out = o;
	if (o.fd == STDERR_FILENO) {
		/* stderr: written without blocking, by us and the timer */
		if (atomic_load(&emerg_fd) < 0) {
			struct out e = out_for(STDERR_FILENO);

			atomic_store(&emerg_kind, (int)e.kind);
			atomic_store(&emerg_fd, e.fd);
		}
		log_out.fd = atomic_load(&emerg_fd);
		log_out.kind = atomic_load(&emerg_kind);
		log_out.own = false;
	} else {
		struct out e = out_for(o.fd);

		log_out.kind = e.kind;
		if (e.own)
			close(e.fd); /* a file opened O_NONBLOCK already */
		if (atomic_load(&emerg_fd) < 0) {
			e = out_for(STDERR_FILENO);
			atomic_store(&emerg_kind, (int)e.kind);
			atomic_store(&emerg_fd, e.fd);
		}
	}
	if (syslog_fd >= 0)
		close(syslog_fd);
	syslog_fd = -1;
	log_syslog = use_syslog;
	log_prio_facility = gs_log_facility(facility);
	if (use_syslog)
		syslog_connect();
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
	int efd;

	pthread_mutex_lock(&log_mutex);
	out_close(&log_out);
	if (syslog_fd >= 0)
		close(syslog_fd);
	syslog_fd = -1;
	log_syslog = false;
	efd = atomic_exchange(&emerg_fd, -1);
	if (efd > STDERR_FILENO)
		close(efd);
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
	bool ok = true;
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

	/* Held only around writes that cannot block. */
	pthread_mutex_lock(&log_mutex);
	if (log_syslog && !syslog_send(prio[level], thread, msg))
		ok = false;
	if (!log_syslog || log_out.fd != atomic_load(&emerg_fd)) {
		int fd = log_out.fd;

		if (fd < 0)
			fd = STDERR_FILENO;
		if (!out_write(fd, log_out.kind, line, (size_t)n))
			ok = false;
	}
	pthread_mutex_unlock(&log_mutex);
	if (!ok)
		atomic_fetch_add(&log_dropped, 1);
}

void
gs_log(enum gs_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gs_vlog(level, fmt, ap);
	va_end(ap);
}
