/* fuzz_ini.c - the INI loader, with tradebotd's sections registered, on
 * arbitrary bytes: it must answer 0 or a file:line error, never crash,
 * never overrun. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bot.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct bot_config cfg;
	char cause[GS_CAUSE_MAX];
	FILE *fp;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/fuzz-ini-%d.ini", (int)getpid());
	fp = fopen(path, "w");
	if (fp == NULL)
		return 0;
	fwrite(data, 1, size, fp);
	fclose(fp);
	if (bot_config_init(&cfg, true, cause) < 0)
		abort();
	cause[0] = '\0';
	if (bot_config_load(&cfg, path, cause) < 0 && cause[0] == '\0')
		abort(); /* an error must always say why */
	gs_config_reload_log(cfg.gs, path, cause);
	bot_config_free(&cfg);
	return 0;
}
