/*
 * gs-trace.c - audit tool for the FSM trace.
 *
 *	gs-trace verify [--key VERIFY] [--seal SEAL | --count N]
 *			[--anchor HASH] FILE
 *				chain, seq, transitions, seals, tail; exit 1 on
 *				tampering or a cut tail, 3 when the last
 *				records are not proven by the seal file
 *	gs-trace show FILE [--run ID|--last]   timeline per run
 *	gs-trace svg FILE -o OUT.svg      timeline picture
 *	gs-trace keygen SEAL VERIFY       a new forward-secure seal key
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <jansson.h>

#include "gshutdown.h"

static const char usage_verify[] =
    "usage: gs-trace verify [--key VERIFY] [--seal SEAL | --count N]\n"
    "                       [--anchor HASH] FILE\n"
    "Check the hash chain, seq and every transition of the trace.\n"
    "  --key VERIFY   check every record's seal (mac) from the verify key\n"
    "                 written by gs-trace keygen, kept off the machine\n"
    "  --seal SEAL    the machine's seal file: its count of sealed records\n"
    "                 (and its key, which must be the verify key evolved\n"
    "                 that many times) detects a cut tail; needs --key\n"
    "  --count N      the count of sealed records, as sent in the anchor;\n"
    "                 needs --key\n"
    "  --anchor HASH  a run's last hash, as sent to syslog at its end: if no\n"
    "                 record has it, the tail was cut (not a crash)\n"
    "Exit 0: intact; 1: tampered, tail cut, or --key given but nothing\n"
    "sealed; 2: usage or unreadable; 3: intact, but the last records are\n"
    "sealed under a key the seal file still holds (not proven).\n";
static const char usage_show[] =
    "usage: gs-trace show FILE [--run ID | --last]\n"
    "Print each run's timeline: transitions, phase durations, exit code.\n"
    "An unknown run ID is an error (exit 1).\n";
static const char usage_svg[] =
    "usage: gs-trace svg FILE [--run ID | --last] -o OUT.svg\n"
    "Draw one run's shutdown (the last by default) as SVG (-o - : stdout).\n"
    "An unknown run ID is an error (exit 1).\n";
static const char usage_keygen[] =
    "usage: gs-trace keygen SEAL VERIFY\n"
    "Write a new random seal key k_0 (count 0) to both files, mode 0600;\n"
    "neither may exist.  SEAL goes to [trace] seal_key_file on the\n"
    "machine; keep VERIFY off it for gs-trace verify --key.\n";

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: gs-trace verify [--key VERIFY] [--seal SEAL | "
		    "--count N] [--anchor HASH] FILE\n"
		    "       gs-trace show FILE [--run ID | --last]\n"
		    "       gs-trace svg FILE [--run ID | --last] -o OUT.svg\n"
		    "       gs-trace keygen SEAL VERIFY\n"
		    "       gs-trace COMMAND --help\n");
}

/*
 * Text from the trace as it may be shown on a terminal: every control,
 * bidi or invisible character as a visible escape (gs_log_escape).  A
 * forged record must not be able to move the cursor and paint "OK".
 */
#define VIS_MAX 16384
static const char *
vis(const char *s, char buf[VIS_MAX])
{
	if (s == NULL)
		s = "";
	gs_log_escape(buf, VIS_MAX, s, strlen(s));
	return buf;
}

/*
 * A record's detail as compact JSON, made visible the same way; JSON's
 * own escapes (\\, \", \u001B) are kept as they are, not doubled.
 */
static const char *
vis_json(const char *json, char buf[VIS_MAX])
{
	char tmp[VIS_MAX];
	size_t i, o = 0;

	vis(json, tmp);
	for (i = 0; tmp[i] != '\0'; i++) {
		buf[o++] = tmp[i];
		if (tmp[i] == '\\' && tmp[i + 1] == '\\')
			i++; /* one backslash, doubled by vis */
	}
	buf[o] = '\0';
	return buf;
}

