/* fuzz_json.c - every parser of exchange replies and stream events on
 * arbitrary bytes; the scanner of order listings must say what jansson
 * says, field for field. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/bot/bot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct bot_order *orders = NULL, *scanned = NULL;
	struct bot_filters f[2];
	struct stream_event ev;
	char msg[256], ex[128];
	int code, n, m;
	int64_t ms;

	parse_error(s, size, &code, msg, sizeof(msg));
	n = parse_orders(s, size, &orders);
	if (n > 0 && orders == NULL)
		abort();
	m = parse_open_orders(s, size, &scanned);
	if ((m >= 0) != (scanned != NULL))
		abort();
	/*
	 * jansson reads a NUL byte right after a number or a literal
	 * ("true\0,") as if it were not there; JSON has no such thing, and
	 * the scanner refuses such a reply as malformed.  With a NUL in the
	 * input the scanner may refuse what jansson takes, nothing else.
	 */
	if (m != n && !(m == -EBADMSG && memchr(s, '\0', size) != NULL))
		abort();
	for (int i = 0; i < n && m == n; i++)
		if (memcmp(&orders[i], &scanned[i], sizeof(orders[i])) != 0)
			abort();
	free(orders);
	free(scanned);
	memset(f, 0, sizeof(f));
	strcpy(f[0].symbol, "BTCUSDT");
	strcpy(f[1].symbol, "ETHUSDT");
	parse_filters(s, size, f, 2);
	parse_server_time(s, size, &ms);
	parse_stream_event(s, size, &ev);
	parse_excerpt(s, size, ex, sizeof(ex));
	if (strlen(ex) >= sizeof(ex))
		abort();
	return 0;
}
