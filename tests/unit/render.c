/* Unit tests of common/render, picture, png, y4m and font: pictures, not
 * files.  A single lit voxel lands where the camera maths says, from any
 * angle and in perspective; a maximum-intensity projection equals the
 * maxima along the rays; empty-space skipping through the mip levels
 * changes no pixel; slices reproduce the volume; PNG and y4m encode known
 * pixels; on Vulkan (lavapipe), pipelined views equal views one at a
 * time, and a volume brought up to date through a delta's blocks renders
 * as one uploaded whole. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "font.h"
#include "picture.h"
#include "png.h"
#include "render.h"
#include "renderjob.h"
#include "rendervk.h"
#include "vk.h"
#include "volume.h"
#include "y4m.h"
#include "unit.h"

#define BLACK 0xff000000u

/* An n^3 volume of unit 4 (n a power of two), all voxels absent, mip
 * levels to 1 voxel. */
static int mkvol(struct qhb_volume *v, unsigned n, unsigned lod)
{
	struct qhb_err e = { 0 };

	memset(v, 0, sizeof(*v));
	if (qhb_volume_shape_init(&v->info.shape, 3, 4,
	    (uint64_t)n * n * n * 4, lod, &e))
		return -1;
	v->vox = calloc(v->info.shape.total, 4);
	return v->vox ? 0 : -1;
}

static uint32_t *at(struct qhb_volume *v, unsigned x, unsigned y, unsigned z)
{
	const uint32_t *n = v->info.shape.lsize[0];

	return &v->vox[x + n[0] * (y + n[1] * z)];
}

static uint32_t px(const struct qhb_picture *p, unsigned x, unsigned y)
{
	uint32_t c;

	memcpy(&c, p->px + 4 * ((size_t)y * p->w + x), 4);
	return c;
}

static struct qhb_render_opts opts(enum qhb_render_mode m, unsigned w,
    unsigned h, double zoom)
{
	struct qhb_render_opts o;

	memset(&o, 0, sizeof(o));
	o.mode = m;
	o.width = w, o.height = h;
	o.zoom = zoom;
	o.background = BLACK;
	o.threads = 2;
	return o;
}

/* One white voxel: from the front it is the one pixel under it; from
 * other angles the pixel the projection of its centre names is lit, and
 * nothing far from it. */
static void test_lit_voxel(void)
{
	struct qhb_volume v;
	struct qhb_picture p = { 0 };
	struct qhb_camera cam;
	struct qhb_render_opts o = opts(QHB_RENDER_MIP, 16, 16, sqrt(3));
	static const double angles[][2] = { { 0, 0 }, { 90, 0 }, { 37, 23 },
	    { 200, -40 }, { 300, 70 } };

	CHECK(mkvol(&v, 16, 4) == 0);
	*at(&v, 3, 5, 7) = 0xffffffffu;
	qhb_volume_mip(&v.info.shape, v.vox);
	qhb_render_camera(&cam, &o, v.info.shape.lsize[0], 0);
	CHECK(fabs(cam.scale - 1) < 1e-9);
	CHECK(qhb_picture_init(&p, 16, 16, BLACK, NULL) == 0);
	qhb_render_view(&o, &cam, &v, &p);
	for (unsigned y = 0; y < 16; y++)
		for (unsigned x = 0; x < 16; x++)
			CHECKF(px(&p, x, y) == (x == 3 && y == 5 ? 0xffffffffu :
			    BLACK), "pixel %u,%u is %08x", x, y, px(&p, x, y));
	qhb_picture_release(&p);
	/* Along +x, screen right is -z: the voxel at z 7 is at column 8. */
	o.azimuth = 90;
	qhb_render_camera(&cam, &o, v.info.shape.lsize[0], 90);
	CHECK(qhb_picture_init(&p, 16, 16, BLACK, NULL) == 0);
	qhb_render_view(&o, &cam, &v, &p);
	CHECK(px(&p, 8, 5) == 0xffffffffu && px(&p, 7, 5) == BLACK &&
	    px(&p, 3, 5) == BLACK);
	qhb_picture_release(&p);
	/* Larger pictures, any angle, both projections. */
	o = opts(QHB_RENDER_MIP, 128, 96, 1.5);
	for (int persp = 0; persp < 2; persp++)
		for (unsigned a = 0; a < sizeof(angles) / sizeof(angles[0]); a++) {
			double c[3] = { 3.5, 5.5, 7.5 }, q[2];
			unsigned lit = 0, far = 0;
			o.perspective = persp;
			o.elevation = angles[a][1];
			qhb_render_camera(&cam, &o, v.info.shape.lsize[0],
			    angles[a][0]);
			CHECK(qhb_render_project(&cam, c, q) == 0);
			CHECK(qhb_picture_init(&p, 128, 96, BLACK, NULL) == 0);
			qhb_render_view(&o, &cam, &v, &p);
			CHECKF(px(&p, (unsigned)q[0], (unsigned)q[1]) == 0xffffffffu,
			    "az %g el %g persp %d: pixel %g,%g not lit",
			    angles[a][0], angles[a][1], persp, q[0], q[1]);
			for (unsigned y = 0; y < 96; y++)
				for (unsigned x = 0; x < 128; x++)
					if (px(&p, x, y) != BLACK) {
						lit++;
						if (fabs(x + 0.5 - q[0]) > 6 ||
						    fabs(y + 0.5 - q[1]) > 6)
							far++;
					}
			qhb_picture_release(&p);
			/* about scale^2 to 3 scale^2 pixels, all near */
			CHECKF(lit >= 4 && lit <= 60 && far == 0, "az %g: %u lit, "
			    "%u far", angles[a][0], lit, far);
		}
	free(v.vox);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return *s;
}

