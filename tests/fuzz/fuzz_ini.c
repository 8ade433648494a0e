/* fuzz_ini.c - the INI loader on arbitrary bytes: it must answer 0 or a
 * file:line error, never crash, never overrun. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "gshutdown.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct gs_config cfg;
	char cause[GS_CAUSE_MAX];
	FILE *fp;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/fuzz-ini-%d.ini", (int)getpid());
	fp = fopen(path, "w");
	if (fp == NULL)
		return 0;
	fwrite(data, 1, size, fp);
	fclose(fp);
	gs_config_defaults(&cfg);
	if (gs_config_load(&cfg, path, GS_CONFIG_REQUIRE_BOT, cause) < 0 &&
	    cause[0] == '\0')
		abort(); /* an error must always say why */
	gs_config_reload_log(&cfg, path, cause);
	return 0;
}
