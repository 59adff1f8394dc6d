/*
 * image -- guest RAM rebuilt from a stream's snapshot frames.
 *
 * A full snapshot frame carries every page; each delta frame after it
 * carries the pages that changed since the frame it was taken against.
 * Applying the frames in order leaves the RAM as it was at the last one:
 * what qhb-cat --raw writes, what qhb-query reads a snapshot stream as,
 * and what the volumizer colours.  The frames' layout belongs to
 * common/snap.h; this module only asks it for the parts.
 */
#ifndef QHB_IMAGE_H
#define QHB_IMAGE_H

#include <stdint.h>

#include "err.h"
#include "stream.h"

/* Guest RAM rebuilt by applying snapshot frames in order.  Zero-initialize
 * the struct; release with qhb_image_release(). */
struct qhb_image {
	uint8_t *ram;
	uint64_t size, page_size;
	uint64_t seq;          /* seq of the last frame applied */
	uint64_t frames;       /* frames applied */
	uint64_t max_size;     /* largest RAM accepted; 0: no limit */
	/* Bit i set: page i may hold data.  A frame can declare far more
	 * RAM than it carries data for (zero pages cost one bit); readers
	 * that scan skip the rest, so their work follows what the frames
	 * held, not what they declared. */
	uint8_t *data;
};

/*
 * Functions used to rebuild RAM.
 */

/* Applies a snapshot or delta frame.  A delta must follow the frame it
 * was taken against.  Returns 0, or -1 with e filled and im unchanged
 * (a frame is checked whole before any byte is applied). */
int qhb_image_apply(struct qhb_image *im, const struct qhb_frame *f,
    struct qhb_err *e);
/* Calls fn for each run of pages [first, first + count) that may hold
 * data, ascending; the pages outside every run are zero.  Returns 0, or
 * the first non-zero value fn returned.  The shape of
 * qhb_ram_data_runs(). */
int qhb_image_data_runs(const struct qhb_image *im,
    int (*fn)(void *arg, uint64_t first, uint64_t count), void *arg);
/* Unmaps the RAM and zeroes im but for max_size: im can be applied to
 * again.  A zeroed im is a no-op. */
void qhb_image_release(struct qhb_image *im);

#endif
