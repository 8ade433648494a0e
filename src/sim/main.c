/*
 * main.c - exchange-sim: command line, INI configuration, the
 * libwebsockets server on 127.0.0.1, the market tick and ping timers, and
 * a signal thread that stops the service loop on SIGTERM/SIGINT.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>


#include "gshutdown.h"
#include "md.h"
#include "sim.h"

static atomic_bool sim_stop;
static struct sim *the_sim;

static int
sim_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
	     void *in, size_t len)
{
	struct sim *sim = the_sim;
	struct sim_pss *pss = user;
	int rc;

	/* The user data stream's connections are userstream.c's. */
	if (userstream_callback(sim, wsi, reason, in, len, &rc))
		return rc;
	switch (reason) {
	case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED: {
		/* Headers and body leave in two writes: without TCP_NODELAY,
		 * Nagle holds the body until the client's delayed ACK. */
		int one = 1;

		setsockopt(lws_get_socket_fd(wsi), IPPROTO_TCP, TCP_NODELAY,
			   &one, sizeof(one));
		tap_open(lws_get_socket_fd(wsi));
		http_conn_open(sim, lws_get_socket_fd(wsi));
		break;
	}
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
		char target[SIM_ARGS_MAX], body[256];
		int status;

		http_conn_busy(sim, sim_conn_fd(wsi));
		if (tap_take(sim_conn_fd(wsi), target, sizeof(target)) < 0)
			target[0] = '\0';
		if (userstream_target(sim, target))
			return 0;
		status = stream_check_target(sim, target, body, sizeof(body));
		if (status == 0)
			return 0;
		/* The exchange's answer to a path it does not serve. */
		if (lws_return_http_status(wsi, (unsigned)status,
					   status == 404 ? NULL : body))
			return -1;
		return 1;
	}
	case LWS_CALLBACK_HTTP:
		memset(pss, 0, sizeof(*pss));
		return http_request(sim, wsi, pss, in ? (const char *)in : "/");
	case LWS_CALLBACK_HTTP_BODY:
		return http_body(sim, wsi, pss, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return http_body_done(sim, wsi, pss);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return http_writeable(sim, wsi, pss);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (pss != NULL && !pss->is_ws)
			http_closed(sim, pss);
		break;
	case LWS_CALLBACK_CLOSED_HTTP:
		if (pss != NULL && !pss->is_ws)
			http_closed(sim, pss);
		/* An HTTP/2 stream ends; its connection stays. */
		if (lws_get_network_wsi(wsi) == wsi) {
			tap_close(lws_get_socket_fd(wsi));
			http_conn_gone(sim, lws_get_socket_fd(wsi));
		}
		break;
	case LWS_CALLBACK_ESTABLISHED:
		return stream_established(sim, wsi, pss);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return stream_writeable(sim, wsi, pss);
	case LWS_CALLBACK_RECEIVE:
		return stream_receive(sim, wsi, pss, in, len);
	case LWS_CALLBACK_RECEIVE_PONG:
		return stream_pong(sim, pss);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		return stream_peer_close(sim, wsi, pss, in, len);
	case LWS_CALLBACK_CLOSED:
		if (pss != NULL)
			stream_closed(sim, pss);
		tap_close(lws_get_socket_fd(wsi));
		http_conn_gone(sim, lws_get_socket_fd(wsi));
		break;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/*
 * The listening sockets are the simulator's own: libwebsockets 4.1 binds
 * IPv6 to every address whatever its iface says.  A connection accepted
 * on one is handed to the server vhost.
 */
static int
listen_callback(struct lws *wsi, enum lws_callback_reasons reason,
		void *user, void *in, size_t len)
{
	struct sim *sim = the_sim;
	int fd, cfd;

	if (reason != LWS_CALLBACK_RAW_RX_FILE)
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	fd = lws_get_socket_fd(wsi);
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
	       0) {
		if (lws_adopt_socket_vhost(sim->vhost, cfd) == NULL)
			close(cfd); /* lws logged why */
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{"binance", sim_callback, sizeof(struct sim_pss), 4096, 0, NULL, 0},
	{"sim-listen", listen_callback, 0, 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

/* Bind and listen on addr:*port (0: a free port, set in *port). */
static int
listen_on(const char *addr, int *port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr,
		      &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;

		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)*port);
		sl = sizeof(*in4);
	} else if (inet_pton(AF_INET6, addr,
			     &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)*port);
		sl = sizeof(*in6);
	} else {
		errno = EINVAL;
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	*port = ntohs(ss.ss_family == AF_INET
			  ? ((struct sockaddr_in *)&ss)->sin_port
			  : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static int
sim_listen(struct sim *sim)
{
	const char *addrs[2] = {"127.0.0.1", "::1"};
	int i, n = 2, fd, port = sim->cfg.port;

	if (sim->cfg.listen[0] != '\0') {
		addrs[0] = sim->cfg.listen;
		n = 1;
	}
	for (i = 0; i < n; i++) {
		fd = listen_on(addrs[i], &port);
		if (fd < 0) {
			/* ::1 is optional: a host may have no IPv6. */
			if (i > 0 && sim->cfg.listen[0] == '\0') {
				log_warn("not listening on [::1]:%d: %s",
					    port, strerror(errno));
				continue;
			}
			log_error("cannot listen on %s port %d: %s", addrs[i],
				  port, strerror(errno));
			return -1;
		}
		if (lws_adopt_descriptor_vhost(
			sim->vhost, LWS_ADOPT_RAW_FILE_DESC,
			(lws_sock_file_fd_type){.filefd = fd}, "sim-listen",
			NULL) == NULL) {
			close(fd);
			return -1;
		}
	}
	sim->cfg.port = port;
	return 0;
}

static void
sim_tick(lws_sorted_usec_list_t *sul)
{
	struct sim *sim = lws_container_of(sul, struct sim, tick_sul);

	/* Frozen, nothing moves on its own: only placements change the book. */
	if (!sim->cfg.faults.market_frozen) {
		market_tick(&sim->market);
		md_tick(&sim->market);
		match_tick(sim);
	}
	md_publish_all(&sim->market); /* what changed gets its update ids */
	stream_tick(sim);
	stream_check_pings(sim);
	lws_sul_schedule(sim->ctx, 0, &sim->tick_sul, sim_tick,
			 sim->cfg.tick_ms * LWS_US_PER_MS);
}

static void
sim_ping(lws_sorted_usec_list_t *sul)
{
	struct sim *sim = lws_container_of(sul, struct sim, ping_sul);

	stream_ping_all(sim);
	lws_sul_schedule(sim->ctx, 0, &sim->ping_sul, sim_ping,
			 sim->cfg.ping_interval_ms * LWS_US_PER_MS);
}

/* ---- configuration ---------------------------------------------------- */

struct load {
	struct sim_config *cfg;
	const char *path;
	int line; /* the line being handled (gs_ini_parse) */
	char cause[GS_CAUSE_MAX];
};

static int
load_fail(struct load *ld, const char *msg, const char *name,
	  const char *value)
{
	if (ld->cause[0] == '\0')
		snprintf(ld->cause, sizeof(ld->cause), "%.300s:%d: %s: %s = %.100s",
			 ld->path, ld->line, msg, name, value);
	return 0;
}

static int
load_string(struct load *ld, const char *name, const char *value, char *out,
	    size_t size)
{
	if (strlen(value) >= size)
		return load_fail(ld, "too long", name, value);
	snprintf(out, size, "%s", value);
	return 1;
}

static int
load_symbols(struct load *ld, const char *name, const char *value)
{
	struct sim_config *c = ld->cfg;
	const char *p = value;
	int i;

	c->nsymbols = 0;
	while (*p) {
		char tok[64];
		size_t n;

		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, ",");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0 || n >= sizeof(tok))
			return load_fail(ld, "empty or overlong symbol in",
					 name, value);
		snprintf(tok, sizeof(tok), "%.*s", (int)n, p);
		if (!market_symbol_name_ok(tok))
			return load_fail(ld, "not a symbol (A-Z, 0-9, 5 to 23)",
					 name, tok);
		for (i = 0; i < c->nsymbols; i++)
			if (strcmp(c->symbols[i], tok) == 0)
				return load_fail(ld, "duplicate symbol", name,
						 tok);
		if (c->nsymbols == SIM_MAX_SYMBOLS)
			return load_fail(ld, "more than 256 symbols", name,
					 value);
		memcpy(c->symbols[c->nsymbols++], tok, strlen(tok) + 1);
		p += strcspn(p, ",");
		if (*p == ',') {
			p++;
			if (p[strspn(p, " \t")] == '\0')
				return load_fail(ld, "trailing comma in", name,
						 value);
		}
	}
	return 1;
}

