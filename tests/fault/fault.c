/*
 * fault.c - an LD_PRELOAD shim that makes the machine misbehave on demand,
 * for the fault-injection tests.
 *
 * Nothing happens until the file named by $GS_FAULT_TRIGGER exists, so a
 * test starts the process normally and arms the fault just before it
 * signals it.  Then, as configured by the environment:
 *
 *   GS_FAULT_SYNC=stall:MS|fail:ERRNO   fsync() and fdatasync()
 *   GS_FAULT_SYNC_PATH=TEXT             ... only on files whose path has TEXT
 *   GS_FAULT_WRITE=stall:MS|fail:ERRNO  write()
 *   GS_FAULT_WRITE_PATH=TEXT            ... only to files whose path has TEXT
 *   GS_FAULT_WRITE_FD=N                 ... only to descriptor N
 *   GS_FAULT_GAI=stall:MS|fail          getaddrinfo() of a name (an
 *                                       address literal needs no resolver)
 *   GS_FAULT_CLOCK_MS=N                 CLOCK_REALTIME reads N ms off (a
 *                                       wall-clock step; may be negative)
 *   GS_FAULT_THREAD=fail:ERRNO          pthread_create() called from the
 *                                       function named by
 *   GS_FAULT_THREAD_CALLER=NAME         (a dynamic symbol: gs_worker_add),
 *                                       after
 *   GS_FAULT_THREAD_SKIP=N              ... N such calls have succeeded
 *   GS_FAULT_LOG=FILE                   one line per fault applied
 *
 * A stall sleeps the calling thread for MS milliseconds and then does the
 * real call, as a slow disk or a silent DNS server would.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

struct fault {
	int stall_ms; /* > 0: stall */
	int err;      /* > 0: fail with this errno */
	bool on;
};

static bool
armed(void)
{
	const char *t = getenv("GS_FAULT_TRIGGER");

	return t != NULL && t[0] != '\0' && access(t, F_OK) == 0;
}

static struct fault
fault_get(const char *var)
{
	struct fault f = {0, 0, false};
	const char *v = getenv(var);

	if (v == NULL)
		return f;
	if (strncmp(v, "stall:", 6) == 0) {
		f.stall_ms = atoi(v + 6);
		f.on = f.stall_ms > 0;
	} else if (strncmp(v, "fail", 4) == 0) {
		f.err = v[4] == ':' ? atoi(v + 5) : EIO;
		if (f.err <= 0)
			f.err = EIO;
		f.on = true;
	}
	return f;
}

/* Raw write, so logging never re-enters the shim. */
static void
fault_log(const char *what, int fd)
{
	const char *p = getenv("GS_FAULT_LOG");
	char line[160];
	int lfd, n;

	if (p == NULL)
		return;
	lfd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (lfd < 0)
		return;
	n = snprintf(line, sizeof(line), "%d %s fd=%d\n", (int)getpid(), what,
		     fd);
	if (n > 0)
		syscall(SYS_write, lfd, line, (size_t)n);
	close(lfd);
}

static void
stall(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool
fd_matches(int fd, const char *path_var, const char *fd_var)
{
	const char *want = getenv(path_var);
	const char *wfd = fd_var ? getenv(fd_var) : NULL;
	char link[64], target[1024];
	ssize_t n;

	if (wfd != NULL && atoi(wfd) != fd)
		return false;
	if (want == NULL || want[0] == '\0')
		return true;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strstr(target, want) != NULL;
}

/* Apply the fault, if armed and aimed at fd; -1 with errno to fail. */
static int
apply(const char *var, const char *what, int fd, const char *path_var,
      const char *fd_var)
{
	struct fault f = fault_get(var);

	if (!f.on || !armed() || !fd_matches(fd, path_var, fd_var))
		return 0;
	fault_log(what, fd);
	if (f.err > 0) {
		errno = f.err;
		return -1;
	}
	stall(f.stall_ms);
	return 0;
}

int
fsync(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	if (apply("GS_FAULT_SYNC", "fsync", fd, "GS_FAULT_SYNC_PATH", NULL) <
	    0)
		return -1;
	return real(fd);
}

int
fdatasync(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	if (apply("GS_FAULT_SYNC", "fdatasync", fd, "GS_FAULT_SYNC_PATH",
		  NULL) < 0)
		return -1;
	return real(fd);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	static ssize_t (*real)(int, const void *, size_t);

	if (real == NULL)
		real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT,
								    "write");
	if (getenv("GS_FAULT_WRITE") != NULL &&
	    apply("GS_FAULT_WRITE", "write", fd, "GS_FAULT_WRITE_PATH",
		  "GS_FAULT_WRITE_FD") < 0)
		return -1;
	return real(fd, buf, len);
}

