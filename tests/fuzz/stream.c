/*
 * libFuzzer target for the stream reader and the snapshot decoder: any
 * bytes must give frames or a clean error, never a crash, a hang or a
 * leak.  The seed corpus in tests/fuzz/stream/ holds real snapshot
 * streams (full and delta frames, raw and zstd).
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "snap.h"
#include "stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", 0);
	struct qhb_err e = { 0 };
	struct qhb_image im = { .max_size = 64u << 20 };
	struct qhb_snap_info info;
	struct qhb_reader *r;
	struct qhb_frame f;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	r = qhb_reader_fdopen(fd, "fuzz", &e);
	qhb_reader_limit(r, 16u << 20);
	qhb_frame_init(&f);
	while (qhb_reader_next(r, &f, &e) == 1) {
		if (qhb_snap_check(&f, &info, &e) == 0)
			qhb_image_apply(&im, &f, &e);
	}
	qhb_frame_release(&f);
	qhb_reader_close(r);
	qhb_image_release(&im);
	close(fd);
	return 0;
}
