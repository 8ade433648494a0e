/*
 * delay-proxy.c - a network model for the benchmarks: a TCP proxy on
 * loopback that holds every byte for a one-way delay in each direction.
 *
 * Injecting latency into the simulator's replies measures a network where
 * connections and TLS handshakes are free.  Here every chunk read from
 * either side is forwarded only DELAY ms later, so each round trip of any
 * protocol above TCP (TLS handshakes included) costs 2 x DELAY.  The
 * kernel completes the client's connect() at once, so the first bytes of
 * each connection are held one extra round trip: what the SYN / SYN-ACK
 * exchange costs on a real network before the client may send.
 *
 * Every accepted connection is logged to the --log file as
 * "<CLOCK_MONOTONIC ns> accept <n>", so a benchmark can count the
 * connections opened after a given instant (e.g. during a shutdown).
 *
 *	delay-proxy --to HOST:PORT --delay-ms N [--port N] [--port-file F]
 *		    [--log F]
 *
 * Single-threaded: one poll() loop; it ends on SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 512
#define CHUNK 16384

struct chunk {
	struct chunk *next;
	int64_t due_ns;
	size_t len, off;
	char data[];
};

/* One direction of a connection: bytes read from `from`, queued, written
 * to `to` when due. */
struct pipe_dir {
	int from, to;
	struct chunk *head, *tail;
	int64_t last_due;
	bool eof;      /* `from` reached end of file */
	bool shut;     /* shutdown(to, SHUT_WR) done */
	bool first;    /* nothing forwarded yet */
};

struct conn {
	bool used;
	int64_t opened_ns;
	struct pipe_dir up, down; /* client->server, server->client */
};

static struct conn conns[MAX_CONNS];
static volatile sig_atomic_t quit;
static int64_t delay_ns;

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void
dir_free(struct pipe_dir *d)
{
	struct chunk *c, *next;

	for (c = d->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	d->head = d->tail = NULL;
}

static void
conn_close(struct conn *c)
{
	close(c->up.from);
	close(c->up.to);
	dir_free(&c->up);
	dir_free(&c->down);
	c->used = false;
}

/* Read what is there and queue it for later; -1 on a hard error. */
static int
dir_read(struct conn *c, struct pipe_dir *d)
{
	struct chunk *ch = malloc(sizeof(*ch) + CHUNK);
	int64_t due;
	ssize_t n;

	if (ch == NULL)
		return -1;
	n = read(d->from, ch->data, CHUNK);
	if (n <= 0) {
		free(ch);
		if (n == 0) {
			d->eof = true;
			return 0;
		}
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	}
	due = now_ns() + delay_ns;
	/* The first client bytes wait out the handshake's round trip too. */
	if (d == &c->up && d->first && due < c->opened_ns + 3 * delay_ns)
		due = c->opened_ns + 3 * delay_ns;
	if (due < d->last_due)
		due = d->last_due;
	d->first = false;
	d->last_due = due;
	ch->next = NULL;
	ch->due_ns = due;
	ch->len = (size_t)n;
	ch->off = 0;
	if (d->tail)
		d->tail->next = ch;
	else
		d->head = ch;
	d->tail = ch;
	return 0;
}

/* Write every chunk that is due; -1 on a hard error. */
static int
dir_write(struct pipe_dir *d, int64_t now)
{
	while (d->head != NULL && d->head->due_ns <= now) {
		struct chunk *ch = d->head;
		ssize_t n = write(d->to, ch->data + ch->off, ch->len - ch->off);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		ch->off += (size_t)n;
		if (ch->off < ch->len)
			return 0;
		d->head = ch->next;
		if (d->head == NULL)
			d->tail = NULL;
		free(ch);
	}
	if (d->head == NULL && d->eof && !d->shut) {
		shutdown(d->to, SHUT_WR);
		d->shut = true;
	}
	return 0;
}

static int
listen_on(int port, int *bound)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		close(fd);
		return -1;
	}
	*bound = ntohs(a.sin_port);
	return fd;
}

static int
connect_to(const struct sockaddr_in *to)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
accept_one(int lfd, const struct sockaddr_in *to, FILE *log, long *accepted)
{
	int one = 1, cfd, sfd, i;
	struct conn *c = NULL;

	cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	if (cfd < 0)
		return;
	for (i = 0; i < MAX_CONNS && c == NULL; i++)
		if (!conns[i].used)
			c = &conns[i];
	sfd = c != NULL ? connect_to(to) : -1;
	if (sfd < 0) {
		close(cfd);
		return;
	}
	setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(c, 0, sizeof(*c));
	c->used = true;
	c->opened_ns = now_ns();
	c->up = (struct pipe_dir){.from = cfd, .to = sfd, .first = true};
	c->down = (struct pipe_dir){.from = sfd, .to = cfd, .first = true};
	(*accepted)++;
	if (log != NULL) {
		fprintf(log, "%lld accept %ld\n", (long long)c->opened_ns,
			*accepted);
		fflush(log);
	}
}

