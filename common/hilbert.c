/*
 * hilbert -- Skilling's Hilbert curve and qhb's volume boxes.  See
 * hilbert.h.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hilbert.h"
#include "infile.h"

/*
 * Skilling's transform between the transposed index and the axes, in
 * place, on dim axes of b bits (b >= 1).
 */
static void transpose_to_axes(uint32_t *x, unsigned b, unsigned dim)
{
	uint32_t top = (uint32_t)1 << (b - 1), q, p, t;
	unsigned i;

	/* Gray decode: h ^ (h >> 1) across the transposed words. */
	t = x[dim - 1] >> 1;
	for (i = dim - 1; i > 0; i--)
		x[i] ^= x[i - 1];
	x[0] ^= t;
	/* Undo the excess work, lowest bit plane upward. */
	for (q = 2; q != 0 && q <= top; q <<= 1) {
		p = q - 1;
		for (i = dim; i-- > 0;) {
			if (x[i] & q) {
				x[0] ^= p;
			} else {
				t = (x[0] ^ x[i]) & p;
				x[0] ^= t;
				x[i] ^= t;
			}
		}
	}
}

static void axes_to_transpose(uint32_t *x, unsigned b, unsigned dim)
{
	uint32_t top = (uint32_t)1 << (b - 1), q, p, t;
	unsigned i;

	/* The inverse of the undo, highest bit plane downward. */
	for (q = top; q > 1; q >>= 1) {
		p = q - 1;
		for (i = 0; i < dim; i++) {
			if (x[i] & q) {
				x[0] ^= p;
			} else {
				t = (x[0] ^ x[i]) & p;
				x[0] ^= t;
				x[i] ^= t;
			}
		}
	}
	/* Gray encode. */
	for (i = 1; i < dim; i++)
		x[i] ^= x[i - 1];
	t = 0;
	for (q = top; q > 1; q >>= 1)
		if (x[dim - 1] & q)
			t ^= q - 1;
	for (i = 0; i < dim; i++)
		x[i] ^= t;
}

void qhb_hilbert_d2axes(uint64_t d, unsigned dim, unsigned order,
    uint32_t *x)
{
	unsigned i, q;

	for (i = 0; i < dim; i++)
		x[i] = 0;
	if (order == 0)
		return;
	/* Index bit q*dim + dim-1-i is bit q of transposed word i. */
	for (q = 0; q < order; q++)
		for (i = 0; i < dim; i++)
			x[i] |= (uint32_t)((d >> (q * dim + dim - 1 - i)) & 1) << q;
	transpose_to_axes(x, order, dim);
}

uint64_t qhb_hilbert_axes2d(const uint32_t *in, unsigned dim, unsigned order)
{
	uint32_t x[3];
	uint64_t d = 0;
	unsigned i, q;

	if (order == 0)
		return 0;
	for (i = 0; i < dim; i++)
		x[i] = in[i];
	axes_to_transpose(x, order, dim);
	for (q = 0; q < order; q++)
		for (i = 0; i < dim; i++)
			d |= (uint64_t)((x[i] >> q) & 1) << (q * dim + dim - 1 - i);
	return d;
}

/* World position of local index l of a cube placed by pl. */
static void place_point(const struct qhb_hilbert *h,
    const struct qhb_hilbert_place *pl, uint64_t l, uint32_t *out)
{
	uint32_t c[3] = { 0, 0, 0 };
	unsigned a;

	if (pl->reverse)
		l = h->cube_voxels - 1 - l;
	qhb_hilbert_d2axes(l, h->dim, h->order, c);
	for (a = 0; a < h->dim; a++) {
		uint32_t v = c[pl->perm[a]];
		if (pl->flip & (1u << a))
			v = (uint32_t)(h->side - 1) - v;
		out[a] = pl->origin[a] + v;
	}
	if (h->dim == 2)
		out[2] = 0;
}

static int adjacent(const uint32_t *a, const uint32_t *b, unsigned dim)
{
	unsigned i, diff = 0;

	for (i = 0; i < dim; i++) {
		uint32_t d = a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
		if (d > 1)
			return 0;
		diff += d;
	}
	return diff == 1;
}

static const unsigned perms3[6][3] = {
	{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 },
	{ 2, 1, 0 },
};
static const unsigned perms2[2][3] = { { 0, 1, 2 }, { 1, 0, 2 } };

/* Depth-first search for placements of cubes i.. that continue the chain
 * from the end of cube i-1.  Tries the plainest placement first, so the
 * result is fixed. */
