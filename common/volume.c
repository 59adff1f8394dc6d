/*
 * volume -- guest RAM as a Hilbert-curve voxel volume, and volume frames.
 * See volume.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <immintrin.h>
#include <unistd.h>

#include "classify.h"
#include "image.h"
#include "snap.h"
#include "volume.h"

static const char *const scheme_names[] = { "class", "entropy", "value", "heat" };

const char *qhb_scheme_name(enum qhb_scheme s)
{
	return (unsigned)s < 4 ? scheme_names[s] : NULL;
}

int qhb_scheme_parse(const char *name, enum qhb_scheme *s)
{
	for (unsigned i = 0; i < 4; i++)
		if (strcmp(name, scheme_names[i]) == 0) {
			*s = (enum qhb_scheme)i;
			return 0;
		}
	return -1;
}

int qhb_volume_unit_ok(uint64_t unit)
{
	return unit == 1 || unit == 4 || unit == 16 || unit == 64 ||
	    unit == 4096;
}

int qhb_volume_shape_init(struct qhb_volume_shape *s, unsigned dim,
    uint64_t unit, uint64_t ram_size, unsigned lod, struct qhb_err *e)
{
	struct qhb_volume_shape t;
	unsigned l, maxlod = 0;

	memset(&t, 0, sizeof(t));
	if (!qhb_volume_unit_ok(unit))
		return qhb_err_set(e, "unit %llu: expected 1, 4, 16, 64 or 4096",
		    (unsigned long long)unit);
	if (ram_size == 0 || ram_size % unit != 0)
		return qhb_err_set(e, "RAM size %llu: expected a non-zero "
		    "multiple of the unit, %llu", (unsigned long long)ram_size,
		    (unsigned long long)unit);
	if (qhb_hilbert_init(&t.h, dim, ram_size / unit, e))
		return -1;
	t.unit = unit;
	t.ram_size = ram_size;
	t.ram_voxels = ram_size / unit;
	while ((UINT64_C(1) << maxlod) < t.h.size[0] ||
	    (UINT64_C(1) << maxlod) < t.h.size[1] ||
	    (UINT64_C(1) << maxlod) < t.h.size[2])
		maxlod++;
	if (lod > maxlod || lod > QHB_VOLUME_MAX_LOD)
		return qhb_err_set(e, "%u mip levels: this %ux%ux%u volume has "
		    "at most %u", lod, t.h.size[0], t.h.size[1], t.h.size[2],
		    maxlod);
	t.lod = lod;
	memcpy(t.lsize[0], t.h.size, sizeof(t.lsize[0]));
	for (l = 0; l <= lod; l++) {
		if (l > 0)
			for (unsigned a = 0; a < 3; a++)
				t.lsize[l][a] = t.lsize[l - 1][a] > 1 ?
				    t.lsize[l - 1][a] / 2 : 1;
		t.loff[l + 1] = t.loff[l] +
		    (uint64_t)t.lsize[l][0] * t.lsize[l][1] * t.lsize[l][2];
	}
	t.total = t.loff[lod + 1];
	*s = t;
	return 0;
}

int qhb_volume_locate(const struct qhb_volume_shape *s, uint64_t addr,
    uint32_t *xyz, struct qhb_err *e)
{
	if (addr >= s->ram_size)
		return qhb_err_set(e, "address 0x%llx: past the RAM's end, 0x%llx",
		    (unsigned long long)addr, (unsigned long long)s->ram_size);
	qhb_hilbert_d2xyz(&s->h, addr / s->unit, xyz);
	return 0;
}

int qhb_volume_address(const struct qhb_volume_shape *s, const uint32_t *xyz,
    uint64_t *addr, struct qhb_err *e)
{
	uint64_t d;

	if (xyz[0] >= s->h.size[0] || xyz[1] >= s->h.size[1] ||
	    xyz[2] >= s->h.size[2])
		return qhb_err_set(e, "voxel %u,%u,%u: outside the %ux%ux%u box",
		    xyz[0], xyz[1], xyz[2], s->h.size[0], s->h.size[1],
		    s->h.size[2]);
	d = qhb_hilbert_xyz2d(&s->h, xyz);
	if (d >= s->ram_voxels)
		return qhb_err_set(e, "voxel %u,%u,%u: padding past the RAM's "
		    "end", xyz[0], xyz[1], xyz[2]);
	*addr = d * s->unit;
	return 0;
}

/*
 * Colours.
 */
#define RGBA(r, g, b, a) ((uint32_t)(r) | (uint32_t)(g) << 8 | \
    (uint32_t)(b) << 16 | (uint32_t)(a) << 24)

static const uint32_t class_rgba[QHB_CLASS_COUNT] = {
	[QHB_CLASS_ZERO] = RGBA(0, 0, 0, 0),
	[QHB_CLASS_FILL] = RGBA(255, 255, 255, 48),
	[QHB_CLASS_TEXT] = RGBA(64, 200, 64, 255),
	[QHB_CLASS_CODE] = RGBA(230, 60, 60, 255),
	[QHB_CLASS_POINTER] = RGBA(60, 120, 240, 255),
	[QHB_CLASS_OTHER] = RGBA(150, 150, 150, 128),
};

static uint32_t entropy_rgba(unsigned l, int zero)
{
	unsigned r, g, b;

	if (zero)
		return 0;
	r = l < 128 ? 0 : (l - 128) * 2 > 255 ? 255 : (l - 128) * 2;
	g = l < 192 ? 0 : (l - 192) * 4 > 255 ? 255 : (l - 192) * 4;
	b = l < 128 ? l * 2 : (l - 128) * 2 > 255 ? 0 : 255 - (l - 128) * 2;
	return RGBA(r, g, b, 255);
}