/* Grey voxels, a third absent: the projection along z is the brightest
 * voxel of each column. */
static void test_mip_maxima(void)
{
	struct qhb_volume v;
	struct qhb_picture p = { 0 };
	struct qhb_camera cam;
	struct qhb_render_opts o = opts(QHB_RENDER_MIP, 16, 16, sqrt(3));
	uint64_t s = 88172645463325252ull;

	CHECK(mkvol(&v, 16, 4) == 0);
	for (unsigned i = 0; i < 4096; i++) {
		unsigned g = (unsigned)(rnd(&s) % 256);
		/* a third absent */
		v.vox[i] = rnd(&s) % 3 == 0 ? 0 : g * 0x010101u | 0xffu << 24;
	}
	qhb_volume_mip(&v.info.shape, v.vox);
	qhb_render_camera(&cam, &o, v.info.shape.lsize[0], 0);
	CHECK(qhb_picture_init(&p, 16, 16, BLACK, NULL) == 0);
	qhb_render_view(&o, &cam, &v, &p);
	for (unsigned y = 0; y < 16; y++)
		for (unsigned x = 0; x < 16; x++) {
			uint32_t m = BLACK, best = 0;
			for (unsigned z = 0; z < 16; z++) {
				uint32_t c = *at(&v, x, y, z), g = c & 0xff;
				if (c >> 24 && (g + 1) > best)
					best = g + 1, m = c;
			}
			CHECKF(px(&p, x, y) == m, "pixel %u,%u: %08x, want %08x",
			    x, y, px(&p, x, y), m);
		}
	qhb_picture_release(&p);
	free(v.vox);
}

/* Sparse blobs: skipping through the mip levels gives the same pixels as
 * walking every voxel, for both modes and several cameras. */
