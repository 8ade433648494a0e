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
 *
 * A regular file has no non-blocking mode: on a stalled filesystem its
 * write() waits as long as the disk does.  Lines for a regular file (the
 * log file, or stderr redirected to one) are copied into a bounded ring
 * under log_mutex and written by a thread of their own, "log-writer";
 * nobody else waits on the disk.  A full ring drops the line and counts
 * it.  gs_log_close() lets the writer drain the ring while it makes
 * progress, up to LOG_DRAIN_MS in all; a writer stuck in the kernel is
 * left behind and what it still held is counted as dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
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
enum out_kind {
	OUT_PLAIN,  /* a pipe or terminal opened O_NONBLOCK: write() */
	OUT_SOCKET, /* send() with MSG_DONTWAIT */
	OUT_FILE,   /* may block whatever its flags: the writer thread's */
};

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
/* gs_log_open() was called (and gs_log_close() not since); log_mutex. */
static bool log_opened;
static int syslog_fd = -1;
static char log_ident[32] = "gshutdown";
static atomic_ulong log_dropped;
/* stderr as the deadline timer writes it: set with log_mutex, read without */
static atomic_int emerg_fd = -1;
static atomic_int emerg_kind = OUT_PLAIN;

/*
 * The writer thread's ring, all under log_mutex: records of a header and
 * the bytes of one line (or one gs_log_raw() text) for a descriptor, oldest
 * at ring_head.  A descriptor the log stops using (a reopen) is closed by
 * a record of its own, after the lines queued for it: it is never closed,
 * and its number reused, while a line for it waits.
 */
#define LOG_RING_SIZE (256 * 1024)
#define LOG_REC_MAX 16384 /* a longer text is cut */
/* Draining before the end (gs_log_close, at exit): a write this slow is
 * stuck, and this is the most it waits in all; a forced exit waits less.
 * Never past the shutdown's total deadline (log_finish_by). */
#define LOG_STALL_MS 500
#define LOG_DRAIN_MS 2000
#define LOG_FORCED_STALL_MS 100
#define LOG_FORCED_DRAIN_MS 500

#define LOG_RING_RESERVE (8 * sizeof(struct rec_hdr)) /* for REC_CLOSE */
#define LOG_PENDING_MAX 64

enum rec_kind { REC_DATA, REC_CLOSE };

struct rec_hdr {
	uint32_t len;
	uint16_t kind;
	int32_t fd;
};

static char ring[LOG_RING_SIZE];
static size_t ring_head, ring_used;
static unsigned long ring_records; /* lines (REC_DATA) */
static pthread_cond_t writer_cv = PTHREAD_COND_INITIALIZER; /* work, stop */
static pthread_cond_t drained_cv = PTHREAD_COND_INITIALIZER; /* progress */
static pthread_t writer;
static bool writer_running, writer_stop, writer_stuck; /* stuck: detached */
static bool writer_finishing; /* a writer_finish() is waiting */
static bool writer_busy; /* writing or closing outside log_mutex */
static unsigned long writer_inflight; /* lines of the write under way */
static bool inflight_counted;	       /* ... counted as dropped already */
static int64_t writer_progress_ns; /* the writer's last completed step */
/* Set by log_finish_by(): no later drain waits past it (the deadline
 * timer is gone by then). */
static int64_t finish_deadline_ns;
static atomic_bool writer_alive; /* for the atexit handler, without lock */
static pid_t atexit_pid;
/* Descriptors to close once the ring is empty (no room for REC_CLOSE). */
static int pending_close[LOG_PENDING_MAX];
static int npending;

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
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
		o.kind = OUT_FILE;
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

static bool enqueue_close(int fd);

/*
 * log_mutex held.  A file is closed by the writer (close() of a file on
 * NFS or FUSE waits on the server); a pipe or socket here at once.
 */
