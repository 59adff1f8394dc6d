/*
 * volume -- guest RAM as a voxel volume along Skilling's Hilbert curve,
 * and the volume frames that carry it.
 *
 * Byte address A of guest RAM is voxel A / unit along the curve of the
 * smallest box (common/hilbert.h) holding ram_size / unit voxels; the
 * voxels past the RAM (padding to a power of two) are absent: all four
 * bytes zero.  Voxels are rgba8, coloured by a scheme:
 *
 *   class    what each page holds (common/classify.h), one colour a class
 *   entropy  each page's byte entropy on a black-blue-red-yellow ramp
 *   value    the voxel's own bytes: r, g, b its first three (for unit 1
 *            the byte in all three), a 255 unless all its bytes are zero
 *   heat     how many delta frames changed the voxel's page
 *
 * Regions (common/regions.h) tint their pages: r, g and b become the
 * halved sum of the voxel's and the region's, a at least 96.
 *
 * A volume frame (QHB_FRAME_VOLUME) carries level 0, x fastest, then lod
 * mip levels, each half the side (per-channel maximum of up to eight
 * voxels).  A delta volume frame (QHB_FRAME_VOLUME_DELTA) carries the
 * voxels of the pages a snapshot delta changed, and the mip voxels above
 * them, as runs over that same concatenated index space:
 *
 *   runs[R]    { u64 start, u64 count } little-endian, ascending, disjoint
 *   voxels     sum of count rgba8 voxels, in run order
 *
 * The byte layout and the metadata are documented in man/qhb-format.5.
 */
#ifndef QHB_VOLUME_H
#define QHB_VOLUME_H

#include <stdint.h>

#include "err.h"
#include "hilbert.h"
#include "regions.h"
#include "stream.h"

#define QHB_VOLUME_CURVE   "skilling-hilbert"
#define QHB_VOLUME_MAX_LOD 24

enum qhb_scheme {
	QHB_SCHEME_CLASS,
	QHB_SCHEME_ENTROPY,
	QHB_SCHEME_VALUE,
	QHB_SCHEME_HEAT,
};

/* "class", ...; NULL for an unknown scheme. */
const char *qhb_scheme_name(enum qhb_scheme s);
/* Returns 0 and sets *s, or -1 for a name that is no scheme. */
int qhb_scheme_parse(const char *name, enum qhb_scheme *s);
/* 1 when unit is a voxel size qhb accepts: 1, 4, 16, 64 or 4096. */
int qhb_volume_unit_ok(uint64_t unit);

/* The geometry of a volume: box, unit and mip levels. */
struct qhb_volume_shape {
	struct qhb_hilbert h;
	uint64_t unit, ram_size;
	uint64_t ram_voxels;              /* ram_size / unit: not padding */
	unsigned lod;                     /* mip levels past level 0 */
	uint32_t lsize[QHB_VOLUME_MAX_LOD + 1][3];
	uint64_t loff[QHB_VOLUME_MAX_LOD + 2]; /* first voxel of each level */
	uint64_t total;                   /* voxels of all levels */
};

/* Fills s.  ram_size must be a non-zero multiple of unit, lod at most the
 * levels that halve the box down to one voxel.  Returns 0, or -1 with e. */
int qhb_volume_shape_init(struct qhb_volume_shape *s, unsigned dim,
    uint64_t unit, uint64_t ram_size, unsigned lod, struct qhb_err *e);
/* The voxel holding physical address addr, or -1 with e when outside. */
int qhb_volume_locate(const struct qhb_volume_shape *s, uint64_t addr,
    uint32_t *xyz, struct qhb_err *e);
/* The first address of the voxel at xyz; -1 with e outside the box or in
 * the padding. */
int qhb_volume_address(const struct qhb_volume_shape *s, const uint32_t *xyz,
    uint64_t *addr, struct qhb_err *e);

/*
 * The fill of level 0, the part a GPU can do: both backends compute it from
 * the same inputs and must give the same bytes.
 */