static uint32_t heat_rgba(uint32_t count, int zero)
{
	unsigned l = 64, n = count;

	if (count == 0)
		return zero ? 0 : RGBA(48, 48, 48, 40);
	while (n > 1 && l < 255) {
		n >>= 1;
		l = l + 24 > 255 ? 255 : l + 24;
	}
	return RGBA(255, 255 - l, 0, l < 128 ? 128 : l);
}

static uint32_t tint(uint32_t c, uint32_t t)
{
	uint32_t rgb = ((c & 0xfefefe) >> 1) + ((t & 0xfefefe) >> 1);
	uint32_t a = c >> 24;

	return rgb | (a < 96 ? 96u : a) << 24;
}

uint32_t qhb_volume_voxel(const struct qhb_volume_job *j, uint64_t d)
{
	const struct qhb_volume_shape *s = j->shape;
	uint64_t off = d * s->unit, page;
	const uint8_t *p;
	uint32_t c, any;

	if (d >= s->ram_voxels)
		return 0;
	page = off / j->page_size;
	if (!j->value) {
		c = j->page_rgba[page];
	} else {
		p = j->ram + off;
		if (s->unit == 1) {
			c = p[0] ? RGBA(p[0], p[0], p[0], 255) : 0;
		} else {
			any = 0;
			for (uint64_t i = 0; i < s->unit; i += 4) {
				uint32_t w;
				memcpy(&w, p + i, 4);
				any |= w;
			}
			c = (p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16) |
			    (any ? 0xff000000u : 0);
		}
	}
	if (j->page_tint != NULL && j->page_tint[page] != 0)
		c = tint(c, j->page_tint[page]);
	return c;
}

/*
 * The fast fill.  A tile (common/hilbert.h) is a turned and mirrored copy
 * of the canonical tile curve: one of 48 orientations in 3D, 8 in 2D.  For
 * each orientation a table gives, for each voxel of the tile in x-fastest
 * order, its index along the tile's curve, so that a tile is written row by
 * row, whole cache lines, reading RAM within the tile's few kilobytes.
 */
struct gather {
	struct qhb_hilbert_tile t;
	unsigned dim, side;
	uint16_t idx[48][QHB_HILBERT_TILE_MAX];
	int ready[48];
};

/* Orientation of a tile from its steps: world axis and sign of each
 * canonical axis.  Returns the table number, or -1 (scatter instead). */
static int orient(const struct qhb_volume_shape *s, const int64_t *st,
    unsigned *wa, int *neg)
{
	int64_t sx = s->h.size[0], sxy = (int64_t)s->h.size[0] * s->h.size[1];
	unsigned used = 0, key = 0;

	for (unsigned a = 0; a < s->h.dim; a++) {
		int64_t m = st[a] < 0 ? -st[a] : st[a];
		neg[a] = st[a] < 0;
		if (m == 1)
			wa[a] = 0;
		else if (m == sx && s->h.size[1] > 1)
			wa[a] = 1;
		else if (m == sxy && s->h.dim == 3)
			wa[a] = 2;
		else
			return -1;
		if (used & (1u << wa[a]))
			return -1;
		used |= 1u << wa[a];
		key |= (unsigned)neg[a] << a;
	}
	/* Which of the 6 (or 2) permutations, then the 8 (or 4) mirrors. */
	key += 8 * (wa[0] * 2 + (s->h.dim == 3 && wa[1] > wa[2]));
	return (int)key;
}

static void gather_make(struct gather *g, int o, const unsigned *wa,
    const int *neg)
{
	static __thread uint16_t inv[QHB_HILBERT_TILE_MAX];
	unsigned T = g->side, w[3] = { 0, 0, 0 }, c[3];

	for (uint32_t j = 0; j < g->t.n; j++)
		inv[g->t.c[j][0] + T * (g->t.c[j][1] + T * g->t.c[j][2])] =
		    (uint16_t)j;
	for (uint32_t k = 0; k < g->t.n; k++) {
		w[0] = k % T;
		w[1] = k / T % T;
		w[2] = g->dim == 3 ? k / T / T : 0;
		c[2] = 0;
		for (unsigned a = 0; a < g->dim; a++)
			c[a] = neg[a] ? T - 1 - w[wa[a]] : w[wa[a]];
		g->idx[o][k] = inv[c[0] + T * (c[1] + T * c[2])];
	}
	g->ready[o] = 1;
}

/* 16-voxel rows of a tile with AVX2 gathers and streaming stores, for
 * CPUs that have it (checked at run time). */
__attribute__((target("avx2")))
static void rows_avx2(const uint32_t *w, const uint16_t *idx, uint32_t *out,
    int64_t sx, int64_t sxy, unsigned rows)
{
	const __m256i zero = _mm256_setzero_si256();
	const __m256i alpha = _mm256_set1_epi32((int)0xff000000u);

	for (unsigned r = 0; r < rows; r++) {
		uint32_t *row = out + (r % 16) * sx + (int64_t)(r / 16) * sxy;
		__m256i i0 = _mm256_cvtepu16_epi32(_mm_loadu_si128(
		    (const __m128i *)(const void *)idx));
		__m256i i1 = _mm256_cvtepu16_epi32(_mm_loadu_si128(
		    (const __m128i *)(const void *)(idx + 8)));
		__m256i g0 = _mm256_i32gather_epi32((const int *)w, i0, 4);
		__m256i g1 = _mm256_i32gather_epi32((const int *)w, i1, 4);
		g0 = _mm256_or_si256(g0, _mm256_andnot_si256(
		    _mm256_cmpeq_epi32(g0, zero), alpha));
		g1 = _mm256_or_si256(g1, _mm256_andnot_si256(
		    _mm256_cmpeq_epi32(g1, zero), alpha));
		_mm256_stream_si256((__m256i *)(void *)row, g0);
		_mm256_stream_si256((__m256i *)(void *)(row + 8), g1);
		/* The next tile's RAM, a line a row (256 rows, 16 KiB). */
		_mm_prefetch((const char *)(w + 4096) + 64 * r, _MM_HINT_T0);
		idx += 16;
	}
}

