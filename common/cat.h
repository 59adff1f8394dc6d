/*
 * cat -- what qhb-cat does with a stream: each frame's header as a JSON
 * line, or the frames applied to the RAM image (--raw) or the volume
 * (--nrrd) that it writes at the end.
 *
 * One struct qhb_cat is the run: it reads file after file (a later
 * file's deltas may continue an earlier file's snapshot), then writes
 * its one output.  The caller opens the output (struct qhb_outfile) and
 * owns it; qhb_cat_finish commits it or leaves it to the caller to abort.
 */
#ifndef QHB_CAT_H
#define QHB_CAT_H

#include <stdio.h>

#include <jansson.h>

#include "err.h"
#include "image.h"
#include "outfile.h"
#include "stream.h"
#include "volume.h"

enum qhb_cat_mode { QHB_CAT_JSON, QHB_CAT_RAW, QHB_CAT_NRRD };

struct qhb_cat {
	enum qhb_cat_mode mode;
	FILE *json_out;             /* QHB_CAT_JSON: where the lines go */
	struct qhb_outfile *out;    /* QHB_CAT_RAW, _NRRD: the open output */
	struct qhb_image im;        /* --raw: RAM so far */
	struct qhb_volume vol;      /* --nrrd: the volume so far */
	const char *last;           /* the file read last, as it is shown:
	                             * what "no snapshot frame" names */
	/* Frames of the wrong kind for --raw or --nrrd are skipped, each
	 * with a warning through this callback (cmd/ passes qhb_err_warn). */
	void (*warn)(void *arg, const struct qhb_err *w);
	void *warn_arg;
};

/* Reads every frame of path ("-" is standard input): prints its header
 * (JSON) or applies it.  Returns 0, or -1 with e naming path and the
 * frame; what was applied before stays applied. */
int qhb_cat_file(struct qhb_cat *c, const char *path, struct qhb_err *e);
/* --raw and --nrrd: writes the RAM or the volume to c->out and commits
 * it.  Returns 0, or -1 with e (no snapshot or volume frame was read:
 * about the file read last; a write failed); the output is then not
 * committed.  Nothing for JSON. */
int qhb_cat_finish(struct qhb_cat *c, struct qhb_err *e);
/* Frees the image and the volume; c may be used again. */
void qhb_cat_release(struct qhb_cat *c);

/* A frame's header as JSON: file (name), frame, offset, kind, version,
 * compression, stored_size, size, xxh3, meta and, for snapshot frames,
 * the page counts (see qhb-cat(1)).  Returns a new object, or NULL with
 * e filled (a malformed snapshot payload, out of memory). */
json_t *qhb_cat_frame_json(const char *name, const struct qhb_frame *f,
    struct qhb_err *e);

#endif