static int cmd_verify(const char *path, struct gs_trace_verify_opts *o);

/*
 * Not one seal verifies under the key, nor under any key a cut head would
 * start from: the key is not this trace's (or every sealed record was
 * forged).  Said once, and the rest checked without the key.
 */
static int
verify_wrong_key(const char *path, struct gs_trace_verify_opts *o,
		 const struct gs_trace_report *r)
{
	struct gs_trace_verify_opts plain = {.seal_count = -1,
					     .anchor = o->anchor};
	int rc;

	printf("%s: WRONG KEY: not one of the %ld sealed records verifies "
	       "under the key given (nor with records cut before them): it "
	       "is not this trace's verify key, or every sealed record was "
	       "forged; the rest is checked without it\n",
	       path, r->sealed_records);
	rc = cmd_verify(path, &plain);
	if (rc == 2)
		return 2;
	printf("WRONG KEY\n");
	return 1;
}

static int
cmd_verify(const char *path, struct gs_trace_verify_opts *o)
{
	struct gs_trace_report r;
	char b1[VIS_MAX];
	int rc = gs_trace_verify_opts(path, o, &r, NULL, NULL);

	if (rc < 0 && rc != -EBADMSG) {
		fprintf(stderr, "gs-trace: %s: %s\n", path, strerror(-rc));
		return 2;
	}
	if (r.key_mismatch)
		return verify_wrong_key(path, o, &r);
	printf("%s: %ld records, %ld runs, %ld crashed (never reached EXIT), "
	       "%ld torn lines, %ld errors\n",
	       path, r.records, r.runs, r.runs_incomplete, r.torn_lines,
	       r.errors);
	if (r.torn_lines > 0) {
		long i, n = r.torn_lines < GS_TRACE_TORN_LIST
				? r.torn_lines
				: GS_TRACE_TORN_LIST;

		printf("torn lines (writes cut short) at line");
		for (i = 0; i < n; i++)
			printf("%s %ld", i ? "," : "", r.torn_line[i]);
		printf("%s\n", r.torn_lines > n ? ", ..." : "");
	}
	printf("sealed: %ld of %ld runs, %ld records, %s\n", r.sealed_runs,
	       r.runs, r.sealed_records,
	       r.sealed_records == 0 ? "nothing to check"
	       : r.keyed	     ? "every seal checked under the key"
				     : "seals not checked (no --key)");
	if (r.sealed_runs > 0 &&
	    r.unsealed_runs_before + r.unsealed_runs_after > 0)
		printf("MIXED: %ld runs are not sealed (%ld before sealing "
		       "began, %ld after); nothing proves them\n",
		       r.unsealed_runs_before + r.unsealed_runs_after,
		       r.unsealed_runs_before, r.unsealed_runs_after);
	if (o->have_key && r.sealed_records == 0 && r.errors == 0) {
		printf("NOT SEALED: --key given, but no record is sealed\n");
		return 1;
	}
	if (o->anchor != NULL && r.anchor_line > 0)
		printf("anchor: line %ld\n", r.anchor_line);
	if (r.errors) {
		printf("%s:%ld: %s\n", path, r.first_error_line,
		       vis(r.first_error, b1));
		printf("%s\n", r.tail_cut ? "TAIL CUT" : "TAMPERED");
		return 1;
	}
	if (r.unproven_records > 0) {
		printf("UNPROVEN: the last %ld sealed records are sealed under "
		       "keys the seal file still holds (it was not renewed "
		       "after them): whoever holds the machine could have "
		       "written them\n",
		       r.unproven_records);
		return 3;
	}
	printf("OK\n");
	return 0;
}

static int
read_key(const char *path, unsigned char *key, long *count)
{
	char cause[GS_CAUSE_MAX];

	if (gs_seal_read(path, key, count, cause) < 0) {
		fprintf(stderr, "gs-trace: %s\n", cause);
		return -1;
	}
	return 0;
}