struct fill_arg {
	const struct qhb_volume_job *j;
	uint64_t k0, k1;
};

static void *fill_range(void *arg)
{
	const struct fill_arg *fa = arg;
	struct gather *g;
	const struct qhb_volume_job *j = fa->j;
	const struct qhb_volume_shape *s = j->shape;
	int64_t sx = s->h.size[0], sxy = (int64_t)s->h.size[0] * s->h.size[1];
	int fast = j->value && j->page_tint == NULL && s->unit == 4;
	int avx2 = __builtin_cpu_supports("avx2") && !getenv("QHB_NO_AVX2");

	/* Gather tables are made as orientations turn up, for this call;
	 * without memory for them, tiles are scattered voxel by voxel. */
	if ((g = malloc(sizeof(*g))) == NULL) {
		struct qhb_hilbert_tile tt;
		qhb_hilbert_tile_init(&tt, &s->h);
		for (uint64_t k = fa->k0; k < fa->k1; k++) {
			int64_t base, st[3];
			qhb_hilbert_tile_place(&s->h, &tt, k, &base, st);
			for (uint32_t i = 0; i < tt.n; i++)
				j->out[base + tt.c[i][0] * st[0] + tt.c[i][1] * st[1] +
				    tt.c[i][2] * st[2]] = qhb_volume_voxel(j, k * tt.n + i);
		}
		return NULL;
	}
	qhb_hilbert_tile_init(&g->t, &s->h);
	g->dim = s->h.dim;
	g->side = 1u << g->t.bits;
	memset(g->ready, 0, sizeof(g->ready));
	const struct qhb_hilbert_tile *t = &g->t;
	for (uint64_t k = fa->k0; k < fa->k1; k++) {
		int64_t base, st[3];
		uint64_t d0 = k * t->n;
		unsigned wa[3] = { 0, 0, 0 };
		int neg[3] = { 0, 0, 0 }, o;

		qhb_hilbert_tile_place(&s->h, t, k, &base, st);
		o = g->side >= 4 ? orient(s, st, wa, neg) : -1;
		if (o < 0) {
			uint32_t *out = j->out + base;
			for (uint32_t i = 0; i < t->n; i++)
				out[t->c[i][0] * st[0] + t->c[i][1] * st[1] +
				    t->c[i][2] * st[2]] = qhb_volume_voxel(j, d0 + i);
			continue;
		}
		if (!g->ready[o])
			gather_make(g, o, wa, neg);
		/* The tile's lowest corner. */
		for (unsigned a = 0; a < s->h.dim; a++)
			if (neg[a])
				base += (int64_t)(g->side - 1) * st[a];
		const uint16_t *idx = g->idx[o];
		unsigned T = g->side, rows = t->n / T;
		if (fast && d0 + t->n <= s->ram_voxels && T == 16 &&
		    ((uintptr_t)(j->out + base) & 63) == 0) {
			/* Whole 64-byte rows, streamed past the cache. */
			const uint32_t *w = (const uint32_t *)(const void *)
			    (j->ram + d0 * 4);
			if (avx2) {
				rows_avx2(w, idx, j->out + base, sx, sxy, rows);
				continue;
			}
			for (unsigned r = 0; r < rows; r++) {
				uint32_t *row = j->out + base + (r % T) * sx +
				    (int64_t)(r / T) * sxy;
				__m128i q[4];
				uint32_t v[16];
				for (unsigned x = 0; x < 16; x++) {
					uint32_t u = w[idx[x]];
					v[x] = u ? u | 0xff000000u : 0;
				}
				idx += 16;
				memcpy(q, v, sizeof(q));
				for (unsigned x = 0; x < 4; x++)
					_mm_stream_si128((__m128i *)(void *)row + x, q[x]);
				_mm_prefetch((const char *)(w + 4096) + 64 * r,
				    _MM_HINT_T0);
			}
		} else if (fast && d0 + t->n <= s->ram_voxels) {
			const uint32_t *w = (const uint32_t *)(const void *)
			    (j->ram + d0 * 4);
			for (unsigned r = 0; r < rows; r++) {
				uint32_t *row = j->out + base + (r % T) * sx +
				    (int64_t)(r / T) * sxy;
				for (unsigned x = 0; x < T; x++) {
					uint32_t v = w[*idx++];
					row[x] = v ? v | 0xff000000u : 0;
				}
			}
		} else {
			for (unsigned r = 0; r < rows; r++) {
				uint32_t *row = j->out + base + (r % T) * sx +
				    (int64_t)(r / T) * sxy;
				for (unsigned x = 0; x < T; x++)
					row[x] = qhb_volume_voxel(j, d0 + *idx++);
			}
		}
	}
	_mm_sfence();
	free(g);
	return NULL;
}

void qhb_volume_fill(const struct qhb_volume_job *j)
{
	struct qhb_hilbert_tile *t = malloc(sizeof(*t));
	struct fill_arg fa[16];
	pthread_t th[16];
	int started[16] = { 0 };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = j->threads ? j->threads : ncpu < 1 ? 1 : (unsigned)ncpu;
	uint64_t tiles;

	if (n > 16)
		n = 16;
	if (t == NULL) {
		/* No memory for threads' bookkeeping: one thread. */
		struct fill_arg one = { j, 0, 0 };
		struct qhb_hilbert_tile tt;
		qhb_hilbert_tile_init(&tt, &j->shape->h);
		one.k1 = j->shape->h.voxels / tt.n;
		fill_range(&one);
		return;
	}
	qhb_hilbert_tile_init(t, &j->shape->h);
	tiles = j->shape->h.voxels / t->n;
	free(t);
	if (tiles < 64 * n)
		n = 1;
	for (unsigned i = 0; i < n; i++) {
		fa[i].j = j;
		fa[i].k0 = tiles * i / n;
		fa[i].k1 = tiles * (i + 1) / n;
	}
	for (unsigned i = 1; i < n; i++)
		started[i] = pthread_create(&th[i], NULL, fill_range, &fa[i]) == 0;
	fill_range(&fa[0]);
	for (unsigned i = 1; i < n; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			fill_range(&fa[i]);
	}
}

