/*
 * owner.c - which daemon a state_dir, and an order, belong to.
 *
 * A state_dir is one daemon's for its whole life: state_dir/lock is held
 * with flock(2) from before the order snapshot is first read until the
 * process ends (the kernel lets go of it even after a kill -9), and the
 * holder's pid is written in it, so a second daemon started on the same
 * state_dir exits 78 naming the first one instead of "recovering" its
 * live orders.
 *
 * Each state_dir also has an instance id, made once (random, base36) and
 * kept in state_dir/instance.  Client order ids are
 * "<prefix>-<instance>-<seq>", seq being a tag of the run and a counter,
 * so that no id is sent twice whatever the runs: two daemons with one
 * prefix on one account (two hosts, each its own state_dir) tell their
 * orders apart on the exchange, the one truth they share.  An order of
 * the prefix with another instance id is an orphan to this daemon:
 * another live daemon's, or an abandoned one's, never cancelled unless
 * the operator says so (--recover-orphans).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bot.h"

#define LOCK_NAME "lock"
#define INSTANCE_NAME "instance"
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
	struct stat st;
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
		struct timespec by;
		long pid;

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

/* n random characters of [0-9a-z], without the modulo's bias. */
static int
owner_random36(char *out, int n)
{
	static const char abc[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	unsigned char r[32];
	int k = 0;
	size_t i;

	while (k < n) {
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return -EIO;
		for (i = 0; i < sizeof(r) && k < n; i++)
			if (r[i] < 252) /* 7 x 36 */
				out[k++] = abc[r[i] % 36];
	}
	out[n] = '\0';
	return 0;
}

int
owner_tmp_open(int dirfd, const char *name, char *tmp, size_t size)
{
	size_t n = strlen(name);
	int fd = -1, tries;

	/* name.XXXXXX, as mkstemp would name it. */
	if (n + 8 > size)
		return -ENAMETOOLONG;
	memcpy(tmp, name, n);
	tmp[n] = '.';
	for (tries = 0; fd < 0 && tries < 100; tries++) {
		if (owner_random36(tmp + n + 1, 6) < 0)
			return -EIO;
		fd = openat(dirfd, tmp,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				O_CLOEXEC,
			    0600);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	return fd < 0 ? -EEXIST : fd;
}

/* An instance id as written: OWNER_INSTANCE_LEN of [0-9a-z], a newline. */
static bool
owner_instance_valid(const char *text, size_t len)
{
	size_t i;

	if (len == OWNER_INSTANCE_LEN + 1 && text[OWNER_INSTANCE_LEN] == '\n')
		len--;
	if (len != OWNER_INSTANCE_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!((text[i] >= '0' && text[i] <= '9') ||
		      (text[i] >= 'a' && text[i] <= 'z')))
			return false;
	return true;
}

/*
 * Make state_dir/instance: a temp file of a fresh name created (never
 * opened: O_EXCL, O_NOFOLLOW), written, made durable, then linked to its
 * name, which fails rather than replace anything there, and the directory
 * made durable.  Under the lock: nobody else makes one meanwhile.
 */
static int
owner_instance_make(int state_fd, const char *id)
{
	char tmp[sizeof(INSTANCE_NAME) + 8], text[OWNER_INSTANCE_LEN + 2];
	int fd, rc = 0;
	size_t len;
	ssize_t w;

	fd = owner_tmp_open(state_fd, INSTANCE_NAME, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	len = (size_t)snprintf(text, sizeof(text), "%s\n", id);
	w = write(fd, text, len);
	if (w < 0)
		rc = -errno;
	else if ((size_t)w != len)
		rc = -EIO;
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && linkat(state_fd, tmp, state_fd, INSTANCE_NAME, 0) < 0)
		rc = -errno;
	unlinkat(state_fd, tmp, 0);
	if (rc == 0 && fsync(state_fd) < 0)
		rc = -errno;
	return rc;
}

/* The id in state_dir/instance: 0, -ENOENT when there is none (cause
 * untouched), or -EIO / -EINVAL with cause. */
static int
owner_instance_read(const struct bot_config *cfg, int state_fd, char *id,
		    char *cause)
{
	int line = bot_config_line(cfg, "bot", "state_dir");
	const char *dir = cfg->bot.state_dir;
	char text[32];
	struct stat st;
	ssize_t n;
	int fd;

	fd = openat(state_fd, INSTANCE_NAME,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return -ENOENT;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(cause, GS_CAUSE_MAX, "%s:%d: state_dir %s: %s: %s",
			 cfg->path, line, dir, INSTANCE_NAME, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	n = S_ISREG(st.st_mode) ? read(fd, text, sizeof(text)) : -1;
	close(fd);
	if (n < 0 || !owner_instance_valid(text, (size_t)n)) {
		/* Never replaced: a new id would make every order of the
		 * old one an orphan. */
		snprintf(cause, GS_CAUSE_MAX,
			 "%s:%d: state_dir %s: %s does not hold an instance "
			 "id (%d characters of 0-9 and a-z); remove it only "
			 "when no order of this daemon rests",
			 cfg->path, line, dir, INSTANCE_NAME,
			 OWNER_INSTANCE_LEN);
		return -EINVAL;
	}
	memcpy(id, text, OWNER_INSTANCE_LEN);
	id[OWNER_INSTANCE_LEN] = '\0';
	return 0;
}

int
owner_instance(const struct bot_config *cfg, int state_fd, char *id,
	       char *cause)
{
	int rc = owner_instance_read(cfg, state_fd, id, cause);

	if (rc != -ENOENT)
		return rc;
	rc = owner_random36(id, OWNER_INSTANCE_LEN);
	if (rc == 0)
		rc = owner_instance_make(state_fd, id);
	if (rc < 0) {
		snprintf(cause, GS_CAUSE_MAX,
			 "%s:%d: state_dir %s: cannot write %s: %s", cfg->path,
			 bot_config_line(cfg, "bot", "state_dir"),
			 cfg->bot.state_dir, INSTANCE_NAME, strerror(-rc));
		return rc;
	}
	log_info("state_dir %s: new instance id %s", cfg->bot.state_dir, id);
	return 0;
}

int
owner_instance_check(const struct bot_config *cfg, char *cause)
{
	char id[OWNER_INSTANCE_LEN + 1];
	int fd, rc;

	/* bot_config_validate() judged the directory; none yet is fine. */
	fd = open(cfg->bot.state_dir,
		  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	rc = owner_instance_read(cfg, fd, id, cause);
	close(fd);
	return rc == -ENOENT ? 0 : rc;
}

int
owner_init(struct bot *bot, const char *instance)
{
	const char *prefix = bot->cfg->bot.client_order_prefix;

	snprintf(bot->prefix, sizeof(bot->prefix), "%s-", prefix);
	snprintf(bot->instance, sizeof(bot->instance), "%s", instance);
	snprintf(bot->own, sizeof(bot->own), "%s-%s-", prefix, instance);
	if (owner_random36(bot->run_tag, OWNER_RUN_LEN) < 0) {
		memset(bot->run_tag, '0', OWNER_RUN_LEN);
		bot->run_tag[OWNER_RUN_LEN] = '\0';
		return -EIO;
	}
	snprintf(bot->run_own, sizeof(bot->run_own), "%s%s", bot->own,
		 bot->run_tag);
	return 0;
}

int
owner_client_id(const struct bot *bot, unsigned long seq, char *out,
		size_t size)
{
	char digits[16];
	int k = (int)sizeof(digits), n;

	digits[--k] = '\0';
	do {
		digits[--k] = "0123456789abcdefghijklmnopqrstuvwxyz"[seq % 36];
		seq /= 36;
	} while (seq > 0 && k > 0);
	if (seq > 0)
		return -ENOSPC;
	n = snprintf(out, size, "%s%s%s", bot->own, bot->run_tag, digits + k);
	if (n < 0 || (size_t)n >= size || n > BOT_CID_LIMIT)
		return -ENOSPC;
	return 0;
}

bool
bot_owns(const struct bot *bot, const char *client_id)
{
	return plan_owns(bot->own, client_id);
}

bool
owner_orphan(const struct bot *bot, const char *client_id)
{
	return plan_owns(bot->prefix, client_id) &&
	       !plan_owns(bot->own, client_id);
}