static void test_skip_same(void)
{
	struct qhb_volume v;
	struct qhb_picture a = { 0 }, b = { 0 };
	struct qhb_camera cam;
	uint64_t s = 1234567;

	CHECK(mkvol(&v, 32, 5) == 0);
	for (unsigned k = 0; k < 12; k++) {
		unsigned x0 = (unsigned)(rnd(&s) % 28), y0 = (unsigned)(rnd(&s) % 28),
		    z0 = (unsigned)(rnd(&s) % 28);
		uint32_t c = (uint32_t)rnd(&s) | 0x40u << 24;
		for (unsigned z = z0; z < z0 + 4; z++)
			for (unsigned y = y0; y < y0 + 3; y++)
				for (unsigned x = x0; x < x0 + 2; x++)
					*at(&v, x, y, z) = c;
	}
	qhb_volume_mip(&v.info.shape, v.vox);
	for (int mode = 0; mode < 2; mode++)
		for (int persp = 0; persp < 2; persp++) {
			struct qhb_render_opts o = opts(mode ? QHB_RENDER_COMPOSITE :
			    QHB_RENDER_MIP, 64, 48, 1.2);
			o.perspective = persp;
			o.elevation = 31;
			o.opacity = 0.5;
			qhb_render_camera(&cam, &o, v.info.shape.lsize[0], 57);
			CHECK(qhb_picture_init(&a, 64, 48, BLACK, NULL) == 0);
			CHECK(qhb_picture_init(&b, 64, 48, BLACK, NULL) == 0);
			qhb_render_view(&o, &cam, &v, &a);
			o.no_skip = 1;
			qhb_render_view(&o, &cam, &v, &b);
			CHECKF(memcmp(a.px, b.px, 64 * 48 * 4) == 0,
			    "mode %d persp %d: skipping changed pixels", mode, persp);
			qhb_picture_release(&a);
			qhb_picture_release(&b);
		}
	free(v.vox);
}

/* Compositing: a fully opaque voxel in front hides what is behind it;
 * half-opaque layers blend front to back. */
static void test_composite(void)
{
	struct qhb_volume v;
	struct qhb_picture p = { 0 };
	struct qhb_camera cam;
	struct qhb_render_opts o = opts(QHB_RENDER_COMPOSITE, 16, 16, sqrt(3));

	CHECK(mkvol(&v, 16, 4) == 0);
	*at(&v, 2, 2, 3) = 0xff0000ffu;          /* red, opaque, in front */
	*at(&v, 2, 2, 9) = 0xff00ff00u;          /* green, behind it */
	*at(&v, 5, 5, 4) = 0xff00ff00u;          /* green alone */
	o.opacity = 1;
	qhb_volume_mip(&v.info.shape, v.vox);
	qhb_render_camera(&cam, &o, v.info.shape.lsize[0], 0);
	CHECK(qhb_picture_init(&p, 16, 16, BLACK, NULL) == 0);
	qhb_render_view(&o, &cam, &v, &p);
	CHECKF(px(&p, 2, 2) == 0xff0000ffu, "%08x", px(&p, 2, 2));
	CHECK(px(&p, 5, 5) == 0xff00ff00u);
	CHECK(px(&p, 9, 9) == BLACK);
	/* opacity 0.5: red 0.5 then green 0.25 over black */
	o.opacity = 0.5;
	qhb_render_view(&o, &cam, &v, &p);
	CHECKF(px(&p, 2, 2) == (0xff000000u | 64u << 8 | 128u),
	    "%08x", px(&p, 2, 2));
	qhb_picture_release(&p);
	free(v.vox);
}

/* Slices along each axis give back every voxel. */
static void test_slices(void)
{
	struct qhb_volume v;
	struct qhb_picture p = { 0 };
	struct qhb_err e = { 0 };

	memset(&v, 0, sizeof(v));
	CHECK(qhb_volume_shape_init(&v.info.shape, 3, 4, 16 * 8 * 8 * 4, 0,
	    &e) == 0);
	CHECK(v.info.shape.lsize[0][0] == 16 && v.info.shape.lsize[0][2] == 8);
	CHECK((v.vox = calloc(v.info.shape.total, 4)) != NULL);
	for (unsigned i = 0; i < 16 * 8 * 8; i++)
		v.vox[i] = i == 5 ? 0 : (i * 2654435761u) | 0xffu << 24;
	for (unsigned axis = 0; axis < 3; axis++) {
		unsigned w, h, n = qhb_render_slice_count(&v, axis, &w, &h);
		CHECK(n == v.info.shape.lsize[0][axis]);
		for (unsigned k = 0; k < n; k++) {
			CHECK(qhb_picture_init(&p, w, h, 0, NULL) == 0);
			qhb_render_slice(&v, axis, k, 0xff123456u, &p);
			for (unsigned j = 0; j < h; j++)
				for (unsigned i = 0; i < w; i++) {
					unsigned x[3];
					x[axis] = k;
					x[axis == 0 ? 1 : 0] = i;
					x[axis == 2 ? 1 : 2] = j;
					uint32_t want = *at(&v, x[0], x[1], x[2]);
					if (want == 0)
						want = 0xff123456u;
					CHECK(px(&p, i, j) == want);
				}
			qhb_picture_release(&p);
		}
	}
	free(v.vox);
}

