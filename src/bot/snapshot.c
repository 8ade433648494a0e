/*
 * snapshot.c - state_dir/open-orders.json kept current while the daemon
 * runs, so that a kill -9 or a shutdown whose listing hangs still leaves a
 * file naming every order the daemon knew of.
 *
 * Whatever changes what the bot knows of its orders (a placement about to
 * be sent, the replies, a listing that shows a fill, a user data stream
 * event) marks the snapshot dirty: a generation number under bot->mu.  One
 * thread of its own, "snapshot", writes the newest generation atomically
 * (temp file, fsync, rename, fsync of the directory: cancel.c's
 * write_atomic) and publishes it as durable; changes made while it writes
 * are coalesced into its next file.  No lock is held across the disk.
 *
 * Recorded before sent: the strategy records its placements, marks the
 * snapshot dirty and waits, at most SNAPSHOT_WAIT_MS, until a generation
 * holding them is durable.  A disk that stalls or refuses longer than that
 * does not hold the strategy: it drops those placements unsent (nothing of
 * them reached the exchange), counts the round as trouble and backs off,
 * so it never places what the disk does not know.  A failed write is
 * retried with backoff (200 ms to 30 s), and logged once until it works.
 *
 * The writer stops at the stop flag once what was marked by then is
 * written: from there on the CANCELLING phase writes the snapshot
 * (cancel.c) from its listing, and a settled mark is never overwritten
 * (cancel_snapshot_gen refuses once it is taken).  The supervisor joins
 * the thread at JOINING against its deadline, like every worker.
 */
#include <errno.h>

#include "bot.h"

#define RETRY_BASE_MS 200
#define RETRY_CAP_MS 30000

uint64_t
bot_snapshot_dirty_locked(struct bot *bot)
{
	bot->snap_gen++;
	pthread_cond_broadcast(&bot->snap_cv);
	return bot->snap_gen;
}

void
bot_snapshot_dirty(struct bot *bot)
{
	pthread_mutex_lock(&bot->mu);
	bot_snapshot_dirty_locked(bot);
	pthread_mutex_unlock(&bot->mu);
}

int
snapshot_wait_locked(struct bot *bot, uint64_t gen, const struct timespec *by)
{
	if (!bot->snap_writer)
		return 0;
	for (;;) {
		if (bot->snap_done >= gen)
			return 0;
		if (bot->snap_failed >= gen)
			return -EIO;
		if (gs_stop_requested())
			return -ECANCELED;
		if (gs_cond_wait_until(&bot->snap_cv, &bot->mu, by) != 0)
			return bot->snap_done >= gen ? 0 : -ETIMEDOUT;
	}
}

void *
snapshot_main(void *arg)
{
	struct bot *bot = arg;
	struct timespec retry_at = gs_mono_now();
	long long backoff = 0;
	bool failing = false;

	pthread_mutex_lock(&bot->mu);
	for (;;) {
		bool stop = gs_stop_requested();
		bool todo = bot->snap_gen > bot->snap_done;
		uint64_t gen = 0;
		int rc;

		if (!todo && stop)
			break;
		if (!todo) {
			pthread_cond_wait(&bot->snap_cv, &bot->mu);
			continue;
		}
		if (failing && !stop && gs_ms_until(&retry_at) > 0) {
			gs_cond_wait_until(&bot->snap_cv, &bot->mu, &retry_at);
			continue;
		}
		pthread_mutex_unlock(&bot->mu);
		rc = cancel_snapshot_gen(bot, &gen);
		/* A failure is logged by the write itself. */
		if (rc >= 0 && failing)
			log_info("the order snapshot is written again");
		pthread_mutex_lock(&bot->mu);
		if (rc > 0) {
			/* Settled: nothing of the run is left to write. */
			bot->snap_done = bot->snap_gen;
			pthread_cond_broadcast(&bot->snap_cv);
			break;
		}
		if (rc == 0) {
			if (gen > bot->snap_done)
				bot->snap_done = gen;
			failing = false;
			backoff = 0;
		} else {
			if (gen > bot->snap_failed)
				bot->snap_failed = gen;
			failing = true;
			backoff = budget_backoff(backoff, RETRY_BASE_MS,
						 RETRY_CAP_MS);
			retry_at = gs_mono_after_ms(backoff);
		}
		pthread_cond_broadcast(&bot->snap_cv);
		if (stop)
			break; /* the last write, after the flag rose */
	}
	pthread_mutex_unlock(&bot->mu);
	return NULL;
}

void
snapshot_wake(void *arg)
{
	struct bot *bot = arg;

	pthread_mutex_lock(&bot->mu);
	pthread_cond_broadcast(&bot->snap_cv);
	pthread_mutex_unlock(&bot->mu);
}
