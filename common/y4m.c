/*
 * y4m -- pictures as a YUV4MPEG2 stream.  See y4m.h.
 */
#include <stdio.h>
#include <string.h>

#include "y4m.h"

size_t qhb_y4m_header(char *buf, size_t size, unsigned w, unsigned h,
    unsigned fps)
{
	int n = snprintf(buf, size, "YUV4MPEG2 W%u H%u F%u:1 Ip A1:1 C420jpeg "
	    "XCOLORRANGE=FULL\n", w, h, fps ? fps : 25);

	return n < 0 ? 0 : (size_t)n >= size ? size - 1 : (size_t)n;
}

size_t qhb_y4m_frame_size(unsigned w, unsigned h)
{
	size_t cw = (w + 1) / 2, ch = (h + 1) / 2;

	return 6 + (size_t)w * h + 2 * cw * ch;
}

/*
 * BT.601 full range in 16-bit fixed point: each row of coefficients sums
 * to 65536 (Y) or 0 (Cb, Cr), so grey stays exact (Y = v, Cb = Cr = 128).
 */
#define KR 19595
#define KG 38470
#define KB 7471

static inline uint8_t luma(const uint8_t *p)
{
	return (uint8_t)((KR * p[0] + KG * p[1] + KB * p[2] + 32768) >> 16);
}

/* Chroma from sums of n pixels' r, g, b; numerators stay positive for
 * any bytes (the least is 32768 n), so integer division rounds. */
static inline uint8_t chroma(int64_t a, int64_t b, int64_t c, int64_t n)
{
	int64_t num = 128 * 65536 * n + a + b + c, den = 65536 * n;
	int64_t v = (num + den / 2) / den;

	return v > 255 ? 255 : (uint8_t)v;
}

void qhb_y4m_frame_rows(const struct qhb_picture *img, uint8_t *out,
    unsigned j0, unsigned j1)
{
	unsigned w = img->w, h = img->h, cw = (w + 1) / 2, ch = (h + 1) / 2;
	uint8_t *y = out + 6, *u = y + (size_t)w * h, *v = u + (size_t)cw * ch;

	if (j0 == 0)
		memcpy(out, "FRAME\n", 6);
	for (unsigned j = j0; j < j1 && j < ch; j++) {
		for (unsigned yy = 2 * j; yy < 2 * j + 2 && yy < h; yy++) {
			const uint8_t *p = img->px + (size_t)yy * w * 4;
			uint8_t *d = y + (size_t)yy * w;
			for (unsigned i = 0; i < w; i++)
				d[i] = luma(p + 4 * i);
		}
		/* Whole 2x2 blocks: sums of 4, a shift. */
		if (2 * j + 1 < h)
			for (unsigned i = 0; i < w / 2; i++) {
				const uint8_t *p = img->px + 4 * ((size_t)2 * j * w +
				    2 * i), *q = p + (size_t)w * 4;
				int32_t r = p[0] + p[4] + q[0] + q[4];
				int32_t g = p[1] + p[5] + q[1] + q[5];
				int32_t b = p[2] + p[6] + q[2] + q[6];
				int32_t cb = (128 << 18) - 11059 * r - 21709 * g +
				    32768 * b + (1 << 17);
				int32_t cr = (128 << 18) + 32768 * r - 27439 * g -
				    5329 * b + (1 << 17);
				u[(size_t)j * cw + i] = cb >> 18 > 255 ? 255 :
				    (uint8_t)(cb >> 18);
				v[(size_t)j * cw + i] = cr >> 18 > 255 ? 255 :
				    (uint8_t)(cr >> 18);
			}
		/* The last column and row of odd sizes: fewer pixels. */
		for (unsigned i = 2 * j + 1 < h ? w / 2 : 0; i < cw; i++) {
			int64_t r = 0, g = 0, b = 0, n = 0;
			for (unsigned dj = 0; dj < 2; dj++)
				for (unsigned di = 0; di < 2; di++) {
					unsigned x = 2 * i + di, yy = 2 * j + dj;
					const uint8_t *p;
					if (x >= w || yy >= h)
						continue;
					p = img->px + 4 * ((size_t)yy * w + x);
					r += p[0], g += p[1], b += p[2], n++;
				}
			u[(size_t)j * cw + i] = chroma(-11059 * r, -21709 * g,
			    32768 * b, n);
			v[(size_t)j * cw + i] = chroma(32768 * r, -27439 * g,
			    -5329 * b, n);
		}
	}
}

void qhb_y4m_frame(const struct qhb_picture *img, uint8_t *out)
{
	qhb_y4m_frame_rows(img, out, 0, (img->h + 1) / 2);
}
