/*
 * config.c - the INI configuration: a registry of sections and keys, the
 * library's ([shutdown], [trace], [log]) and the application's, read with
 * inih from one file.
 *
 * Strict by design: an unknown section or key, a value that does not parse
 * or is out of range, a key set twice and a missing required key are each
 * an error whose message names file:line.  The line named is the offending
 * key's; for a key left at its default (a missing required key, a
 * cross-key rule) it is the line of the section's header, or 0 when the
 * section is absent: "file:0" stands for the file as a whole, as it does
 * for a file that cannot be opened.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

#include <ini.h>

#include "internal.h"

/* One registered key. */
struct cfg_key {
	char *section;
	char *name;
	char *def;
	char *help;
	struct gs_option opt; /* name, def and help point at the copies */
	bool lib;	      /* the library's: dest is at offset in the cfg */
	size_t offset;
	char *text; /* the value as last set: the default, or the file's */
	int line;   /* where the file set it; 0: not in the file */
};

struct cfg_section {
	char *name;
	int line; /* its first header in the file; 0: none */
};

struct cfg_check {
	gs_config_check_fn fn;
	void *arg;
};

static const char *const log_levels[] = {"error", "warn", "info", "debug",
					 NULL};
static const char *const sighup_modes[] = {"shutdown", "reload", NULL};
static const char *const second_modes[] = {"force", "ignore", NULL};
/* The facilities log.c maps; a string key whose value must be one of. */
static const char *const facilities[] = {
	"daemon", "user",   "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7", NULL};

/* The library's own keys: dest is an offset into struct gs_config. */
struct lib_key {
	const char *section;
	struct gs_option opt;
	size_t offset;
};

#define OFF(m) offsetof(struct gs_config, m)
#define SZ(m) sizeof(((struct gs_config *)0)->m)
#define LINT(s, n, m, lo, hi, d, h)                                            \
	{s, {.name = n, .type = GS_OPTION_INT, .min = lo, .max = hi,          \
	     .def = d, .help = h}, OFF(m)}
#define LBOOL(s, n, m, d, h)                                                   \
	{s, {.name = n, .type = GS_OPTION_BOOL, .def = d, .help = h}, OFF(m)}
#define LENUM(s, n, m, c, d, h)                                                \
	{s, {.name = n, .type = GS_OPTION_ENUM, .choices = c, .def = d,       \
	     .help = h}, OFF(m)}
#define LSTR(s, n, m, t, c, d, h)                                              \
	{s, {.name = n, .type = t, .size = SZ(m), .choices = c, .def = d,     \
	     .help = h}, OFF(m)}

static const struct lib_key lib_keys[] = {
	LINT("shutdown", "cancel_timeout_ms", shutdown.cancel_timeout_ms, 1,
	     600000, "10000", "bound of the CANCELLING phase"),
	LINT("shutdown", "close_timeout_ms", shutdown.close_timeout_ms, 1,
	     600000, "3000", "bound of the CLOSING phase"),
	LINT("shutdown", "join_timeout_ms", shutdown.join_timeout_ms, 1,
	     600000, "5000", "one deadline for joining every worker"),
	LINT("shutdown", "total_timeout_ms", shutdown.total_timeout_ms, 1,
	     3600000, "25000",
	     "the whole shutdown; past it the process ends with 70"),
	LENUM("shutdown", "on_sighup", shutdown.on_sighup, sighup_modes,
	      "reload", "reload (re-open the log, re-read [log]) or shutdown"),
	LENUM("shutdown", "on_second_signal", shutdown.on_second_signal,
	      second_modes, "force", "force (exit 128+n) or ignore"),
	LINT("shutdown", "duplicate_signal_ms", shutdown.duplicate_signal_ms, 0,
	     60000, "1000",
	     "a repeat within this is the same request, not a second signal"),

	LSTR("trace", "path", trace.path, GS_OPTION_STRING, NULL,
	     "/var/log/tradebotd/fsm-trace.jsonl",
	     "the audit trace (JSON Lines, hash-chained)"),
	LBOOL("trace", "fsync", trace.fsync, "true",
	      "make every record durable (fdatasync)"),
	LSTR("trace", "seal_key_file", trace.seal_key_file, GS_OPTION_PATH,
	     NULL, "", "forward-secure sealing key; empty: off"),

	LENUM("log", "level", log.level, log_levels, "info",
	      "error, warn, info, debug"),
	LSTR("log", "file", log.file, GS_OPTION_PATH, NULL, "",
	     "empty: stderr"),
	LBOOL("log", "syslog", log.syslog, "false", "also to syslog"),
	LSTR("log", "syslog_facility", log.syslog_facility, GS_OPTION_STRING,
	     facilities, "daemon", "daemon, user, local0 ... local7"),
};

