/* fuzz_trace.c - the trace verifier on arbitrary files: any verdict, but
 * no crash, and a report that adds up. */
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
	struct gs_trace_report r;
	FILE *fp;
	int rc;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/fuzz-trace-%d.jsonl",
			 (int)getpid());
	fp = fopen(path, "w");
	if (fp == NULL)
		return 0;
	fwrite(data, 1, size, fp);
	fclose(fp);
	rc = gs_trace_verify(path, &r, NULL, NULL);
	if ((rc == 0) != (r.errors == 0) || r.records < 0)
		abort();
	return 0;
}
