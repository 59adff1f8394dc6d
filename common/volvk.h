/*
 * volvk -- the level 0 fill of a volume (common/volume.h) on a Vulkan
 * device (common/vk.h), with shaders/hilbert_place.comp and
 * hilbert_value.comp or hilbert_tile.comp (a workgroup per tile of 4096
 * voxels), or hilbert.comp (a thread per voxel): the same bytes as
 * qhb_volume_fill() on the CPU.
 */
#ifndef QHB_VOLVK_H
#define QHB_VOLVK_H

#include "volume.h"
#include "vk.h"

/* A qhb_volume_gpu_fn: arg is a struct qhb_vk.  Returns 0, or -1 with e
 * when the device cannot (RAM past four binding chunks, more than 2^32
 * voxels, a Vulkan error); the caller then fills on the CPU. */
int qhb_volvk_fill(void *arg, const struct qhb_volume_job *j,
    struct qhb_err *e);
/* For benchmarks: how long a fill's passes take on the device. */
struct qhb_volvk_timing {
	unsigned repeat;          /* in: run the passes this many times */
	uint64_t place_ns;        /* out: the pass that places the tiles */
	uint64_t fill_ns;         /* out: the passes that fill the volume */
};
/* qhb_volvk_fill, with the passes run tm->repeat times (at least once) on
 * the same buffers, and the device times of the fastest run, from
 * timestamp queries (0 where the device has none), in tm.  tm NULL: one
 * run, as qhb_volvk_fill. */
int qhb_volvk_fill_timed(struct qhb_vk *vk, const struct qhb_volume_job *j,
    struct qhb_volvk_timing *tm, struct qhb_err *e);

#endif