static int chain(struct qhb_hilbert *h, unsigned i, const uint32_t origin[][3])
{
	unsigned np = h->dim == 3 ? 6 : 2, nf = 1u << h->dim;
	uint32_t first[3], prev[3];

	if (i == h->cubes)
		return 1;
	if (i > 0)
		place_point(h, &h->place[i - 1], h->cube_voxels - 1, prev);
	for (int rev = 0; rev < 2; rev++) {
		for (unsigned p = 0; p < np; p++) {
			for (unsigned f = 0; f < nf; f++) {
				struct qhb_hilbert_place *pl = &h->place[i];
				memcpy(pl->perm, h->dim == 3 ? perms3[p] : perms2[p],
				    sizeof(pl->perm));
				pl->flip = f;
				pl->reverse = rev;
				memcpy(pl->origin, origin[i], sizeof(pl->origin));
				place_point(h, pl, 0, first);
				if (i > 0 && !adjacent(prev, first, h->dim))
					continue;
				if (chain(h, i + 1, origin))
					return 1;
			}
		}
	}
	return 0;
}

int qhb_hilbert_init(struct qhb_hilbert *h, unsigned dim, uint64_t n,
    struct qhb_err *e)
{
	struct qhb_hilbert t;
	uint32_t origin[4][3];
	unsigned m = 0;

	if (dim != 2 && dim != 3)
		return qhb_err_set(e, "dimension %u: expected 2 or 3", dim);
	if (n == 0 || n > QHB_HILBERT_MAX_VOXELS)
		return qhb_err_set(e, "%llu voxels: expected 1 to 2^36",
		    (unsigned long long)n);
	while ((UINT64_C(1) << m) < n)
		m++;
	memset(&t, 0, sizeof(t));
	memset(origin, 0, sizeof(origin));
	t.dim = dim;
	t.order = m / dim;
	t.cubes = 1u << (m % dim);
	t.side = UINT64_C(1) << t.order;
	t.cube_voxels = UINT64_C(1) << (t.order * dim);
	t.size[0] = t.size[1] = (uint32_t)t.side;
	t.size[2] = dim == 3 ? (uint32_t)t.side : 1;
	if (t.cubes >= 2) {
		/* Two cubes side by side in x; four in a loop in x and y. */
		t.size[0] *= 2;
		if (t.cubes == 2) {
			origin[1][0] = (uint32_t)t.side;
		} else {
			t.size[1] *= 2;
			origin[1][1] = (uint32_t)t.side;
			origin[2][0] = origin[2][1] = (uint32_t)t.side;
			origin[3][0] = (uint32_t)t.side;
		}
	}
	t.voxels = (uint64_t)t.size[0] * t.size[1] * t.size[2];
	if (!chain(&t, 0, origin))
		return qhb_err_set(e, "no continuous chain of %u cubes", t.cubes);
	*h = t;
	return 0;
}

void qhb_hilbert_d2xyz(const struct qhb_hilbert *h, uint64_t d,
    uint32_t *xyz)
{
	unsigned cube = (unsigned)(d >> (h->order * h->dim));

	place_point(h, &h->place[cube], d & (h->cube_voxels - 1), xyz);
}

uint64_t qhb_hilbert_xyz2d(const struct qhb_hilbert *h, const uint32_t *xyz)
{
	unsigned cube = 0, a;
	uint32_t c[3] = { 0, 0, 0 };
	const struct qhb_hilbert_place *pl;
	uint64_t l;

	for (cube = 0; cube + 1 < h->cubes; cube++) {
		pl = &h->place[cube];
		if (xyz[0] - pl->origin[0] < h->side &&
		    xyz[1] - pl->origin[1] < h->side)
			break;
	}
	pl = &h->place[cube];
	for (a = 0; a < h->dim; a++) {
		uint32_t v = xyz[a] - pl->origin[a];
		if (pl->flip & (1u << a))
			v = (uint32_t)(h->side - 1) - v;
		c[pl->perm[a]] = v;
	}
	l = qhb_hilbert_axes2d(c, h->dim, h->order);
	if (pl->reverse)
		l = h->cube_voxels - 1 - l;
	return ((uint64_t)cube << (h->order * h->dim)) | l;
}

