/*
 * overlay -- region outlines and the legend on pictures.  See overlay.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "font.h"
#include "overlay.h"

static void fill_rect(uint8_t *mask, unsigned w, unsigned h, double x0,
    double y0, double x1, double y1)
{
	int a = (int)floor(x0), b = (int)ceil(x1), c = (int)floor(y0),
	    d = (int)ceil(y1);

	if (a < 0)
		a = 0;
	if (c < 0)
		c = 0;
	if (b > (int)w)
		b = (int)w;
	if (d > (int)h)
		d = (int)h;
	for (int y = c; y < d; y++)
		for (int x = a; x < b; x++)
			mask[(size_t)y * w + x] = 1;
}

static int same_group(const struct qhb_region *a, const struct qhb_region *b)
{
	return strcmp(a->label, b->label) == 0 &&
	    memcmp(a->rgb, b->rgb, sizeof(a->rgb)) == 0;
}

/* Marks in mask the picture cells that region g covers: its voxels in
 * cells of 2^L a side, at most 2^16 cells, projected by cam or, without
 * one, cut by slice k across axis. */
static void mask_region(uint8_t *mask, unsigned w, unsigned h,
    const struct qhb_volume_shape *s, const struct qhb_region *g,
    const struct qhb_camera *cam, unsigned axis, unsigned k)
{
	uint64_t start = g->start, end = g->end, step, a;
	unsigned dim = s->h.dim, L = 0;

	if (end > s->ram_size)
		end = s->ram_size;
	if (start >= end)
		return;
	while (L < 20 && (1u << L) < s->h.size[0] &&
	    ((end - start) / s->unit >> (dim * L)) > 65536)
		L++;
	step = s->unit << (dim * L);
	for (a = start / step * step; a < end; a += step) {
		uint32_t xyz[3] = { 0, 0, 0 }, S = 1u << L;
		double lo[3];
		if (qhb_volume_locate(s, a < start ? start : a, xyz, NULL))
			continue;
		for (unsigned j = 0; j < 3; j++)
			lo[j] = (double)(xyz[j] >> L << L);
		if (cam == NULL) {
			unsigned u = axis == 0 ? 1 : 0, vv = axis == 2 ? 1 : 2;
			if (k < lo[axis] || k >= lo[axis] + S)
				continue;
			fill_rect(mask, w, h, lo[u], lo[vv], lo[u] + S,
			    lo[vv] + S);
		} else {
			double p[3], px[2], half;
			for (unsigned j = 0; j < 3; j++)
				p[j] = lo[j] + S / 2.0;
			if (qhb_render_project(cam, p, px))
				continue;
			half = 0.6 * S * cam->scale;
			if (half < 0.5)
				half = 0.5;
			fill_rect(mask, w, h, px[0] - half, px[1] - half,
			    px[0] + half, px[1] + half);
		}
	}
}

int qhb_overlay_regions(struct qhb_picture *img, const struct qhb_volume *v,
    const struct qhb_regions *r, const struct qhb_camera *cam,
    unsigned axis, unsigned k, struct qhb_err *e)
{
	const struct qhb_volume_shape *s = &v->info.shape;
	unsigned w = img->w, h = img->h;
	uint8_t *mask;

	if ((mask = malloc((size_t)w * h)) == NULL)
		return qhb_err_sys(e, "malloc");
	/* Regions that share a label and a colour (a process's many
	 * physical ranges) are one outline with one label. */
	for (size_t i = 0; i < r->n; i++) {
		const struct qhb_region *g = &r->v[i];
		unsigned minx = w, miny = h, any = 0;
		uint32_t rgba = g->rgb[0] | g->rgb[1] << 8 |
		    (uint32_t)g->rgb[2] << 16 | 0xffu << 24;
		size_t j;

		for (j = 0; j < i && !same_group(&r->v[j], g); j++)
			;
		if (j < i)
			continue;
		memset(mask, 0, (size_t)w * h);
		for (j = i; j < r->n; j++)
			if (same_group(&r->v[j], g))
				mask_region(mask, w, h, s, &r->v[j], cam, axis, k);
		for (unsigned y = 0; y < h; y++)
			for (unsigned x = 0; x < w; x++) {
				size_t o = (size_t)y * w + x;
				if (!mask[o])
					continue;
				if (x == 0 || y == 0 || x + 1 == w || y + 1 == h ||
				    !mask[o - 1] || !mask[o + 1] || !mask[o - w] ||
				    !mask[o + w]) {
					qhb_picture_put(img, (int)x, (int)y,
					    rgba);
					any = 1;
					if (y < miny || (y == miny && x < minx))
						minx = x, miny = y;
				}
			}
		if (any && g->label[0]) {
			int ly = (int)miny - QHB_FONT_CH - 1;
			int lx = (int)minx;
			if (ly < 0)
				ly = (int)miny + 2;
			if (lx + (int)qhb_font_width(g->label, 1) > (int)w)
				lx = (int)w - (int)qhb_font_width(g->label, 1);
			qhb_font_draw(img, lx < 0 ? 0 : lx, ly, g->label, 1, rgba,
			    0xff000000u);
		}
	}
	free(mask);
	return 0;
}