#define NLIB (sizeof(lib_keys) / sizeof(lib_keys[0]))

/* ---- the registry --------------------------------------------------------- */

static struct cfg_section *
cfg_section(const struct gs_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nsections; i++)
		if (strcmp(cfg->sections[i].name, name) == 0)
			return &cfg->sections[i];
	return NULL;
}

static struct cfg_key *
cfg_key(const struct gs_config *cfg, const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nkeys; i++)
		if (strcmp(cfg->keys[i].section, section) == 0 &&
		    strcmp(cfg->keys[i].name, name) == 0)
			return &cfg->keys[i];
	return NULL;
}

static bool
cfg_grow(void **arr, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return true;
	c = *cap ? *cap * 2 : 16;
	p = realloc(*arr, c * size);
	if (p == NULL)
		return false;
	*arr = p;
	*cap = c;
	return true;
}

static bool
cfg_name_ok(const char *name)
{
	return name != NULL && name[0] != '\0' && strlen(name) < 64 &&
	       name[strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-")] ==
		   '\0';
}

/* Where a key's value goes in cfg (a copy of the struct included). */
static void *
cfg_dest(struct gs_config *cfg, const struct cfg_key *k)
{
	return k->lib ? (char *)cfg + k->offset : k->opt.dest;
}

/* The allowed values of a key, comma-separated. */
static void
cfg_choices(const struct cfg_key *k, char *list, size_t size)
{
	size_t off = 0;
	int i;

	list[0] = '\0';
	for (i = 0; k->opt.choices[i] && off < size; i++)
		off += (size_t)snprintf(list + off, size - off, "%s%s",
					i ? ", " : "", k->opt.choices[i]);
}

static bool
cfg_is_choice(const struct cfg_key *k, const char *value, int *index)
{
	int i;

	for (i = 0; k->opt.choices[i]; i++)
		if (strcmp(value, k->opt.choices[i]) == 0) {
			*index = i;
			return true;
		}
	return false;
}

/*
 * A value naming a file (one with a '/', not a URL) is kept in one
 * spelling: "//" and "/./" collapse and trailing slashes go.
 * "/path/link/" resolves through the link where "/path/link" is refused
 * as one, so every later check (and open) must see the name the
 * O_NOFOLLOW opens judge.
 */
static void
cfg_path_normalise(char *p)
{
	char *w = p;
	const char *r = p;

	if (strchr(p, '/') == NULL || strstr(p, "://") != NULL)
		return;
	while (*r != '\0') {
		if (r[0] == '/' && w > p && w[-1] == '/') {
			r++; /* "//" */
		} else if (r[0] == '.' && (r[1] == '/' || r[1] == '\0') &&
			   w > p && w[-1] == '/') {
			r += r[1] == '/' ? 2 : 1; /* "/./" or a trailing "/." */
		} else {
			*w++ = *r++;
		}
	}
	while (w > p + 1 && w[-1] == '/')
		w--;
	*w = '\0';
}

/*
 * Parse value as k's type and store it (into cfg for the library's keys).
 * 0, or -1 with why set to the message that follows "file:line: ".
 */
static int
cfg_apply(struct gs_config *cfg, const struct cfg_key *k, const char *value,
	  char *why, size_t size)
{
	const struct gs_option *o = &k->opt;
	void *dest = cfg_dest(cfg, k);
	char list[256], msg[512];
	long long v = 0;
	bool b = false;
	int idx = 0, rc;

	switch (o->type) {
	case GS_OPTION_INT:
		rc = gs_parse_int(value, o->min, o->max, &v);
		if (rc == -ERANGE) {
			snprintf(why, size, "%s: %s is out of range (%lld to "
					    "%lld)",
				 o->name, value, o->min, o->max);
			return -1;
		}
		if (rc < 0) {
			snprintf(why, size, "%s: \"%s\" is not a whole number",
				 o->name, value);
			return -1;
		}
		break;
	case GS_OPTION_BOOL:
		if (gs_parse_bool(value, &b) < 0) {
			snprintf(why, size, "%s: \"%s\" is not a boolean (true, "
					    "false, yes, no, on, off, 1 or 0)",
				 o->name, value);
			return -1;
		}
		break;
	case GS_OPTION_ENUM:
		if (!cfg_is_choice(k, value, &idx)) {
			cfg_choices(k, list, sizeof(list));
			snprintf(why, size, "%s: \"%s\" is not one of: %s",
				 o->name, value, list);
			return -1;
		}
		break;
	case GS_OPTION_STRING:
	case GS_OPTION_PATH:
		if (o->type == GS_OPTION_STRING && value[0] == '\0') {
			snprintf(why, size, "%s: must not be empty", o->name);
			return -1;
		}
		if (o->choices != NULL && !cfg_is_choice(k, value, &idx)) {
			cfg_choices(k, list, sizeof(list));
			snprintf(why, size, "%s: \"%s\" is not one of: %s",
				 o->name, value, list);
			return -1;
		}
		if (dest != NULL && strlen(value) >= o->size) {
			snprintf(why, size, "%s: longer than %zu characters",
				 o->name, o->size - 1);
			return -1;
		}
		break;
	case GS_OPTION_DECIMAL:
		if (!gs_is_decimal(value) || strtod(value, NULL) <= 0 ||
		    (dest != NULL && strlen(value) >= o->size)) {
			snprintf(why, size, "%s: \"%s\" is not a positive "
					    "decimal number",
				 o->name, value);
			return -1;
		}
		break;
	}
	if (o->check != NULL) {
		msg[0] = '\0';
		if (o->check(o->check_arg, value, msg, sizeof(msg)) < 0) {
			snprintf(why, size, "%s: %s", o->name,
				 msg[0] ? msg : "refused");
			return -1;
		}
	}
	if (dest == NULL)
		return 0;
	switch (o->type) {
	case GS_OPTION_INT:
		*(int *)dest = (int)v;
		break;
	case GS_OPTION_BOOL:
		*(bool *)dest = b;
		break;
	case GS_OPTION_ENUM:
		*(int *)dest = idx;
		break;
	default:
		memcpy(dest, value, strlen(value) + 1);
		if (o->type == GS_OPTION_STRING || o->type == GS_OPTION_PATH)
			cfg_path_normalise(dest);
		break;
	}
	return 0;
}

static bool
cfg_set_text(struct cfg_key *k, const char *value)
{
	char *t = strdup(value);

	if (t == NULL)
		return false;
	free(k->text);
	k->text = t;
	return true;
}

static int
cfg_add(struct gs_config *cfg, const char *section, const struct gs_option *o,
	bool lib, size_t offset, char *cause)
{
	struct cfg_key *k;
	char why[700];

	if (!cfg_name_ok(section) || o == NULL || !cfg_name_ok(o->name)) {
		snprintf(cause, GS_CAUSE_MAX,
			 "[%.64s] %.64s: section and key names are lower-case "
			 "letters, digits, '_' and '-'",
			 section ? section : "(null)",
			 o && o->name ? o->name : "(null)");
		return -EINVAL;
	}
	if (cfg_key(cfg, section, o->name) != NULL) {
		snprintf(cause, GS_CAUSE_MAX, "[%s] %s is registered twice",
			 section, o->name);
		return -EINVAL;
	}
	if ((unsigned)o->type > GS_OPTION_DECIMAL ||
	    (o->type == GS_OPTION_ENUM && o->choices == NULL) ||
	    (o->type == GS_OPTION_INT && o->min > o->max) ||
	    (!lib && o->dest == NULL &&
	     (o->type == GS_OPTION_INT || o->type == GS_OPTION_BOOL ||
	      o->type == GS_OPTION_ENUM || o->check == NULL)) ||
	    (!lib && o->dest != NULL && o->size == 0 &&
	     (o->type == GS_OPTION_STRING || o->type == GS_OPTION_PATH ||
	      o->type == GS_OPTION_DECIMAL))) {
		snprintf(cause, GS_CAUSE_MAX,
			 "[%s] %s: bad option (a type, a destination of its "
			 "size, choices for an enum, min <= max)",
			 section, o->name);
		return -EINVAL;
	}
	if (!cfg_grow((void **)&cfg->keys, &cfg->keys_cap, cfg->nkeys,
		      sizeof(*cfg->keys)))
		return -ENOMEM;
	if (cfg_section(cfg, section) == NULL) {
		struct cfg_section *s;

		if (!cfg_grow((void **)&cfg->sections, &cfg->sections_cap,
			      cfg->nsections, sizeof(*cfg->sections)))
			return -ENOMEM;
		s = &cfg->sections[cfg->nsections];
		memset(s, 0, sizeof(*s));
		s->name = strdup(section);
		if (s->name == NULL)
			return -ENOMEM;
		cfg->nsections++;
	}
	k = &cfg->keys[cfg->nkeys];
	memset(k, 0, sizeof(*k));
	k->opt = *o;
	k->lib = lib;
	k->offset = offset;
	k->section = strdup(section);
	k->name = strdup(o->name);
	k->def = strdup(o->def ? o->def : "");
	k->help = o->help ? strdup(o->help) : NULL;
	if (k->section == NULL || k->name == NULL || k->def == NULL ||
	    (o->help != NULL && k->help == NULL) || !cfg_set_text(k, k->def)) {
		free(k->section);
		free(k->name);
		free(k->def);
		free(k->help);
		free(k->text);
		return -ENOMEM;
	}
	k->opt.name = k->name;
	k->opt.def = k->def;
	k->opt.help = k->help;
	/* A required key needs no default: the file always sets it. */
	if (!(o->def == NULL && o->required) &&
	    cfg_apply(cfg, k, k->def, why, sizeof(why)) < 0) {
		snprintf(cause, GS_CAUSE_MAX, "[%s] default of %s", section,
			 why);
		free(k->section);
		free(k->name);
		free(k->def);
		free(k->help);
		free(k->text);
		return -EINVAL;
	}
	cfg->nkeys++;
	return 0;
}

struct gs_config *
gs_config_new(void)
{
	struct gs_config *cfg = calloc(1, sizeof(*cfg));
	char cause[GS_CAUSE_MAX];
	size_t i;

	if (cfg == NULL)
		return NULL;
	cfg->start = json_object();
	if (cfg->start == NULL)
		goto fail;
	for (i = 0; i < NLIB; i++)
		if (cfg_add(cfg, lib_keys[i].section, &lib_keys[i].opt, true,
			    lib_keys[i].offset, cause) < 0)
			goto fail;
	return cfg;
fail:
	gs_config_free(cfg);
	return NULL;
}

void
gs_config_free(struct gs_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nkeys; i++) {
		free(cfg->keys[i].section);
		free(cfg->keys[i].name);
		free(cfg->keys[i].def);
		free(cfg->keys[i].help);
		free(cfg->keys[i].text);
	}
	for (i = 0; i < cfg->nsections; i++)
		free(cfg->sections[i].name);
	free(cfg->keys);
	free(cfg->sections);
	free(cfg->checks);
	json_decref(cfg->start);
	free(cfg);
}