/* Per-byte maximum of two rgba8 voxels. */
static uint32_t vmax(uint32_t a, uint32_t b)
{
	uint32_t r = 0;

	for (int i = 0; i < 32; i += 8) {
		uint32_t x = (a >> i) & 0xff, y = (b >> i) & 0xff;
		r |= (x > y ? x : y) << i;
	}
	return r;
}

/* Recomputes voxel (x, y, z) of level l + 1 from level l. */
static void mip_one(const struct qhb_volume_shape *s, uint32_t *vox,
    unsigned l, uint32_t x, uint32_t y, uint32_t z)
{
	const uint32_t *c = s->lsize[l], *p = s->lsize[l + 1];
	const uint32_t *src = vox + s->loff[l];
	uint32_t m = 0;

	for (uint32_t dz = 0; dz < 2; dz++)
		for (uint32_t dy = 0; dy < 2; dy++)
			for (uint32_t dx = 0; dx < 2; dx++) {
				uint64_t cx = 2 * x + dx, cy = 2 * y + dy, cz = 2 * z + dz;
				if (cx >= c[0] || cy >= c[1] || cz >= c[2])
					continue;
				m = vmax(m, src[cx + c[0] * (cy + c[1] * cz)]);
			}
	vox[s->loff[l + 1] + x + (uint64_t)p[0] * (y + (uint64_t)p[1] * z)] = m;
}

void qhb_volume_mip(const struct qhb_volume_shape *s, uint32_t *vox)
{
	for (unsigned l = 0; l < s->lod; l++)
		for (uint32_t z = 0; z < s->lsize[l + 1][2]; z++)
			for (uint32_t y = 0; y < s->lsize[l + 1][1]; y++)
				for (uint32_t x = 0; x < s->lsize[l + 1][0]; x++)
					mip_one(s, vox, l, x, y, z);
}

/*
 * The volumizer.
 */
struct qhb_volumizer {
	struct qhb_volume_opts o;
	struct qhb_image im;
	struct qhb_volume_shape shape;
	int have;                  /* shape, tables and vox match im */
	uint64_t seq;              /* of the last volume frame written */
	uint64_t pages;
	uint32_t *vox;             /* every level */
	uint32_t *page_rgba, *page_tint, *heat;
	uint64_t *mark;            /* a bit per voxel of every level */
	struct qhb_hilbert_tile tile;
	struct qhb_volume_stats st;
	char legend[4096];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct qhb_volumizer *qhb_volumizer_new(const struct qhb_volume_opts *o,
    struct qhb_err *e)
{
	struct qhb_volumizer *v;

	if (o->dim != 2 && o->dim != 3) {
		qhb_err_set(e, "dimension %u: expected 2 or 3", o->dim);
		return NULL;
	}
	if (!qhb_volume_unit_ok(o->unit)) {
		qhb_err_set(e, "unit %llu: expected 1, 4, 16, 64 or 4096",
		    (unsigned long long)o->unit);
		return NULL;
	}
	if (qhb_scheme_name(o->scheme) == NULL || o->lod > QHB_VOLUME_MAX_LOD) {
		qhb_err_set(e, "bad colour scheme or mip levels");
		return NULL;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		qhb_err_sys(e, "malloc");
		return NULL;
	}
	v->o = *o;
	v->im.max_size = o->max_ram;
	return v;
}

static void free_tables(struct qhb_volumizer *v)
{
	free(v->vox);
	free(v->page_rgba);
	free(v->page_tint);
	free(v->heat);
	free(v->mark);
	v->vox = v->page_rgba = v->page_tint = v->heat = NULL;
	v->mark = NULL;
	v->have = 0;
}

void qhb_volumizer_free(struct qhb_volumizer *v)
{
	if (v == NULL)
		return;
	free_tables(v);
	qhb_image_release(&v->im);
	free(v);
}

const struct qhb_volume_stats *qhb_volumizer_stats(
    const struct qhb_volumizer *v)
{
	return &v->st;
}

static void hex_rgba(char *b, uint32_t c)
{
	sprintf(b, "%02x%02x%02x%02x", c & 0xff, (c >> 8) & 0xff,
	    (c >> 16) & 0xff, c >> 24);
}

static void make_legend(struct qhb_volumizer *v)
{
	char *b = v->legend, hx[9];
	size_t n = sizeof(v->legend), k = 0;

#define ADD(...) do { int r_ = snprintf(b + k, n - k, __VA_ARGS__); \
	if (r_ > 0) k = k + (size_t)r_ >= n ? n - 1 : k + (size_t)r_; } while (0)
	switch (v->o.scheme) {
	case QHB_SCHEME_CLASS:
		for (unsigned c = 0; c < QHB_CLASS_COUNT; c++) {
			hex_rgba(hx, class_rgba[c]);
			ADD("%s%s=%s", c ? " " : "", qhb_class_name(c), hx);
		}
		break;
	case QHB_SCHEME_ENTROPY:
		ADD("byte entropy of each page, 0 to 8 bits: black 0, blue 4, "
		    "red 6, yellow 8; zero pages clear");
		break;
	case QHB_SCHEME_VALUE:
		ADD("r g b: the voxel's first three bytes (unit 1: its byte); "
		    "a: 255 unless all its bytes are zero");
		break;
	case QHB_SCHEME_HEAT:
		ADD("delta frames that changed each page: grey 0, yellow 1, "
		    "red 256 or more; zero pages clear");
		break;
	}
	if (v->o.regions != NULL)
		for (size_t i = 0; i < v->o.regions->n; i++) {
			const struct qhb_region *g = &v->o.regions->v[i];
			size_t same = 0;
			/* A label and colour is listed once, however many
			 * ranges (a process's pages, say) carry it. */
			while (same < i && (strcmp(v->o.regions->v[same].label,
			    g->label) != 0 || memcmp(v->o.regions->v[same].rgb,
			    g->rgb, sizeof(g->rgb)) != 0))
				same++;
			if (same < i)
				continue;
			ADD("%sregion %s=%02x%02x%02x", i ? " " : "; ",
			    g->label[0] ? g->label : "-", g->rgb[0], g->rgb[1],
			    g->rgb[2]);
		}
#undef ADD
}

