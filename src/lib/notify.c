/*
 * notify.c - the service manager's notification protocol: READY=1,
 * STATUS=, STOPPING=1, EXTEND_TIMEOUT_USEC=, WATCHDOG=1.  One datagram to
 * the AF_UNIX socket named by $NOTIFY_SOCKET (a leading '@' names an
 * abstract socket), as sd_notify(3) documents it.  Without $NOTIFY_SOCKET
 * every call does nothing.
 *
 * Sent with MSG_DONTWAIT: a service manager that does not read its socket
 * (a busy or stuck PID 1) must not hold up a shutdown, and a message it
 * cannot take at once is dropped.  libsystemd's sd_notify() waits in that
 * case without bound, which is why it is not used.  READY=1 and
 * RELOADING=1, which a start or a reload waits for, go through
 * gs_notify_wait(): a queue full for a moment (a boot storm) is waited on
 * for a bounded time, and never once the stop flag is up.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gshutdown.h"

/*
 * One datagram, msg[0..n), never waiting; with wait_ms > 0, a full queue
 * is waited on (POLLOUT on the connected socket, in steps that watch the
 * stop flag) for that long.
 */
static int
notify_send(const char *msg, size_t n, long long wait_ms)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct timespec until = gs_mono_after_ms(wait_ms);
	struct sockaddr_un sa;
	socklen_t len;
	int fd, rc = 0;

	if (path == NULL)
		return 0;
	if (path[0] != '/' && path[0] != '@')
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			  strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Connected, so POLLOUT says when the receiver's queue has room. */
	if (connect(fd, (struct sockaddr *)&sa, len) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	for (;;) {
		long long left;

		if (send(fd, msg, n, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0) {
			rc = 0;
			break;
		}
		rc = -errno;
		if (errno != EAGAIN && errno != EINTR)
			break;
		left = gs_ms_until(&until);
		if (left <= 0 || gs_stop_requested())
			break;
		(void)poll(&(struct pollfd){fd, POLLOUT, 0}, 1,
			   left < 50 ? (int)left : 50);
	}
	close(fd);
	return rc;
}

static int
notify_v(long long wait_ms, const char *fmt, va_list ap)
{
	char msg[1024];
	int n;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -EMSGSIZE;
	return notify_send(msg, (size_t)n, wait_ms);
}

int
gs_notify(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = notify_v(0, fmt, ap);
	va_end(ap);
	return rc;
}

int
gs_notify_wait(long long wait_ms, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = notify_v(wait_ms, fmt, ap);
	va_end(ap);
	return rc;
}

long long
gs_notify_watchdog_usec(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");

	if (usec == NULL || getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	if (pid != NULL && atoll(pid) != (long long)getpid())
		return 0;
	return atoll(usec) > 0 ? atoll(usec) : 0;
}