static int
cmd_keygen(const char *seal, const char *verify)
{
	char cause[GS_CAUSE_MAX];

	if (gs_seal_keygen(seal, verify, cause) < 0) {
		fprintf(stderr, "gs-trace: keygen: %s\n", cause);
		return 1;
	}
	printf("seal key written to %s (for [trace] seal_key_file) and %s "
	       "(keep it off the machine, for verify --key)\n",
	       seal, verify);
	return 0;
}

/* ---- timeline ------------------------------------------------------------ */

struct rec {
	long line;
	long long mono_ns;
	char event[32], from[16], state[16], run[33], time[32];
	char *detail;
};

struct runs {
	struct rec *recs;
	size_t n, cap;
};

static void
collect(void *arg, long line, json_t *j)
{
	struct runs *rs = arg;
	struct rec *r;
	const char *from = json_string_value(json_object_get(j, "from"));

	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		struct rec *nr = realloc(rs->recs, cap * sizeof(*nr));

		if (nr == NULL)
			return;
		rs->recs = nr;
		rs->cap = cap;
	}
	r = &rs->recs[rs->n++];
	memset(r, 0, sizeof(*r));
	r->line = line;
	r->mono_ns = json_integer_value(json_object_get(j, "mono_ns"));
	snprintf(r->event, sizeof(r->event), "%s",
		 json_string_value(json_object_get(j, "event")));
	snprintf(r->from, sizeof(r->from), "%s", from ? from : "-");
	snprintf(r->state, sizeof(r->state), "%s",
		 json_string_value(json_object_get(j, "state")));
	snprintf(r->run, sizeof(r->run), "%s",
		 json_string_value(json_object_get(j, "run")));
	snprintf(r->time, sizeof(r->time), "%s",
		 json_string_value(json_object_get(j, "time")));
	r->detail = json_dumps(json_object_get(j, "detail"), JSON_COMPACT);
}

static void
print_run(struct runs *rs, const char *run)
{
	long long t0 = -1, entered = 0;
	const char *cur = NULL;
	char b1[VIS_MAX], b2[VIS_MAX], b3[VIS_MAX];
	size_t i;
	int code = -1;

	for (i = 0; i < rs->n; i++) {
		struct rec *r = &rs->recs[i];
		long long off;

		if (strcmp(r->run, run) != 0)
			continue;
		if (t0 < 0) {
			t0 = r->mono_ns;
			printf("run %s started %s\n", vis(run, b1),
			       vis(r->time, b2));
		}
		off = (r->mono_ns - t0) / 1000000;
		if (strcmp(r->from, r->state) != 0) {
			if (cur != NULL)
				printf("  %-11s lasted %lld ms\n",
				       vis(cur, b1), off - entered);
			printf("%8lld ms  %-13s -> %-10s %s\n", off,
			       vis(r->event, b1), vis(r->state, b2),
			       vis_json(r->detail, b3));
			cur = r->state;
			entered = off;
		} else {
			printf("%8lld ms    %-13s (in %s) %s\n", off,
			       vis(r->event, b1), vis(r->state, b2),
			       vis_json(r->detail, b3));
		}
		if (strcmp(r->event, "EXIT") == 0) {
			json_t *d = json_loads(r->detail, 0, NULL);

			code = (int)json_integer_value(
			    json_object_get(d, "exit_code"));
			json_decref(d);
		}
	}
	if (code >= 0)
		printf("exit code %d\n\n", code);
	else
		printf("never reached EXIT (crashed or still running)\n\n");
}

