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
 * This module renders into memory; common/png.h and common/y4m.h encode.
 */
#ifndef QHB_RENDER_H
#define QHB_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "picture.h"
#include "regions.h"
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

/*
 * Functions used to turn a volume stream into pictures.
 *
 * For each volume frame: the slices along an axis, or turntable views
 * (azimuth + 360 i / turntable degrees), or one view; each with region
 * outlines and a legend when asked; laid out on contact sheets of
 * cols x rows when asked; then written as numbered PNG files (each
 * committed atomically through common/outfile.h), or to out_fd as a PNG
 * stream or a YUV4MPEG2 stream.  Pictures are numbered from 0 across the
 * whole stream.  Rendering and PNG encoding run in batches of up to 64
 * pictures, encoded in parallel.
 */
/*
 * A GPU backend for mip and composite views, which keeps up to slots
 * views in flight: the run submits view n + 1 (and on, up to slots ahead)
 * before it collects view n, so the device renders and copies out while
 * the host finishes, overlays and queues the pictures before.
 *
 *   volume   makes the device's volume v, of generation gen (it changes
 *            whenever v's voxels do); with delta set, v differs from
 *            generation gen - 1 only in the voxels of the nruns runs at
 *            runs (16 bytes each: u64 start, u64 count, little-endian,
 *            over all levels, as a delta volume frame carries them).
 *            Called with no view in flight.
 *   submit   starts the view of the last volume from cam in slot (0 to
 *            slots - 1, idle)
 *   collect  waits for slot's view and copies it into img (cam's size);
 *            img NULL waits and drops it.  The slot is idle after, even
 *            on error.
 *
 * Each returns 0, or -1 with e; the run then renders on the CPU.
 */
struct qhb_render_gpu {
	void *arg;
	unsigned slots;
	int (*volume)(void *arg, const struct qhb_volume *v, uint64_t gen,
	    int delta, const uint8_t *runs, uint64_t nruns, struct qhb_err *e);
	int (*submit)(void *arg, unsigned slot, const struct qhb_render_opts *o,
	    const struct qhb_camera *cam, struct qhb_err *e);
	int (*collect)(void *arg, unsigned slot, struct qhb_picture *img,
	    struct qhb_err *e);
};

struct qhb_render_job {
	struct qhb_render_opts r;
	unsigned turntable;       /* views per frame; 0: 1 */
	unsigned sheet_cols, sheet_rows;    /* 0: no contact sheet */
	const struct qhb_regions *regions;  /* borrowed, or NULL */
	int legend;
	const char *pattern;      /* file name pattern, or NULL: out_fd */
	int out_fd;               /* stream output when pattern is NULL */
	const char *out_name;     /* its name, for errors */
	int y4m;                  /* stream as YUV4MPEG2, else PNG */
	unsigned fps;             /* y4m; 0: 25 */
	int png_level;            /* zlib level; -1: 1 */
	uint64_t max_voxels;      /* largest volume accepted; 0: no limit */
	const struct qhb_render_gpu *gpu;   /* NULL: the CPU renders */
	int in_fd;                /* the input, or -1: see qhb_render_run() */
};

struct qhb_render_stats {
	uint64_t frames, pictures, files, bytes_out;
	uint64_t render_ns, encode_ns, write_ns;
	uint64_t gpu_views, cpu_views;
	uint64_t volume_ns;       /* bringing the GPU's volume up to date */
	uint64_t carried;         /* views finished after the next frame's read */
};

/* Checks a file name pattern: at most one conversion %d, %u or %i with
 * optional flag 0 and width, and %% for a percent sign.  Returns 0, or -1
 * with e. */
int qhb_render_pattern_check(const char *pattern, struct qhb_err *e);
/* The name of picture n under pattern (checked), into buf.  Returns 0, or
 * -1 with e when it does not fit. */
int qhb_render_pattern_name(const char *pattern, uint64_t n, char *buf,
    size_t size, struct qhb_err *e);
/* A picture handed over, finished, in order: take owns it (release with
 * qhb_picture_release()).  Returns 0, or -1 with e to stop. */
typedef int qhb_render_take_fn(void *arg, unsigned i, struct qhb_picture *p,
    struct qhb_err *e);
/* Renders views first .. first + n - 1 of j's turntable (one view when
 * j->turntable is 0) of v, of generation gen, as qhb_render_run does for
 * each volume frame: on j->gpu with its slots in flight when there is
 * one (bringing its volume up to date first), else on the CPU; with j's
 * overlays; each handed to take in order.  st may be NULL.  Returns 0,
 * or -1 with e (from take, or out of memory); nothing is left in flight. */
int qhb_render_views(const struct qhb_render_job *j,
    const struct qhb_volume *v, uint64_t gen, unsigned first, unsigned n,
    qhb_render_take_fn *take, void *arg, struct qhb_render_stats *st,
    struct qhb_err *e);
/* Renders every volume frame r gives (its filter set to volume kinds by
 * the caller) as j says.  When j->in_fd (r's descriptor) shows the next
 * frame there to read, the last views of a frame stay in flight on the
 * GPU while it is read, and are finished before it is applied; a live
 * stream's pictures are never held back for its next frame.  Returns 0, or -1 with e filled; "no volume
 * frame" when r gave none.  st may be NULL. */
int qhb_render_run(const struct qhb_render_job *j, struct qhb_reader *r,
    struct qhb_render_stats *st, struct qhb_err *e);

#endif
