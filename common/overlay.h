/*
 * overlay -- what is drawn over a rendered picture (common/render.h) to
 * say what it shows: the outlines and labels of address regions
 * (common/regions.h, from qhb-query), and a legend band below it with the
 * colour scheme and an address scale.
 *
 * Both draw with common/font.h and find addresses in the picture the way
 * the volume lays them out (common/volume.h): through the camera's
 * projection for a view, or as the voxels a slice cuts.
 */
#ifndef QHB_OVERLAY_H
#define QHB_OVERLAY_H

#include "err.h"
#include "picture.h"
#include "regions.h"
#include "render.h"
#include "volume.h"

/*
 * Functions used to draw overlays.
 */
/* Outlines each region of r in its colour, as the voxels its addresses
 * fill project through cam (or, with cam NULL, as they cut slice k along
 * axis), and writes its label beside it.  Returns 0, or -1 with e (out of
 * memory); img may then be partly drawn. */
int qhb_overlay_regions(struct qhb_picture *img, const struct qhb_volume *v,
    const struct qhb_regions *r, const struct qhb_camera *cam,
    unsigned axis, unsigned k, struct qhb_err *e);
/* A copy of img with a legend band below it: the colour scheme (from the
 * volume frame's legend string, may be NULL) and an address scale, a bar
 * of the volume's colours along the addresses with ticks.  Returns 0, or
 * -1 with e and out unchanged. */
int qhb_overlay_legend(struct qhb_picture *out, const struct qhb_picture *img,
    const struct qhb_volume *v, const char *legend, struct qhb_err *e);

#endif
