/*
 * image.c -- guest RAM rebuilt from snapshot frames.  See image.h.
 */
#include "image.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ram.h"
#include "snap.h"

int qhb_image_apply(struct qhb_image *im, const struct qhb_frame *f,
    struct qhb_err *e)
{
	struct qhb_snap_info in;
	const uint8_t *data;
	int fresh = 0;

	if (qhb_snap_check(f, &in, e))
		return -1;
	if (f->kind == QHB_FRAME_SNAP_DELTA) {
		if (im->frames == 0)
			return qhb_err_at(e, f->offset, "frame %" PRIu64 ": delta "
			    "frame without a snapshot frame before it", f->index);
		if (in.ram_size != im->size || in.page_size != im->page_size)
			return qhb_err_at(e, f->offset, "frame %" PRIu64 ": delta "
			    "for %" PRIu64 " bytes of RAM, the snapshot has %"
			    PRIu64, f->index, in.ram_size, im->size);
		if (in.base_seq != im->seq)
			return qhb_err_at(e, f->offset, "frame %" PRIu64 ": delta "
			    "against seq %" PRIu64 ", but the last frame was seq %"
			    PRIu64, f->index, in.base_seq, im->seq);
	} else if (im->max_size != 0 && in.ram_size > im->max_size) {
		return qhb_err_at(e, f->offset, "frame %" PRIu64 ": RAM of %"
		    PRIu64 " bytes is over the limit of %" PRIu64, f->index,
		    in.ram_size, im->max_size);
	} else if (im->ram == NULL || im->size != in.ram_size) {
		void *p = mmap(NULL, in.ram_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		uint8_t *bm = calloc((in.pages + 7) / 8, 1);
		if (p == MAP_FAILED || bm == NULL) {
			if (p != MAP_FAILED)
				munmap(p, in.ram_size);
			free(bm);
			return qhb_err_sys(e, "frame %" PRIu64 ": cannot allocate "
			    "%" PRIu64 " bytes of RAM", f->index, in.ram_size);
		}
		qhb_image_release(im);
		im->ram = p;
		im->size = in.ram_size;
		im->data = bm;
		fresh = 1;
	}
	im->page_size = in.page_size;
	data = in.data;
	for (uint64_t b = 0; b < (in.pages + 7) / 8; b++) {
		uint8_t given = in.given[b], zero = in.zero[b] & given;
		uint64_t end = b * 8 + 8 < in.pages ? b * 8 + 8 : in.pages;
		/* Eight pages at a time where none is carried, or all are
		 * zero pages of fresh RAM: a frame that declares much and
		 * holds little costs its bitmaps, not its RAM. */
		im->data[b] = (uint8_t)((im->data[b] & ~given) | (given & ~zero));
		if (given == 0 || (fresh && zero == given))
			continue;
		for (uint64_t i = b * 8; i < end; i++) {
			uint8_t *page = im->ram + i * in.page_size;
			if (!qhb_snap_given(&in, i))
				continue;
			if (qhb_snap_zero(&in, i)) {
				if (!fresh)
					memset(page, 0, in.page_size);
			} else {
				memcpy(page, data, in.page_size);
				data += in.page_size;
			}
		}
	}
	im->seq = in.seq;
	im->frames++;
	return 0;
}

/* The runs of data_runs(), in image pages, become runs of QHB_PAGE_SIZE
 * pages, widened to whole ones and merged where they then touch. */
struct runs {
	uint64_t page_size, first, end;         /* pending, in QHB pages */
	int (*fn)(void *arg, uint64_t first, uint64_t count);
	void *arg;
};

static int runs_add(struct runs *r, uint64_t first, uint64_t count)
{
	uint64_t f = first * r->page_size / QHB_PAGE_SIZE;
	uint64_t end = ((first + count) * r->page_size + QHB_PAGE_SIZE - 1) /
	    QHB_PAGE_SIZE;
	int rc;

	if (r->end > r->first && f <= r->end) {
		r->end = end > r->end ? end : r->end;
		return 0;
	}
	if (r->end > r->first && (rc = r->fn(r->arg, r->first,
	    r->end - r->first)) != 0)
		return rc;
	r->first = f;
	r->end = end;
	return 0;
}

int qhb_image_data_runs(const struct qhb_image *im,
    int (*fn)(void *arg, uint64_t first, uint64_t count), void *arg)
{
	uint64_t pages = im->page_size ? im->size / im->page_size : 0;
	uint64_t first = 0, count = 0;
	struct runs r = { im->page_size, 0, 0, fn, arg };
	int rc;

	for (uint64_t i = 0; im->data != NULL && i < pages; i++) {
		/* a byte of pages without data is skipped at once */
		if ((i & 7) == 0 && im->data[i >> 3] == 0) {
			i += 7;
			continue;
		}
		if (!(im->data[i >> 3] >> (i & 7) & 1))
			continue;
		if (count > 0 && first + count == i) {
			count++;
			continue;
		}
		if (count > 0 && (rc = runs_add(&r, first, count)) != 0)
			return rc;
		first = i;
		count = 1;
	}
	if (count > 0 && (rc = runs_add(&r, first, count)) != 0)
		return rc;
	return r.end > r.first ? fn(arg, r.first, r.end - r.first) : 0;
}

void qhb_image_release(struct qhb_image *im)
{
	uint64_t max_size = im->max_size;

	free(im->data);
	if (im->ram != NULL)
		munmap(im->ram, im->size);
	memset(im, 0, sizeof(*im));
	im->max_size = max_size;
}
