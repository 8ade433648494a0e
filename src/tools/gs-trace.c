/*
 * gs-trace.c - audit tool for the FSM trace.
 *
 *	gs-trace verify FILE              chain, seq, transitions; exit 1 on tampering
 *	gs-trace show FILE [--run ID|--last]   timeline per run
 *	gs-trace svg FILE -o OUT.svg      timeline picture
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gshutdown.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: gs-trace verify FILE\n"
		    "       gs-trace show FILE [--run ID | --last]\n"
		    "       gs-trace svg FILE [--run ID | --last] -o OUT.svg\n");
}

static int
cmd_verify(const char *path)
{
	struct gs_trace_report r;
	int rc = gs_trace_verify(path, &r, NULL, NULL);

	if (rc < 0 && rc != -EBADMSG) {
		fprintf(stderr, "gs-trace: %s: %s\n", path, strerror(-rc));
		return 2;
	}
	printf("%s: %ld records, %ld runs, %ld crashed (never reached EXIT), "
	       "%ld torn lines, %ld errors\n",
	       path, r.records, r.runs, r.runs_incomplete, r.torn_lines,
	       r.errors);
	if (r.errors) {
		printf("%s:%ld: %s\n", path, r.first_error_line, r.first_error);
		printf("TAMPERED\n");
		return 1;
	}
	printf("OK\n");
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
	size_t i;
	int code = -1;

	for (i = 0; i < rs->n; i++) {
		struct rec *r = &rs->recs[i];
		long long off;

		if (strcmp(r->run, run) != 0)
			continue;
		if (t0 < 0) {
			t0 = r->mono_ns;
			printf("run %s started %s\n", run, r->time);
		}
		off = (r->mono_ns - t0) / 1000000;
		if (strcmp(r->from, r->state) != 0) {
			if (cur != NULL)
				printf("  %-11s lasted %lld ms\n", cur,
				       off - entered);
			printf("%8lld ms  %-13s -> %-10s %s\n", off, r->event,
			       r->state, r->detail ? r->detail : "");
			cur = r->state;
			entered = off;
		} else {
			printf("%8lld ms    %-13s (in %s) %s\n", off, r->event,
			       r->state, r->detail ? r->detail : "");
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
	size_t i;
	int rc;

	rc = gs_trace_verify(path, &rep, collect, &rs);
	if (rc < 0 && rc != -EBADMSG) {
		fprintf(stderr, "gs-trace: %s: %s\n", path, strerror(-rc));
		return 2;
	}
	if (rep.errors)
		printf("WARNING: the trace does not verify: line %ld: %s\n\n",
		       rep.first_error_line, rep.first_error);
	if (last)
		run = rep.last_run;
	for (i = 0; i < rs.n; i++) {
		if (strcmp(rs.recs[i].event, "START") != 0)
			continue;
		if (run == NULL || strcmp(run, rs.recs[i].run) == 0)
			print_run(&rs, rs.recs[i].run);
	}
	for (i = 0; i < rs.n; i++)
		free(rs.recs[i].detail);
	free(rs.recs);
	return rep.errors ? 1 : 0;
}

/* ---- svg ------------------------------------------------------------------- */

static void
svg_escape(FILE *fp, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '<')
			fputs("&lt;", fp);
		else if (*s == '>')
			fputs("&gt;", fp);
		else if (*s == '&')
			fputs("&amp;", fp);
		else if (*s == '"')
			fputs("&quot;", fp);
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

static int
cmd_svg(const char *path, const char *run, const char *out)
{
	struct gs_trace_report rep;
	struct runs rs = {0};
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
	fp = strcmp(out, "-") == 0 ? stdout : fopen(out, "w");
	if (fp == NULL) {
		fprintf(stderr, "gs-trace: %s: %s\n", out, strerror(errno));
		rc = 2;
	} else {
		rc = svg_run(&rs, run, fp) < 0 ? 1 : 0;
		if (rc)
			fprintf(stderr, "gs-trace: no run %s in %s\n", run, path);
		if (fp != stdout && fclose(fp) != 0)
			rc = 2;
	}
	for (i = 0; i < rs.n; i++)
		free(rs.recs[i].detail);
	free(rs.recs);
	return rc ? rc : (rep.errors ? 1 : 0);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"run", required_argument, NULL, 'r'},
		{"last", no_argument, NULL, 'l'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *run = NULL, *out = NULL, *cmd, *path;
	bool last = false;
	int c;

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
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	path = argv[optind + 1];
	if (strcmp(cmd, "svg") == 0)
		return cmd_svg(path, run, out);
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(path);
	if (strcmp(cmd, "show") == 0)
		return cmd_show(path, run, last);
	usage(stderr);
	return 2;
}