static void test_png(void)
{
	struct qhb_picture p = { 0 }, q = { 0 };
	struct qhb_png enc[3];
	struct qhb_picture many[3];

	CHECK(qhb_picture_init(&p, 33, 17, 0xff00ff00u, NULL) == 0);
	for (unsigned i = 0; i < 33 * 17 * 4; i += 4)
		p.px[i] = (uint8_t)i, p.px[i + 2] = (uint8_t)(i >> 8);
	for (int alpha = 0; alpha < 2; alpha++) {
		if (alpha)
			p.px[7] = 3;
		CHECK(qhb_png_encode(&p, -1, &enc[0], NULL) == 0);
		CHECK(enc[0].len > 8 && memcmp(enc[0].buf, "\x89PNG", 4) == 0);
		/* colour type: 2 RGB when opaque, 6 RGBA otherwise */
		CHECK(enc[0].buf[25] == (alpha ? 6 : 2));
		CHECK(qhb_png_decode(enc[0].buf, enc[0].len, &q, NULL) == 0);
		CHECK(q.w == 33 && q.h == 17 &&
		    memcmp(q.px, p.px, 33 * 17 * 4) == 0);
		qhb_picture_release(&q);
		qhb_png_release(&enc[0]);
	}
	for (int i = 0; i < 3; i++)
		many[i] = p;
	CHECK(qhb_png_encode_many(many, 3, 1, enc, 2, NULL) == 0);
	for (int i = 0; i < 3; i++) {
		CHECK(qhb_png_decode(enc[i].buf, enc[i].len, &q, NULL) == 0);
		CHECK(memcmp(q.px, p.px, 33 * 17 * 4) == 0);
		qhb_picture_release(&q);
		qhb_png_release(&enc[i]);
	}
	qhb_picture_release(&p);
}

static void test_y4m(void)
{
	struct qhb_picture p = { 0 };
	char hdr[128];
	uint8_t *f;
	size_t n;

	n = qhb_y4m_header(hdr, sizeof(hdr), 5, 3, 30);
	CHECK(n == strlen("YUV4MPEG2 W5 H3 F30:1 Ip A1:1 C420jpeg "
	    "XCOLORRANGE=FULL\n"));
	CHECK(strncmp(hdr, "YUV4MPEG2 W5 H3 F30:1 ", 22) == 0);
	CHECK(qhb_y4m_frame_size(5, 3) == 6 + 15 + 2 * 3 * 2);
	/* pure red: Y 76, Cb 85, Cr 255 (full-range BT.601) */
	CHECK(qhb_picture_init(&p, 5, 3, 0xff0000ffu, NULL) == 0);
	CHECK((f = malloc(qhb_y4m_frame_size(5, 3))) != NULL);
	qhb_y4m_frame(&p, f);
	CHECK(memcmp(f, "FRAME\n", 6) == 0);
	for (unsigned i = 0; i < 15; i++)
		CHECK(f[6 + i] == 76);
	for (unsigned i = 0; i < 6; i++)
		CHECK(f[21 + i] == 85 && f[27 + i] == 255);
	free(f);
	qhb_picture_release(&p);
}

/* The fixed-point conversion against the BT.601 formulas in doubles:
 * within one level for any pixels, grey exact; odd sizes average the
 * pixels there are; bands written apart make the same frame. */
