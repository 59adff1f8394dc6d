/*
 * frames -- what the libFuzzer targets of stream parsers share: the
 * fuzzer's bytes read as a stream by the real reader (from a memfd, as a
 * file or pipe would be), with the frame size limit the programs use; and
 * a trace read from them, for the targets of trace consumers.
 */
#ifndef QHB_FUZZ_FRAMES_H
#define QHB_FUZZ_FRAMES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "stream.h"
#include "trace.h"

/* Calls each(f, arg) for every frame read from data until the reader ends
 * or fails, or each returns nonzero. */
static inline void fuzz_frames(const uint8_t *data, size_t size,
    int (*each)(const struct qhb_frame *f, void *arg), void *arg)
{
	int fd = memfd_create("fuzz", 0);
	struct qhb_err e = { 0 };
	struct qhb_reader *r;
	struct qhb_frame f;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	if ((r = qhb_reader_fdopen(fd, "fuzz", &e)) == NULL)
		abort();
	qhb_reader_limit(r, 16u << 20);
	qhb_frame_init(&f);
	while (qhb_reader_next(r, &f, &e) == 1 && each(&f, arg) == 0)
		;
	qhb_frame_release(&f);
	qhb_reader_close(r);
	close(fd);
}

/* A trace frame's records added to t (a void * for fuzz_frames); any
 * error ends the stream. */
static inline int fuzz_trace_frame(const struct qhb_frame *f, void *t)
{
	struct qhb_err e = { 0 };

	return f->kind == QHB_FRAME_TRACE &&
	    qhb_trace_add(t, f->data, f->size, &e) < 0;
}

/* Reads data into t: as a stream of trace frames when it starts with the
 * stream magic, else as one trace frame's payload of records. */
static inline void fuzz_trace(const uint8_t *data, size_t size,
    struct qhb_trace *t)
{
	struct qhb_err e = { 0 };

	if (size >= 4 && memcmp(data, QHB_STREAM_MAGIC, 4) == 0)
		fuzz_frames(data, size, fuzz_trace_frame, t);
	else
		qhb_trace_add(t, data, size, &e);
}

#endif
