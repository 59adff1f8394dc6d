/*
 * renderjob -- a volume stream turned into pictures, as a job says: what
 * to render of each volume frame (common/render.h), with which overlays
 * (common/overlay.h), on contact sheets or not (common/picture.h), and
 * how to write it (common/png.h, common/y4m.h, common/outfile.h).
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
#ifndef QHB_RENDERJOB_H
#define QHB_RENDERJOB_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "picture.h"
#include "regions.h"
#include "render.h"
#include "stream.h"
#include "volume.h"

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
struct qhb_renderjob_gpu {
	void *arg;
	unsigned slots;
	int (*volume)(void *arg, const struct qhb_volume *v, uint64_t gen,
	    int delta, const uint8_t *runs, uint64_t nruns, struct qhb_err *e);
	int (*submit)(void *arg, unsigned slot, const struct qhb_render_opts *o,
	    const struct qhb_camera *cam, struct qhb_err *e);
	int (*collect)(void *arg, unsigned slot, struct qhb_picture *img,
	    struct qhb_err *e);
};

struct qhb_renderjob {
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
	const struct qhb_renderjob_gpu *gpu;  /* NULL: the CPU renders */
	int in_fd;                /* the input, or -1: qhb_renderjob_run() */
};

struct qhb_renderjob_stats {
	uint64_t frames, pictures, files, bytes_out;
	uint64_t render_ns, encode_ns, write_ns;
	uint64_t gpu_views, cpu_views;
	uint64_t volume_ns;       /* bringing the GPU's volume up to date */
	uint64_t carried;         /* views finished after the next frame's read */
};

/*
 * Functions used to name output files.
 */
/* Checks a file name pattern: at most one conversion %d, %u or %i with
 * optional flag 0 and width, and %% for a percent sign.  Returns 0, or -1
 * with e. */
int qhb_renderjob_pattern_check(const char *pattern, struct qhb_err *e);
/* The name of picture n under pattern (checked), into buf.  Returns 0, or
 * -1 with e when it does not fit. */
int qhb_renderjob_pattern_name(const char *pattern, uint64_t n, char *buf,
    size_t size, struct qhb_err *e);

/*
 * Functions used to run a job.
 */
/* A picture handed over, finished, in order: take owns it (release with
 * qhb_picture_release()).  Returns 0, or -1 with e to stop. */
typedef int qhb_renderjob_take_fn(void *arg, unsigned i,
    struct qhb_picture *p, struct qhb_err *e);
/* Renders views first .. first + n - 1 of j's turntable (one view when
 * j->turntable is 0) of v, of generation gen, as qhb_renderjob_run does
 * for each volume frame: on j->gpu with its slots in flight when there is
 * one (bringing its volume up to date first), else on the CPU; with j's
 * overlays; each handed to take in order.  st may be NULL.  Returns 0,
 * or -1 with e (from take, or out of memory); nothing is left in flight. */
int qhb_renderjob_views(const struct qhb_renderjob *j,
    const struct qhb_volume *v, uint64_t gen, unsigned first, unsigned n,
    qhb_renderjob_take_fn *take, void *arg, struct qhb_renderjob_stats *st,
    struct qhb_err *e);
/* Renders every volume frame r gives (its filter set to volume kinds by
 * the caller) as j says.  When j->in_fd (r's descriptor) shows the next
 * frame there to read, the last views of a frame stay in flight on the
 * GPU while it is read, and are finished before it is applied; a live
 * stream's pictures are never held back for its next frame.  Returns 0,
 * or -1 with e filled; "no volume frame in the input", about r's
 * name, when r gave none.  st may be NULL. */
int qhb_renderjob_run(const struct qhb_renderjob *j, struct qhb_reader *r,
    struct qhb_renderjob_stats *st, struct qhb_err *e);

#endif