int
gs_config_add_section(struct gs_config *cfg, const char *section,
		      const struct gs_option *opts, size_t nopts, char *cause)
{
	size_t i;
	int rc;

	if (cfg == NULL || (opts == NULL && nopts > 0))
		return -EINVAL;
	for (i = 0; i < nopts; i++) {
		rc = cfg_add(cfg, section, &opts[i], false, 0, cause);
		if (rc < 0) {
			if (rc == -ENOMEM)
				snprintf(cause, GS_CAUSE_MAX, "out of memory");
			return rc;
		}
	}
	return 0;
}

int
gs_config_add_check(struct gs_config *cfg, gs_config_check_fn fn, void *arg)
{
	if (cfg == NULL || fn == NULL)
		return -EINVAL;
	if (!cfg_grow((void **)&cfg->checks, &cfg->checks_cap, cfg->nchecks,
		      sizeof(*cfg->checks)))
		return -ENOMEM;
	cfg->checks[cfg->nchecks].fn = fn;
	cfg->checks[cfg->nchecks].arg = arg;
	cfg->nchecks++;
	return 0;
}

const char *
gs_config_path(const struct gs_config *cfg)
{
	return cfg->path;
}

int
gs_config_line(const struct gs_config *cfg, const char *section,
	       const char *name)
{
	const struct cfg_key *k = cfg_key(cfg, section, name);
	const struct cfg_section *s = cfg_section(cfg, section);

	if (k != NULL && k->line != 0)
		return k->line;
	return s != NULL ? s->line : 0;
}