static void test_y4m_formula(void)
{
	static const unsigned sz[][2] = { { 33, 17 }, { 8, 6 }, { 1, 1 } };
	uint64_t seed = 12345;

	for (unsigned k = 0; k < 3; k++) {
		unsigned w = sz[k][0], h = sz[k][1], cw = (w + 1) / 2,
		    ch = (h + 1) / 2;
		struct qhb_picture p = { 0 };
		uint8_t *f, *g;
		CHECK(qhb_picture_init(&p, w, h, 0, NULL) == 0);
		for (size_t i = 0; i < (size_t)w * h * 4; i++)
			p.px[i] = (uint8_t)rnd(&seed);
		/* a grey pixel, alone in its row of picture 0 */
		p.px[0] = p.px[1] = p.px[2] = 77;
		CHECK((f = malloc(qhb_y4m_frame_size(w, h))) != NULL);
		CHECK((g = malloc(qhb_y4m_frame_size(w, h))) != NULL);
		qhb_y4m_frame(&p, f);
		for (unsigned j = 0; j < ch; j += 3)
			qhb_y4m_frame_rows(&p, g, j, j + 3);
		CHECK(memcmp(f, g, qhb_y4m_frame_size(w, h)) == 0);
		CHECK(f[6] == 77);
		for (size_t i = 0; i < (size_t)w * h; i++) {
			const uint8_t *q = p.px + 4 * i;
			double y = 0.299 * q[0] + 0.587 * q[1] + 0.114 * q[2];
			CHECKF(fabs(f[6 + i] - y) <= 1, "Y %zu: %u, want %.2f",
			    i, f[6 + i], y);
		}
		for (unsigned j = 0; j < ch; j++)
			for (unsigned i = 0; i < cw; i++) {
				double r = 0, gg = 0, b = 0, n = 0, cb, cr;
				const uint8_t *u = f + 6 + (size_t)w * h;
				for (unsigned y = 2 * j; y < 2 * j + 2 && y < h; y++)
					for (unsigned x = 2 * i; x < 2 * i + 2 && x < w; x++) {
						const uint8_t *q = p.px + 4 * ((size_t)y * w + x);
						r += q[0], gg += q[1], b += q[2], n++;
					}
				r /= n, gg /= n, b /= n;
				cb = 128 - 0.168736 * r - 0.331264 * gg + 0.5 * b;
				cr = 128 + 0.5 * r - 0.418688 * gg - 0.081312 * b;
				cb = cb > 255 ? 255 : cb, cr = cr > 255 ? 255 : cr;
				CHECKF(fabs(u[j * cw + i] - cb) <= 1 &&
				    fabs(u[cw * ch + j * cw + i] - cr) <= 1,
				    "%ux%u chroma %u,%u: %u %u, want %.2f %.2f", w, h,
				    i, j, u[j * cw + i], u[cw * ch + j * cw + i], cb, cr);
			}
		free(f);
		free(g);
		qhb_picture_release(&p);
	}
}

static void test_pattern(void)
{
	char b[64];

	CHECK(qhb_renderjob_pattern_check("out/vm1-%05d.png", NULL) == 0);
	CHECK(qhb_renderjob_pattern_check("latest.png", NULL) == 0);
	CHECK(qhb_renderjob_pattern_check("100%%-%u.png", NULL) == 0);
	CHECK(qhb_renderjob_pattern_check("%s.png", NULL) == -1);
	CHECK(qhb_renderjob_pattern_check("%d-%d.png", NULL) == -1);
	CHECK(qhb_renderjob_pattern_check("", NULL) == -1);
	CHECK(qhb_renderjob_pattern_name("out/vm1-%05d.png", 42, b, sizeof(b),
	    NULL) == 0 && strcmp(b, "out/vm1-00042.png") == 0);
	CHECK(qhb_renderjob_pattern_name("100%%-%u.png", 7, b, sizeof(b),
	    NULL) == 0 && strcmp(b, "100%-7.png") == 0);
	CHECK(qhb_renderjob_pattern_name("%020d", 1, b, 8, NULL) == -1);
}