static int
cmd_show(const char *path, const char *run, bool last)
{
	struct gs_trace_report rep;
	struct runs rs = {0};
	char b1[VIS_MAX];
	size_t i;
	int rc, shown = 0;

	rc = gs_trace_verify(path, &rep, collect, &rs);
	if (rc < 0 && rc != -EBADMSG) {
		fprintf(stderr, "gs-trace: %s: %s\n", path, strerror(-rc));
		return 2;
	}
	rc = 0;
	if (rep.errors)
		printf("WARNING: the trace does not verify: line %ld: %s\n\n",
		       rep.first_error_line, vis(rep.first_error, b1));
	if (last)
		run = rep.last_run;
	for (i = 0; i < rs.n; i++) {
		if (strcmp(rs.recs[i].event, "START") != 0)
			continue;
		if (run == NULL || strcmp(run, rs.recs[i].run) == 0) {
			print_run(&rs, rs.recs[i].run);
			shown++;
		}
	}
	if (run != NULL && shown == 0) {
		fprintf(stderr, "gs-trace: no run %s in %s\n",
			run[0] ? vis(run, b1) : "(none)", path);
		rc = 1;
	}
	for (i = 0; i < rs.n; i++)
		free(rs.recs[i].detail);
	free(rs.recs);
	return rc ? rc : rep.errors ? 1 : 0;
}

/* ---- svg ------------------------------------------------------------------- */

/*
 * Text from the trace as SVG character data or an attribute value: made
 * visible first (vis: no control or invisible character, valid UTF-8, so
 * nothing XML 1.0 forbids), then the five markup characters as entities.
 */
static void
svg_escape(FILE *fp, const char *text)
{
	char buf[VIS_MAX];
	const char *s;

	for (s = vis(text, buf); *s; s++) {
		if (*s == '<')
			fputs("&lt;", fp);
		else if (*s == '>')
			fputs("&gt;", fp);
		else if (*s == '&')
			fputs("&amp;", fp);
		else if (*s == '"')
			fputs("&quot;", fp);
		else if (*s == '\'')
			fputs("&apos;", fp);
		else
			fputc(*s, fp);
	}
}

static const char *
svg_color(const char *event)
{
	if (strcmp(event, "PHASE_DONE") == 0)
		return "#4caf50";
	if (strcmp(event, "PHASE_TIMEOUT") == 0)
		return "#ff9800";
	return "#e53935";
}

/* One short line of a phase's figures for under its bar. */
static void
svg_figures(const char *detail, char *out, size_t size)
{
	static const char *const keys[] = {
		"orders_found",	  "orders_cancelled", "orders_remaining",
		"streams_closed", "streams_forced",   "threads_joined",
		"threads_not_joined", "would_cancel",
	};
	json_t *d = json_loads(detail ? detail : "{}", 0, NULL);
	size_t i, off = 0;

	out[0] = '\0';
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && off < size; i++) {
		json_t *v = json_object_get(d, keys[i]);

		if (json_is_integer(v))
			off += (size_t)snprintf(out + off, size - off, "%s%s %lld",
						off ? ", " : "", keys[i],
						(long long)json_integer_value(v));
		else if (json_is_null(v) && json_object_get(d, keys[i]))
			off += (size_t)snprintf(out + off, size - off,
						"%s%s unknown", off ? ", " : "",
						keys[i]);
	}
	json_decref(d);
}

/*
 * The shutdown of one run on a linear millisecond axis: a row per phase
 * with its bar (green done, orange timed out, red failed or cut short),
 * its duration and figures, and a row of event marks.  RUNNING, which may
 * last days, is summarised in the title instead of drawn to scale.
 */