bool
gs_config_is_set(const struct gs_config *cfg, const char *section,
		 const char *name)
{
	const struct cfg_key *k = cfg_key(cfg, section, name);

	return k != NULL && k->line != 0;
}

const char *
gs_config_value(const struct gs_config *cfg, const char *section,
		const char *name)
{
	const struct cfg_key *k = cfg_key(cfg, section, name);

	return k != NULL ? k->text : NULL;
}

int
gs_config_error(const struct gs_config *cfg, const char *section,
		const char *name, char *cause, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(cause, GS_CAUSE_MAX, "%.1024s:%d: %s", cfg->path,
		 gs_config_line(cfg, section, name), msg);
	return -EINVAL;
}

struct json_t *
gs_config_start_record(struct gs_config *cfg)
{
	return cfg->start;
}

/* ---- records ------------------------------------------------------------- */

struct json_t *
gs_record_new(void)
{
	return json_object();
}

void
gs_record_free(struct json_t *rec)
{
	json_decref(rec);
}

static int
record_set(json_t *rec, const char *key, json_t *v)
{
	if (rec == NULL || key == NULL || !json_is_object(rec)) {
		json_decref(v);
		return -EINVAL;
	}
	if (v == NULL)
		return -ENOMEM;
	return json_object_set_new(rec, key, v) == 0 ? 0 : -ENOMEM;
}

