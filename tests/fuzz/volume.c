/*
 * libFuzzer target for the volume frame parser: any bytes must give
 * volumes (deltas applied in order) or a clean error, never a crash, a
 * hang or a leak.  The seed corpus in tests/fuzz/volume/ holds small real
 * volume streams (full and delta frames, 2D and 3D, mip levels, raw and
 * zstd).
 */
#include "frames.h"
#include "volume.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int apply(const struct qhb_frame *f, void *arg)
{
	struct qhb_err e = { 0 };
	struct qhb_volume_info info;

	if (qhb_volume_check(f, &info, &e) == 0)
		qhb_volume_apply(arg, f, &e);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qhb_volume v = { .max_voxels = 4u << 20 };

	fuzz_frames(data, size, apply, &v);
	qhb_volume_release(&v);
	return 0;
}
