/*
 * rendervk -- mip and composite views of a volume (common/render.h) on a
 * Vulkan device (common/vk.h), with shaders/render.comp: the same rays,
 * the same exact voxel walk and the same empty-space skipping as the CPU
 * path, in 32-bit floats, so pictures agree within a small tolerance
 * (tests/integration/render.sh checks it on lavapipe).
 *
 * The volume (all mip levels) stays on the device between views.  A new
 * generation of it goes up whole, or, when it follows the one the device
 * holds through a delta frame, as the aligned blocks of 64 voxels that
 * the delta's runs touch (mip voxels included: the frame carries them).
 *
 * Views are pipelined: each of QHB_RENDERVK_SLOTS slots has its own
 * parameters, picture buffer on the device and read-back buffer in host
 * memory (cached where the device has such), so the device renders view
 * n + 1 and copies it out while the host copies view n into its picture.
 */
#ifndef QHB_RENDERVK_H
#define QHB_RENDERVK_H

#include "renderjob.h"
#include "vk.h"

#define QHB_RENDERVK_SLOTS 3

struct qhb_rendervk;

/* Borrows vk, which must outlive the renderer.  NULL with e on error. */
struct qhb_rendervk *qhb_rendervk_new(struct qhb_vk *vk, struct qhb_err *e);
/* A struct qhb_renderjob_gpu for rv (its slots, volume, submit and collect
 * calls, as renderjob.h describes them).  Cannot fail. */
void qhb_rendervk_gpu(struct qhb_rendervk *rv, struct qhb_renderjob_gpu *g);
/* Waits for every slot, then frees.  NULL is a no-op. */
void qhb_rendervk_free(struct qhb_rendervk *rv);

/* Bytes of volume uploaded so far (whole volumes and delta blocks). */
uint64_t qhb_rendervk_uploaded(const struct qhb_rendervk *rv);
/* Reads the device's volume back and compares it with v's voxels (for
 * tests).  Returns the index of the first voxel that differs, total when
 * none does, or -1 cast to uint64_t with e (no volume, a Vulkan error). */
uint64_t qhb_rendervk_compare(struct qhb_rendervk *rv,
    const struct qhb_volume *v, struct qhb_err *e);

#endif
