/*
 * hilbert -- Skilling's Hilbert curve, and the volume boxes qhb lays guest
 * RAM out in.
 *
 * The curve is John Skilling's transform ("Programming the Hilbert curve",
 * AIP Conf. Proc. 707, 2004): a curve index is written in its transposed
 * form (bit j of axis i holds index bit j*dim + dim-1-i) and mapped to axes
 * and back by Gray coding and the "undo excess work" exchanges, in 2D and
 * 3D, any order.  Axis 0 is x, 1 is y, 2 is z.
 *
 * A volume box chains one, two or four cubes of one order side by side
 * (N x N x N, 2N x N x N, 2N x 2N x N; in 2D N x N or 2N x N), each a copy
 * of Skilling's curve turned, mirrored or reversed so that the chain steps
 * by one unit between cubes; any power-of-two number of voxels fills its box
 * exactly.  This module knows nothing of RAM, colours or streams.
 */
#ifndef QHB_HILBERT_H
#define QHB_HILBERT_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"

#define QHB_HILBERT_MAX_VOXELS  (UINT64_C(1) << 36)

/*
 * Functions used for one cube of Skilling's curve: dim 2 or 3 axes of
 * order bits each, dim * order <= 64.  They cannot fail.
 */
/* Curve index d to axes x[0..dim). */
void qhb_hilbert_d2axes(uint64_t d, unsigned dim, unsigned order,
    uint32_t *x);
/* Axes x[0..dim) (each < 2^order) to the curve index. */
uint64_t qhb_hilbert_axes2d(const uint32_t *x, unsigned dim, unsigned order);

/*
 * Functions used to read one line of qhb-hilbert --map or --inverse (dim
 * and order as above): whole numbers, blanks (space, tab, CR, LF) around
 * and between them.  Each returns 0, or -1 with e saying what was
 * expected and the output left unchanged.
 */
/* "INDEX": a curve index (decimal, 0x hexadecimal, 0 octal) of at most
 * 2^(dim*order) - 1, into *d. */
int qhb_hilbert_parse_index(const char *s, unsigned dim, unsigned order,
    uint64_t *d, struct qhb_err *e);
/* "X Y" or "X Y Z": dim decimal axes, each below 2^order, into x. */
int qhb_hilbert_parse_axes(const char *s, unsigned dim, unsigned order,
    uint32_t *x, struct qhb_err *e);
/* qhb-hilbert --map (inverse 0: an index a line to axes) or --inverse (1:
 * axes to an index), every line of in to a line of out, named in_name in
 * errors.  Returns 0, or -1 with e at the first bad line ("line N: ...",
 * the lines before it written) or a read error; out's own errors are its
 * error flag's, for the caller's final check. */
int qhb_hilbert_map_lines(FILE *in, const char *in_name, FILE *out,
    int inverse, unsigned dim, unsigned order, struct qhb_err *e);

/* How one cube of a box is placed: world axis a takes canonical axis
 * perm[a], mirrored when bit a of flip is set, shifted by origin[a]; with
 * reverse the cube is walked from its curve's end. */
struct qhb_hilbert_place {
	unsigned perm[3];
	unsigned flip;
	int reverse;
	uint32_t origin[3];
};

struct qhb_hilbert {
	unsigned dim;           /* 2 or 3 */
	unsigned order;         /* bits per axis of one cube */
	unsigned cubes;         /* 1, 2 or 4 */
	uint64_t side;          /* 2^order */
	uint64_t cube_voxels;   /* side^dim */
	uint32_t size[3];       /* box in voxels; size[2] is 1 in 2D */
	uint64_t voxels;        /* size[0] * size[1] * size[2] */
	struct qhb_hilbert_place place[4];
};

/*
 * Functions used for a box.
 */
/* Fills h with the smallest box of dim axes holding n voxels (n >= 1,
 * rounded up to a power of two, at most QHB_HILBERT_MAX_VOXELS).  Returns 0,
 * or -1 with e filled and h unchanged. */
int qhb_hilbert_init(struct qhb_hilbert *h, unsigned dim, uint64_t n,
    struct qhb_err *e);
/* Box position of curve index d < h->voxels, into xyz[0..3). */
void qhb_hilbert_d2xyz(const struct qhb_hilbert *h, uint64_t d,
    uint32_t *xyz);
/* Curve index of the voxel at xyz, which must lie in the box. */
uint64_t qhb_hilbert_xyz2d(const struct qhb_hilbert *h, const uint32_t *xyz);

/*
 * Tiles: consecutive curve indices [t * 2^(dim*bits), ...) fill a small
 * aligned cube that is a turned copy of Skilling's curve of order bits, so
 * a whole tile is placed from one computed corner and three axis steps.
 * This is the fast path for filling a volume.
 */
#define QHB_HILBERT_TILE_MAX 4096

struct qhb_hilbert_tile {
	unsigned bits;                  /* tile order */
	uint32_t n;                     /* 2^(dim*bits) indices per tile */
	uint8_t c[QHB_HILBERT_TILE_MAX][3];   /* canonical tile axes */
	uint32_t ref[3];                /* index of the unit step on each axis */
};
/* Prepares tiles for h.  Cannot fail. */
void qhb_hilbert_tile_init(struct qhb_hilbert_tile *t,
    const struct qhb_hilbert *h);
/* For tile number k: the x-fastest linear index of its index 0 and the
 * linear steps of its canonical axes, so that tile index j lies at
 * base + c[j][0]*step[0] + c[j][1]*step[1] + c[j][2]*step[2]. */
void qhb_hilbert_tile_place(const struct qhb_hilbert *h,
    const struct qhb_hilbert_tile *t, uint64_t k, int64_t *base,
    int64_t *step);

#endif