static int page_zero(const uint8_t *p, uint64_t n)
{
	static const uint8_t z[64];

	for (uint64_t i = 0; i < n; i += 64)
		if (memcmp(p + i, z, 64) != 0)
			return 0;
	return 1;
}

/* The table colour of page p, by the scheme. */
static void page_color(struct qhb_volumizer *v, uint64_t p)
{
	const uint8_t *b = v->im.ram + p * v->im.page_size;
	uint64_t n = v->im.page_size;
	struct qhb_class_info ci;

	if (p * n + n > v->im.size)
		n = v->im.size - p * n;
	switch (v->o.scheme) {
	case QHB_SCHEME_CLASS:
		qhb_classify(b, n, &ci);
		v->page_rgba[p] = class_rgba[ci.cls];
		break;
	case QHB_SCHEME_ENTROPY:
		qhb_classify(b, n, &ci);
		v->page_rgba[p] = entropy_rgba(ci.entropy, ci.cls == QHB_CLASS_ZERO);
		break;
	case QHB_SCHEME_HEAT:
		v->page_rgba[p] = heat_rgba(v->heat[p], page_zero(b, n));
		break;
	case QHB_SCHEME_VALUE:
		break;
	}
}

static int setup(struct qhb_volumizer *v, struct qhb_err *e)
{
	struct qhb_volume_shape s;

	if (qhb_volume_shape_init(&s, v->o.dim, v->o.unit, v->im.size,
	    v->o.lod, e))
		return -1;
	if (v->o.unit > v->im.page_size)
		return qhb_err_set(e, "unit %llu: larger than a page",
		    (unsigned long long)v->o.unit);
	if (v->have && memcmp(&s, &v->shape, sizeof(s)) == 0)
		return 0;
	free_tables(v);
	v->shape = s;
	v->pages = (v->im.size + v->im.page_size - 1) / v->im.page_size;
	/* Rows of tiles are 64-byte aligned, on huge pages where the kernel
	 * has them, for the fill's streaming stores. */
	v->vox = aligned_alloc(UINT64_C(2) << 20,
	    (s.total * 4 + (UINT64_C(2) << 20) - 1) & ~((UINT64_C(2) << 20) - 1));
	if (v->vox != NULL)
		madvise(v->vox, s.total * 4, MADV_HUGEPAGE);
	v->page_rgba = calloc(v->pages, 4);
	v->heat = calloc(v->pages, 4);
	v->mark = calloc((s.total + 63) / 64, 8);
	if (v->o.regions != NULL && v->o.regions->n > 0)
		v->page_tint = calloc(v->pages, 4);
	if (!v->vox || !v->page_rgba || !v->heat || !v->mark ||
	    (v->o.regions != NULL && v->o.regions->n > 0 && !v->page_tint)) {
		free_tables(v);
		return qhb_err_sys(e, "malloc");
	}
	for (size_t i = 0; v->page_tint != NULL && i < v->o.regions->n; i++) {
		const struct qhb_region *g = &v->o.regions->v[i];
		uint64_t end = g->end < v->im.size ? g->end : v->im.size;
		for (uint64_t p = g->start / v->im.page_size;
		    p * v->im.page_size < end; p++)
			v->page_tint[p] = RGBA(g->rgb[0], g->rgb[1], g->rgb[2], 255);
	}
	qhb_hilbert_tile_init(&v->tile, &s.h);
	make_legend(v);
	v->have = 1;
	return 0;
}

static int put_meta(struct qhb_volumizer *v, struct qhb_meta *m,
    const struct qhb_snap_info *in, int delta, uint64_t runs,
    uint64_t changed, struct qhb_err *e)
{
	const struct qhb_volume_shape *s = &v->shape;

	if (qhb_meta_set_str(m, "curve", QHB_VOLUME_CURVE, e) ||
	    qhb_meta_set_str(m, "format", "rgba8", e) ||
	    qhb_meta_set_u64(m, "dim", s->h.dim, e) ||
	    qhb_meta_set_u64(m, "order", s->h.order, e) ||
	    qhb_meta_set_u64(m, "cubes", s->h.cubes, e) ||
	    qhb_meta_set_u64(m, "nx", s->h.size[0], e) ||
	    qhb_meta_set_u64(m, "ny", s->h.size[1], e) ||
	    qhb_meta_set_u64(m, "nz", s->h.size[2], e) ||
	    qhb_meta_set_u64(m, "unit", s->unit, e) ||
	    qhb_meta_set_u64(m, "ram_size", s->ram_size, e) ||
	    qhb_meta_set_u64(m, "page_size", in->page_size, e) ||
	    qhb_meta_set_u64(m, "voxels", s->ram_voxels, e) ||
	    qhb_meta_set_u64(m, "lod", s->lod, e) ||
	    qhb_meta_set_str(m, "scheme", qhb_scheme_name(v->o.scheme), e) ||
	    qhb_meta_set_str(m, "legend", v->legend, e) ||
	    qhb_meta_set_u64(m, "seq", in->seq, e))
		return -1;
	if (delta && (qhb_meta_set_u64(m, "base_seq", v->seq, e) ||
	    qhb_meta_set_u64(m, "runs", runs, e) ||
	    qhb_meta_set_u64(m, "changed", changed, e)))
		return -1;
	return 0;
}

