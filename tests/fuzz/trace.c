/*
 * libFuzzer target for trace parsing and reports: any bytes, as a qhb
 * stream of trace frames (when they start with the stream magic) or as one
 * frame's payload of records, must give a trace or a clean error, and every
 * report of what was read must be written without a crash, a hang or a
 * leak.  Seeds in tests/fuzz/trace/: a small recorded trace (raw and
 * zstd) and a bare payload.
 */
#include <stdio.h>
#include <string.h>

#include "frames.h"
#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reports(const struct qhb_trace *t)
{
	struct qhb_err e = { 0 };
	FILE *f = fopen("/dev/null", "w");

	if (f == NULL)
		abort();
	for (int fmt = QHB_TRACE_TEXT; fmt <= QHB_TRACE_SUMMARY; fmt++)
		qhb_trace_report(t, fmt, 5, f, &e);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qhb_trace t = { 0 };

	fuzz_trace(data, size, &t);
	reports(&t);
	qhb_trace_release(&t);
	return 0;
}
