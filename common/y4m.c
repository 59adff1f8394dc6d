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

static uint8_t clamp(double v)
{
	return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)(v + 0.5);
}

void qhb_y4m_frame(const struct qhb_picture *img, uint8_t *out)
{
	unsigned w = img->w, h = img->h, cw = (w + 1) / 2, ch = (h + 1) / 2;
	uint8_t *y = out + 6, *u = y + (size_t)w * h, *v = u + (size_t)cw * ch;

	memcpy(out, "FRAME\n", 6);
	for (size_t i = 0; i < (size_t)w * h; i++) {
		const uint8_t *p = img->px + 4 * i;
		y[i] = clamp(0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]);
	}
	for (unsigned j = 0; j < ch; j++)
		for (unsigned i = 0; i < cw; i++) {
			double r = 0, g = 0, b = 0;
			unsigned n = 0;
			for (unsigned dj = 0; dj < 2; dj++)
				for (unsigned di = 0; di < 2; di++) {
					unsigned x = 2 * i + di, yy = 2 * j + dj;
					const uint8_t *p;
					if (x >= w || yy >= h)
						continue;
					p = img->px + 4 * ((size_t)yy * w + x);
					r += p[0], g += p[1], b += p[2], n++;
				}
			r /= n, g /= n, b /= n;
			u[(size_t)j * cw + i] = clamp(128 - 0.168736 * r -
			    0.331264 * g + 0.5 * b);
			v[(size_t)j * cw + i] = clamp(128 + 0.5 * r -
			    0.418688 * g - 0.081312 * b);
		}
}