static void
out_close(struct out *o)
{
	if (o->own && (o->kind != OUT_FILE || !enqueue_close(o->fd)))
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

/* ---- the writer thread ------------------------------------------------- */

static void
ring_put(const void *p, size_t n)
{
	size_t at = (ring_head + ring_used) % LOG_RING_SIZE;
	size_t first = n < LOG_RING_SIZE - at ? n : LOG_RING_SIZE - at;

	memcpy(ring + at, p, first);
	memcpy(ring, (const char *)p + first, n - first);
	ring_used += n;
}

static void
ring_peek(void *p, size_t n)
{
	size_t first = n < LOG_RING_SIZE - ring_head ? n
						      : LOG_RING_SIZE - ring_head;

	memcpy(p, ring + ring_head, first);
	memcpy((char *)p + first, ring, n - first);
}

static void
ring_get(void *p, size_t n)
{
	ring_peek(p, n);
	ring_head = (ring_head + n) % LOG_RING_SIZE;
	ring_used -= n;
}

/* The bytes of p[0..n) written to fd: n, or fewer on an error. */
static size_t
write_all(int fd, const char *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(fd, p + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	return done;
}

/* Close fds[0..n) with log_mutex released; writer_busy while it lasts. */
static void
writer_close(const int *fds, int n)
{
	int i;

	writer_busy = true;
	pthread_mutex_unlock(&log_mutex);
	for (i = 0; i < n; i++)
		close(fds[i]);
	pthread_mutex_lock(&log_mutex);
	writer_busy = false;
	writer_progress_ns = gs_mono_ns();
	pthread_cond_broadcast(&drained_cv);
}

/*
 * Writes what the ring holds, a batch of records for one destination at a
 * time, and closes what it is told to, with log_mutex released around
 * every write and close: only this thread ever waits on the disk.
 */
static void *
writer_main(void *arg)
{
	static char buf[LOG_REC_MAX + 1];
	int broken_fd = -1; /* a write to it stopped mid-line */
	struct rec_hdr h;

	(void)arg;
	pthread_setname_np(pthread_self(), "log-writer");
	pthread_mutex_lock(&log_mutex);
	for (;;) {
		unsigned long lines = 0;
		size_t n = 0, done;
		int fd;

		while (ring_used == 0 && npending == 0 && !writer_stop)
			pthread_cond_wait(&writer_cv, &log_mutex);
		if (ring_used == 0 && npending > 0) {
			int fds[LOG_PENDING_MAX], k = npending, i;

			memcpy(fds, pending_close, sizeof(int) * (size_t)k);
			npending = 0;
			for (i = 0; i < k; i++)
				if (broken_fd == fds[i])
					broken_fd = -1;
			writer_close(fds, k);
			continue;
		}
		if (ring_used == 0)
			break;
		ring_get(&h, sizeof(h));
		fd = h.fd;
		if (h.kind == REC_CLOSE) {
			/* Every line for it is written. */
			if (broken_fd == fd)
				broken_fd = -1;
			writer_close(&fd, 1);
			continue;
		}
		/* After a line cut short, the next starts on a line of its own. */
		if (broken_fd == fd)
			buf[n++] = '\n';
		for (;;) {
			ring_get(buf + n, h.len);
			n += h.len;
			lines++;
			ring_records--;
			if (ring_used == 0)
				break;
			ring_peek(&h, sizeof(h));
			if (h.kind != REC_DATA || h.fd != fd ||
			    n + h.len > sizeof(buf))
				break;
			ring_get(&h, sizeof(h));
		}
		writer_busy = true;
		writer_inflight = lines;
		inflight_counted = false;
		pthread_mutex_unlock(&log_mutex);
		done = write_all(fd, buf, n);
		pthread_mutex_lock(&log_mutex);
		writer_busy = false;
		if (done < n) {
			if (done > 0)
				broken_fd = fd;
			if (!inflight_counted)
				atomic_fetch_add(&log_dropped, lines);
		} else if (broken_fd == fd) {
			broken_fd = -1;
		}
		writer_inflight = 0;
		writer_progress_ns = gs_mono_ns();
		pthread_cond_broadcast(&drained_cv);
	}
	writer_running = false;
	atomic_store(&writer_alive, false);
	if (writer_stuck) { /* detached: nobody joins it, a new one may start */
		writer_stuck = false;
		writer_stop = false;
	}
	pthread_cond_broadcast(&drained_cv);
	pthread_mutex_unlock(&log_mutex);
	return NULL;
}

static void log_atexit(void);

/* log_mutex held.  With every signal blocked: the signal thread takes them. */
static bool
writer_start(void)
{
	static bool registered;
	sigset_t all, old;
	int rc;

	if (writer_stuck) /* its lines would wait on the stuck write */
		return false;
	if (writer_running)
		return true; /* a stopping writer drains what comes too */
	if (writer_stop) /* exited, not joined yet: writer_finish() */
		return false;
	if (!registered) {
		/* An exit without gs_log_close() (an early error return)
		 * still gets its lines written. */
		registered = atexit(log_atexit) == 0;
		atexit_pid = getpid();
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&writer, NULL, writer_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return false;
	writer_running = true;
	atomic_store(&writer_alive, true);
	return true;
}

/* Queue text for fd; log_mutex held.  False when it is dropped. */
static bool
enqueue(int fd, const char *text, size_t len)
{
	struct rec_hdr h = {0, REC_DATA, fd};

	if (len > LOG_REC_MAX)
		len = LOG_REC_MAX;
	if (!writer_start())
		return false;
	if (LOG_RING_SIZE - ring_used < LOG_RING_RESERVE + sizeof(h) + len)
		return false;
	h.len = (uint32_t)len;
	ring_put(&h, sizeof(h));
	ring_put(text, len);
	ring_records++;
	pthread_cond_signal(&writer_cv);
	return true;
}

/* Close fd once the ring is empty; log_mutex held.  Beyond the list it
 * stays open: a descriptor kept is better than a line written into
 * whatever file reuses its number. */
static void
pend_close(int fd)
{
	if (npending < LOG_PENDING_MAX)
		pending_close[npending++] = fd;
	pthread_cond_signal(&writer_cv);
}

/*
 * Have the writer close fd after the lines queued for it, with log_mutex
 * released; log_mutex held.  False when the caller must close it (no
 * writer can be had).
 */
static bool
enqueue_close(int fd)
{
	struct rec_hdr h = {0, REC_CLOSE, fd};

	if (writer_stuck || writer_stop) {
		/* stuck, or exited and not joined yet: writer_finish() or
		 * the stuck writer, once free, closes it */
		pend_close(fd);
		return true;
	}
	if (!writer_start())
		return false;
	if (LOG_RING_SIZE - ring_used < sizeof(h)) {
		pend_close(fd);
		return true;
	}
	ring_put(&h, sizeof(h));
	pthread_cond_signal(&writer_cv);
	return true;
}

/*
 * Wait, log_mutex held, until the writer is done (it has exited, or with
 * "idle" only written all it was given), while its writes complete: at
 * most stall_ms for any one of them, total_ms in all, and never past
 * deadline_ns (0: none).  False when it is stuck.
 */
static bool
writer_wait(bool idle, long long stall_ms, long long total_ms,
	    int64_t deadline_ns)
{
	int64_t start = gs_mono_ns(), limit;

	if (finish_deadline_ns > 0 &&
	    (deadline_ns == 0 || deadline_ns > finish_deadline_ns))
		deadline_ns = finish_deadline_ns;
	for (;;) {
		struct timespec ts;
		int64_t progress = writer_progress_ns > start
				       ? writer_progress_ns
				       : start;

		if (!writer_running ||
		    (idle && ring_used == 0 && npending == 0 && !writer_busy))
			return true;
		limit = progress + stall_ms * 1000000LL;
		if (limit > start + total_ms * 1000000LL)
			limit = start + total_ms * 1000000LL;
		if (deadline_ns > 0 && limit > deadline_ns)
			limit = deadline_ns;
		if (gs_mono_ns() >= limit)
			return false;
		ts.tv_sec = (time_t)(limit / 1000000000LL);
		ts.tv_nsec = (long)(limit % 1000000000LL);
		gs_cond_wait_until(&drained_cv, &log_mutex, &ts);
	}
}

/*
 * Stop the writer; log_mutex held.  It drains the ring first (writer_wait);
 * a writer stuck in a write is left behind, detached, and the lines it
 * could not write are counted as dropped.
 */
static void
writer_finish(int64_t deadline_ns)
{
	if (writer_finishing) {
		/* Another thread's finish (an exit() meanwhile): it joins or
		 * detaches; wait for it as long as it may take, no longer. */
		int64_t end = gs_mono_ns() + LOG_DRAIN_MS * 1000000LL;

		while (writer_finishing && gs_mono_ns() < end) {
			struct timespec ts = {(time_t)(end / 1000000000LL),
					      (long)(end % 1000000000LL)};

			gs_cond_wait_until(&drained_cv, &log_mutex, &ts);
		}
		return;
	}
	if (!writer_running || writer_stuck)
		return;
	writer_finishing = true;
	writer_stop = true;
	pthread_cond_signal(&writer_cv);
	if (!writer_wait(false, LOG_STALL_MS, LOG_DRAIN_MS, deadline_ns)) {
		struct rec_hdr h;

		atomic_fetch_add(&log_dropped, ring_records + writer_inflight);
		inflight_counted = true;
		/* What it cannot write is dropped; what it must close waits
		 * until its write returns. */
		while (ring_used > 0) {
			ring_get(&h, sizeof(h));
			if (h.kind == REC_CLOSE) {
				if (npending < LOG_PENDING_MAX)
					pending_close[npending++] = h.fd;
			} else {
				ring_head = (ring_head + h.len) % LOG_RING_SIZE;
				ring_used -= h.len;
			}
		}
		ring_head = 0;
		ring_records = 0;
		writer_stuck = true;
		pthread_detach(writer);
	} else {
		pthread_join(writer, NULL);
		writer_stop = false;
		while (npending > 0) /* the ring is empty: nothing names them */
			close(pending_close[--npending]);
	}
	writer_finishing = false;
	pthread_cond_broadcast(&drained_cv);
}

static int64_t
ts_ns(const struct timespec *ts)
{
	return ts == NULL ? 0
			  : (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/*
 * At exit: drain the writer, if there is one in this process.  The lock
 * is tried for 100 ms only: a thread blocked in a write to a plain stderr
 * while holding it must not hold up the exit.
 */
static void
log_atexit(void)
{
	int tries;

	if (!atomic_load(&writer_alive) || getpid() != atexit_pid)
		return;
	for (tries = 0; pthread_mutex_trylock(&log_mutex) != 0; tries++) {
		if (tries == 100)
			return;
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
	writer_finish(0);
	pthread_mutex_unlock(&log_mutex);
}

void
log_flush(const struct timespec *deadline)
{
	pthread_mutex_lock(&log_mutex);
	if (!writer_stop)
		(void)writer_wait(true, LOG_FORCED_STALL_MS,
				  LOG_FORCED_DRAIN_MS, ts_ns(deadline));
	pthread_mutex_unlock(&log_mutex);
}

void
log_finish_by(const struct timespec *deadline)
{
	pthread_mutex_lock(&log_mutex);
	if (deadline != NULL)
		finish_deadline_ns = ts_ns(deadline);
	writer_finish(0);
	pthread_mutex_unlock(&log_mutex);
}

/* ---- writing ------------------------------------------------------------ */

bool
gs_log_raw(const char *text, size_t len)
{
	int fd = atomic_load(&emerg_fd), kind = atomic_load(&emerg_kind);
	bool ok;

	if (fd < 0) {
		fd = STDERR_FILENO;
		kind = OUT_PLAIN;
	}
	if (kind == OUT_FILE) {
		pthread_mutex_lock(&log_mutex);
		ok = enqueue(fd, text, len);
		pthread_mutex_unlock(&log_mutex);
	} else {
		ok = out_write(fd, kind, text, len);
	}
	if (!ok)
		atomic_fetch_add(&log_dropped, 1);
	return ok;
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
	char line[4400], stamp[32];
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

/* ---- escaping ----------------------------------------------------------- */

/* The code point of the UTF-8 sequence at s (n bytes there), and its
 * length in *used; -1 for a byte that starts no valid sequence. */
static long
utf8_decode(const unsigned char *s, size_t n, size_t *used)
{
	static const unsigned char lead_bits[] = {0, 0, 0x1f, 0x0f, 0x07};
	static const long least[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t k, len;
	long cp;

	if (s[0] < 0xc2 || s[0] > 0xf4) /* continuation, overlong, > U+10FFFF */
		return -1;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return -1;
	cp = s[0] & lead_bits[len];
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*used = len;
	return cp;
}

/*
 * Characters shown as an escape though they are valid: C1 controls, the
 * invisible ones that reorder or hide text (bidi embeddings, overrides and
 * isolates, marks, zero-width characters, the BOM, interlinear
 * annotation, tags), the line and paragraph separators, and the
 * noncharacters XML forbids.
 */
static bool
escape_cp(long cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0xad || cp == 0x061c ||
	       cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff ||
	       (cp >= 0xfff9 && cp <= 0xfffb) || cp == 0xfffe ||
	       cp == 0xffff || (cp >= 0xe0000 && cp <= 0xe007f);
}

size_t
gs_log_escape(char *out, size_t size, const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0;

	if (size == 0)
		return 0;
	while (i < len) {
		char esc[16];
		const char *put = esc;
		size_t n, used = 1;
		long cp = -2;

		if (s[i] == '\\') {
			put = "\\\\";
		} else if (s[i] == '\n') {
			put = "\\n";
		} else if (s[i] == '\r') {
			put = "\\r";
		} else if (s[i] == '\t') {
			put = "\\t";
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
		} else if (s[i] < 0x80) {
			esc[0] = (char)s[i];
			esc[1] = '\0';
		} else if ((cp = utf8_decode(s + i, len - i, &used)) < 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
			used = 1;
		} else if (escape_cp(cp)) {
			snprintf(esc, sizeof(esc),
				 cp > 0xffff ? "\\U%08lx" : "\\u%04lx", cp);
		} else {
			memcpy(esc, s + i, used);
			esc[used] = '\0';
		}
		n = strlen(put);
		if (o + n >= size)
			break;
		memcpy(out + o, put, n);
		o += n;
		i += used;
	}
	out[o] = '\0';
	return o;
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

/*
 * The destination, opened before log_mutex is taken: open() and fstat()
 * of a file on a stalled mount wait, and no logging thread may wait with
 * them.  *err is stderr made non-blocking, when it is not yet (err->fd -1
 * otherwise).
 */
static int
log_prepare(const char *file, struct out *o, struct out *err)
{
	*o = (struct out){STDERR_FILENO, false, OUT_PLAIN};
	*err = (struct out){-1, false, OUT_PLAIN};
	if (file != NULL && file[0] != '\0') {
		int fd = open(file,
			      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
				  O_NOFOLLOW | O_NONBLOCK,
			      0640);
		struct out e;

		if (fd < 0)
			return -errno;
		e = out_for(fd);
		if (e.own)
			close(e.fd); /* opened O_NONBLOCK already */
		*o = (struct out){fd, true, e.kind};
	}
	if (atomic_load(&emerg_fd) < 0)
		*err = out_for(STDERR_FILENO);
	return 0;
}

/* Put the prepared destination in place; log_mutex held. */
static void
log_install_locked(enum gs_log_level level, struct out o, struct out err,
		   bool use_syslog, const char *facility)
{
	out_close(&log_out);
	if (err.fd >= 0) {
		if (atomic_load(&emerg_fd) < 0) {
			/* stderr: written without blocking, by us and the
			 * deadline timer */
			atomic_store(&emerg_kind, (int)err.kind);
			atomic_store(&emerg_fd, err.fd);
		} else if (err.own) {
			close(err.fd); /* another open installed one: a pipe */
		}
	}
	if (atomic_load(&emerg_fd) < 0) {
		/* a gs_log_close() since log_prepare(): rare, done here */
		struct out e = out_for(STDERR_FILENO);

		atomic_store(&emerg_kind, (int)e.kind);
		atomic_store(&emerg_fd, e.fd);
	}
	log_out = o;
	if (o.fd == STDERR_FILENO && atomic_load(&emerg_fd) >= 0) {
		log_out.fd = atomic_load(&emerg_fd);
		log_out.kind = atomic_load(&emerg_kind);
		log_out.own = false;
	}
	if (syslog_fd >= 0)
		close(syslog_fd);
	syslog_fd = -1;
	log_syslog = use_syslog;
	log_prio_facility = gs_log_facility(facility);
	if (use_syslog)
		syslog_connect();
	log_level = level;
}

int
gs_log_open(enum gs_log_level level, const char *file, bool use_syslog,
	    const char *facility, const char *ident)
{
	struct out o, err;
	int rc = log_prepare(file, &o, &err);

	if (rc < 0)
		return rc;
	pthread_mutex_lock(&log_mutex);
	finish_deadline_ns = 0; /* a new log: no earlier shutdown bounds it */
	if (ident != NULL)
		snprintf(log_ident, sizeof(log_ident), "%s", ident);
	log_install_locked(level, o, err, use_syslog, facility);
	log_opened = true;
	pthread_mutex_unlock(&log_mutex);
	return 0;
}

bool
log_is_open(void)
{
	bool open;

	pthread_mutex_lock(&log_mutex);
	open = log_opened;
	pthread_mutex_unlock(&log_mutex);
	return open;
}

int
gs_log_reopen(enum gs_log_level level, const char *file, bool use_syslog,
	      const char *facility)
{
	struct out o, err;
	int rc = log_prepare(file, &o, &err);

	if (rc < 0)
		return rc;
	pthread_mutex_lock(&log_mutex);
	log_install_locked(level, o, err, use_syslog, facility);
	pthread_mutex_unlock(&log_mutex);
	return 0;
}

void
gs_log_close(void)
{
	int efd;

	pthread_mutex_lock(&log_mutex);
	log_opened = false;
	out_close(&log_out); /* a file: its close is queued behind its lines */
	writer_finish(0);
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
	char raw[2048], msg[4096], line[4400], thread[16] = "?", stamp[32];
	struct timespec now;
	struct tm tm;
	bool ok = true;
	int n;

	if (!gs_log_enabled(level))
		return;
	/* One line per message, whatever its arguments hold: text from the
	 * exchange or a file can neither start a line of its own (a forged
	 * "trace anchor") nor send a terminal escapes. */
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	if (n < 0)
		return;
	gs_log_escape(msg, sizeof(msg), raw,
		      (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1);
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

	/* Held only around writes that cannot block, and copies. */
	pthread_mutex_lock(&log_mutex);
	if (log_syslog && !syslog_send(prio[level], thread, msg))
		ok = false;
	if (!log_syslog || log_out.fd != atomic_load(&emerg_fd)) {
		int fd = log_out.fd;

		if (fd < 0)
			fd = STDERR_FILENO;
		if (log_out.kind == OUT_FILE) {
			if (!enqueue(fd, line, (size_t)n))
				ok = false;
		} else if (!out_write(fd, log_out.kind, line, (size_t)n)) {
			ok = false;
		}
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