int
getaddrinfo(const char *node, const char *service,
	    const struct addrinfo *hints, struct addrinfo **res)
{
	static int (*real)(const char *, const char *,
			   const struct addrinfo *, struct addrinfo **);
	unsigned char buf[sizeof(struct in6_addr)];
	struct fault f = fault_get("GS_FAULT_GAI");

	if (real == NULL)
		real = (int (*)(const char *, const char *,
				const struct addrinfo *,
				struct addrinfo **))dlsym(RTLD_NEXT,
							  "getaddrinfo");
	if (node != NULL && inet_pton(AF_INET, node, buf) != 1 &&
	    inet_pton(AF_INET6, node, buf) != 1 && armed()) {
		fault_log("getaddrinfo", -1);
		if (f.err > 0)
			return EAI_AGAIN;
		if (f.stall_ms > 0)
			stall(f.stall_ms);
	}
	return real(node, service, hints, res);
}

int
clock_gettime(clockid_t clk, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	const char *v = getenv("GS_FAULT_CLOCK_MS");
	int rc;

	if (real == NULL)
		real = (int (*)(clockid_t, struct timespec *))dlsym(
		    RTLD_NEXT, "clock_gettime");
	rc = real(clk, ts);
	if (rc == 0 && clk == CLOCK_REALTIME && v != NULL && armed()) {
		long long ns = (long long)ts->tv_sec * 1000000000LL +
			       ts->tv_nsec + atoll(v) * 1000000LL;

		ts->tv_sec = (time_t)(ns / 1000000000LL);
		ts->tv_nsec = (long)(ns % 1000000000LL);
	}
	return rc;
}

/* Whether the call site at ret lies in the function named name. */
static bool
called_from(void *ret, const char *name)
{
	Dl_info info;

	return dladdr(ret, &info) != 0 && info.dli_sname != NULL &&
	       strcmp(info.dli_sname, name) == 0;
}

int
pthread_create(pthread_t *t, const pthread_attr_t *attr,
	       void *(*fn)(void *), void *arg)
{
	static int (*real)(pthread_t *, const pthread_attr_t *,
			   void *(*)(void *), void *);
	static int seen; /* matching calls so far (start-up: one thread) */
	const char *caller = getenv("GS_FAULT_THREAD_CALLER");
	const char *skip = getenv("GS_FAULT_THREAD_SKIP");
	struct fault f = fault_get("GS_FAULT_THREAD");

	if (real == NULL)
		real = (int (*)(pthread_t *, const pthread_attr_t *,
				void *(*)(void *), void *))dlsym(RTLD_NEXT,
								 "pthread_create");
	if (f.err > 0 && armed() &&
	    (caller == NULL ||
	     called_from(__builtin_return_address(0), caller)) &&
	    __atomic_fetch_add(&seen, 1, __ATOMIC_RELAXED) >=
		(skip != NULL ? atoi(skip) : 0)) {
		fault_log("pthread_create", -1);
		return f.err; /* pthread_create returns the error */
	}
	return real(t, attr, fn, arg);
}
