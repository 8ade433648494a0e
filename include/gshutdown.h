/*
 * gshutdown.h - the public API of libgshutdown.
 *
 * A service built on this library blocks its signals with gs_signals_block()
 * before it creates any thread, loads its configuration, creates a
 * supervisor, registers its worker threads and its CANCELLING and CLOSING
 * phase actions, and hands control to gs_supervisor_run(), which returns the
 * process exit code once the state machine
 *
 *	RUNNING -> CANCELLING -> CLOSING -> JOINING -> EXIT
 *
 * has run to its end.  Every transition is appended to a hash-chained JSON
 * Lines audit trace.
 *
 * Functions return 0 or a negative errno value unless documented otherwise.
 * Functions that produce a message for a person take a char *cause buffer
 * (GS_CAUSE_MAX bytes) and fill it in on failure.
 */
#ifndef GSHUTDOWN_H
#define GSHUTDOWN_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* jansson's object type: records are JSON objects (see "Records"). */
struct json_t;

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden symbols; what is declared here is not. */
#pragma GCC visibility push(default)

#define GS_CAUSE_MAX 4096

/*
 * Exit codes: 0 clean; 64 bad command line; 69 a service the program
 * needs is unavailable at start-up; 70 the total shutdown deadline passed;
 * 75 the shutdown finished degraded (a phase failed or timed out, a
 * worker did not join, a trace record was lost); 78 configuration error;
 * 128+n forced by a second signal n.
 */
enum {
	GS_EXIT_OK = 0,
	GS_EXIT_USAGE = 64,
	GS_EXIT_UNAVAILABLE = 69,
	GS_EXIT_DEADLINE = 70,
	GS_EXIT_DEGRADED = 75,
	GS_EXIT_CONFIG = 78,
};

/* ---- State machine ------------------------------------------------------ */

enum gs_state {
	GS_STATE_RUNNING,
	GS_STATE_CANCELLING,
	GS_STATE_CLOSING,
	GS_STATE_JOINING,
	GS_STATE_EXIT,
	GS_STATE_COUNT
};

enum gs_event {
	GS_EV_SIGTERM,
	GS_EV_SIGINT,
	GS_EV_SIGHUP,
	GS_EV_SIGQUIT,
	GS_EV_FATAL,
	GS_EV_PHASE_DONE,
	GS_EV_PHASE_TIMEOUT,
	GS_EV_PHASE_FAILED,
	GS_EV_FORCE,
	GS_EV_DEADLINE,
	GS_EV_STOP, /* a normal stop from code: gs_supervisor_stop() */
	GS_EV_COUNT
};

const char *gs_state_name(enum gs_state state);
const char *gs_event_name(enum gs_event event);
/* Parse a state name as written in the trace; -1 when unknown. */
int gs_state_from_name(const char *name);
int gs_event_from_name(const char *name);

/*
 * The pure transition function.  Returns 0 and stores the next state, or
 * -EINVAL when the event is not legal in that state (the state is then
 * unchanged and the caller traces the refusal).
 */
int gs_fsm_next(enum gs_state state, enum gs_event event,
		enum gs_state *next);

/* ---- Configuration ------------------------------------------------------ */

/*
 * One INI file holds the library's sections and the application's.  The
 * library owns
 *
 *	[shutdown] cancel_timeout_ms, close_timeout_ms, join_timeout_ms,
 *		   total_timeout_ms, on_sighup, on_second_signal,
 *		   duplicate_signal_ms
 *	[trace]    path, fsync, seal_key_file
 *	[log]      level, file, syslog, syslog_facility
 *
 * and an application adds its own sections (or keys to the library's
 * sections) with gs_config_add_section() before gs_config_load().  Every
 * key, the library's and the application's alike, gets the same
 * strictness: an unknown section or key, a value that does not parse or is
 * out of range, a key set twice and a missing required key are each an
 * error "file:line: message" (line 0 stands for the file as a whole), and
 * the caller exits GS_EXIT_CONFIG (78).
 *
 * Syntax: "[section]" headers and "key = value" lines; comments start with
 * ';' or '#' at the start of a line or after whitespace in a value.
 *
 * The configuration is opaque: gs_config_new() is the only way to get one,
 * and it comes with every default filled in.
 */

