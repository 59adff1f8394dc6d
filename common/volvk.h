/*
 * volvk -- the level 0 fill of a volume (common/volume.h) on a Vulkan
 * device (common/vk.h), with shaders/hilbert.comp: the same bytes as
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

#endif
