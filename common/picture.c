/*
 * picture -- an rgba8 picture in memory.  See picture.h.
 */
#include <stdlib.h>
#include <string.h>

#include "picture.h"

int qhb_picture_init(struct qhb_picture *img, unsigned w, unsigned h,
    uint32_t rgba, struct qhb_err *e)
{
	uint32_t *p;
	size_t n = (size_t)w * h;

	if (w == 0 || h == 0 || w > 65536 || h > 65536)
		return qhb_err_set(e, "picture size %ux%u: expected 1 to 65536 "
		    "pixels a side", w, h);
	if ((p = malloc(n * 4)) == NULL)
		return qhb_err_sys(e, "malloc %zu bytes", n * 4);
	for (size_t i = 0; i < n; i++)
		p[i] = rgba;
	img->w = w, img->h = h, img->px = (uint8_t *)p;
	return 0;
}

void qhb_picture_release(struct qhb_picture *img)
{
	if (img == NULL)
		return;
	free(img->px);
	img->px = NULL;
	img->w = img->h = 0;
}

void qhb_picture_put(struct qhb_picture *img, int x, int y, uint32_t rgba)
{
	if (x < 0 || y < 0 || (unsigned)x >= img->w || (unsigned)y >= img->h)
		return;
	((uint32_t *)img->px)[(size_t)y * img->w + (unsigned)x] = rgba;
}

int qhb_picture_sheet(struct qhb_picture *out, const struct qhb_picture *imgs,
    unsigned n, unsigned cols, unsigned rows, uint32_t background,
    struct qhb_err *e)
{
	unsigned w = imgs[0].w, h = imgs[0].h;

	if (cols == 0 || rows == 0 || (uint64_t)cols * w > 65536 ||
	    (uint64_t)rows * h > 65536)
		return qhb_err_set(e, "contact sheet of %ux%u pictures of "
		    "%ux%u: too large", cols, rows, w, h);
	if (qhb_picture_init(out, cols * w, rows * h, background, e))
		return -1;
	for (unsigned i = 0; i < n && i < cols * rows; i++) {
		unsigned cx = i % cols * w, cy = i / cols * h;
		for (unsigned j = 0; j < h && j < imgs[i].h; j++)
			memcpy(out->px + ((size_t)(cy + j) * out->w + cx) * 4,
			    imgs[i].px + (size_t)j * imgs[i].w * 4,
			    (size_t)(imgs[i].w < w ? imgs[i].w : w) * 4);
	}
	return 0;
}