static int hexval(const char *s, unsigned n, uint32_t *out)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n; i++) {
		char c = s[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
		    c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
		    c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
		if (d > 15)
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/* "64K", "1M", "1.5G" style size of a. */
static void human(char *b, size_t n, uint64_t a)
{
	static const char u[] = "KMGT";
	double x = (double)a;
	int i = -1;

	while (x >= 1024 && i < 3)
		x /= 1024, i++;
	if (i < 0)
		snprintf(b, n, "%llu", (unsigned long long)a);
	else if (x == floor(x))
		snprintf(b, n, "%.0f%c", x, u[i]);
	else
		snprintf(b, n, "%.1f%c", x, u[i]);
}

int qhb_overlay_legend(struct qhb_picture *out, const struct qhb_picture *img,
    const struct qhb_volume *v, const char *legend, struct qhb_err *e)
{
	const struct qhb_volume_shape *s = &v->info.shape;
	unsigned W = img->w < 256 ? 256 : img->w, lines = 0, x = 4, y;
	unsigned bar = W - 16, band;
	char tok[256], lab[32];
	const char *p;
	struct qhb_picture o;
	int swatches = legend != NULL && strchr(legend, '=') != NULL;

	/* Count the lines first: one pass that only measures. */
	for (int pass = 0; pass < 2; pass++) {
		x = 4, y = img->h + 4, lines = 1;
		for (p = legend ? legend : ""; *p; ) {
			size_t n = strcspn(p, " ");
			const char *eq;
			uint32_t c;
			unsigned tw;
			if (n >= sizeof(tok))
				n = sizeof(tok) - 1;
			memcpy(tok, p, n);
			tok[n] = 0;
			p += n;
			p += *p == ' ';
			eq = strchr(tok, '=');
			if (swatches) {
				size_t hl;
				if (eq == NULL)
					continue;
				hl = strlen(eq + 1);
				if ((hl != 6 && hl != 8) || hexval(eq + 1,
				    (unsigned)hl, &c))
					continue;
				tok[eq - tok] = 0;
				tw = 12 + qhb_font_width(tok, 1) + 8;
			} else {
				tw = qhb_font_width(tok, 1) + QHB_FONT_CW;
			}
			if (x + tw > W && x > 4)
				x = 4, y += QHB_FONT_CH + 3, lines++;
			if (pass == 1) {
				if (swatches) {
					uint32_t rgba;
					if (strlen(eq + 1) == 8)
						rgba = c >> 24 | (c >> 8 & 0xff00) |
						    (c << 8 & 0xff0000) | 0xffu << 24;
					else
						rgba = c >> 16 | (c & 0xff00) |
						    (c & 0xff) << 16 | 0xffu << 24;
					for (unsigned dy = 0; dy < 8; dy++)
						for (unsigned dx = 0; dx < 8; dx++)
							qhb_picture_put(&o,
							    (int)(x + dx),
							    (int)(y + dy), rgba);
					qhb_font_draw(&o, (int)x + 11, (int)y, tok,
					    1, 0xffffffffu, 0);
				} else {
					qhb_font_draw(&o, (int)x, (int)y, tok, 1,
					    0xffffffffu, 0);
				}
			}
			x += tw;
		}
		if (pass == 0) {
			band = 8 + lines * (QHB_FONT_CH + 3) + 12 + 4 +
			    QHB_FONT_CH + 6;
			if (qhb_picture_init(&o, W, img->h + band,
			    0xff202020u, e))
				return -1;
			for (unsigned j = 0; j < img->h; j++)
				memcpy(o.px + (size_t)j * W * 4, img->px +
				    (size_t)j * img->w * 4, (size_t)img->w * 4);
		}
	}
	/* The address scale: the volume's colour at each address. */
	y += QHB_FONT_CH + 6;
	for (unsigned i = 0; i < bar; i++) {
		uint64_t a = (uint64_t)((double)s->ram_size * i / bar);
		uint32_t xyz[3] = { 0, 0, 0 }, vx = 0;
		a = a / s->unit * s->unit;
		if (qhb_volume_locate(s, a, xyz, NULL) == 0)
			vx = v->vox[xyz[0] + (uint64_t)s->lsize[0][0] *
			    (xyz[1] + (uint64_t)s->lsize[0][1] * xyz[2])];
		if (vx >> 24 == 0)
			vx = 0xff000000u;
		else
			vx |= 0xffu << 24;
		for (unsigned dy = 0; dy < 12; dy++)
			qhb_picture_put(&o, (int)(8 + i), (int)(y + dy), vx);
	}
	for (unsigned t = 0; t <= 4; t++) {
		unsigned tx = 8 + (bar - 1) * t / 4, lw;
		human(lab, sizeof(lab), s->ram_size / 4 * t);
		if (t == 0)
			snprintf(lab, sizeof(lab), "0");
		for (unsigned dy = 0; dy < 16; dy++)
			qhb_picture_put(&o, (int)tx, (int)(y - 2 + dy),
			    0xffffffffu);
		lw = qhb_font_width(lab, 1);
		qhb_font_draw(&o, t == 0 ? (int)tx : t == 4 ? (int)(tx - lw) :
		    (int)(tx - lw / 2), (int)(y + 16), lab, 1, 0xffffffffu, 0);
	}
	*out = o;
	return 0;
}
