/*
 * render -- pictures of a qhb volume (common/volume.h): slices, maximum
 * intensity projections and front-to-back compositing, from a camera.
 *
 * Camera.  World coordinates are voxel coordinates: voxel (x, y, z) fills
 * the unit cube [x, x+1) x [y, y+1) x [z, z+1) of level 0.  The camera looks
 * at the centre c of the box along
 *
 *   F = (cos el sin az, sin el, cos el cos az)
 *
 * with screen right R = (cos az, 0, -sin az) and screen down
 * D = (-sin el sin az, cos el, -sin el cos az): at azimuth 0 and elevation 0
 * it looks along +z with x to the right and y down, so a picture of a
 * z-slice and a projection along z line up pixel for pixel.  The scale is
 * s = zoom * min(W, H) / |box| pixels per voxel (zoom 1 fits the box's
 * circumscribed sphere), and pixel (i, j) is the ray through
 * c + ((i + 0.5 - W/2) R + (j + 0.5 - H/2) D) / s.  Orthographic rays run
 * along F; perspective rays start at the eye c - 2|box| F and pass through
 * that point, so the plane through c keeps the orthographic scale.
 *
 * Rays walk the voxels they cross exactly (a 3D DDA), and skip empty space
 * through the mip levels: where the coarsest mip voxel holding the current
 * point has alpha 0, every level 0 voxel under it is transparent and the
 * ray jumps past it.  Alpha 0 voxels (the absent padding) are transparent.
 *
 *   mip        the voxel crossed of greatest intensity, (77 r + 150 g +
 *              29 b + 1) * a, the first of equals; over the background by
 *              its alpha
 *   composite  front to back: each voxel's alpha, times opacity and the
 *              length crossed, clamped to 1; rays stop at 0.99 (early ray
 *              termination)
 *   slices     level 0 voxel planes at native size: along x the picture is
 *              (y, z), along y (x, z), along z (x, y); over the background
 *
 * This module renders into memory (common/picture.h); common/overlay.h
 * draws over its pictures, common/renderjob.h renders a volume stream with
 * it and common/png.h and common/y4m.h encode.
 */
#ifndef QHB_RENDER_H
#define QHB_RENDER_H

#include <stdint.h>

#include "picture.h"
#include "volume.h"

enum qhb_render_mode {
	QHB_RENDER_MIP,
	QHB_RENDER_COMPOSITE,
	QHB_RENDER_SLICES,
};

struct qhb_render_opts {
	enum qhb_render_mode mode;
	unsigned axis;          /* slices: 0 x, 1 y, 2 z */
	double azimuth, elevation;      /* degrees */
	double zoom;            /* 0: 1 */
	int perspective;
	unsigned width, height;
	double opacity;         /* composite: per voxel crossed; 0: 0.1 */
	uint32_t background;    /* rgba, r in the low byte */
	unsigned threads;       /* 0: one per CPU */
	int no_skip;            /* walk every voxel (for tests and benches) */
};

/* Where a camera is; filled by qhb_render_camera(). */
struct qhb_camera {
	double c[3], F[3], R[3], D[3], eye[3];
	double scale, dist;
	unsigned w, h;
	int perspective;
};

/*
 * Functions used to render.
 */
/* The camera o describes for a box of size[3] voxels, at azimuth az
 * (degrees; o->azimuth is ignored).  Cannot fail. */
void qhb_render_camera(struct qhb_camera *cam, const struct qhb_render_opts *o,
    const uint32_t *size, double az);
/* The pixel the world point p projects to, into px[2] (may be outside the
 * picture).  Returns 0, or -1 when p is behind a perspective eye. */
int qhb_render_project(const struct qhb_camera *cam, const double *p,
    double *px);
/* Renders v (mip or composite) from cam into img, which must be cam->w x
 * cam->h.  Cannot fail. */
void qhb_render_view(const struct qhb_render_opts *o,
    const struct qhb_camera *cam, const struct qhb_volume *v,
    struct qhb_picture *img);
/* Number of slices along axis, and their picture size. */
unsigned qhb_render_slice_count(const struct qhb_volume *v, unsigned axis,
    unsigned *w, unsigned *h);
/* Renders slice k along axis into img (of the size above).  Cannot fail. */
void qhb_render_slice(const struct qhb_volume *v, unsigned axis, unsigned k,
    uint32_t background, struct qhb_picture *img);
/* The threads to work on for o->threads == want: want when it is not 0,
 * else the CPUs online (1 to 64).  Cannot fail. */
unsigned qhb_render_threads(unsigned want);

#endif
