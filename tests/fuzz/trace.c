/*
 * libFuzzer target for trace parsing and reports: any bytes, as a qhb
 * stream of trace frames (when they start with the stream magic) or as one
 * frame's payload of records, must give a trace or a clean error, and every
 * report of what was read must be written without a crash, a hang or a
 * leak.  Seeds in tests/fuzz/trace/: a small recorded trace (raw and
 * zstd) and a bare payload.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "stream.h"
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
	struct qhb_err e = { 0 };

	if (size >= 4 && memcmp(data, QHB_STREAM_MAGIC, 4) == 0) {
		int fd = memfd_create("fuzz", 0);
		struct qhb_reader *r;
		struct qhb_frame f;

		if (fd < 0 || write(fd, data, size) != (ssize_t)size)
			abort();
		lseek(fd, 0, SEEK_SET);
		r = qhb_reader_fdopen(fd, "fuzz", &e);
		if (r == NULL)
			abort();
		qhb_reader_limit(r, 16u << 20);
		qhb_frame_init(&f);
		while (qhb_reader_next(r, &f, &e) == 1)
			if (f.kind == QHB_FRAME_TRACE &&
			    qhb_trace_add(&t, f.data, f.size, &e) < 0)
				break;
		qhb_frame_release(&f);
		qhb_reader_close(r);
		close(fd);
	} else {
		qhb_trace_add(&t, data, size, &e);
	}
	reports(&t);
	qhb_trace_release(&t);
	return 0;
}