/* Text lands where it is drawn: the top row of 'T' is five pixels. */
static void test_font(void)
{
	struct qhb_picture p = { 0 };
	unsigned lit = 0;

	CHECK(qhb_font_width("abc", 2) == 3 * QHB_FONT_CW * 2);
	CHECK(qhb_font_glyph('T')[0] == 0x1f && qhb_font_glyph(200) ==
	    qhb_font_glyph('?'));
	for (unsigned c = 33; c < 127; c++) {
		unsigned bits = 0;
		for (int r = 0; r < 7; r++)
			bits |= qhb_font_glyph((unsigned char)c)[r];
		CHECKF(bits != 0 && bits < 32, "glyph %c", c);
	}
	CHECK(qhb_picture_init(&p, 20, 10, BLACK, NULL) == 0);
	qhb_font_draw(&p, 2, 1, "T", 1, 0xffffffffu, 0);
	for (unsigned x = 0; x < 20; x++)
		lit += px(&p, x, 1) == 0xffffffffu;
	CHECK(lit == 5 && px(&p, 2, 1) == 0xffffffffu &&
	    px(&p, 4, 7) == 0xffffffffu && px(&p, 3, 7) == BLACK);
	qhb_picture_release(&p);
}

static void test_sheet(void)
{
	struct qhb_picture c[3], s = { 0 };

	for (unsigned i = 0; i < 3; i++)
		CHECK(qhb_picture_init(&c[i], 4, 3, 0xff000000u | (i + 1),
		    NULL) == 0);
	CHECK(qhb_picture_sheet(&s, c, 3, 2, 2, 0xff0000ffu, NULL) == 0);
	CHECK(s.w == 8 && s.h == 6);
	CHECK(px(&s, 0, 0) == 0xff000001u && px(&s, 7, 2) == 0xff000002u &&
	    px(&s, 3, 5) == 0xff000003u && px(&s, 4, 3) == 0xff0000ffu);
	qhb_picture_release(&s);
	for (unsigned i = 0; i < 3; i++)
		qhb_picture_release(&c[i]);
}

/* The Vulkan driver (lavapipe) leaks a little at exit; this binary's
 * leaks are not what the sanitizer build should count. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

/* Sparse grey and coloured blobs in a 32^3 volume with mip levels. */
static int blobs(struct qhb_volume *v, uint64_t seed)
{
	if (mkvol(v, 32, 5))
		return -1;
	for (unsigned b = 0; b < 12; b++) {
		unsigned cx = (unsigned)(rnd(&seed) % 28), cy = (unsigned)(rnd(&seed) % 28),
		    cz = (unsigned)(rnd(&seed) % 28);
		uint32_t c = (uint32_t)(rnd(&seed) & 0x7f7f7f) |
		    (uint32_t)(64 + rnd(&seed) % 192) << 24;
		for (unsigned z = cz; z < cz + 4; z++)
			for (unsigned y = cy; y < cy + 4; y++)
				for (unsigned x = cx; x < cx + 4; x++)
					*at(v, x, y, z) = c;
	}
	qhb_volume_mip(&v->info.shape, v->vox);
	return 0;
}

struct keep {
	struct qhb_picture p[16];
	unsigned n;
};

static int keep_take(void *arg, unsigned i, struct qhb_picture *p,
    struct qhb_err *e)
{
	struct keep *k = arg;

	(void)i, (void)e;
	k->p[k->n++] = *p;
	memset(p, 0, sizeof(*p));
	return 0;
}

static void keep_release(struct keep *k)
{
	for (unsigned i = 0; i < k->n; i++)
		qhb_picture_release(&k->p[i]);
	k->n = 0;
}

static struct qhb_renderjob turntable(enum qhb_render_mode m,
    const struct qhb_renderjob_gpu *g)
{
	struct qhb_renderjob j;

	memset(&j, 0, sizeof(j));
	j.r = opts(m, 61, 47, 1);
	j.r.azimuth = 17, j.r.elevation = 23, j.r.opacity = 0.2;
	j.turntable = 8;
	j.gpu = g;
	return j;
}

/* Pixels of a and b (rgba) within 2 levels a channel, but for at most
 * 1 in 200 (rays grazing voxel edges: floats against doubles). */
static int close_enough(const struct qhb_picture *a, const struct qhb_picture *b)
{
	size_t n = (size_t)a->w * a->h, bad = 0;

	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < 4; c++)
			if (abs(a->px[4 * i + c] - b->px[4 * i + c]) > 2) {
				bad++;
				break;
			}
	return bad * 200 <= n;
}

