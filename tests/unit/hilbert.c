/* Unit tests of common/hilbert: Skilling's transform reproduced on small
 * orders, bijection and unit steps of the curve and of every box, both
 * directions, and the tile fast path against the direct transform. */
#include <stdlib.h>
#include <string.h>

#include "hilbert.h"
#include "unit.h"

/* Published values of Skilling's curve: 2D order 1 visits (0,0), (0,1),
 * (1,1), (1,0); order 3 puts index 36 at (4,6). */
static void test_reference(void)
{
	static const uint32_t o1[4][2] = { { 0, 0 }, { 0, 1 }, { 1, 1 }, { 1, 0 } };
	uint32_t x[3];

	for (unsigned d = 0; d < 4; d++) {
		qhb_hilbert_d2axes(d, 2, 1, x);
		CHECKF(x[0] == o1[d][0] && x[1] == o1[d][1], "d %u: %u %u", d,
		    x[0], x[1]);
		CHECK(qhb_hilbert_axes2d(x, 2, 1) == d);
	}
	x[0] = 4;
	x[1] = 6;
	CHECK(qhb_hilbert_axes2d(x, 2, 3) == 36);
	qhb_hilbert_d2axes(36, 2, 3, x);
	CHECK(x[0] == 4 && x[1] == 6);
	/* 3D order 1 is the Gray code walk of the cube's corners, starting at
	 * the origin; x carries the highest index bit. */
	qhb_hilbert_d2axes(0, 3, 1, x);
	CHECK(x[0] == 0 && x[1] == 0 && x[2] == 0);
	qhb_hilbert_d2axes(7, 3, 1, x);
	CHECK(x[0] + x[1] + x[2] == 1);
}

static int step1(const uint32_t *a, const uint32_t *b)
{
	unsigned s = 0;

	for (int i = 0; i < 3; i++)
		s += a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
	return s == 1;
}

/* One cube of each small order: bijection, inverse, unit steps. */
static void test_cube(void)
{
	for (unsigned dim = 2; dim <= 3; dim++) {
		unsigned maxo = dim == 2 ? 7 : 5;
		for (unsigned o = 1; o <= maxo; o++) {
			uint64_t n = UINT64_C(1) << (dim * o);
			uint8_t *seen = calloc(n, 1);
			uint32_t prev[3] = { 0 }, x[3] = { 0 };
			for (uint64_t d = 0; d < n; d++) {
				uint64_t lin = 0;
				qhb_hilbert_d2axes(d, dim, o, x);
				for (unsigned i = dim; i-- > 0;) {
					CHECK(x[i] < (1u << o));
					lin = (lin << o) | x[i];
				}
				CHECKF(!seen[lin], "dim %u order %u d %llu twice", dim,
				    o, (unsigned long long)d);
				seen[lin] = 1;
				CHECK(qhb_hilbert_axes2d(x, dim, o) == d);
				if (d > 0)
					CHECKF(step1(prev, x), "dim %u order %u d %llu",
					    dim, o, (unsigned long long)d);
				memcpy(prev, x, sizeof(x));
			}
			free(seen);
		}
	}
}

/* Large orders round trip. */
static void test_large(void)
{
	uint64_t s = 88172645463325252ull;
	uint32_t x[3];

	for (int i = 0; i < 20000; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		uint64_t d3 = s >> 1, d2 = s;     /* 63 and 64 bits */
		qhb_hilbert_d2axes(d3, 3, 21, x);
		CHECK(qhb_hilbert_axes2d(x, 3, 21) == d3);
		qhb_hilbert_d2axes(d2, 2, 32, x);
		CHECK(qhb_hilbert_axes2d(x, 2, 32) == d2);
	}
}

/* Every box up to 2^14 voxels: size, bijection, inverse, unit steps across
 * cube boundaries, and tiles equal to the direct transform. */