static int put_full(struct qhb_volumizer *v, const struct qhb_snap_info *in,
    struct qhb_writer *w, struct qhb_err *e)
{
	struct qhb_volume_job j = {
		.shape = &v->shape, .ram = v->im.ram, .page_size = v->im.page_size,
		.value = v->o.scheme == QHB_SCHEME_VALUE,
		.page_rgba = v->page_rgba, .page_tint = v->page_tint,
		.out = v->vox,
	};
	struct qhb_meta m = { 0 };
	struct iovec iov;
	uint64_t t0;
	int rc = -1;

	if (v->o.scheme != QHB_SCHEME_VALUE)
		for (uint64_t p = 0; p < v->pages; p++)
			page_color(v, p);
	t0 = now_ns();
	if (v->o.gpu != NULL && v->o.gpu(v->o.gpu_arg, &j, e) == 0) {
		v->st.gpu_fills++;
	} else {
		qhb_volume_fill(&j);
		v->st.cpu_fills++;
	}
	v->st.fill_ns += now_ns() - t0;
	qhb_volume_mip(&v->shape, v->vox);
	if (put_meta(v, &m, in, 0, 0, 0, e))
		goto done;
	iov.iov_base = v->vox;
	iov.iov_len = v->shape.total * 4;
	if (qhb_writer_put(w, QHB_FRAME_VOLUME, &m, &iov, 1, e))
		goto done;
	v->st.full_frames++;
	v->st.voxels_out += v->shape.total;
	rc = 0;
done:
	qhb_meta_release(&m);
	return rc;
}

#define MARK(v, i) ((v)->mark[(i) >> 6] |= UINT64_C(1) << ((i) & 63))
#define MARKED(v, i) ((v)->mark[(i) >> 6] >> ((i) & 63) & 1)

static int put_delta(struct qhb_volumizer *v, const struct qhb_snap_info *in,
    struct qhb_writer *w, struct qhb_err *e)
{
	const struct qhb_volume_shape *s = &v->shape;
	struct qhb_volume_job j = {
		.shape = s, .ram = v->im.ram, .page_size = v->im.page_size,
		.value = v->o.scheme == QHB_SCHEME_VALUE,
		.page_rgba = v->page_rgba, .page_tint = v->page_tint,
		.out = v->vox,
	};
	uint64_t per = v->im.page_size / s->unit, cached = UINT64_MAX;
	uint64_t nruns = 0, changed = 0, *runs = NULL;
	uint32_t *out = NULL;
	int64_t base = 0, st[3] = { 0, 0, 0 };
	struct qhb_meta m = { 0 };
	struct iovec iov[2];
	int rc = -1;

	for (uint64_t p = 0; p < in->pages; p++) {
		if (!qhb_snap_given(in, p))
			continue;
		if (v->heat[p] != UINT32_MAX)
			v->heat[p]++;
		page_color(v, p);
		for (uint64_t d = p * per; d < (p + 1) * per && d < s->h.voxels; d++) {
			uint64_t k = d / v->tile.n, i = d % v->tile.n, lin;
			if (k != cached) {
				qhb_hilbert_tile_place(&s->h, &v->tile, k, &base, st);
				cached = k;
			}
			lin = (uint64_t)(base + v->tile.c[i][0] * st[0] +
			    v->tile.c[i][1] * st[1] + v->tile.c[i][2] * st[2]);
			v->vox[lin] = qhb_volume_voxel(&j, d);
			MARK(v, lin);
		}
	}
	/* Mip voxels above the changed ones. */
	for (unsigned l = 0; l < s->lod; l++) {
		const uint32_t *c = s->lsize[l], *ps = s->lsize[l + 1];
		for (uint64_t i = s->loff[l]; i < s->loff[l + 1]; i++) {
			if ((i & 63) == 0 && v->mark[i >> 6] == 0 &&
			    i + 64 <= s->loff[l + 1]) {
				i += 63;
				continue;
			}
			if (!MARKED(v, i))
				continue;
			uint64_t r = i - s->loff[l];
			uint32_t x = (uint32_t)(r % c[0]) / 2;
			uint32_t y = (uint32_t)(r / c[0] % c[1]) / 2;
			uint32_t z = (uint32_t)(r / c[0] / c[1]) / 2;
			uint64_t pi = s->loff[l + 1] + x + (uint64_t)ps[0] *
			    (y + (uint64_t)ps[1] * z);
			if (!MARKED(v, pi)) {
				mip_one(s, v->vox, l, x, y, z);
				MARK(v, pi);
			}
		}
	}
	/* Runs of marked voxels, then their colours; the marks are cleared. */
	for (int pass = 0; pass < 2; pass++) {
		uint64_t r = 0, n = 0, i = 0;
		while (i < s->total) {
			if (v->mark[i >> 6] == 0) {
				i = (i | 63) + 1;
				continue;
			}
			if (!MARKED(v, i)) {
				i++;
				continue;
			}
			uint64_t start = i;
			while (i < s->total && MARKED(v, i)) {
				if (pass == 1)
					out[n] = v->vox[i];
				n++;
				i++;
			}
			if (pass == 1) {
				runs[2 * r] = htole64(start);
				runs[2 * r + 1] = htole64(i - start);
			}
			r++;
		}
		if (pass == 0) {
			nruns = r;
			changed = n;
			runs = malloc(nruns * 16 + 1);
			out = malloc(changed * 4 + 1);
			if (runs == NULL || out == NULL) {
				qhb_err_sys(e, "malloc");
				memset(v->mark, 0, (s->total + 63) / 64 * 8);
				goto done;
			}
		}
	}
	memset(v->mark, 0, (s->total + 63) / 64 * 8);
	if (put_meta(v, &m, in, 1, nruns, changed, e))
		goto done;
	iov[0].iov_base = runs;
	iov[0].iov_len = nruns * 16;
	iov[1].iov_base = out;
	iov[1].iov_len = changed * 4;
	if (qhb_writer_put(w, QHB_FRAME_VOLUME_DELTA, &m, iov, 2, e))
		goto done;
	v->st.delta_frames++;
	v->st.voxels_out += changed;
	rc = 0;
done:
	qhb_meta_release(&m);
	free(runs);
	free(out);
	return rc;
}

