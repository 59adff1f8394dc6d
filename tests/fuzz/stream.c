/*
 * libFuzzer target for the stream reader and the snapshot decoder: any
 * bytes must give frames or a clean error, never a crash, a hang or a
 * leak.  The seed corpus in tests/fuzz/stream/ holds real snapshot
 * streams (full and delta frames, raw and zstd).
 */
#include "frames.h"
#include "image.h"
#include "snap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int apply(const struct qhb_frame *f, void *arg)
{
	struct qhb_err e = { 0 };
	struct qhb_snap_info info;

	if (qhb_snap_check(f, &info, &e) == 0)
		qhb_image_apply(arg, f, &e);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qhb_image im = { .max_size = 64u << 20 };

	fuzz_frames(data, size, apply, &im);
	qhb_image_release(&im);
	return 0;
}