/* [account]: commission, default_balance, and ASSET = amount lines. */
static int
load_account(struct load *ld, const char *name, const char *value)
{
	struct sim_config *c = ld->cfg;
	const char *p;
	int64_t v;
	int i;

	if (sim_decimal(value, &v) < 0 || sim_decimal(value, &v) > 8)
		return load_fail(ld, "not a decimal of at most 8 places", name,
				 value);
	if (strcmp(name, "commission") == 0) {
		if (v >= 100000000)
			return load_fail(ld, "not below 1", name, value);
		c->commission = v;
		return 1;
	}
	if (strcmp(name, "default_balance") == 0) {
		c->default_balance = v;
		return 1;
	}
	for (p = name; *p; p++)
		if (!(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9'))
			break;
	if (*p != '\0' || p == name || p - name >= SIM_ASSET_MAX)
		return load_fail(ld, "unknown key in [account] (an asset is A-Z, 0-9)",
				 name, value);
	for (i = 0; i < c->nbalances; i++)
		if (strcmp(c->balance_asset[i], name) == 0)
			return load_fail(ld, "duplicate asset", name, value);
	if (c->nbalances == SIM_CFG_BALANCES)
		return load_fail(ld, "more than 64 assets", name, value);
	snprintf(c->balance_asset[c->nbalances], SIM_ASSET_MAX, "%s", name);
	c->balance_amount[c->nbalances++] = v;
	return 1;
}

static int
load_handler(void *user, const char *section, const char *name,
	     const char *value)
{
	static const struct {
		const char *name;
		size_t off;
		long long min, max;
	} ints[] = {
		{"port", offsetof(struct sim_config, port), 0, 65535},
		{"tick_ms", offsetof(struct sim_config, tick_ms), 1, 60000},
		{"ping_interval_ms",
		 offsetof(struct sim_config, ping_interval_ms), 1, 600000},
		{"ping_timeout_ms",
		 offsetof(struct sim_config, ping_timeout_ms), 1, 3600000},
		{"weight_limit_1m",
		 offsetof(struct sim_config, weight_limit_1m), 1, 100000000},
		{"http_idle_s", offsetof(struct sim_config, http_idle_s), 1,
		 3600},
		{"http2", offsetof(struct sim_config, http2), 0, 1},
		{"ban_seconds", offsetof(struct sim_config, ban_s), 1, 259200},
		{"order_limit_10s",
		 offsetof(struct sim_config, order_limit_10s), 1, 100000000},
		{"order_limit_1d", offsetof(struct sim_config, order_limit_1d),
		 1, 100000000},
		{"listen_key_ttl_ms",
		 offsetof(struct sim_config, listen_key_ttl_ms), 1, 86400000},
	};
	struct load *ld = user;
	struct sim_config *c = ld->cfg;
	long long v;
	size_t i;
	int rc;

	if (strcmp(section, "sim") == 0) {
		for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
			if (strcmp(name, ints[i].name) != 0)
				continue;
			if (gs_parse_int(value, ints[i].min, ints[i].max, &v) <
			    0)
				return load_fail(ld,
						 "not a whole number in range",
						 name, value);
			*(int *)((char *)c + ints[i].off) = (int)v;
			return 1;
		}
		if (strcmp(name, "seed") == 0) {
			if (gs_parse_int(value, 0, 2147483647, &v) < 0)
				return load_fail(ld,
						 "not a whole number in range",
						 name, value);
			c->seed = (unsigned)v;
			return 1;
		}
		if (strcmp(name, "api_key") == 0)
			return load_string(ld, name, value, c->api_key,
					   sizeof(c->api_key));
		if (strcmp(name, "api_secret") == 0)
			return load_string(ld, name, value, c->api_secret,
					   sizeof(c->api_secret));
		if (strcmp(name, "admin_token") == 0)
			return load_string(ld, name, value, c->admin_token,
					   sizeof(c->admin_token));
		if (strcmp(name, "key_type") == 0) {
			static const char *const types[] = {"hmac", "ed25519",
							    "rsa"};

			for (i = 0; i < 3; i++)
				if (strcmp(value, types[i]) == 0) {
					c->key_type = (enum sim_key_type)i;
					return 1;
				}
			return load_fail(ld, "expected hmac, ed25519 or rsa",
					 name, value);
		}
		if (strcmp(name, "public_key_file") == 0)
			return load_string(ld, name, value, c->public_key_file,
					   sizeof(c->public_key_file));
		if (strcmp(name, "tls_cert_file") == 0)
			return load_string(ld, name, value, c->tls_cert_file,
					   sizeof(c->tls_cert_file));
		if (strcmp(name, "tls_key_file") == 0)
			return load_string(ld, name, value, c->tls_key_file,
					   sizeof(c->tls_key_file));
		if (strcmp(name, "listen") == 0) {
			struct in6_addr a6;

			if (*value != '\0' &&
			    inet_pton(AF_INET, value, &a6) != 1 &&
			    inet_pton(AF_INET6, value, &a6) != 1)
				return load_fail(ld, "not an IP address", name,
						 value);
			return load_string(ld, name, value, c->listen,
					   sizeof(c->listen));
		}
		if (strcmp(name, "symbols") == 0)
			return load_symbols(ld, name, value);
		return load_fail(ld, "unknown key in [sim]", name, value);
	}
	if (strcmp(section, "account") == 0)
		return load_account(ld, name, value);
	if (strcmp(section, "faults") == 0) {
		rc = sim_fault_set(&c->faults, name, value);
		if (rc == -1)
			return load_fail(ld,
					 strcmp(name, "ws_close") == 0
					     ? "expected normal or ignore"
					 : strcmp(name, "stream_paused") == 0 ||
					   strcmp(name, "market_frozen") == 0 ||
					   strcmp(name, "user_stream_silent") ==
					       0
					     ? "expected 0 or 1"
					     : "not a whole number in range",
					 name, value);
		if (rc == -2)
			return load_fail(ld, "unknown key in [faults]", name,
					 value);
		return 1;
	}
	return load_fail(ld, "unknown section", section, name);
}

static void
config_defaults(struct sim_config *c)
{
	memset(c, 0, sizeof(*c));
	c->port = 8765;
	/* The Binance documentation's example key pair. */
	snprintf(c->api_key, sizeof(c->api_key), "%s",
		 "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh"
		 "8A");
	snprintf(c->api_secret, sizeof(c->api_secret), "%s",
		 "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj"
		 "0j");
	c->tick_ms = 250;
	c->ping_interval_ms = 20000;
	c->ping_timeout_ms = 60000;
	c->http_idle_s = 60;
	c->http2 = 1;
	c->weight_limit_1m = 6000;
	c->ban_s = 120;
	c->order_limit_10s = 100;
	c->order_limit_1d = 200000;
	c->listen_key_ttl_ms = 3600000; /* Binance's 60 minutes */
	c->seed = 42;
	c->default_balance = 1000000LL * 100000000LL;
	c->commission = 100000; /* 0.1 %, Binance's base rate */
}

static int
config_load(struct sim_config *c, const char *path, char *cause)
{
	struct load ld = {.cfg = c, .path = path};
	int rc;

	rc = gs_ini_parse(path, load_handler, &ld, &ld.line, cause);
	if (rc < 0)
		return -1;
	if (rc != 0 && ld.cause[0] == '\0')
		snprintf(ld.cause, sizeof(ld.cause), "%.300s:%d: syntax error",
			 path, rc > 0 ? rc : ld.line);
	if (ld.cause[0]) {
		snprintf(cause, GS_CAUSE_MAX, "%s", ld.cause);
		return -1;
	}
	if ((c->tls_cert_file[0] == '\0') != (c->tls_key_file[0] == '\0')) {
		snprintf(cause, GS_CAUSE_MAX,
			 "%.300s: tls_cert_file and tls_key_file go together",
			 path);
		return -1;
	}
	return 0;
}

/* ---- signals ------------------------------------------------------------ */

static void *
sim_signals(void *arg)
{
	struct sim *sim = arg;
	sigset_t set;
	int sig = 0;

	pthread_setname_np(pthread_self(), "signal");
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR2);
	while (sigwait(&set, &sig) == 0 && sig == SIGUSR2 &&
	       !atomic_load(&sim_stop))
		;
	atomic_store(&sim_stop, true);
	lws_cancel_service(sim->ctx);
	return NULL;
}