int qhb_volumizer_put(struct qhb_volumizer *v, const struct qhb_frame *f,
    struct qhb_writer *w, struct qhb_err *e)
{
	struct qhb_snap_info in;
	int delta = f->kind == QHB_FRAME_SNAP_DELTA;

	if (f->kind != QHB_FRAME_SNAP && !delta)
		return qhb_err_at(e, f->offset, "frame %llu: expected a snapshot "
		    "frame, got kind %u", (unsigned long long)f->index, f->kind);
	if (qhb_snap_check(f, &in, e))
		return -1;
	if (delta && !v->have)
		return qhb_err_at(e, f->offset, "frame %llu: a snapshot delta "
		    "with no full snapshot before it",
		    (unsigned long long)f->index);
	if (qhb_image_apply(&v->im, f, e))
		return -1;
	if (!delta || !v->have) {
		if (setup(v, e))
			return -1;
	}
	if ((delta ? put_delta(v, &in, w, e) : put_full(v, &in, w, e))) {
		v->have = 0;
		return -1;
	}
	v->seq = in.seq;
	v->st.frames++;
	return 0;
}

int qhb_volumizer_run(struct qhb_volumizer *v, struct qhb_reader *r,
    struct qhb_writer *w, struct qhb_err *e)
{
	struct qhb_frame f;
	int rc;

	qhb_frame_init(&f);
	while ((rc = qhb_reader_next(r, &f, e)) == 1)
		if (qhb_volumizer_put(v, &f, w, e)) {
			rc = -1;
			break;
		}
	qhb_frame_release(&f);
	if (rc == 0 && v->st.frames == 0)
		rc = qhb_err_set(e, "no snapshot frame in the input");
	return rc;
}

/*
 * Reading volume frames.
 */
static int need_u64(const struct qhb_frame *f, const char *name, uint64_t *x,
    struct qhb_err *e)
{
	if (qhb_meta_get_u64(&f->meta, name, x))
		return qhb_err_at(e, f->offset, "frame %llu: volume metadata "
		    "lacks the number \"%s\"", (unsigned long long)f->index, name);
	return 0;
}

int qhb_volume_check(const struct qhb_frame *f, struct qhb_volume_info *info,
    struct qhb_err *e)
{
	struct qhb_volume_info t;
	uint64_t dim, unit, ram, lod, nx, ny, nz, order, cubes, voxels, psz;
	const char *s;
	unsigned long long fi = f->index;