/* Eight views of a turntable with three in flight equal, byte for byte,
 * the same views one at a time; and the CPU's within the tolerance. */
static void test_gpu_pipelined(void)
{
	struct qhb_err e = { 0 };
	struct qhb_vk *vk = qhb_vk_open(&e);
	struct qhb_rendervk *rv;
	struct qhb_renderjob_gpu g, one;
	struct qhb_renderjob_stats st;
	struct qhb_volume v;
	struct keep a = { .n = 0 }, b = { .n = 0 }, c = { .n = 0 };

	if (vk == NULL) {
		printf("# no Vulkan device: %s: skipped\n", e.msg);
		return;
	}
	CHECK((rv = qhb_rendervk_new(vk, &e)) != NULL);
	qhb_rendervk_gpu(rv, &g);
	CHECK(g.slots >= 2);
	one = g, one.slots = 1;
	CHECK(blobs(&v, 99) == 0);
	for (int m = 0; m < 2; m++) {
		enum qhb_render_mode mode = m ? QHB_RENDER_COMPOSITE : QHB_RENDER_MIP;
		struct qhb_renderjob jp = turntable(mode, &g), j1 = turntable(mode, &one),
		    jc = turntable(mode, NULL);
		memset(&st, 0, sizeof(st));
		CHECK(qhb_renderjob_views(&jp, &v, 1, 0, 8, keep_take, &a, &st, &e) == 0);
		CHECKF(st.gpu_views == 8 && st.cpu_views == 0, "%llu gpu views",
		    (unsigned long long)st.gpu_views);
		CHECK(qhb_renderjob_views(&j1, &v, 1, 0, 8, keep_take, &b, NULL, &e) == 0);
		CHECK(qhb_renderjob_views(&jc, &v, 1, 0, 8, keep_take, &c, NULL, &e) == 0);
		CHECK(a.n == 8 && b.n == 8 && c.n == 8);
		for (unsigned i = 0; i < 8; i++) {
			CHECKF(memcmp(a.p[i].px, b.p[i].px, 61 * 47 * 4) == 0,
			    "mode %d view %u: pipelined differs", m, i);
			CHECKF(close_enough(&a.p[i], &c.p[i]),
			    "mode %d view %u: GPU and CPU differ", m, i);
		}
		/* the views differ from each other: the camera turned */
		CHECK(memcmp(a.p[0].px, a.p[1].px, 61 * 47 * 4) != 0);
		keep_release(&a), keep_release(&b), keep_release(&c);
	}
	free(v.vox);
	qhb_rendervk_free(rv);
	qhb_vk_close(vk);
}

/* The runs (start, count; little-endian u64) where old and new differ. */
static uint64_t diff_runs(const uint32_t *old, const uint32_t *new,
    uint64_t total, uint8_t *runs)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < total; ) {
		uint64_t j = i;
		if (old[i] == new[i]) {
			i++;
			continue;
		}
		while (j < total && old[j] != new[j])
			j++;
		memcpy(runs + 16 * n, &i, 8);
		j -= i;
		memcpy(runs + 16 * n + 8, &j, 8);
		i += j;
		n++;
	}
	return n;
}

/* A volume changed in a few places (new blobs, a brighter maximum that
 * reaches the last mip voxel): brought up to date through the delta's
 * blocks, the GPU gives the pictures of the whole volume uploaded again,
 * byte for byte, and the CPU's within the tolerance; far fewer bytes
 * went up. */