static int
svg_run(struct runs *rs, const char *run, FILE *fp)
{
	static const char *const phases[] = {"CANCELLING", "CLOSING",
					     "JOINING"};
	const int W = 960, L = 130, R = 30, top = 70, row = 56;
	long long t0 = -1, start = -1, end = -1, t_enter[3] = {-1, -1, -1},
		  t_leave[3] = {-1, -1, -1};
	const char *leave_ev[3] = {NULL, NULL, NULL};
	const char *leave_detail[3] = {NULL, NULL, NULL};
	const char *cause = "?", *code = "?";
	char title[512], fig[256];
	double span, scale;
	size_t i;
	int p, h, marks = 0;
	long long tick, x;

	for (i = 0; i < rs->n; i++) {
		struct rec *r = &rs->recs[i];
		long long t = r->mono_ns / 1000000;

		if (strcmp(r->run, run) != 0)
			continue;
		if (t0 < 0)
			t0 = t;
		for (p = 0; p < 3; p++) {
			if (strcmp(r->state, phases[p]) == 0 &&
			    strcmp(r->from, phases[p]) != 0) {
				t_enter[p] = t;
				if (p == 0) {
					start = t;
					cause = r->event;
				}
			}
			if (strcmp(r->from, phases[p]) == 0 &&
			    strcmp(r->state, phases[p]) != 0) {
				t_leave[p] = t;
				leave_ev[p] = r->event;
				leave_detail[p] = r->detail;
			}
		}
		if (strcmp(r->event, "EXIT") == 0) {
			json_t *d = json_loads(r->detail, 0, NULL);
			static char codebuf[16];

			end = t;
			snprintf(codebuf, sizeof(codebuf), "%lld",
				 (long long)json_integer_value(
				     json_object_get(d, "exit_code")));
			code = codebuf;
			json_decref(d);
		}
		if (end < 0)
			end = t;
	}
	if (t0 < 0)
		return -1;
	if (start < 0)
		start = end;
	span = (double)(end - start);
	if (span < 1)
		span = 1;
	scale = (W - L - R) / span;
	h = top + row * 4 + 60;
	snprintf(title, sizeof(title),
		 "run %.8s: RUNNING %.1f s, then %s; shutdown %lld ms, exit %s",
		 run, (start - t0) / 1000.0, cause, end - start, code);
	fprintf(fp,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"sans-serif\" font-size=\"13\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		"<text x=\"%d\" y=\"28\" font-size=\"16\" "
		"font-weight=\"bold\">",
		W, h, W, h, L);
	svg_escape(fp, title);
	fprintf(fp, "</text>\n");
	/* Axis with ticks at a round step. */
	for (tick = 1; span / tick > 10; tick *= 10)
		;
	if (span / tick < 3)
		tick /= 2 > 0 ? 2 : 1;
	if (tick < 1)
		tick = 1;
	for (x = 0; x <= (long long)span; x += tick) {
		double px = L + x * scale;

		fprintf(fp,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#ddd\"/>\n<text x=\"%.1f\" y=\"%d\" "
			"fill=\"#666\" text-anchor=\"middle\">%lld ms</text>\n",
			px, top - 10, px, top + row * 3 + 18, px,
			top + row * 4 + 40, x);
	}
	for (p = 0; p < 3; p++) {
		int y = top + p * row;
		double x0, x1;

		fprintf(fp,
			"<text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
			"font-weight=\"bold\">%s</text>\n",
			L - 10, y + 20, phases[p]);
		if (t_enter[p] < 0)
			continue;
		x0 = L + (t_enter[p] - start) * scale;
		x1 = L + ((t_leave[p] >= 0 ? t_leave[p] : end) - start) * scale;
		if (x1 - x0 < 2)
			x1 = x0 + 2;
		svg_figures(leave_detail[p], fig, sizeof(fig));
		fprintf(fp,
			"<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
			"height=\"26\" rx=\"3\" fill=\"%s\"/>\n",
			x0, y + 2, x1 - x0,
			leave_ev[p] ? svg_color(leave_ev[p]) : "#e53935");
		/* Duration and figures under the bar, kept inside the picture. */
		fprintf(fp, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">",
			x0 > W / 2 ? x1 : x0, y + 44,
			x0 > W / 2 ? "end" : "start");
		fprintf(fp, "%lld ms%s%s",
			(t_leave[p] >= 0 ? t_leave[p] : end) - t_enter[p],
			leave_ev[p] ? "" : " (cut short)",
			leave_ev[p] && strcmp(leave_ev[p], "PHASE_DONE") != 0
			    ? (strcmp(leave_ev[p], "PHASE_TIMEOUT") == 0
				   ? " timed out"
				   : " failed")
			    : "");
		if (fig[0]) {
			fprintf(fp, "<tspan fill=\"#555\" font-size=\"11\"> \xc2\xb7 ");
			svg_escape(fp, fig);
			fprintf(fp, "</tspan>");
		}
		fprintf(fp, "</text>\n");
	}
	/* Events: every record from the shutdown on, as a mark. */
	fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
		    "font-weight=\"bold\">events</text>\n",
		L - 10, top + 3 * row + 20);
	for (i = 0; i < rs->n; i++) {
		struct rec *r = &rs->recs[i];
		long long t = r->mono_ns / 1000000;
		double px;

		if (strcmp(r->run, run) != 0 || t < start)
			continue;
		px = L + (t - start) * scale;
		fprintf(fp,
			"<path d=\"M%.1f %d l5 6 l-5 6 l-5 -6 z\" fill=\"#1e88e5\">"
			"<title>",
			px, top + 3 * row + 4);
		svg_escape(fp, r->event);
		fprintf(fp, " at %lld ms</title></path>\n", t - start);
		fprintf(fp,
			"<text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
			"transform=\"rotate(30 %.1f %d)\">",
			px + 4, top + 3 * row + 28 + (marks % 2) * 12, px + 4,
			top + 3 * row + 28 + (marks % 2) * 12);
		svg_escape(fp, r->event);
		fprintf(fp, "</text>\n");
		marks++;
	}
	fprintf(fp, "</svg>\n");
	return 0;
}