static void test_boxes(void)
{
	static struct qhb_hilbert_tile t;
	struct qhb_err e = { 0 };
	struct qhb_hilbert h;

	for (unsigned dim = 2; dim <= 3; dim++) {
		for (unsigned m = 0; m <= 14; m++) {
			uint64_t n = UINT64_C(1) << m;
			uint8_t *seen;
			uint32_t prev[3] = { 0 }, x[3];
			CHECK(qhb_hilbert_init(&h, dim, n, &e) == 0);
			CHECKF(h.voxels == n, "dim %u m %u: %llu", dim, m,
			    (unsigned long long)h.voxels);
			CHECK(h.cubes == 1u << (m % dim));
			seen = calloc(n, 1);
			for (uint64_t d = 0; d < n; d++) {
				qhb_hilbert_d2xyz(&h, d, x);
				CHECK(x[0] < h.size[0] && x[1] < h.size[1] &&
				    x[2] < h.size[2]);
				uint64_t lin = x[0] + (uint64_t)x[1] * h.size[0] +
				    (uint64_t)x[2] * h.size[0] * h.size[1];
				CHECK(!seen[lin]);
				seen[lin] = 1;
				CHECKF(qhb_hilbert_xyz2d(&h, x) == d, "dim %u m %u d %llu",
				    dim, m, (unsigned long long)d);
				if (d > 0)
					CHECKF(step1(prev, x), "dim %u m %u d %llu: step",
					    dim, m, (unsigned long long)d);
				memcpy(prev, x, sizeof(x));
			}
			qhb_hilbert_tile_init(&t, &h);
			for (uint64_t k = 0; k < n / t.n; k++) {
				int64_t base, step[3];
				qhb_hilbert_tile_place(&h, &t, k, &base, step);
				for (uint32_t j = 0; j < t.n; j++) {
					qhb_hilbert_d2xyz(&h, k * t.n + j, x);
					int64_t lin = x[0] + (int64_t)x[1] * h.size[0] +
					    (int64_t)x[2] * h.size[0] * h.size[1];
					CHECKF(base + t.c[j][0] * step[0] +
					    t.c[j][1] * step[1] + t.c[j][2] * step[2] == lin,
					    "dim %u m %u tile %llu j %u", dim, m,
					    (unsigned long long)k, j);
				}
			}
			free(seen);
		}
	}
	/* The demo guest: 128 MiB at 4 bytes is two 256^3 cubes. */
	CHECK(qhb_hilbert_init(&h, 3, UINT64_C(1) << 25, &e) == 0);
	CHECK(h.size[0] == 512 && h.size[1] == 256 && h.size[2] == 256);
	CHECK(qhb_hilbert_init(&h, 3, 3, &e) == 0 && h.voxels == 4);
	CHECK(qhb_hilbert_init(&h, 4, 8, &e) == -1);
	CHECK(qhb_hilbert_init(&h, 3, 0, &e) == -1);
}

/* The lines of --map and --inverse: the numbers, blanks, the bounds of
 * the curve, and the output left alone on failure. */
static void test_lines(void)
{
	struct qhb_err e = { 0 };
	uint32_t x[3] = { 7, 7, 7 };
	uint64_t d = 7;

	CHECK(qhb_hilbert_parse_index("4095\n", 3, 4, &d, &e) == 0 && d == 4095);
	CHECK(qhb_hilbert_parse_index("0x10 \r\n", 3, 4, &d, &e) == 0 && d == 16);
	CHECK(qhb_hilbert_parse_index("18446744073709551615", 2, 32, &d,
	    &e) == 0 && d == UINT64_MAX);
	d = 7;
	CHECK(qhb_hilbert_parse_index("4096\n", 3, 4, &d, &e) == -1 && d == 7);
	CHECK(strcmp(e.msg, "expected a curve index from 0 to 4095") == 0);
	CHECK(qhb_hilbert_parse_index("-1", 3, 4, &d, &e) == -1);
	CHECK(qhb_hilbert_parse_index("", 3, 4, &d, &e) == -1);
	CHECK(qhb_hilbert_parse_index("1 2", 3, 4, &d, &e) == -1 && d == 7);
	CHECK(qhb_hilbert_parse_axes(" 1\t2  15\n", 3, 4, x, &e) == 0 &&
	    x[0] == 1 && x[1] == 2 && x[2] == 15);
	CHECK(qhb_hilbert_parse_axes("4294967295 0", 2, 32, x, &e) == 0 &&
	    x[0] == UINT32_MAX && x[1] == 0);
	x[0] = x[1] = x[2] = 7;
	CHECK(qhb_hilbert_parse_axes("1 16 0\n", 3, 4, x, &e) == -1 &&
	    x[0] == 7 && x[1] == 7 && x[2] == 7);
	CHECK(strcmp(e.msg, "expected 3 coordinates from 0 to 15") == 0);
	CHECK(qhb_hilbert_parse_axes("1 2", 3, 4, x, &e) == -1);
	CHECK(qhb_hilbert_parse_axes("1 2 3 4", 3, 4, x, &e) == -1);
	CHECK(qhb_hilbert_parse_axes("1,2", 2, 4, x, &e) == -1 && x[0] == 7);
}

void unit_main(void)
{
	UNIT_RUN(test_reference);
	UNIT_RUN(test_cube);
	UNIT_RUN(test_large);
	UNIT_RUN(test_boxes);
	UNIT_RUN(test_lines);
}
