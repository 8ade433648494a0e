/*
 * pidfd-stop.c - times a process's shutdown for the tests: opens a pidfd
 * on PID, sends SIGNAL through it, waits for the process to end and
 * prints the milliseconds from the signal to its end on CLOCK_MONOTONIC
 * (or -1 when it has not ended within SECONDS).  The pidfd is opened
 * before the signal, so a recycled pid is never signalled or waited for,
 * and what is timed is the process, not the scheduling of the shell that
 * waits for it on a loaded machine.
 *
 *	pidfd-stop PID[,PID...] SECONDS [SIGNAL]
 *		(SIGNAL: TERM, INT, QUIT, HUP, KILL, USR1 or a number; TERM
 *		 by default)
 *
 * With several pids (a fleet stopped at once) every pidfd is opened
 * first, the signals are sent back to back, and one line per pid follows
 * in the order given, then "spread_us N": the microseconds between the
 * first signal and the last.
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
#include <stdbool.h>
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

#define MAX_PIDS 64

int
main(int argc, char **argv)
{
	struct pollfd p[MAX_PIDS];
	long long t0[MAX_PIDS], end[MAX_PIDS], limit_ms, first = -1, last = 0;
	int fd[MAX_PIDS], pid[MAX_PIDS], n = 0, left_n, sig, i;
	char *list, *tok, *save = NULL;
	bool show_end;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: pidfd-stop PID[,PID...] SECONDS "
				"[SIGNAL]\n");
		return 64;
	}
	sig = signo(argc > 3 ? argv[3] : "TERM");
	limit_ms = atoll(argv[2]) * 1000;
	if (sig <= 0) {
		fprintf(stderr, "pidfd-stop: %s: bad signal\n", argv[3]);
		return 1;
	}
	list = argv[1];
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == MAX_PIDS) {
			fprintf(stderr, "pidfd-stop: more than %d pids\n",
				MAX_PIDS);
			return 64;
		}
		pid[n] = atoi(tok);
		fd[n] = (int)syscall(SYS_pidfd_open, pid[n], 0);
		if (pid[n] <= 0 || fd[n] < 0) {
			fprintf(stderr, "pidfd-stop: %s: %s\n", tok,
				fd[n] < 0 ? strerror(errno) : "bad pid");
			return 1;
		}
		n++;
	}
	if (n == 0) {
		fprintf(stderr, "pidfd-stop: no pid\n");
		return 64;
	}
	/* Every pidfd is open before the first signal: the signals go out
	 * back to back, as close together as one process can send them. */
	for (i = 0; i < n; i++) {
		t0[i] = now_ns();
		if (syscall(SYS_pidfd_send_signal, fd[i], sig, NULL, 0) < 0) {
			fprintf(stderr, "pidfd-stop: signal %d: %s\n", pid[i],
				strerror(errno));
			return 1;
		}
		end[i] = -1;
		p[i].fd = fd[i];
		p[i].events = POLLIN;
	}
	left_n = n;
	while (left_n > 0) {
		long long wait = limit_ms - (now_ms() - t0[0] / 1000000);
		int rc = wait > 0 ? poll(p, (nfds_t)n, (int)wait) : 0;
		long long t = now_ns();

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		for (i = 0; i < n; i++)
			if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP))) {
				end[i] = t;
				p[i].fd = -1; /* poll skips it from now on */
				left_n--;
			}
	}
	show_end = getenv("PIDFD_STOP_END") != NULL &&
		   strcmp(getenv("PIDFD_STOP_END"), "1") == 0;
	for (i = 0; i < n; i++) {
		printf("%lld", end[i] >= 0 ? (end[i] - t0[i]) / 1000000 : -1LL);
		if (show_end)
			printf(" %lld", end[i]);
		printf("\n");
		if (first < 0 || t0[i] < first)
			first = t0[i];
		if (t0[i] > last)
			last = t0[i];
		close(fd[i]);
	}
	/* Several pids: how far apart the signals went, in microseconds. */
	if (n > 1)
		printf("spread_us %lld\n", (last - first) / 1000);
	return 0;
}