/* OUT for writing, never through a symlink planted at its name. */
static FILE *
svg_open(const char *out)
{
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
				   O_CLOEXEC | O_NOCTTY,
		      0644);
	FILE *fp;

	if (fd < 0)
		return NULL;
	fp = fdopen(fd, "w");
	if (fp == NULL)
		close(fd);
	return fp;
}

static int
cmd_svg(const char *path, const char *run, const char *out)
{
	struct gs_trace_report rep;
	struct runs rs = {0};
	char b1[VIS_MAX];
	FILE *fp;
	size_t i;
	int rc;

	if (out == NULL) {
		fprintf(stderr, "gs-trace: svg needs -o OUT.svg\n");
		return 2;
	}
	rc = gs_trace_verify(path, &rep, collect, &rs);
	if (rc < 0 && rc != -EBADMSG) {
		fprintf(stderr, "gs-trace: %s: %s\n", path, strerror(-rc));
		return 2;
	}
	if (run == NULL)
		run = rep.last_run;
	fp = strcmp(out, "-") == 0 ? stdout : svg_open(out);
	if (fp == NULL) {
		fprintf(stderr, "gs-trace: %s: %s\n", out,
			errno == ELOOP ? "a symbolic link, not followed"
				       : strerror(errno));
		rc = 2;
	} else {
		rc = svg_run(&rs, run, fp) < 0 ? 1 : 0;
		if (rc)
			fprintf(stderr, "gs-trace: no run %s in %s\n",
				vis(run, b1), path);
		if (fp != stdout && fclose(fp) != 0)
			rc = 2;
	}
	for (i = 0; i < rs.n; i++)
		free(rs.recs[i].detail);
	free(rs.recs);
	return rc ? rc : (rep.errors ? 1 : 0);
}

