/*
 * libFuzzer target for the volume frame parser: any bytes must give
 * volumes (deltas applied in order) or a clean error, never a crash, a
 * hang or a leak.  The seed corpus in tests/fuzz/volume/ holds small real
 * volume streams (full and delta frames, 2D and 3D, mip levels, raw and
 * zstd).
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "stream.h"
#include "volume.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", 0);
	struct qhb_err e = { 0 };
	struct qhb_volume v = { .max_voxels = 4u << 20 };
	struct qhb_volume_info info;
	struct qhb_reader *r;
	struct qhb_frame f;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	r = qhb_reader_fdopen(fd, "fuzz", &e);
	qhb_reader_limit(r, 16u << 20);
	qhb_frame_init(&f);
	while (qhb_reader_next(r, &f, &e) == 1) {
		if (qhb_volume_check(&f, &info, &e) == 0)
			qhb_volume_apply(&v, &f, &e);
	}
	qhb_frame_release(&f);
	qhb_reader_close(r);
	qhb_volume_release(&v);
	close(fd);
	return 0;
}
