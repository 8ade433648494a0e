/*
 * owner.c - which daemon a state_dir, and an order, belong to.
 *
 * A state_dir is one daemon's for its whole life: state_dir/lock is held
 * with flock(2) from before the order snapshot is first read until the
 * process ends (the kernel lets go of it even after a kill -9), and the
 * holder's pid is written in it, so a second daemon started on the same
 * state_dir exits 78 naming the first one instead of "recovering" its
 * live orders.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bot.h"

#define LOCK_NAME "lock"
/* How long a second daemon waits for the holder's pid to be written (the
 * holder writes it right after its flock succeeds). */
#define LOCK_PID_WAIT_MS 200

/* The pid in the lock file, or 0 while none is written yet. */
static long
lock_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	if (end == buf || (*end != '\n' && *end != '\0') || pid <= 0)
		return 0;
	return pid;
}

/* Write our pid over what an earlier holder left. */
static int
lock_write_pid(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		return -errno;
	return 0;
}

int
owner_lock(const struct bot_config *cfg, int state_fd, int *lock_fd,
	   char *cause)
{
	int line = bot_config_line(cfg, "bot", "state_dir");
	const char *dir = cfg->bot.state_dir;
	struct timespec by;
	struct stat st;
	long pid;
	int fd, rc;

	*lock_fd = -1;
	/* Never through a symlink, never a FIFO's open that waits. */
	fd = openat(state_fd, LOCK_NAME,
		    O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
			O_NOCTTY,
		    0600);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(cause, GS_CAUSE_MAX, "%s:%d: state_dir %s: %s: %s",
			 cfg->path, line, dir, LOCK_NAME, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(cause, GS_CAUSE_MAX,
			 "%s:%d: state_dir %s: %s is not a regular file of "
			 "this user's",
			 cfg->path, line, dir, LOCK_NAME);
		close(fd);
		return -EINVAL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;

		if (err != EWOULDBLOCK) {
			snprintf(cause, GS_CAUSE_MAX,
				 "%s:%d: state_dir %s: cannot lock %s: %s",
				 cfg->path, line, dir, LOCK_NAME,
				 strerror(err));
			close(fd);
			return -EINVAL;
		}
		by = gs_mono_after_ms(LOCK_PID_WAIT_MS);
		while ((pid = lock_holder(fd)) == 0 && gs_ms_until(&by) > 0)
			nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
		close(fd);
		if (pid > 0)
			snprintf(cause, GS_CAUSE_MAX,
				 "%s:%d: state_dir %s is in use by another "
				 "tradebotd (pid %ld): each daemon needs a "
				 "state_dir of its own",
				 cfg->path, line, dir, pid);
		else
			snprintf(cause, GS_CAUSE_MAX,
				 "%s:%d: state_dir %s is in use by another "
				 "tradebotd (its pid is not written in %s/%s): "
				 "each daemon needs a state_dir of its own",
				 cfg->path, line, dir, dir, LOCK_NAME);
		return -EBUSY;
	}
	rc = lock_write_pid(fd);
	if (rc < 0)
		log_warn("state_dir %s: cannot write the pid in %s: %s", dir,
			 LOCK_NAME, strerror(-rc));
	*lock_fd = fd;
	return 0;
}
