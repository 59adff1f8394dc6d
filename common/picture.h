/*
 * picture -- an rgba8 picture in memory: what the renderer draws into,
 * the overlays draw on and common/png.h, common/y4m.h and common/font.h
 * encode or write on.
 *
 * Pixels are rows top to bottom, 4 bytes each, r first: as a uint32_t on
 * a little-endian host, r in the low byte and alpha in the high one.
 */
#ifndef QHB_PICTURE_H
#define QHB_PICTURE_H

#include <stdint.h>

#include "err.h"

/* An rgba8 picture.  Owned by whoever made it; release with
 * qhb_picture_release(). */
struct qhb_picture {
	unsigned w, h;
	uint8_t *px;            /* w * h * 4 bytes */
};

/*
 * Functions used to make and free pictures.
 */
/* Allocates a w x h picture filled with rgba.  Returns 0, or -1 with e
 * and img unchanged. */
int qhb_picture_init(struct qhb_picture *img, unsigned w, unsigned h,
    uint32_t rgba, struct qhb_err *e);
/* Frees img's pixels and leaves it empty (0 x 0).  NULL is a no-op. */
void qhb_picture_release(struct qhb_picture *img);

/*
 * Functions used to draw on pictures.
 */
/* Sets pixel (x, y) to rgba (no blending); outside img, nothing.  Cannot
 * fail. */
void qhb_picture_put(struct qhb_picture *img, int x, int y, uint32_t rgba);
/* Lays n pictures (all of one size) out in cols x rows cells, left to
 * right, top to bottom, on background.  Returns 0, or -1 with e. */
int qhb_picture_sheet(struct qhb_picture *out, const struct qhb_picture *imgs,
    unsigned n, unsigned cols, unsigned rows, uint32_t background,
    struct qhb_err *e);

#endif
