/*
 * frames -- what the libFuzzer targets of stream parsers share: the
 * fuzzer's bytes read as a stream by the real reader (from a memfd, as a
 * file or pipe would be), with the frame size limit the programs use.
 */
#ifndef QHB_FUZZ_FRAMES_H
#define QHB_FUZZ_FRAMES_H

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "stream.h"

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

#endif