#define GS_PATH_MAX 1024

enum gs_log_level {
	GS_LOG_ERROR,
	GS_LOG_WARN,
	GS_LOG_INFO,
	GS_LOG_DEBUG,
};

struct gs_config;

/*
 * A new configuration holding the library's keys at their defaults
 * ([shutdown] total_timeout_ms = 25000, ...; --print-defaults shows them
 * all).  NULL when out of memory.  Not thread-safe: set up and load a
 * configuration from one thread, before gs_supervisor_new(); it is
 * read-only afterwards and must outlive the supervisor.
 */
struct gs_config *gs_config_new(void);
void gs_config_free(struct gs_config *cfg);

enum gs_option_type {
	GS_OPTION_INT,	   /* int *dest, min..max */
	GS_OPTION_BOOL,	   /* bool *dest: true/false, yes/no, on/off, 1/0 */
	GS_OPTION_STRING,  /* char dest[size], never empty */
	GS_OPTION_PATH,	   /* char dest[size], may be empty */
	GS_OPTION_ENUM,	   /* int *dest: the index of the value in choices */
	GS_OPTION_DECIMAL, /* char dest[size]: a positive decimal, "0.001" */
};

/*
 * A validator: called with the value once the type's own checks passed,
 * before it is stored.  Return 0 to accept, or -1 with a message in why
 * (the loader prefixes "file:line: name: ").  With dest NULL (strings
 * only) the validator is the parser and stores the value itself.
 */
typedef int (*gs_option_check_fn)(void *arg, const char *value, char *why,
				  size_t size);

/* One key of an application's section. */
struct gs_option {
	const char *name;	     /* [a-z0-9_]+ */
	enum gs_option_type type;
	void *dest;		     /* where the value goes (see the type) */
	size_t size;		     /* string types: the size of dest */
	long long min, max;	     /* GS_OPTION_INT */
	const char *const *choices;  /* GS_OPTION_ENUM (or a STRING's allowed
					values): NULL-terminated */
	const char *def;	     /* the default as written in a file; NULL
					is "" (INT, BOOL, ENUM and STRING need
					one unless required) */
	bool required;		     /* the file must set it */
	const char *help;	     /* one line for gs_config_write() */
	gs_option_check_fn check;    /* optional validator */
	void *check_arg;
};

/*
 * Register nopts keys of section (a new section, or more keys for an
 * existing one, the library's included; a key may be registered once).
 * Each default is parsed and checked as a value from the file would be,
 * and stored in its dest at once.  The strings of opts are copied; dest,
 * choices and check_arg must outlive cfg.  Returns 0, or -EINVAL (a bad
 * option or default, a name taken; cause says which) or -ENOMEM.
 */
int gs_config_add_section(struct gs_config *cfg, const char *section,
			  const struct gs_option *opts, size_t nopts,
			  char *cause);

/*
 * A rule across keys, run after every load once every line was read:
 * return 0, or a negative errno with cause set, ideally by
 * gs_config_error().  Checks run in the order they were added, after the
 * library's own ([shutdown] total_timeout_ms covering the phases).
 */
typedef int (*gs_config_check_fn)(void *arg, struct gs_config *cfg,
				  char *cause);
int gs_config_add_check(struct gs_config *cfg, gs_config_check_fn fn,
			void *arg);

/*
 * Load an INI file over the defaults.  Returns 0, -ENOENT/-EACCES/-EISDIR
 * (cannot open, named as "file:0: ...") or -EINVAL (bad content: cause is
 * "file:line: message").  After a failure the values are unspecified: do
 * not start on them.
 */
int gs_config_load(struct gs_config *cfg, const char *path, char *cause);

/* The file last loaded ("" before any). */
const char *gs_config_path(const struct gs_config *cfg);