int
gs_record_add_int(struct json_t *rec, const char *key, long long value)
{
	return record_set(rec, key, json_integer((json_int_t)value));
}

int
gs_record_add_str(struct json_t *rec, const char *key, const char *value)
{
	return record_set(rec, key, value ? json_string(value) : json_null());
}

int
gs_record_add_bool(struct json_t *rec, const char *key, bool value)
{
	return record_set(rec, key, json_boolean(value));
}

/* ---- parsing --------------------------------------------------------------- */

int
gs_parse_int(const char *value, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (value == NULL || *value == '\0' || isspace((unsigned char)*value))
		return -EINVAL;
	errno = 0;
	v = strtoll(value, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int
gs_parse_bool(const char *value, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

bool
gs_is_decimal(const char *value)
{
	bool digits = false, dot = false;

	for (; *value; value++) {
		if (isdigit((unsigned char)*value))
			digits = true;
		else if (*value == '.' && !dot)
			dot = true;
		else
			return false;
	}
	return digits;
}

/*
 * Called with each "[name]" line (inih tells sections only with keys);
 * name is NULL for a header without its closing ']'.
 */
typedef void (*ini_header_fn)(void *user, const char *name, int line);

struct ini_reader {
	FILE *fp;
	int *line;
	ini_header_fn header;
	void *user;
};

static void
ini_header(struct ini_reader *r, const char *s)
{
	char name[64];
	size_t len;

	while (isspace((unsigned char)*s))
		s++;
	if (*s != '[')
		return;
	len = strcspn(++s, "]");
	if (s[len] != ']') {
		r->header(r->user, NULL, *r->line);
		return;
	}
	if (len >= sizeof(name))
		len = sizeof(name) - 1;
	memcpy(name, s, len);
	name[len] = '\0';
	r->header(r->user, name, *r->line);
}

/*
 * Cut an inline comment: ';' or '#' after whitespace starts one, as at
 * the start of a line (inih's own rule knows only ';').
 */
static void
ini_cut_comment(char *s)
{
	char *p;

	for (p = s; *p; p++)
		if ((*p == ';' || *p == '#') && p > s &&
		    (p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
}

static char *
ini_read_line(char *str, int num, void *stream)
{
	struct ini_reader *r = stream;
	char *s = fgets(str, num, r->fp);

	if (s == NULL)
		return NULL;
	(*r->line)++;
	ini_cut_comment(s);
	if (r->header != NULL)
		ini_header(r, s);
	return s;
}

static int
config_ini_parse(const char *path, gs_ini_handler handler, void *user,
		 int *line, char *cause, ini_header_fn header)
{
	struct ini_reader r = {.line = line, .header = header, .user = user};
	struct stat st;
	int rc;

	*line = 0;
	r.fp = fopen(path, "r");
	if (r.fp == NULL) {
		rc = -errno;
		snprintf(cause, GS_CAUSE_MAX, "%.300s:0: cannot open: %s", path,
			 strerror(errno));
		return rc;
	}
	if (fstat(fileno(r.fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(r.fp);
		snprintf(cause, GS_CAUSE_MAX,
			 "%.300s:0: is a directory, not a configuration file",
			 path);
		return -EISDIR;
	}
	/*
	 * inih's default 200-character line cannot hold a list of 50
	 * symbols.  Debian's build lets it grow at run time; elsewhere a
	 * longer line is a syntax error naming its line.
	 */
#if HAVE_DECL_INI_MAX_LINE && HAVE_DECL_INI_USE_STACK
	ini_use_stack = false;
	ini_max_line = 16384;
	ini_initial_alloc = 16384;
#endif
	rc = ini_parse_stream(ini_read_line, &r, handler, user);
	if (ferror(r.fp)) {
		snprintf(cause, GS_CAUSE_MAX, "%.300s:%d: cannot read: %s",
			 path, *line + 1, strerror(errno));
		rc = -EIO;
	}
	fclose(r.fp);
	return rc;
}

int
gs_ini_parse(const char *path, gs_ini_handler handler, void *user, int *line,
	     char *cause)
{
	return config_ini_parse(path, handler, user, line, cause, NULL);
}

/* ---- loading --------------------------------------------------------------- */

struct load_ctx {
	struct gs_config *cfg;
	const char *path;
	int line; /* the line being handled (config_ini_parse) */
	bool failed;
	char *cause;
	const char *only_section; /* reload: apply this section only */
	bool *seen;		  /* per key, this load */
	int *lines;		  /* per key, this load */
	int *section_lines;	  /* per section, this load */
};

static int
config_fail(struct load_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
config_fail(struct load_ctx *ctx, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (ctx->failed)
		return 0; /* keep the first error */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->failed = true;
	snprintf(ctx->cause, GS_CAUSE_MAX, "%.190s:%d: %s", ctx->path,
		 ctx->line, msg);
	return 0;
}

static int
config_handler(void *user, const char *section, const char *name,
	       const char *value)
{
	struct load_ctx *ctx = user;
	struct gs_config *cfg = ctx->cfg;
	char why[1024];
	size_t i;

	if (ctx->failed)
		return 0;
	if (section[0] == '\0')
		return config_fail(ctx, "\"%s\" is outside any section (put "
					"it under its [section])",
				   name);
	if (cfg_section(cfg, section) == NULL)
		return config_fail(ctx, "unknown section [%s]", section);
	for (i = 0; i < cfg->nkeys; i++) {
		struct cfg_key *k = &cfg->keys[i];

		if (strcmp(k->section, section) != 0 ||
		    strcmp(k->name, name) != 0)
			continue;
		if (ctx->seen[i])
			return config_fail(ctx, "[%s] %s is set twice",
					   section, name);
		ctx->seen[i] = true;
		ctx->lines[i] = ctx->line;
		if (ctx->only_section != NULL &&
		    strcmp(ctx->only_section, section) != 0)
			return 1;
		if (ctx->only_section != NULL && !k->lib)
			return 1; /* an application's key in [log] */
		if (cfg_apply(cfg, k, value, why, sizeof(why)) < 0)
			return config_fail(ctx, "%s", why);
		if (ctx->only_section == NULL && !cfg_set_text(k, value))
			return config_fail(ctx, "out of memory");
		return 1;
	}
	return config_fail(ctx, "unknown key \"%s\" in section [%s]", name,
			   section);
}

/* Record the first line of each known section's header. */
static void
config_header(void *user, const char *name, int line)
{
	struct load_ctx *ctx = user;
	size_t i;

	if (ctx->failed)
		return;
	if (name == NULL) {
		ctx->line = line;
		config_fail(ctx, "syntax error: a section header without its "
				 "closing ']'");
		return;
	}
	for (i = 0; i < ctx->cfg->nsections; i++)
		if (strcmp(ctx->cfg->sections[i].name, name) == 0) {
			if (ctx->section_lines[i] == 0)
				ctx->section_lines[i] = line;
			return;
		}
	ctx->line = line;
	config_fail(ctx, "unknown section [%s]", name);
}

/* The line of the last of the keys set in the file (a cross-key rule). */
static int
config_last_line(const struct gs_config *cfg, const char *section,
		 const char *const *names)
{
	int line = 0, i;

	for (i = 0; names[i]; i++) {
		const struct cfg_key *k = cfg_key(cfg, section, names[i]);

		if (k != NULL && k->line > line)
			line = k->line;
	}
	return line ? line : gs_config_line(cfg, section, names[0]);
}

/* Cross-key rules of the library's keys, then the application's. */
static int
config_check(struct load_ctx *ctx)
{
	static const char *const total[] = {
		"total_timeout_ms", "cancel_timeout_ms", "close_timeout_ms",
		"join_timeout_ms", NULL};
	struct gs_config *cfg = ctx->cfg;
	long long sum;
	size_t i;
	int rc;

	for (i = 0; i < cfg->nkeys; i++) {
		if (!cfg->keys[i].opt.required || ctx->seen[i])
			continue;
		ctx->line = gs_config_line(cfg, cfg->keys[i].section,
					   cfg->keys[i].name);
		return config_fail(ctx, "[%s] %s is required",
				   cfg->keys[i].section, cfg->keys[i].name);
	}
	sum = (long long)cfg->shutdown.cancel_timeout_ms +
	      cfg->shutdown.close_timeout_ms + cfg->shutdown.join_timeout_ms;
	if (cfg->shutdown.total_timeout_ms < sum) {
		ctx->line = config_last_line(cfg, "shutdown", total);
		return config_fail(ctx, "total_timeout_ms (%d) must cover "
					"cancel_timeout_ms + close_timeout_ms "
					"+ join_timeout_ms (%lld)",
				   cfg->shutdown.total_timeout_ms, sum);
	}
	for (i = 0; i < cfg->nchecks; i++) {
		rc = cfg->checks[i].fn(cfg->checks[i].arg, cfg, ctx->cause);
		if (rc < 0) {
			ctx->failed = true;
			return rc;
		}
	}
	return 0;
}

static int
config_parse(struct load_ctx *ctx)
{
	struct gs_config *cfg = ctx->cfg;
	size_t i;
	int rc;

	ctx->seen = calloc(cfg->nkeys + 1, sizeof(*ctx->seen));
	ctx->lines = calloc(cfg->nkeys + 1, sizeof(*ctx->lines));
	ctx->section_lines =
	    calloc(cfg->nsections + 1, sizeof(*ctx->section_lines));
	if (ctx->seen == NULL || ctx->lines == NULL ||
	    ctx->section_lines == NULL) {
		snprintf(ctx->cause, GS_CAUSE_MAX, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	rc = config_ini_parse(ctx->path, config_handler, ctx, &ctx->line,
			      ctx->cause, config_header);
	if (rc < 0)
		goto out;
	if (rc != 0 && !ctx->failed) {
		/* inih refused the line itself (no '='). */
		ctx->line = rc > 0 ? rc : ctx->line;
		config_fail(ctx, "syntax error (expected [section] or "
				 "key = value)");
	}
	if (ctx->only_section == NULL) {
		/* The lines every later error names. */
		for (i = 0; i < cfg->nkeys; i++)
			cfg->keys[i].line = ctx->lines[i];
		for (i = 0; i < cfg->nsections; i++)
			cfg->sections[i].line = ctx->section_lines[i];
		if (!ctx->failed)
			config_check(ctx);
	}
	rc = ctx->failed ? -EINVAL : 0;
out:
	free(ctx->seen);
	free(ctx->lines);
	free(ctx->section_lines);
	return rc;
}

int
gs_config_load(struct gs_config *cfg, const char *path, char *cause)
{
	struct load_ctx ctx = {.cfg = cfg, .path = path, .cause = cause};

	if (cfg == NULL || path == NULL)
		return -EINVAL;
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	return config_parse(&ctx);
}

int
gs_config_reload_log(struct gs_config *cfg, const char *path, char *cause)
{
	struct gs_config tmp = *cfg;
	struct load_ctx ctx = {.cfg = &tmp, .path = path, .cause = cause,
			       .only_section = "log"};
	int rc;

	rc = config_parse(&ctx);
	if (rc == 0)
		cfg->log = tmp.log;
	return rc;
}

/* ---- Checks against the machine ---------------------------------------- */

/* An existing directory this process may create files in; why if not. */
static int
validate_dir(const char *dir, char *why, size_t size)
{
	struct stat st;

	if (stat(dir, &st) < 0) {
		snprintf(why, size, "directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, size, "%s is not a directory", dir);
		return -1;
	}
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0) {
		snprintf(why, size, "directory %s is not writable: %s", dir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* The directory part of path ("." for a bare name). */
static void
validate_parent(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, size, ".");
	else if (slash == path)
		snprintf(dir, size, "/");
	else
		snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

/*
 * lstat path as the daemon opens it, without following a symlink: 1 it
 * is there (st filled), 0 it is missing, -1 a symlink or unreadable (why
 * says so).
 */
static int
validate_lstat(const char *path, struct stat *st, char *why, size_t size)
{
	if (lstat(path, st) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, size, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st->st_mode)) {
		snprintf(why, size, "%s is a symbolic link (not followed)",
			 path);
		return -1;
	}
	return 1;
}

/* A missing path's directory, where it would be created. */
static int
validate_in_parent(const char *path, char *why, size_t size)
{
	char dir[GS_PATH_MAX];

	validate_parent(path, dir, sizeof(dir));
	return validate_dir(dir, why, size);
}

int
gs_check_dir(const char *path, char *why, size_t size)
{
	struct stat st;
	int there = validate_lstat(path, &st, why, size);

	if (there < 0)
		return -1;
	if (there > 0)
		return validate_dir(path, why, size);
	if (validate_in_parent(path, why, size) < 0) {
		size_t n = strlen(why);

		snprintf(why + n, size - n,
			 " (only %s itself is created)", path);
		return -1;
	}
	return 0;
}

/*
 * A file the daemon opens for appending, creating it if need be; it opens
 * it without following a symlink, so a symlink (even to a good file) or
 * anything but a regular file is refused here as the run refuses it.
 */
static int
validate_file(const char *path, char *why, size_t size)
{
	struct stat st;
	int there = validate_lstat(path, &st, why, size);

	if (there < 0)
		return -1;
	if (there > 0) {
		if (S_ISDIR(st.st_mode)) {
			snprintf(why, size, "%s is a directory", path);
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(why, size, "%s is not a regular file", path);
			return -1;
		}
		if (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) < 0) {
			snprintf(why, size, "%s is not writable: %s", path,
				 strerror(errno));
			return -1;
		}
		return 0;
	}
	return validate_in_parent(path, why, size);
}

/* seal_key_file: a seal file of this user's, in a directory it may write. */
static int
validate_seal_key(const struct gs_config *cfg, char *cause)
{
	const char *p = cfg->trace.seal_key_file;
	unsigned char key[GS_SEAL_KEY_LEN];
	char why[GS_CAUSE_MAX], dir[GS_PATH_MAX];
	struct stat st;
	long count;
	int rc;

	if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode))
		return gs_config_error(cfg, "trace", "seal_key_file", cause,
				     "seal key %s is a symbolic link (not "
				     "followed)",
				     p);
	rc = gs_seal_read(p, key, &count, why);
	explicit_bzero(key, sizeof(key));
	if (rc < 0)
		return gs_config_error(cfg, "trace", "seal_key_file", cause,
				     "%s", why);
	validate_parent(p, dir, sizeof(dir));
	if (validate_dir(dir, why, sizeof(why)) < 0)
		return gs_config_error(cfg, "trace", "seal_key_file", cause,
				     "seal key %s: %s (it is rewritten after "
				     "each record)",
				     p, why);
	/* The key is rewritten through a temporary beside it: nobody else
	 * may plant or swap names there, as in state_dir. */
	if (stat(dir, &st) == 0 &&
	    (st.st_uid != geteuid() || (st.st_mode & 022) != 0))
		return gs_config_error(cfg, "trace", "seal_key_file", cause,
				       "seal key %s: its directory %s must be "
				       "owned by this user (uid %d) and not "
				       "group- or world-writable (it is uid "
				       "%d, mode %04o)",
				       p, dir, (int)geteuid(), (int)st.st_uid,
				       (unsigned)(st.st_mode & 07777));
	return 0;
}

int
gs_config_validate(const struct gs_config *cfg, char *cause)
{
	char why[2 * GS_PATH_MAX];
	int rc;

	if (validate_file(cfg->trace.path, why, sizeof(why)) < 0)
		return gs_config_error(cfg, "trace", "path", cause,
				       "trace path: %s", why);
	if (cfg->trace.seal_key_file[0] != '\0') {
		rc = validate_seal_key(cfg, cause);
		if (rc < 0)
			return rc;
	}
	if (cfg->log.file[0] != '\0' &&
	    validate_file(cfg->log.file, why, sizeof(why)) < 0)
		return gs_config_error(cfg, "log", "file", cause,
				       "log file: %s", why);
	return 0;
}

/* ---- Writing ----------------------------------------------------------- */

int
gs_config_write(FILE *fp, const struct gs_config *cfg)
{
	size_t s, i;

	for (s = 0; s < cfg->nsections; s++) {
		const char *section = cfg->sections[s].name;

		fprintf(fp, "%s[%s]\n", s ? "\n" : "", section);
		for (i = 0; i < cfg->nkeys; i++) {
			const struct cfg_key *k = &cfg->keys[i];

			if (strcmp(k->section, section) != 0)
				continue;
			if (k->help != NULL || k->opt.required)
				fprintf(fp, "; %s%s%s\n",
					k->help ? k->help : "",
					k->help && k->opt.required ? "; " : "",
					k->opt.required ? "required" : "");
			fprintf(fp, "%s =%s%s\n", k->name,
				k->text[0] ? " " : "", k->text);
		}
	}
	return ferror(fp) || fflush(fp) != 0 ? -EIO : 0;
}

/* ---- [log] ------------------------------------------------------------- */

int
gs_log_open_config(const struct gs_config *cfg, const char *ident,
		   char *cause)
{
	int rc = gs_log_open(cfg->log.level, cfg->log.file, cfg->log.syslog,
			     cfg->log.syslog_facility, ident);

	if (rc < 0)
		gs_config_error(cfg, "log", "file", cause, "log file %s: %s",
				cfg->log.file,
				rc == -ELOOP ? "is a symbolic link (refused)"
					     : strerror(-rc));
	return rc;
}