	memset(&t, 0, sizeof(t));
	if (f->kind != QHB_FRAME_VOLUME && f->kind != QHB_FRAME_VOLUME_DELTA)
		return qhb_err_at(e, f->offset, "frame %llu: expected a volume "
		    "frame, got kind %u", fi, f->kind);
	t.delta = f->kind == QHB_FRAME_VOLUME_DELTA;
	if ((s = qhb_meta_get_str(&f->meta, "curve")) == NULL ||
	    strcmp(s, QHB_VOLUME_CURVE) != 0)
		return qhb_err_at(e, f->offset, "frame %llu: expected curve \"%s\"",
		    fi, QHB_VOLUME_CURVE);
	if ((s = qhb_meta_get_str(&f->meta, "format")) == NULL ||
	    strcmp(s, "rgba8") != 0)
		return qhb_err_at(e, f->offset, "frame %llu: expected format "
		    "\"rgba8\"", fi);
	if ((s = qhb_meta_get_str(&f->meta, "scheme")) == NULL ||
	    qhb_scheme_parse(s, &t.scheme))
		return qhb_err_at(e, f->offset, "frame %llu: expected scheme class, "
		    "entropy, value or heat", fi);
	if ((t.legend = qhb_meta_get_str(&f->meta, "legend")) == NULL)
		return qhb_err_at(e, f->offset, "frame %llu: volume metadata lacks "
		    "the string \"legend\"", fi);
	if (need_u64(f, "dim", &dim, e) || need_u64(f, "unit", &unit, e) ||
	    need_u64(f, "ram_size", &ram, e) || need_u64(f, "lod", &lod, e) ||
	    need_u64(f, "nx", &nx, e) || need_u64(f, "ny", &ny, e) ||
	    need_u64(f, "nz", &nz, e) || need_u64(f, "order", &order, e) ||
	    need_u64(f, "cubes", &cubes, e) || need_u64(f, "voxels", &voxels, e) ||
	    need_u64(f, "page_size", &psz, e) || need_u64(f, "seq", &t.seq, e))
		return -1;
	if (dim > 3 || lod > QHB_VOLUME_MAX_LOD || unit > 4096 ||
	    qhb_volume_shape_init(&t.shape, (unsigned)dim, unit, ram,
	    (unsigned)lod, e)) {
		if (dim > 3 || lod > QHB_VOLUME_MAX_LOD || unit > 4096)
			qhb_err_set(e, "dim %llu, unit %llu, lod %llu: out of range",
			    (unsigned long long)dim, (unsigned long long)unit,
			    (unsigned long long)lod);
		char msg[sizeof(e->msg)];
		snprintf(msg, sizeof(msg), "%s", e ? e->msg : "");
		return qhb_err_at(e, f->offset, "frame %llu: %s", fi, msg);
	}
	if (nx != t.shape.h.size[0] || ny != t.shape.h.size[1] ||
	    nz != t.shape.h.size[2] || order != t.shape.h.order ||
	    cubes != t.shape.h.cubes || voxels != t.shape.ram_voxels)
		return qhb_err_at(e, f->offset, "frame %llu: box %llux%llux%llu "
		    "(order %llu, %llu cubes, %llu voxels): expected %ux%ux%u "
		    "(order %u, %u cubes, %llu voxels) for %llu bytes at unit %llu",
		    fi, (unsigned long long)nx, (unsigned long long)ny,
		    (unsigned long long)nz, (unsigned long long)order,
		    (unsigned long long)cubes, (unsigned long long)voxels,
		    t.shape.h.size[0], t.shape.h.size[1], t.shape.h.size[2],
		    t.shape.h.order, t.shape.h.cubes,
		    (unsigned long long)t.shape.ram_voxels, (unsigned long long)ram,
		    (unsigned long long)unit);
	if (psz == 0 || (psz & (psz - 1)) != 0 || psz > (UINT64_C(1) << 30))
		return qhb_err_at(e, f->offset, "frame %llu: page_size %llu: "
		    "expected a power of two", fi, (unsigned long long)psz);
	if (!t.delta) {
		if (f->size != t.shape.total * 4)
			return qhb_err_at(e, f->offset, "frame %llu: payload of %zu "
			    "bytes: expected %llu for %llu voxels", fi, f->size,
			    (unsigned long long)(t.shape.total * 4),
			    (unsigned long long)t.shape.total);
	} else {
		uint64_t end = 0, sum = 0;
		if (need_u64(f, "base_seq", &t.base_seq, e) ||
		    need_u64(f, "runs", &t.runs, e) ||
		    need_u64(f, "changed", &t.changed, e))
			return -1;
		if (t.runs > f->size / 16 || t.changed > f->size / 4 ||
		    t.runs * 16 + t.changed * 4 != f->size)
			return qhb_err_at(e, f->offset, "frame %llu: payload of %zu "
			    "bytes: expected %llu runs of 16 and %llu voxels of 4",
			    fi, f->size, (unsigned long long)t.runs,
			    (unsigned long long)t.changed);
		for (uint64_t r = 0; r < t.runs; r++) {
			uint64_t st, n;
			memcpy(&st, f->data + 16 * r, 8);
			memcpy(&n, f->data + 16 * r + 8, 8);
			st = le64toh(st);
			n = le64toh(n);
			if (n == 0 || st < end || st > t.shape.total ||
			    n > t.shape.total - st)
				return qhb_err_at(e, f->offset, "frame %llu: run %llu "
				    "(payload byte %llu): voxels %llu+%llu: expected "
				    "ascending, disjoint, non-empty runs within %llu",
				    fi, (unsigned long long)r,
				    (unsigned long long)(16 * r), (unsigned long long)st,
				    (unsigned long long)n,
				    (unsigned long long)t.shape.total);
			end = st + n;
			sum += n;
		}
		if (sum != t.changed)
			return qhb_err_at(e, f->offset, "frame %llu: runs hold %llu "
			    "voxels: expected \"changed\", %llu", fi,
			    (unsigned long long)sum, (unsigned long long)t.changed);
	}
	*info = t;
	return 0;
}

int qhb_volume_apply(struct qhb_volume *v, const struct qhb_frame *f,
    struct qhb_err *e)
{
	struct qhb_volume_info in;
	const uint32_t *src;

	if (qhb_volume_check(f, &in, e))
		return -1;
	if (v->max_voxels && in.shape.total > v->max_voxels)
		return qhb_err_at(e, f->offset, "frame %llu: %llu voxels: more than "
		    "the %llu allowed", (unsigned long long)f->index,
		    (unsigned long long)in.shape.total,
		    (unsigned long long)v->max_voxels);
	in.legend = NULL;
	if (!in.delta) {
		if (v->vox == NULL || v->info.shape.total != in.shape.total) {
			uint32_t *n = malloc(in.shape.total * 4);
			if (n == NULL)
				return qhb_err_sys(e, "malloc");
			free(v->vox);
			v->vox = n;
		}
		memcpy(v->vox, f->data, f->size);
	} else {
		if (v->frames == 0 || memcmp(&in.shape, &v->info.shape,
		    sizeof(in.shape)) != 0 || in.base_seq != v->info.seq)
			return qhb_err_at(e, f->offset, "frame %llu: a volume delta "
			    "on seq %llu that does not follow its base volume",
			    (unsigned long long)f->index,
			    (unsigned long long)in.base_seq);
		src = in.runs ? (const uint32_t *)(const void *)
		    (f->data + 16 * in.runs) : NULL;
		for (uint64_t r = 0; r < in.runs; r++) {
			uint64_t st, n;
			memcpy(&st, f->data + 16 * r, 8);
			memcpy(&n, f->data + 16 * r + 8, 8);
			st = le64toh(st);
			n = le64toh(n);
			memcpy(v->vox + st, src, n * 4);
			src += n;
		}
	}
	v->info = in;
	v->frames++;
	return 0;
}

void qhb_volume_release(struct qhb_volume *v)
{
	if (v == NULL)
		return;
	free(v->vox);
	memset(v, 0, sizeof(*v));
}