static bool
is_hash(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

static int
verify_main(const char *path, const char *key, const char *seal,
	    const char *count, const char *anchor)
{
	struct gs_trace_verify_opts vo = {.seal_count = -1, .anchor = anchor};
	long n;
	char *end;
	int rc = 2;

	if ((seal || count) && key == NULL) {
		fprintf(stderr, "gs-trace verify: --seal and --count need "
				"--key\n");
		return 2;
	}
	if (seal && count) {
		fprintf(stderr, "gs-trace verify: --seal or --count, not "
				"both\n");
		return 2;
	}
	if (anchor != NULL && !is_hash(anchor)) {
		fprintf(stderr, "gs-trace verify: --anchor takes the 64 hex "
				"digits of a record's hash\n");
		return 2;
	}
	if (count != NULL) {
		errno = 0;
		n = strtol(count, &end, 10);
		if (errno != 0 || *end != '\0' || end == count || n < 0) {
			fprintf(stderr, "gs-trace verify: --count %s is not "
					"a count\n",
				count);
			return 2;
		}
		vo.seal_count = n;
	}
	if (key != NULL) {
		if (read_key(key, vo.key, &n) < 0)
			goto out;
		if (n != 0) {
			fprintf(stderr, "gs-trace verify: %s holds key %ld, "
					"not k_0: give the verify key "
					"gs-trace keygen wrote\n",
				key, n);
			goto out;
		}
		vo.have_key = true;
	}
	if (seal != NULL) {
		if (read_key(seal, vo.seal_key, &vo.seal_count) < 0)
			goto out;
		vo.have_seal_key = true;
	}
	rc = cmd_verify(path, &vo);
out:
	OPENSSL_cleanse(&vo, sizeof(vo));
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"run", required_argument, NULL, 'r'},
		{"last", no_argument, NULL, 'l'},
		{"output", required_argument, NULL, 'o'},
		{"key", required_argument, NULL, 'k'},
		{"seal", required_argument, NULL, 's'},
		{"count", required_argument, NULL, 'n'},
		{"anchor", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *run = NULL, *out = NULL, *cmd, *help, *key = NULL,
		   *seal = NULL, *count = NULL, *anchor = NULL;
	bool last = false, is_verify, is_timeline;
	int c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	help = strcmp(cmd, "verify") == 0   ? usage_verify
	       : strcmp(cmd, "show") == 0   ? usage_show
	       : strcmp(cmd, "svg") == 0    ? usage_svg
	       : strcmp(cmd, "keygen") == 0 ? usage_keygen
					    : NULL;
	if (help == NULL) {
		fprintf(stderr, "gs-trace: unknown command %s\n", cmd);
		usage(stderr);
		return 2;
	}
	argv++;
	argc--;
	while ((c = getopt_long(argc, argv, "r:lo:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			run = optarg;
			break;
		case 'l':
			last = true;
			break;
		case 'o':
			out = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 's':
			seal = optarg;
			break;
		case 'n':
			count = optarg;
			break;
		case 'a':
			anchor = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return 0;
		default:
			fputs(help, stderr);
			return 2;
		}
	}
	is_verify = strcmp(cmd, "verify") == 0;
	is_timeline = strcmp(cmd, "show") == 0 || strcmp(cmd, "svg") == 0;
	if (argc - optind != (strcmp(cmd, "keygen") == 0 ? 2 : 1)) {
		fputs(help, stderr);
		return 2;
	}
	/* An option of another command is a usage error, not ignored. */
	if ((!is_verify && (key || seal || count || anchor)) ||
	    (!is_timeline && (run || last)) ||
	    (strcmp(cmd, "svg") != 0 && out)) {
		fprintf(stderr, "gs-trace %s: option not known here\n", cmd);
		fputs(help, stderr);
		return 2;
	}
	if (strcmp(cmd, "keygen") == 0)
		return cmd_keygen(argv[optind], argv[optind + 1]);
	if (strcmp(cmd, "svg") == 0)
		return cmd_svg(argv[optind], last ? NULL : run, out);
	if (strcmp(cmd, "show") == 0)
		return cmd_show(argv[optind], run, last);
	return verify_main(argv[optind], key, seal, count, anchor);
}
