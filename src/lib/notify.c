/*
 * notify.c - the service manager's notification protocol: READY=1,
 * STATUS=, STOPPING=1, EXTEND_TIMEOUT_USEC=, WATCHDOG=1.  libsystemd's
 * sd_notify() when configure found it, else the documented datagram
 * protocol: one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET
 * (a leading '@' names an abstract socket).  Without $NOTIFY_SOCKET every
 * call does nothing.
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

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "gshutdown.h"

int
gs_notify(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -EMSGSIZE;
#ifdef HAVE_LIBSYSTEMD
	return sd_notify(0, msg) < 0 ? -EIO : 0;
#else
	{
		const char *path = getenv("NOTIFY_SOCKET");
		struct sockaddr_un sa;
		socklen_t len;
		int fd, rc = 0;

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
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (sendto(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT,
			   (struct sockaddr *)&sa, len) < 0)
			rc = -errno;
		close(fd);
		return rc;
	}
#endif
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