void qhb_hilbert_tile_init(struct qhb_hilbert_tile *t,
    const struct qhb_hilbert *h)
{
	unsigned b = h->dim == 3 ? 4 : 6;
	uint32_t x[3];

	if (b > h->order)
		b = h->order;
	memset(t, 0, sizeof(*t));
	t->bits = b;
	t->n = (uint32_t)1 << (b * h->dim);
	for (uint32_t j = 0; j < t->n; j++) {
		x[2] = 0;
		qhb_hilbert_d2axes(j, h->dim, b, x);
		for (unsigned a = 0; a < 3; a++) {
			t->c[j][a] = (uint8_t)x[a];
			if (x[a] == 1 && x[(a + 1) % 3] == 0 &&
			    x[(a + 2) % 3] == 0)
				t->ref[a] = j;
		}
	}
}

void qhb_hilbert_tile_place(const struct qhb_hilbert *h,
    const struct qhb_hilbert_tile *t, uint64_t k, int64_t *base,
    int64_t *step)
{
	int64_t sx = h->size[0], sxy = (int64_t)h->size[0] * h->size[1];
	uint64_t d0 = k * t->n;
	uint32_t p0[3], p[3];

	qhb_hilbert_d2xyz(h, d0, p0);
	*base = p0[0] + p0[1] * sx + p0[2] * sxy;
	for (unsigned a = 0; a < 3; a++) {
		if (t->bits == 0 || (a == 2 && h->dim == 2)) {
			step[a] = 0;
			continue;
		}
		qhb_hilbert_d2xyz(h, d0 + t->ref[a], p);
		step[a] = ((int64_t)p[0] - p0[0]) +
		    ((int64_t)p[1] - p0[1]) * sx + ((int64_t)p[2] - p0[2]) * sxy;
	}
}

/*
 * Curve positions as text.  strtoull's leniency is kept on purpose (blanks
 * before a number, a '+'): these are the lines qhb-hilbert has always
 * read, and scripts feed it.
 */

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* True when s, past the white space strtoull skips, is a minus sign:
 * strtoull negates " -5" into 2^64 - 5, a wrap that is no index. */
static int negative(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return *s == '-';
}

int qhb_hilbert_parse_index(const char *s, unsigned dim, unsigned order,
    uint64_t *d, struct qhb_err *e)
{
	uint64_t max = order * dim == 64 ? UINT64_MAX :
	    (UINT64_C(1) << (order * dim)) - 1, v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	while (is_blank(*end))
		end++;
	if (errno || end == s || *end || negative(s) || v > max)
		return qhb_err_set(e, "expected a curve index from 0 to %" PRIu64,
		    max);
	*d = v;
	return 0;
}

int qhb_hilbert_parse_axes(const char *s, unsigned dim, unsigned order,
    uint32_t *x, struct qhb_err *e)
{
	const char *p = s;
	uint32_t v[3];
	unsigned i;

	for (i = 0; i < dim; i++) {
		unsigned long long c;
		char *end;

		errno = 0;
		c = strtoull(p, &end, 10);
		if (errno || end == p || negative(p) ||
		    (order < 32 && c >> order) || c > UINT32_MAX)
			break;
		v[i] = (uint32_t)c;
		p = end;
	}
	while (is_blank(*p))
		p++;
	if (i < dim || *p)
		return qhb_err_set(e, "expected %u coordinates from 0 to %" PRIu64,
		    dim, (UINT64_C(1) << order) - 1);
	memcpy(x, v, dim * sizeof(*x));
	return 0;
}

int qhb_hilbert_map_lines(FILE *in, const char *in_name, FILE *out,
    int inverse, unsigned dim, unsigned order, struct qhb_err *e)
{
	char *line = NULL;
	size_t cap = 0;
	uint64_t lineno = 0, d;
	uint32_t x[3];
	long n;
	int rc = 0;

	while ((n = qhb_infile_line(in, &line, &cap, 4096, e)) != -1) {
		lineno++;
		if (n == -2 || (inverse ? qhb_hilbert_parse_axes(line, dim, order,
		    x, e) : qhb_hilbert_parse_index(line, dim, order, &d, e))) {
			rc = qhb_err_prefix(e, "line %" PRIu64 ": ", lineno);
			break;
		}
		if (inverse) {
			fprintf(out, "%" PRIu64 "\n", qhb_hilbert_axes2d(x, dim,
			    order));
			continue;
		}
		qhb_hilbert_d2axes(d, dim, order, x);
		if (dim == 2)
			fprintf(out, "%u %u\n", x[0], x[1]);
		else
			fprintf(out, "%u %u %u\n", x[0], x[1], x[2]);
	}
	free(line);
	if (rc == 0 && ferror(in))
		rc = qhb_err_set(e, "%s", strerror(errno));
	if (rc < 0)
		qhb_err_path(e, in_name);
	return rc;
}
