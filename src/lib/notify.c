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
 * case, which is why it is not used.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gshutdown.h"

int
gs_notify(const char *fmt, ...)
{
	struct sockaddr_un sa;
	const char *path;
	char msg[1024];
	socklen_t len;
	va_list ap;
	int n, fd, rc = 0;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -EMSGSIZE;
	path = getenv("NOTIFY_SOCKET");
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
	if (sendto(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT,
		   (struct sockaddr *)&sa, len) < 0)
		rc = -errno;
	close(fd);
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