/*
 * The port, written to a temporary of a unique name (O_EXCL: nothing
 * planted there is written through) and renamed over path, which
 * replaces a symlink found at path instead of following it.
 */
static int
write_port_file(const char *path, int port)
{
	char tmp[GS_PATH_MAX + 8], text[16];
	int fd, n, e;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	n = snprintf(text, sizeof(text), "%d\n", port);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -1;
	errno = 0;
	e = 0;
	if (fchmod(fd, 0644) < 0 || write(fd, text, (size_t)n) != n)
		e = errno ? errno : EIO;
	if (close(fd) < 0 && e == 0)
		e = errno;
	if (e == 0 && rename(tmp, path) < 0)
		e = errno;
	if (e != 0) {
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: exchange-sim [-c FILE] [--port N] "
		    "[--port-file FILE] [--version]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"port", required_argument, NULL, 'p'},
		{"port-file", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct lws_context_creation_info info;
	const char *config = NULL, *port_file = NULL;
	char cause[GS_CAUSE_MAX];
	long long port = -1;
	struct sim *sim;
	pthread_t sigth;
	int c, rc = 0;

	gs_signals_block();
	while ((c = getopt_long(argc, argv, "c:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'p':
			if (gs_parse_int(optarg, 0, 65535, &port) < 0) {
				fprintf(stderr, "exchange-sim: bad port %s\n",
					optarg);
				return GS_EXIT_USAGE;
			}
			break;
		case 'P':
			port_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("exchange-sim %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return GS_EXIT_USAGE;
		}
	}
	sim = calloc(1, sizeof(*sim));
	if (sim == NULL)
		return 1;
	config_defaults(&sim->cfg);
	if (config != NULL && config_load(&sim->cfg, config, cause) < 0) {
		fprintf(stderr, "exchange-sim: %s\n", cause);
		free(sim);
		return GS_EXIT_CONFIG;
	}
	if (port >= 0)
		sim->cfg.port = (int)port;
	if (auth_init(&sim->cfg, cause) < 0) {
		fprintf(stderr, "exchange-sim: %s: %s\n",
			config ? config : "(defaults)", cause);
		free(sim);
		return GS_EXIT_CONFIG;
	}
	gs_log_open(GS_LOG_INFO, NULL, false, NULL, "exchange-sim");
	market_init(&sim->market, &sim->cfg);
	account_init(&sim->account, &sim->cfg, &sim->market);
	sim_clock_offset(sim->cfg.faults.clock_offset_ms);
	if (md_init(&sim->market) < 0) {
		fprintf(stderr, "exchange-sim: out of memory\n");
		market_free(&sim->market);
		free(sim);
		return 1;
	}
	sim->requests = json_object();
	the_sim = sim;

	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER; /* sim_listen() listens */
	info.protocols = protocols;
	info.timeout_secs = 600;
	/* Idle keep-alive like a load balancer's (AWS: 60 s), not lws's 5 s. */
	info.keepalive_timeout = sim->cfg.http_idle_s;
	/* /stream?streams=... of a few hundred streams */
	info.max_http_header_data = 16384;
	/* Headers of as many requests at once as HTTP/2 streams allowed. */
	info.max_http_header_pool = 1024;
	/* Room for a whole HTTP/2 DATA frame (16 KiB) per write. */
	info.pt_serv_buf_size = 32768;
	if (sim->cfg.tls_cert_file[0] != '\0') {
		/* Every connection then speaks TLS (https://, wss://). */
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = sim->cfg.tls_cert_file;
		info.ssl_private_key_filepath = sim->cfg.tls_key_file;
		/* Binance's REST hosts offer HTTP/2 and HTTP/1.1. */
		info.alpn = sim->cfg.http2 ? "h2,http/1.1" : "http/1.1";
		/* A CDN's HTTP/2 settings, not libwebsockets' own (24
		 * streams, a 64 KiB header table): 128 streams at once, and
		 * the 4 KiB table every HPACK encoder starts from. */
		info.http2_settings[0] = 1;
		info.http2_settings[H2SET_HEADER_TABLE_SIZE] = 4096;
		info.http2_settings[H2SET_ENABLE_PUSH] = 0;
		info.http2_settings[H2SET_MAX_CONCURRENT_STREAMS] = 128;
		info.http2_settings[H2SET_INITIAL_WINDOW_SIZE] = 65535;
		info.http2_settings[H2SET_MAX_FRAME_SIZE] = 16384;
		info.http2_settings[H2SET_MAX_HEADER_LIST_SIZE] = 16384;
	}
	sim->ctx = lws_create_context(&info);
	if (sim->ctx == NULL) {
		log_error("cannot listen on 127.0.0.1:%d", sim->cfg.port);
		json_decref(sim->requests);
		free(sim);
		return GS_EXIT_UNAVAILABLE;
	}
	sim->vhost = lws_get_vhost_by_name(sim->ctx, "default");
	if (sim->vhost == NULL || sim_listen(sim) < 0) {
		lws_context_destroy(sim->ctx);
		market_free(&sim->market);
		json_decref(sim->requests);
		free(sim);
		return GS_EXIT_UNAVAILABLE;
	}
	if (pthread_create(&sigth, NULL, sim_signals, sim) != 0) {
		lws_context_destroy(sim->ctx);
		return 1;
	}
	lws_sul_schedule(sim->ctx, 0, &sim->tick_sul, sim_tick,
			 sim->cfg.tick_ms * LWS_US_PER_MS);
	lws_sul_schedule(sim->ctx, 0, &sim->ping_sul, sim_ping,
			 sim->cfg.ping_interval_ms * LWS_US_PER_MS);
	userstream_init(sim);
	log_info("exchange-sim listening on %s port %d (REST and streams)",
		 sim->cfg.listen[0] ? sim->cfg.listen : "127.0.0.1 and ::1",
		 sim->cfg.port);
	if (port_file != NULL && write_port_file(port_file, sim->cfg.port) < 0) {
		log_error("cannot write %s: %s", port_file, strerror(errno));
		rc = 1;
		atomic_store(&sim_stop, true);
	}
	while (!atomic_load(&sim_stop))
		if (lws_service(sim->ctx, 0) < 0)
			break;
	atomic_store(&sim_stop, true);
	pthread_kill(sigth, SIGUSR2);
	pthread_join(sigth, NULL);
	lws_sul_cancel(&sim->tick_sul);
	lws_sul_cancel(&sim->ping_sul);
	userstream_stop(sim);
	http_held_free_all(sim);
	lws_context_destroy(sim->ctx);
	userstream_free(sim);
	stream_cleanup(sim);
	md_free(&sim->market);
	market_free(&sim->market);
	json_decref(sim->requests);
	events_free(sim);
	tap_free_all();
	free(sim);
	auth_cleanup();
	gs_log_close();
	return rc;
}
