/*
 * rendervk -- mip and composite views of a volume (common/render.h) on a
 * Vulkan device (common/vk.h), with shaders/render.comp: the same rays,
 * the same exact voxel walk and the same empty-space skipping as the CPU
 * path, in 32-bit floats, so pictures agree within a small tolerance
 * (tests/integration/render.sh checks it on lavapipe).
 *
 * The volume (all mip levels) stays on the device between views and is
 * uploaded again only when its generation changes.
 */
#ifndef QHB_RENDERVK_H
#define QHB_RENDERVK_H

#include "render.h"
#include "vk.h"

struct qhb_rendervk;

/* Borrows vk, which must outlive the renderer.  NULL with e on error. */
struct qhb_rendervk *qhb_rendervk_new(struct qhb_vk *vk, struct qhb_err *e);
/* A qhb_render_gpu_fn: arg is a struct qhb_rendervk.  Returns 0, or -1
 * with e (a volume past the device's binding size, a Vulkan error). */
int qhb_rendervk_view(void *arg, const struct qhb_render_opts *o,
    const struct qhb_camera *cam, const struct qhb_volume *v, uint64_t gen,
    struct qhb_picture *img, struct qhb_err *e);
/* NULL is a no-op. */
void qhb_rendervk_free(struct qhb_rendervk *rv);

#endif