static void test_gpu_deltas(void)
{
	struct qhb_err e = { 0 };
	struct qhb_vk *vk = qhb_vk_open(&e);
	struct qhb_rendervk *rv;
	struct qhb_renderjob_gpu g;
	struct qhb_volume v;
	struct keep a = { .n = 0 }, b = { .n = 0 }, c = { .n = 0 }, d = { .n = 0 };
	uint32_t *old;
	uint8_t *runs;
	uint64_t total, nruns, up0, up1;

	if (vk == NULL) {
		printf("# no Vulkan device: %s: skipped\n", e.msg);
		return;
	}
	CHECK((rv = qhb_rendervk_new(vk, &e)) != NULL);
	qhb_rendervk_gpu(rv, &g);
	CHECK(blobs(&v, 5) == 0);
	total = v.info.shape.total;
	CHECK((old = malloc(total * 4)) != NULL);
	CHECK((runs = malloc(total * 16)) != NULL);
	CHECK(g.volume(g.arg, &v, 1, 0, NULL, 0, &e) == 0);
	struct qhb_renderjob j = turntable(QHB_RENDER_MIP, &g);
	CHECK(qhb_renderjob_views(&j, &v, 1, 0, 4, keep_take, &d, NULL, &e) == 0);
	memcpy(old, v.vox, total * 4);
	for (unsigned z = 3; z < 9; z++)
		for (unsigned x = 20; x < 26; x++)
			*at(&v, x, 30, z) = 0xffffffffu;      /* brightest */
	*at(&v, 31, 31, 31) = 0xff00ff00u;
	*at(&v, 0, 0, 0) = 0xff0000ffu;
	qhb_volume_mip(&v.info.shape, v.vox);
	nruns = diff_runs(old, v.vox, total, runs);
	CHECK(nruns > 3);
	CHECK(old[total - 1] != v.vox[total - 1]);    /* the tail block */
	up0 = qhb_rendervk_uploaded(rv);
	CHECK(g.volume(g.arg, &v, 2, 1, runs, nruns, &e) == 0);
	up1 = qhb_rendervk_uploaded(rv);
	CHECKF(up1 > up0 && up1 - up0 < total * 4 / 8,
	    "%llu bytes uploaded for a delta of %llu runs",
	    (unsigned long long)(up1 - up0), (unsigned long long)nruns);
	/* every level on the device is the host's, the last voxel too */
	CHECK(qhb_rendervk_compare(rv, &v, &e) == total);
	for (int m = 0; m < 2; m++) {
		j = turntable(m ? QHB_RENDER_COMPOSITE : QHB_RENDER_MIP, &g);
		struct qhb_renderjob jc = turntable(j.r.mode, NULL);
		/* generation 2 through the delta, then 3: the same voxels, whole */
		CHECK(qhb_renderjob_views(&j, &v, 2, 0, 4, keep_take, &a, NULL, &e) == 0);
		CHECK(g.volume(g.arg, &v, 3, 0, NULL, 0, &e) == 0);
		CHECK(qhb_renderjob_views(&j, &v, 3, 0, 4, keep_take, &b, NULL, &e) == 0);
		CHECK(qhb_renderjob_views(&jc, &v, 3, 0, 4, keep_take, &c, NULL, &e) == 0);
		for (unsigned i = 0; i < 4; i++) {
			CHECKF(memcmp(a.p[i].px, b.p[i].px, 61 * 47 * 4) == 0,
			    "mode %d view %u: after the delta, not the whole", m, i);
			CHECKF(close_enough(&a.p[i], &c.p[i]),
			    "mode %d view %u: GPU and CPU differ", m, i);
			if (m == 0)
				CHECKF(memcmp(a.p[i].px, d.p[i].px, 61 * 47 * 4) != 0,
				    "view %u: the delta changed nothing", i);
		}
		keep_release(&a), keep_release(&b), keep_release(&c);
		/* back to generation 2's state as the device's "previous" */
		CHECK(g.volume(g.arg, &v, 2, 0, NULL, 0, &e) == 0);
	}
	keep_release(&d);
	free(old);
	free(runs);
	free(v.vox);
	qhb_rendervk_free(rv);
	qhb_vk_close(vk);
}

void unit_main(void)
{
	UNIT_RUN(test_lit_voxel);
	UNIT_RUN(test_mip_maxima);
	UNIT_RUN(test_skip_same);
	UNIT_RUN(test_composite);
	UNIT_RUN(test_slices);
	UNIT_RUN(test_png);
	UNIT_RUN(test_y4m);
	UNIT_RUN(test_y4m_formula);
	UNIT_RUN(test_pattern);
	UNIT_RUN(test_font);
	UNIT_RUN(test_sheet);
	UNIT_RUN(test_gpu_pipelined);
	UNIT_RUN(test_gpu_deltas);
}
