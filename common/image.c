/*
 * image.c -- guest RAM rebuilt from snapshot frames.  See image.h.
 */
#include "image.h"

#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

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
		if (p == MAP_FAILED)
			return qhb_err_sys(e, "frame %" PRIu64 ": cannot allocate "
			    "%" PRIu64 " bytes of RAM", f->index, in.ram_size);
		qhb_image_release(im);
		im->ram = p;
		im->size = in.ram_size;
		fresh = 1;
	}
	im->page_size = in.page_size;
	data = in.data;
	for (uint64_t i = 0; i < in.pages; i++) {
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
	im->seq = in.seq;
	im->frames++;
	return 0;
}

void qhb_image_release(struct qhb_image *im)
{
	uint64_t max_size = im->max_size;

	if (im->ram != NULL)
		munmap(im->ram, im->size);
	memset(im, 0, sizeof(*im));
	im->max_size = max_size;
}