struct qhb_volume_job {
	const struct qhb_volume_shape *shape;
	const uint8_t *ram;          /* shape->ram_size bytes */
	uint64_t page_size;
	int value;                   /* value scheme: colours from the bytes */
	const uint32_t *page_rgba;   /* otherwise: a colour for each page */
	const uint32_t *page_tint;   /* region tint per page (0: none), or NULL */
	uint32_t *out;               /* shape->h.voxels voxels */
	unsigned threads;            /* CPU fill threads; 0: one per CPU */
};
/* The CPU fill.  Cannot fail. */
void qhb_volume_fill(const struct qhb_volume_job *j);
/* Colour of curve index d, as the fill computes it. */
uint32_t qhb_volume_voxel(const struct qhb_volume_job *j, uint64_t d);
/* Level l+1 of vox from level l, for every l < lod.  Cannot fail. */
void qhb_volume_mip(const struct qhb_volume_shape *s, uint32_t *vox);

/* A GPU fill: returns 0, or -1 with e (the caller may fall back to the
 * CPU).  Set by the program when it has a device. */
typedef int qhb_volume_gpu_fn(void *arg, const struct qhb_volume_job *j,
    struct qhb_err *e);

/*
 * Functions used to turn snapshot frames into volume frames.
 */
struct qhb_volume_opts {
	unsigned dim;                 /* 2 or 3 */
	uint64_t unit;                /* bytes per voxel */
	unsigned lod;
	enum qhb_scheme scheme;
	const struct qhb_regions *regions;  /* borrowed, or NULL */
	qhb_volume_gpu_fn *gpu;       /* NULL: the CPU fills */
	void *gpu_arg;
	uint64_t max_ram;             /* largest RAM accepted; 0: no limit */
};

struct qhb_volume_stats {
	uint64_t frames, full_frames, delta_frames;
	uint64_t voxels_out;          /* voxels written, all frames */
	uint64_t fill_ns;             /* level 0 fills of full frames */
	uint64_t gpu_fills, cpu_fills;
};

struct qhb_volumizer;

/* NULL with e on bad options or no memory. */
struct qhb_volumizer *qhb_volumizer_new(const struct qhb_volume_opts *o,
    struct qhb_err *e);
/* Applies a snapshot or snapshot delta frame and writes the volume frame
 * for it to w: a full frame for a full snapshot, a delta for a delta.
 * Returns 0, or -1 with e filled (the volumizer then needs a full frame). */
int qhb_volumizer_put(struct qhb_volumizer *v, const struct qhb_frame *in,
    struct qhb_writer *w, struct qhb_err *e);
/* Puts every frame r gives (its filter set to snapshot kinds by the
 * caller) until the end of the stream.  Returns 0, or -1 with e filled;
 * "no snapshot frame" when r gave none. */
int qhb_volumizer_run(struct qhb_volumizer *v, struct qhb_reader *r,
    struct qhb_writer *w, struct qhb_err *e);
const struct qhb_volume_stats *qhb_volumizer_stats(
    const struct qhb_volumizer *v);
void qhb_volumizer_free(struct qhb_volumizer *v);

/*
 * Functions used to read volume frames back.
 */
struct qhb_volume_info {
	struct qhb_volume_shape shape;
	enum qhb_scheme scheme;
	int delta;
	uint64_t seq, base_seq;
	uint64_t runs, changed;       /* delta frames */
	const char *legend;           /* in the frame's metadata */
};
/* Checks every field of a volume or delta volume frame against the others
 * and the payload.  Returns 0, or -1 with e naming the field or byte. */
int qhb_volume_check(const struct qhb_frame *f, struct qhb_volume_info *info,
    struct qhb_err *e);

/* A volume rebuilt from frames.  Zero-initialize; release with
 * qhb_volume_release(). */
struct qhb_volume {
	struct qhb_volume_info info;  /* legend not kept */
	uint32_t *vox;                /* info.shape.total voxels */
	uint64_t frames;
	uint64_t max_voxels;          /* largest volume accepted; 0: no limit */
};
/* Applies a full or delta volume frame.  Returns 0, or -1 with e and v
 * unchanged. */
int qhb_volume_apply(struct qhb_volume *v, const struct qhb_frame *f,
    struct qhb_err *e);
void qhb_volume_release(struct qhb_volume *v);

#endif
