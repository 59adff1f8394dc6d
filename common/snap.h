/*
 * snap -- snapshots of guest RAM as qhb frames: capturing them, and the
 * one reading of their layout (common/image.h rebuilds RAM from them).
 *
 * A snapshot frame (QHB_FRAME_SNAP) carries every page; a delta frame
 * (QHB_FRAME_SNAP_DELTA) carries the pages whose contents changed since the
 * frame before it, found by comparing each page's xxh3 with the one kept
 * from the previous capture.  Both share one payload layout:
 *
 *   data                     the carried non-zero pages, ascending
 *   given[ceil(pages / 8)]   bit i set: page i is carried by this frame
 *   zero[ceil(pages / 8)]    bit i set: carried page i is all zero
 *
 * so zero pages (and holes in the RAM file, which are zero) cost one bit.
 * The bitmaps come last so that a frame can be written while RAM is read.
 * Metadata: ram_size, page_size, seq, base_seq (deltas), time_ns, source,
 * vm, consistency, pause_ns, verify_rounds, unstable_pages, capture_ns.
 */
#ifndef QHB_SNAP_H
#define QHB_SNAP_H

#include <signal.h>
#include <stdint.h>

#include "err.h"
#include "qmp.h"
#include "ram.h"
#include "stream.h"

struct qhb_snap_stats;

enum qhb_consistency {
	QHB_CONSISTENT_NONE,    /* copy while the guest runs */
	QHB_CONSISTENT_PAUSE,   /* stop the guest's CPUs for the copy */
	QHB_CONSISTENT_VERIFY,  /* re-copy pages that changed, until stable */
};

struct qhb_snap_opts {
	enum qhb_consistency consistency;
	unsigned verify_rounds;    /* bound on re-copy rounds; 0: 8 */
	uint64_t every_ns;         /* period; 0: a single capture */
	uint64_t count;            /* captures; 0: until *stop */
	uint64_t keyframe;         /* a full frame every K frames; 0: first only */
	const char *vm_name;       /* recorded in metadata when not NULL */
	const char *source;        /* recorded in metadata when not NULL */
	volatile sig_atomic_t *stop; /* set asynchronously: end after this frame */
	/* Called after each frame of a periodic capture, when not NULL. */
	void (*on_frame)(void *arg, const struct qhb_snap_stats *st);
	void *on_frame_arg;
};

/* What the last capture did, and totals. */
struct qhb_snap_stats {
	uint64_t frames, full_frames, delta_frames;
	uint64_t given_pages, data_pages, zero_pages;   /* last frame */
	uint64_t unstable_pages, verify_rounds;         /* last frame */
	uint64_t capture_ns, pause_ns;                  /* last frame */
	uint64_t missed_ticks;                          /* periodic */
	uint64_t bytes_out;                             /* total */
};

struct qhb_snapper;

/*
 * Functions used to capture.
 */

/* Prepares to capture ram (borrowed, outlives the snapper).  qmp may be
 * NULL unless opts asks for QHB_CONSISTENT_PAUSE.  NULL on error. */
struct qhb_snapper *qhb_snapper_new(const struct qhb_ram *ram,
    struct qhb_qmp *qmp, const struct qhb_snap_opts *opts, struct qhb_err *e);
/* Captures one frame, full or delta (a delta needs an earlier capture),
 * and writes it to w.  Returns 0, or -1 with e filled; after a failed pause
 * the guest is resumed before returning when it can be. */
int qhb_snapper_capture(struct qhb_snapper *s, struct qhb_writer *w, int full,
    struct qhb_err *e);
/* Captures as opts say: once, or every every_ns until count frames or
 * *stop, the first frame and every keyframe-th full, the others deltas. */
int qhb_snapper_run(struct qhb_snapper *s, struct qhb_writer *w,
    struct qhb_err *e);
const struct qhb_snap_stats *qhb_snapper_stats(const struct qhb_snapper *s);
void qhb_snapper_free(struct qhb_snapper *s);

/*
 * Functions used to read snapshots back.
 */

/* What a snapshot frame's payload holds, and where: readers take the
 * parts from here, so that only snap.c knows the layout.  The pointers
 * are into the frame checked and live as long as its payload. */
struct qhb_snap_info {
	uint64_t ram_size, page_size, pages;
	uint64_t seq, base_seq;
	uint64_t given_pages, data_pages, zero_pages;
	const uint8_t *data;    /* data_pages pages of page_size, ascending */
	const uint8_t *given;   /* the given bitmap: see qhb_snap_given() */
	const uint8_t *zero;    /* the zero bitmap: see qhb_snap_zero() */
};
/* Fills info after checking that the frame's metadata and layout agree.
 * Returns 0, or -1 with e naming the byte; info's pointers are then NULL
 * and its counts not to be trusted. */
int qhb_snap_check(const struct qhb_frame *f, struct qhb_snap_info *info,
    struct qhb_err *e);
/* 1 when the frame checked into in carries page i (i < in->pages). */
static inline int qhb_snap_given(const struct qhb_snap_info *in, uint64_t i)
{
	return in->given[i >> 3] >> (i & 7) & 1;
}
/* 1 when page i, carried, is all zero and has no data in the frame. */
static inline int qhb_snap_zero(const struct qhb_snap_info *in, uint64_t i)
{
	return in->zero[i >> 3] >> (i & 7) & 1;
}

#endif
