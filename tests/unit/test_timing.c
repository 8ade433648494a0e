/*
 * test_timing.c - exchange-sim's reading of a signed request's time
 * (timing.c): timestamp in ms or µs, recvWindow with up to three
 * decimals, the window in µs, X-MBX-TIME-UNIT and the reply's times.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "unit.h"
#include "../../src/sim/sim.h"

#define NOW_US 1796600000123456LL /* a server clock, µs */
#define NOW_MS (NOW_US / 1000)

static int
check(long long ts, const char *rw)
{
	char buf[32];
	const char *msg = NULL;
	int rc;

	snprintf(buf, sizeof(buf), "%lld", ts);
	rc = timing_check(buf, rw, NOW_US, &msg);
	CU_ASSERT((rc == 0) == (msg == NULL));
	return rc;
}

static void
test_timing_ms_and_us(void)
{
	CU_ASSERT_EQUAL(check(NOW_MS, NULL), 0);
	CU_ASSERT_EQUAL(check(NOW_US, NULL), 0);
	CU_ASSERT_EQUAL(check(NOW_MS - 5000, NULL), 0);
	CU_ASSERT_EQUAL(check(NOW_MS - 5001, NULL), -1021);
	CU_ASSERT_EQUAL(check(NOW_US - 5000000, NULL), 0);
	CU_ASSERT_EQUAL(check(NOW_US - 5000001, NULL), -1021);
	/* "timestamp < serverTime + 1000": µs make the edge exact. */
	CU_ASSERT_EQUAL(check(NOW_US + 999999, NULL), 0);
	CU_ASSERT_EQUAL(check(NOW_US + 1000000, NULL), -1021);
	CU_ASSERT_EQUAL(check(NOW_MS + 999, NULL), 0);
	CU_ASSERT_EQUAL(check(NOW_MS + 1000, NULL), -1021);
	/* 20 digits are still digits: far ahead, not malformed. */
	CU_ASSERT_EQUAL(timing_check("99999999999999999999", NULL, NOW_US,
				     &(const char *){NULL}),
			-1021);
}

static void
test_timing_window_decimals(void)
{
	const char *msg;

	CU_ASSERT_EQUAL(check(NOW_US - 6000346, "6000.346"), 0);
	CU_ASSERT_EQUAL(check(NOW_US - 6000347, "6000.346"), -1021);
	CU_ASSERT_EQUAL(check(NOW_US - 6000300, "6000.3"), 0);
	CU_ASSERT_EQUAL(check(NOW_US - 6000301, "6000.3"), -1021);
	CU_ASSERT_EQUAL(check(NOW_US, "60000.000"), 0);
	CU_ASSERT_EQUAL(check(NOW_US, "60000.001"), -1131);
	CU_ASSERT_EQUAL(check(NOW_US, "60001"), -1131);
	CU_ASSERT_EQUAL(check(NOW_US, "6000.3461"), -1100);
	CU_ASSERT_EQUAL(check(NOW_US, "6000."), -1100);
	CU_ASSERT_EQUAL(check(NOW_US, ".5"), -1100);
	CU_ASSERT_EQUAL(check(NOW_US, "1e3"), -1100);
	CU_ASSERT_EQUAL(check(NOW_US, "-5"), -1100);
	CU_ASSERT_EQUAL(timing_check("12x", NULL, NOW_US, &msg), -1100);
	CU_ASSERT_STRING_EQUAL(msg, "Illegal characters found in parameter "
				    "'timestamp'; legal range is "
				    "'^[0-9]{1,20}$'.");
	CU_ASSERT_EQUAL(timing_check("1", "60001", NOW_US, &msg), -1131);
	CU_ASSERT_STRING_EQUAL(msg, "recvWindow must be less than 60000");
}

static void
test_timing_unit(void)
{
	CU_ASSERT_EQUAL(timing_unit(NULL), SIM_TIME_MS);
	CU_ASSERT_EQUAL(timing_unit(""), SIM_TIME_MS);
	CU_ASSERT_EQUAL(timing_unit("MILLISECOND"), SIM_TIME_MS);
	CU_ASSERT_EQUAL(timing_unit("millisecond"), SIM_TIME_MS);
	CU_ASSERT_EQUAL(timing_unit("MICROSECOND"), SIM_TIME_US);
	CU_ASSERT_EQUAL(timing_unit("microsecond"), SIM_TIME_US);
	CU_ASSERT_EQUAL(timing_unit("SECOND"), -1194);
	CU_ASSERT_EQUAL(timing_unit("MICROSECONDS"), -1194);
}

static void
test_timing_reply_us(void)
{
	json_t *v = json_loads(
	    "{\"serverTime\":1,\"symbols\":[{\"time\":2,\"price\":\"3\"}],"
	    "\"orders\":[{\"transactTime\":4,\"orderId\":5,"
	    "\"workingTime\":6,\"updateTime\":7}],\"T\":8,\"count\":9}",
	    0, NULL);
	char *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	timing_reply_us(v);
	s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	CU_ASSERT_STRING_EQUAL(
	    s, "{\"T\":8000,\"count\":9,\"orders\":[{\"orderId\":5,"
	       "\"transactTime\":4000,\"updateTime\":7000,"
	       "\"workingTime\":6000}],\"serverTime\":1000,\"symbols\":[{"
	       "\"price\":\"3\",\"time\":2000}]}");
	free(s);
	json_decref(v);
}

static void
test_timing_klines_us(void)
{
	json_t *v = json_loads("[[1,\"2\",\"3\",\"4\",\"5\",\"6\",7,\"8\",9]]",
			       0, NULL);
	char *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	timing_klines_us(v);
	s = json_dumps(v, JSON_COMPACT);
	CU_ASSERT_STRING_EQUAL(
	    s, "[[1000,\"2\",\"3\",\"4\",\"5\",\"6\",7000,\"8\",9]]");
	free(s);
	json_decref(v);
}

void
suite_timing(void)
{
	CU_pSuite s = CU_add_suite("timing", NULL, NULL);

	UNIT_ADD(s, test_timing_ms_and_us);
	UNIT_ADD(s, test_timing_window_decimals);
	UNIT_ADD(s, test_timing_unit);
	UNIT_ADD(s, test_timing_reply_us);
	UNIT_ADD(s, test_timing_klines_us);
}