static int
parse_target(const char *arg, struct sockaddr_in *to)
{
	char host[64];
	const char *colon = strrchr(arg, ':');
	size_t n = colon ? (size_t)(colon - arg) : 0;

	if (colon == NULL || n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, arg, n);
	host[n] = '\0';
	memset(to, 0, sizeof(*to));
	to->sin_family = AF_INET;
	to->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &to->sin_addr) == 1 ? 0 : -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: delay-proxy --to HOST:PORT --delay-ms N "
			"[--port N] [--port-file F] [--log F]\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"to", required_argument, NULL, 't'},
		{"delay-ms", required_argument, NULL, 'd'},
		{"port", required_argument, NULL, 'p'},
		{"port-file", required_argument, NULL, 'f'},
		{"log", required_argument, NULL, 'l'},
		{NULL, 0, NULL, 0}};
	struct pollfd pfd[1 + 2 * MAX_CONNS];
	struct conn *owner[1 + 2 * MAX_CONNS];
	const char *port_file = NULL, *log_path = NULL;
	struct sockaddr_in to;
	bool have_to = false;
	long accepted = 0;
	int port = 0, bound, lfd, opt, i;
	FILE *log = NULL;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (parse_target(optarg, &to) < 0)
				usage();
			have_to = true;
			break;
		case 'd':
			delay_ns = atoll(optarg) * 1000000LL;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'f':
			port_file = optarg;
			break;
		case 'l':
			log_path = optarg;
			break;
		default:
			usage();
		}
	}
	if (!have_to || delay_ns < 0)
		usage();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if ((lfd = listen_on(port, &bound)) < 0) {
		perror("delay-proxy: listen");
		return 69;
	}
	if (log_path != NULL && (log = fopen(log_path, "a")) == NULL) {
		perror(log_path);
		return 73;
	}
	if (port_file != NULL) {
		char tmp[4096];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
		if ((f = fopen(tmp, "w")) == NULL ||
		    fprintf(f, "%d\n", bound) < 0 || fclose(f) != 0 ||
		    rename(tmp, port_file) != 0) {
			perror(port_file);
			return 73;
		}
	}

	while (!quit) {
		int64_t now = now_ns(), next = -1;
		int n = 0, timeout;

		pfd[n] = (struct pollfd){.fd = lfd, .events = POLLIN};
		owner[n++] = NULL;
		for (i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &conns[i];
			struct pipe_dir *d[2] = {&c->up, &c->down};
			int k;

			if (!c->used)
				continue;
			for (k = 0; k < 2; k++) {
				short ev = 0;

				if (!d[k]->eof)
					ev |= POLLIN;
				/* A due chunk the peer could not take yet is
				 * retried at the next millisecond. */
				if (d[k]->head != NULL &&
				    (next < 0 || d[k]->head->due_ns < next))
					next = d[k]->head->due_ns;
				pfd[n] = (struct pollfd){
					.fd = d[k]->eof ? -1 : d[k]->from,
					.events = ev};
				owner[n++] = c;
			}
		}
		timeout = next < 0 ? 1000
			  : next <= now ? 1
					: (int)((next - now) / 1000000) + 1;
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN)
			accept_one(lfd, &to, log, &accepted);
		for (i = 1; i < n; i++) {
			struct conn *c = owner[i];
			struct pipe_dir *d;

			if (!c->used || pfd[i].fd < 0)
				continue;
			d = pfd[i].fd == c->up.from ? &c->up : &c->down;
			if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    dir_read(c, d) < 0)
				conn_close(c);
		}
		now = now_ns();
		for (i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &conns[i];

			if (!c->used)
				continue;
			if (dir_write(&c->up, now) < 0 ||
			    dir_write(&c->down, now) < 0 ||
			    (c->up.shut && c->down.shut))
				conn_close(c);
		}
	}
	for (i = 0; i < MAX_CONNS; i++)
		if (conns[i].used)
			conn_close(&conns[i]);
	close(lfd);
	if (log != NULL)
		fclose(log);
	return 0;
}