/*
 * A directory an application keeps its files in (its state, a spool),
 * judged as the library judges its own: when path exists, a directory,
 * not a symbolic link (it is to be opened with O_NOFOLLOW), which this
 * process may write and search; when it is missing, its parent is one
 * (only the last component is to be created).  0, or -1 with why (size
 * bytes) saying what is wrong.  For a gs_config_add_check() rule.
 */
int gs_check_dir(const char *path, char *why, size_t size);

/*
 * The line an error about a key names: the key's own line, else (the key
 * is at its default) the line of its section's header, else 0, which
 * stands for the file as a whole.
 */
int gs_config_line(const struct gs_config *cfg, const char *section,
		   const char *name);
/* True when the file loaded last sets the key. */
bool gs_config_is_set(const struct gs_config *cfg, const char *section,
		      const char *name);
/*
 * The value of any registered key as text (as written in the file, or
 * its default); NULL for a key nobody registered.
 */
const char *gs_config_value(const struct gs_config *cfg, const char *section,
			    const char *name);

/*
 * Format "file:line: message" into cause, the line being the key's (see
 * gs_config_line); returns -EINVAL.  For checks and validators.
 */
int gs_config_error(const struct gs_config *cfg, const char *section,
		    const char *name, char *cause, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * The checks of a loaded configuration that look at the machine: the
 * trace's and the log file's directories exist and are writable (neither
 * file a symbolic link), and seal_key_file is a seal file (gs_seal_read)
 * in a directory this user may write and nobody else may.  The
 * application runs its own after this one.  Returns 0, or -EINVAL with
 * cause set to "file:line: message".
 */
int gs_config_validate(const struct gs_config *cfg, char *cause);

/*
 * Write every key with its current value as an INI file that loads back
 * to the same values (--print-defaults): each key's help and whether it
 * is required go on a comment line above it.
 */
int gs_config_write(FILE *fp, const struct gs_config *cfg);

/*
 * The fields the application adds to the START record (an object, owned
 * by cfg: fill it with gs_record_add_*() before gs_supervisor_new()).
 */
struct json_t *gs_config_start_record(struct gs_config *cfg);

/* Called for each key = value; return 1 to go on, 0 on an error. */
typedef int (*gs_ini_handler)(void *user, const char *section,
			      const char *name, const char *value);

/*
 * Parse an INI file of one's own with inih (the syntax above, inline
 * comments included), keeping *line at the line being handled so the
 * handler can name it.  Lines may be up to 16 KiB where the inih build
 * allows it.  Returns 0, the first line inih or the handler refused
 * (> 0), or -errno with cause set ("path:0: cannot open: ...").
 */
int gs_ini_parse(const char *path, gs_ini_handler handler, void *user,
		 int *line, char *cause);

/* Parse helpers, as the loader parses INT, BOOL and DECIMAL keys. */
int gs_parse_int(const char *value, long long min, long long max,
		 long long *out);
int gs_parse_bool(const char *value, bool *out);
/* A non-negative decimal such as "100" or "0.00010000". */
bool gs_is_decimal(const char *value);

/* ---- Records ------------------------------------------------------------ */

/*
 * A record's detail (the START record's application fields, a phase's
 * figures, an application's own record) is a JSON object.  These calls
 * fill one without jansson; a program that uses jansson may treat it as
 * the json_t it is (struct json_t is jansson's type) and use
 * json_object_set_new() as well.  Keys must not repeat.  Return 0 or
 * -ENOMEM / -EINVAL.
 */
struct json_t *gs_record_new(void);
void gs_record_free(struct json_t *rec);
int gs_record_add_int(struct json_t *rec, const char *key, long long value);
int gs_record_add_str(struct json_t *rec, const char *key,
		      const char *value);
int gs_record_add_bool(struct json_t *rec, const char *key, bool value);

/* ---- Logging ------------------------------------------------------------ */

/*
 * Open the log as cfg's [log] says (level, file, syslog); ident names the
 * program in syslog.  gs_supervisor_new() does this itself when the log
 * is not open yet: call it earlier only to log before the supervisor
 * exists.  Returns 0 or -errno with cause "file:line: log file ...".
 */
int gs_log_open_config(const struct gs_config *cfg, const char *ident,
		       char *cause);

int gs_log_open(enum gs_log_level level, const char *file, bool use_syslog,
		const char *facility, const char *ident);
/* Re-open the log file (after logrotate moved it). */
int gs_log_reopen(enum gs_log_level level, const char *file, bool use_syslog,
		  const char *facility);
void gs_log_close(void);
/* The syslog facility a [log] syslog_facility name means (LOG_DAEMON when
 * unknown). */
int gs_log_facility(const char *name);
void gs_log_set_level(enum gs_log_level level);
bool gs_log_enabled(enum gs_log_level level);
void gs_log(enum gs_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void gs_vlog(enum gs_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/*
 * A log write never blocks: a line the destination cannot take at once (a
 * paused terminal, a full pipe, a stalled journald) is dropped and counted
 * here.  The trace's EXIT record carries the count.
 */
unsigned long gs_log_dropped(void);
/*
 * Write text as it is to stderr (a summary for the person who started the
 * process) the same way: false, and counted as dropped, when stderr could
 * not take it at once.  At most PIPE_BUF bytes go whole into a pipe.
 */
bool gs_log_raw(const char *text, size_t len);
/*
 * Bytes from a file or the network made safe to show a person: in[0..len)
 * copied to out (size bytes, NUL-terminated) with what a terminal, a log
 * reader or a bidi-aware display would act on, or hide, written as a
 * visible escape: a backslash doubled; control characters and DEL as \n,
 * \r, \t or \xHH; bytes that are not UTF-8 as \xHH; C1 controls, bidi
 * and other invisible format characters (U+200B-U+200F, U+202A-U+202E,
 * U+2066-U+2069, U+FEFF, ...) and U+FFFE, U+FFFF as \uXXXX (\UXXXXXXXX
 * beyond U+FFFF).  Every other character is kept, so the output is valid
 * UTF-8 holding no character XML 1.0 forbids.  Cut short, on a
 * character's boundary, when out is full.  Returns strlen(out).  Every
 * log line's message goes through it.
 */
size_t gs_log_escape(char *out, size_t size, const char *in, size_t len);


/* ---- Time --------------------------------------------------------------- */

/* CLOCK_MONOTONIC now, and now + ms, as timespecs and as ns / ms. */
struct timespec gs_mono_now(void);
struct timespec gs_mono_after_ms(long long ms);
int64_t gs_mono_ns(void);
/* Milliseconds from now until ts (negative when past). */
long long gs_ms_until(const struct timespec *ts);
long long gs_ms_since(const struct timespec *ts);
/*
 * Wait on cv (mu held) until signalled or the CLOCK_MONOTONIC deadline,
 * whatever clock cv was created with; returns 0 or ETIMEDOUT (positive, as
 * pthread_cond_timedwait).
 */
int gs_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu,
		       const struct timespec *deadline);

/* ---- Service manager notification (sd_notify) ------------------------ */

/*
 * Send "READY=1", "STATUS=...", ... to $NOTIFY_SOCKET; no-op without it.
 * Never waits: a message the service manager's queue cannot take at once
 * is dropped (-EAGAIN).
 */
int gs_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, waiting up to wait_ms for room in a full queue (not once the
 * stop flag is up): for READY=1 and RELOADING=1, which systemd waits for. */
int gs_notify_wait(long long wait_ms, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The watchdog interval systemd asks for, in microseconds; 0 when none. */
long long gs_notify_watchdog_usec(void);

/* ---- Audit trace -------------------------------------------------------- */

struct gs_trace;

/*
 * Open (or create) the trace at path and continue its hash chain from the
 * last complete record.  A torn last line is left as it is and the next
 * record starts on a new line.  A new file's directory is fsynced.
 */
int gs_trace_open(struct gs_trace **out, const char *path, bool fsync,
		  char *cause);
void gs_trace_close(struct gs_trace *tr);
const char *gs_trace_run_id(const struct gs_trace *tr);

/*
 * Seal every later record with the forward-secure key in seal_path (see
 * gs_seal_keygen): each record gets a "mac" under key k_i, the key then
 * evolves and the file is replaced with k_{i+1} and the count.  The file
 * must be owned by this user and of mode 0600.  Call before the first
 * append.
 */
int gs_trace_set_seal(struct gs_trace *tr, const char *seal_path,
		      char *cause);

/*
 * Append one record.  from may be NULL (only for START).  detail is an
 * object or NULL; it is not consumed.  Thread-safe.  A record that cannot
 * be written is tried once more, then reported: -errno, with seq and prev
 * still at the file's last record.  A record written but not made durable
 * (fdatasync failed twice) is reported too (-errno), but counted: seq,
 * prev and the seal key move past it at once.  A seal file that cannot be
 * renewed is reported (-errno) and counted as a failure.  Returns
 * -ECANCELED once the trace was frozen.
 */
int gs_trace_append(struct gs_trace *tr, const char *event, const char *from,
		    const char *state, struct json_t *detail);
/* Refuse every later append (the process is about to _exit). */
void gs_trace_freeze(struct gs_trace *tr);
/*
 * How many records were lost or not made durable, and seal file rewrites
 * that failed (the exit code must show it).  Never waits on a write.
 */
long gs_trace_failures(struct gs_trace *tr);
/*
 * The tail anchor: the hash of the file's last record, how many records
 * this run wrote, and the count of sealed records (-1 when not sealed).
 * Sent off the machine at the end of a run, it lets gs-trace verify tell
 * a cut tail from a crash.  Never waits on a write in progress: it gives
 * the tip as of the last append that finished.
 */
void gs_trace_anchor(struct gs_trace *tr, char hash[65], long *records,
		     long *sealed);

/* The anchor as one line: "trace anchor: run R records N [sealed S] hash H". */
int gs_trace_anchor_text(struct gs_trace *tr, char *buf, size_t size);
/* One message to the local syslog socket (journald), never blocking. */
int gs_syslog_send(int priority, const char *msg);

#define GS_SEAL_KEY_LEN 32

/*
 * Write a new random key k_0 with count 0 to seal_path and verify_path,
 * both created with mode 0600 (neither may exist).
 */
int gs_seal_keygen(const char *seal_path, const char *verify_path,
		   char *cause);
/* Read a seal (or verify) key file: its key and record count. */
int gs_seal_read(const char *path, unsigned char key[GS_SEAL_KEY_LEN],
		 long *count, char *cause);
/* k = SHA-256("gs-seal" || k). */
void gs_seal_evolve(unsigned char key[GS_SEAL_KEY_LEN]);

#define GS_TRACE_TORN_LIST 8

struct gs_trace_report {
	long records;
	long runs;
	long runs_incomplete; /* runs that never reached EXIT (crashed) */
	long torn_lines;      /* writes cut short, each followed by the
				 record it began (or a START) */
	long torn_line[GS_TRACE_TORN_LIST]; /* the first ones' line numbers */
	long errors;
	long first_error_line; /* 1-based, 0 when none */
	char first_error[256];
	char last_run[33];
	long sealed_records;
	long sealed_runs;
	long unsealed_runs_before; /* before the first sealed record */
	long unsealed_runs_after;  /* after it: not provable */
	bool keyed;		   /* every mac was checked under the key */
	long anchor_line;	   /* the record the anchor names; 0: none */
	bool tail_cut;		   /* the anchor or the seal count is missing */
	/*
	 * Sealed records after the seal file's count (with its key): they
	 * are sealed under keys the machine still holds, so not proven.
	 */
	long unproven_records;
	/*
	 * With a key: not one sealed record verifies under it, nor under a
	 * later key (records cut from the head): the key is not this
	 * trace's, or every sealed record was forged.
	 */
	bool key_mismatch;
};

/* Called for every complete record, in file order; may be NULL. */
typedef void (*gs_trace_visit_fn)(void *arg, long line, struct json_t *record);

/*
 * Verify a trace file: the hash chain, seq per run, field order, and that
 * every transition is legal.  Returns 0 when no error was found (torn lines
 * and crashed runs are reported in the report, not errors), -EBADMSG when
 * anything was tampered with, or -errno when the file cannot be read.
 */
int gs_trace_verify(const char *path, struct gs_trace_report *report,
		    gs_trace_visit_fn visit, void *arg);

struct gs_trace_verify_opts {
	bool have_key;			   /* check every mac from k_0 = key */
	unsigned char key[GS_SEAL_KEY_LEN];
	long seal_count;		   /* sealed records expected; -1: any */
	bool have_seal_key;		   /* seal_key is k_{seal_count} */
	unsigned char seal_key[GS_SEAL_KEY_LEN];
	const char *anchor;		   /* a run's last hash, or NULL */
};

/*
 * gs_trace_verify with a verify key (every mac, in order), the seal file's
 * count (and key) and an anchor: a missing anchor or too few sealed
 * records is a cut tail (report->tail_cut).
 */
int gs_trace_verify_opts(const char *path,
			 const struct gs_trace_verify_opts *opts,
			 struct gs_trace_report *report,
			 gs_trace_visit_fn visit, void *arg);

/* SHA-256 of a||b as 64 lowercase hex characters plus NUL. */
void gs_sha256_hex(const void *a, size_t alen, const void *b, size_t blen,
		   char out[65]);

/* ---- Supervisor --------------------------------------------------------- */

enum gs_outcome {
	GS_OUTCOME_DONE,
	GS_OUTCOME_TIMEOUT,
	GS_OUTCOME_FAILED,
};

/*
 * A phase action (CANCELLING or CLOSING).  It must return by deadline
 * (CLOCK_MONOTONIC) and put its figures into detail, an object owned by the
 * supervisor that goes into the phase's trace record.
 */
typedef enum gs_outcome (*gs_phase_fn)(void *arg,
				       const struct timespec *deadline,
				       struct json_t *detail);
typedef void *(*gs_worker_fn)(void *arg);
typedef void (*gs_hook_fn)(void *arg);
/* Write one status line (SIGUSR1) into buf. */
typedef void (*gs_status_fn)(void *arg, char *buf, size_t size);

struct gs_supervisor;

/* Block every signal the library handles and ignore SIGPIPE.  Call first. */
int gs_signals_block(void);

/*
 * Create the supervisor: open the trace, write START (with version, config
 * path and what gs_config_start_record added) and start the library's threads (signal, signal-work,
 * signal-exit, deadline, and reload when on_sighup = reload).  cfg must
 * outlive it.  Refused (-EINVAL, cause names the signal) when a signal the
 * library takes is not blocked in the calling thread: call
 * gs_signals_block() before creating any thread.  One supervisor at a time
 * per process (-EBUSY): signals are process-wide and one thread takes
 * them; create the next after gs_supervisor_free().
 */
int gs_supervisor_new(struct gs_supervisor **out, const struct gs_config *cfg,
		      const char *version, char *cause);
void gs_supervisor_free(struct gs_supervisor *sup);

/*
 * Start a named worker thread.  The name (the thread's, in the log and the
 * trace) is 1 to 15 characters: a longer one is refused (-ENAMETOOLONG),
 * as the kernel would cut it.  wake, if not NULL, is called right after
 * the stop flag rises so the worker leaves any wait at once.  A worker
 * that could not be started (-ENAMETOOLONG, -ENOSPC, pthread_create's
 * -EAGAIN...) is logged and remembered: gs_supervisor_run() then writes
 * no READY and begins a shutdown (FATAL, exit code 69) unless one is under
 * way; the caller should not report itself ready either.
 */
int gs_worker_add(struct gs_supervisor *sup, const char *name, gs_worker_fn fn,
		  void *arg, gs_hook_fn wake, void *wake_arg);

/* Set the action of GS_STATE_CANCELLING or GS_STATE_CLOSING. */
int gs_phase_set(struct gs_supervisor *sup, enum gs_state phase,
		 gs_phase_fn fn, void *arg);

/*
 * The hook run before the library ends the process itself, to persist
 * what must not be lost (a snapshot of open orders, say): on a forced
 * exit (a second signal, exit 128+n), at the total deadline (70, begun
 * min(total_timeout_ms / 10, 200) ms before it) and when a worker did not
 * join (75).  It runs on a library thread ("signal-exit", or main for 75),
 * not in a signal handler, so ordinary calls are allowed; but other
 * threads still run and may hold any lock, so it must not wait for a lock
 * a worker might keep, nor for the network.  The deadline timer does not
 * wait for it: at total_timeout_ms the process ends wherever the hook is,
 * so write atomically (temporary file, fsync, rename).
 */
void gs_set_force_hook(struct gs_supervisor *sup, gs_hook_fn fn, void *arg);
/*
 * Called on SIGHUP with on_sighup = reload, after [log] was re-read, on
 * the "reload" thread (never the one that takes signals).  Requests that
 * come while a reload runs are merged into one more.
 */
void gs_set_reload_hook(struct gs_supervisor *sup, gs_hook_fn fn, void *arg);
void gs_set_status_hook(struct gs_supervisor *sup, gs_status_fn fn,
			void *arg);
/* Called on every state entry with the state and its figures. */
typedef void (*gs_state_hook_fn)(void *arg, enum gs_state state,
				 struct json_t *detail);
void gs_set_state_hook(struct gs_supervisor *sup, gs_state_hook_fn fn,
		       void *arg);

/*
 * Run the state machine until EXIT and return the exit code: 0, 75 (a
 * phase degraded, a record lost), or the code of gs_request_shutdown().
 * Writes a READY record first, unless a shutdown was requested before
 * (or a worker did not start).  It does not return when the process
 * cannot go on; these paths end it with _exit(), after the force hook,
 * the EXIT record and the log:
 *   - a worker did not join within join_timeout_ms: 75 (a thread left
 *     running while main returns and exit() tears down its world is
 *     undefined behaviour);
 *   - a second shutdown signal after duplicate_signal_ms (on_second_signal
 *     = force): 128 + the signal's number;
 *   - total_timeout_ms passed: 70, from the deadline timer, which waits
 *     for nothing (a process stopped more than a second past its deadline
 *     gives the DEADLINE record and the hook the margin above once it
 *     runs again).
 */
int gs_supervisor_run(struct gs_supervisor *sup);

/*
 * A component cannot go on: start a shutdown (event FATAL, logged as an
 * error) from any thread.  exit_code is the code to report if the
 * shutdown itself is clean.
 */
void gs_request_shutdown(struct gs_supervisor *sup, int exit_code,
			 const char *reason);

/*
 * A normal stop asked for by code (a test that is done, an admin
 * command): the same shutdown as SIGTERM, event STOP, exit code 0 when
 * clean.  From any thread.  Returns 0, or -EALREADY when a shutdown was
 * already under way (the reason is then not recorded).
 */
int gs_supervisor_stop(struct gs_supervisor *sup, const char *reason);

/* True once shutdown was requested, before or after the flag rose. */
bool gs_shutdown_pending(struct gs_supervisor *sup);

/* Append a non-transition record (e.g. "RECOVERY") in the current state. */
int gs_supervisor_trace(struct gs_supervisor *sup, const char *event,
			struct json_t *detail);
enum gs_state gs_supervisor_state(struct gs_supervisor *sup);
/* This process's run id, as in every trace record. */
const char *gs_supervisor_run_id(struct gs_supervisor *sup);
const struct gs_config *gs_supervisor_config(struct gs_supervisor *sup);

/* This supervisor's stop flag: an atomic_bool read with acquire order. */
bool gs_supervisor_stop_requested(struct gs_supervisor *sup);
/* The same for the process's supervisor (there is one at a time). */
bool gs_stop_requested(void);
/* Raise or clear the flag directly (tests and single-threaded tools). */
void gs_stop_set(bool stop);

/*
 * Join thread by deadline (CLOCK_MONOTONIC).  Returns 0 or -ETIMEDOUT.
 */
int gs_join_until(pthread_t thread, const struct timespec *deadline,
		  void **ret);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* GSHUTDOWN_H */
