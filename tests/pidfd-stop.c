/*
 * pidfd-stop.c - times a process's shutdown for the tests: opens a pidfd
 * on PID, sends SIGNAL through it, waits for the process to end and
 * prints the milliseconds from the signal to its end on CLOCK_MONOTONIC
 * (or -1 when it has not ended within SECONDS).  The pidfd is opened
 * before the signal, so a recycled pid is never signalled or waited for,
 * and what is timed is the process, not the scheduling of the shell that
 * waits for it on a loaded machine.
 *
 *	pidfd-stop PID SECONDS [SIGNAL]	(SIGNAL: TERM, INT, QUIT, HUP, KILL
 *					 or a number; TERM by default)
 *
 * With PIDFD_STOP_END=1 in the environment, a second number follows: the
 * CLOCK_MONOTONIC nanoseconds at which the end was seen, to compare with
 * the monotonic times (mono_ns) of the process's trace records.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

static int
signo(const char *name)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {{"TERM", SIGTERM}, {"INT", SIGINT}, {"QUIT", SIGQUIT},
		    {"HUP", SIGHUP},   {"KILL", SIGKILL}, {"USR1", SIGUSR1}};
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strcmp(name, sigs[i].name) == 0)
			return sigs[i].sig;
	return atoi(name);
}

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long long
now_ms(void)
{
	return now_ns() / 1000000;
}

int
main(int argc, char **argv)
{
	struct pollfd p;
	long long t0, limit_ms, end;
	int fd, sig, rc;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: pidfd-stop PID SECONDS [SIGNAL]\n");
		return 64;
	}
	sig = signo(argc > 3 ? argv[3] : "TERM");
	limit_ms = atoll(argv[2]) * 1000;
	fd = (int)syscall(SYS_pidfd_open, atoi(argv[1]), 0);
	if (fd < 0 || sig <= 0) {
		fprintf(stderr, "pidfd-stop: %s: %s\n", argv[1],
			fd < 0 ? strerror(errno) : "bad signal");
		return 1;
	}
	t0 = now_ms();
	if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0) {
		fprintf(stderr, "pidfd-stop: signal: %s\n", strerror(errno));
		return 1;
	}
	p.fd = fd;
	p.events = POLLIN;
	do {
		long long left = limit_ms - (now_ms() - t0);

		rc = left > 0 ? poll(&p, 1, (int)left) : 0;
	} while (rc < 0 && errno == EINTR);
	end = now_ns();
	printf("%lld", rc > 0 ? end / 1000000 - t0 : -1LL);
	if (getenv("PIDFD_STOP_END") != NULL &&
	    strcmp(getenv("PIDFD_STOP_END"), "1") == 0)
		printf(" %lld", rc > 0 ? end : -1LL);
	printf("\n");
	return 0;
}
