/*
 * notify-listen.c - plays systemd for the tests: binds an AF_UNIX
 * datagram socket and appends every notification it receives to a file,
 * one message per line (newlines inside a message become '|'), until
 * SIGTERM.
 *
 * With --stalled it plays a service manager that has stopped reading: it
 * fills its own socket's queue until a datagram from a fresh socket would
 * have to wait, writes "full" to OUTPUT, and never reads.  With
 * --stalled-until FILE it does the same, and reads as usual once FILE
 * exists.
 */
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un sa;
	char buf[4096];
	const char *until = NULL;
	FILE *out;
	int fd, stalled = 0;

	if (argc == 4 && strcmp(argv[1], "--stalled") == 0) {
		stalled = 1;
		argv++;
		argc--;
	} else if (argc == 5 && strcmp(argv[1], "--stalled-until") == 0) {
		stalled = 1;
		until = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: notify-listen [--stalled | "
				"--stalled-until FILE] SOCKET OUTPUT\n");
		return 2;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("notify-listen");
		return 1;
	}
	out = fopen(argv[2], "a");
	if (out == NULL) {
		perror(argv[2]);
		return 1;
	}
	setvbuf(out, NULL, _IOLBF, 0);
	if (stalled) {
		/* Each sender may be held back by its own send buffer first:
		 * fill from fresh sockets until one cannot send at all. */
		int senders, sent = 1;

		for (senders = 0; sent > 0 && senders < 256; senders++) {
			int tx = socket(AF_UNIX, SOCK_DGRAM, 0);

			for (sent = 0; sendto(tx, "x", 1, MSG_DONTWAIT,
					      (struct sockaddr *)&sa,
					      sizeof(sa)) == 1;
			     sent++)
				;
			if (errno != EAGAIN) {
				perror("notify-listen: filling the queue");
				return 1;
			}
			/* tx stays open: what it queued stays charged */
		}
		if (sent > 0) {
			fprintf(stderr, "notify-listen: the queue never filled\n");
			return 1;
		}
		fprintf(out, "full\n");
		while (until == NULL || access(until, F_OK) != 0)
			nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		ssize_t i;

		if (n < 0)
			continue;
		for (i = 0; i < n; i++)
			if (buf[i] == '\n')
				buf[i] = '|';
		buf[n] = '\0';
		fprintf(out, "%s\n", buf);
	}
}
