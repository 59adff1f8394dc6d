/*
 * png -- PNG encoding for speed.  See png.h.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <png.h>

#include "png.h"

struct wctx {
	struct qhb_png *p;
	int nomem;
};

static void write_fn(png_structp png, png_bytep data, png_size_t n)
{
	struct wctx *w = png_get_io_ptr(png);
	struct qhb_png *p = w->p;

	if (w->nomem)
		return;
	if (p->len + n > p->cap) {
		size_t cap = p->cap ? p->cap : 65536;
		uint8_t *b;
		while (cap < p->len + n)
			cap *= 2;
		if ((b = realloc(p->buf, cap)) == NULL) {
			w->nomem = 1;
			return;
		}
		p->buf = b, p->cap = cap;
	}
	memcpy(p->buf + p->len, data, n);
	p->len += n;
}

static void flush_fn(png_structp png)
{
	(void)png;
}

static void error_fn(png_structp png, png_const_charp msg)
{
	char *m = png_get_error_ptr(png);

	strncpy(m, msg, 127);
	m[127] = 0;
	png_longjmp(png, 1);
}

static void warn_fn(png_structp png, png_const_charp msg)
{
	(void)png, (void)msg;
}

void qhb_png_release(struct qhb_png *p)
{
	if (p == NULL)
		return;
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

int qhb_png_encode(const struct qhb_picture *img, int level, struct qhb_png *p,
    struct qhb_err *e)
{
	char msg[128] = "";
	struct wctx w = { p, 0 };
	png_structp png = NULL;
	png_infop info = NULL;
	uint8_t *volatile row = NULL;
	volatile int rgb = 1;
	volatile int rc = -1;

	memset(p, 0, sizeof(*p));
	for (size_t i = 3; i < (size_t)img->w * img->h * 4; i += 4)
		if (img->px[i] != 255) {
			rgb = 0;
			break;
		}
	if ((png = png_create_write_struct(PNG_LIBPNG_VER_STRING, msg,
	    error_fn, warn_fn)) == NULL ||
	    (info = png_create_info_struct(png)) == NULL) {
		qhb_err_set(e, "png: out of memory");
		goto done;
	}
	if (setjmp(png_jmpbuf(png))) {
		qhb_err_set(e, "png: %s", msg);
		goto done;
	}
	if (rgb && (row = malloc((size_t)img->w * 3)) == NULL) {
		qhb_err_sys(e, "malloc");
		goto done;
	}
	png_set_write_fn(png, &w, write_fn, flush_fn);
	png_set_compression_level(png, level < 0 ? 1 : level);
	png_set_compression_strategy(png, Z_RLE);
	png_set_filter(png, 0, PNG_FILTER_SUB);
	png_set_IHDR(png, info, img->w, img->h, 8,
	    rgb ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE,
	    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (unsigned j = 0; j < img->h; j++) {
		const uint8_t *src = img->px + (size_t)j * img->w * 4;
		if (rgb) {
			for (unsigned i = 0; i < img->w; i++)
				memcpy(row + 3 * i, src + 4 * i, 3);
			png_write_row(png, row);
		} else {
			png_write_row(png, (png_const_bytep)src);
		}
	}
	png_write_end(png, info);
	if (w.nomem) {
		qhb_err_set(e, "png: out of memory");
		goto done;
	}
	rc = 0;
done:
	png_destroy_write_struct(&png, &info);
	free(row);
	if (rc)
		qhb_png_release(p);
	return rc;
}

struct many {
	const struct qhb_picture *imgs;
	struct qhb_png *p;
	unsigned n, next;
	int level, failed;
	struct qhb_err e;
	pthread_mutex_t lock;
};

static void *encode_some(void *arg)
{
	struct many *m = arg;

	for (;;) {
		struct qhb_err e = { 0 };
		unsigned i;
		pthread_mutex_lock(&m->lock);
		i = m->failed ? m->n : m->next++;
		pthread_mutex_unlock(&m->lock);
		if (i >= m->n)
			break;
		if (qhb_png_encode(&m->imgs[i], m->level, &m->p[i], &e)) {
			pthread_mutex_lock(&m->lock);
			if (!m->failed)
				m->e = e;
			m->failed = 1;
			pthread_mutex_unlock(&m->lock);
		}
	}
	return NULL;
}

int qhb_png_encode_many(const struct qhb_picture *imgs, unsigned n, int level,
    struct qhb_png *p, unsigned threads, struct qhb_err *e)
{
	struct many m = { .imgs = imgs, .p = p, .n = n, .level = level };
	pthread_t th[64];
	unsigned started = 0, nt = threads;

	if (nt == 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		nt = c < 1 ? 1 : c > 64 ? 64 : (unsigned)c;
	}
	if (nt > n)
		nt = n;
	memset(p, 0, sizeof(*p) * n);
	pthread_mutex_init(&m.lock, NULL);
	for (unsigned i = 1; i < nt; i++)
		if (pthread_create(&th[started], NULL, encode_some, &m) == 0)
			started++;
	encode_some(&m);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&m.lock);
	if (m.failed) {
		for (unsigned i = 0; i < n; i++)
			qhb_png_release(&p[i]);
		if (e != NULL)
			*e = m.e;
		return -1;
	}
	return 0;
}

int qhb_png_decode(const uint8_t *buf, size_t len, struct qhb_picture *img,
    struct qhb_err *e)
{
	png_image pi;

	memset(&pi, 0, sizeof(pi));
	pi.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&pi, buf, len))
		return qhb_err_set(e, "png: %s", pi.message);
	pi.format = PNG_FORMAT_RGBA;
	if (qhb_picture_init(img, pi.width, pi.height, 0, e)) {
		png_image_free(&pi);
		return -1;
	}
	if (!png_image_finish_read(&pi, NULL, img->px, 0, NULL)) {
		qhb_picture_release(img);
		return qhb_err_set(e, "png: %s", pi.message);
	}
	return 0;
}
