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
	(void)out;
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(path);
	if (strcmp(cmd, "show") == 0)
		return cmd_show(path, run, last);
	usage(stderr);
	return 2;
}
