#include "phys.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GiB (UINT64_C(1) << 30)

int qhb_phys_add(struct qhb_phys *p, uint64_t gpa, const uint8_t *ptr,
    uint64_t len, struct qhb_err *e)
{
	if (len == 0 || gpa + len < gpa)
		return qhb_err_set(e, "empty or wrapping physical range");
	if (p->n > 0 && gpa < p->max_gpa)
		return qhb_err_set(e, "physical ranges out of order");
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4;
		void *v = realloc(p->v, cap * sizeof(*p->v));
		if (v == NULL)
			return qhb_err_set(e, "out of memory");
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = (struct qhb_phys_range){ gpa, len, ptr };
	p->ram_size += len;
	p->max_gpa = gpa + len;
	return 0;
}

int qhb_phys_init_q35(struct qhb_phys *p, const uint8_t *ram, uint64_t size,
    struct qhb_err *e)
{
	/* hw/i386/pc_q35.c: lowmem is 2.75 GiB, or 2 GiB for guests of
	 * at least 2.75 GiB (so that the PCI hole is large enough). */
	uint64_t low = size >= 0xb0000000ull ? 0x80000000ull : 0xb0000000ull;

	memset(p, 0, sizeof(*p));
	if (size <= low)
		return qhb_phys_add(p, 0, ram, size, e);
	if (qhb_phys_add(p, 0, ram, low, e) ||
	    qhb_phys_add(p, 4 * GiB, ram + low, size - low, e)) {
		qhb_phys_release(p);
		return -1;
	}
	return 0;
}

static const struct qhb_phys_range *find(const struct qhb_phys *p,
    uint64_t gpa)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct qhb_phys_range *r = &p->v[mid];
		if (gpa < r->gpa)
			hi = mid;
		else if (gpa - r->gpa >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

int qhb_phys_mark_data(struct qhb_phys *p, const uint8_t *ptr, uint64_t len)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct qhb_phys_range *r = &p->v[i];
		uint64_t lo, hi;
		if (ptr + len <= r->ptr || ptr >= r->ptr + r->len)
			continue;
		lo = ptr > r->ptr ? (uint64_t)(ptr - r->ptr) : 0;
		hi = ptr + len < r->ptr + r->len ?
		    (uint64_t)(ptr + len - r->ptr) : r->len;
		if (p->ndata == p->datacap) {
			size_t cap = p->datacap ? 2 * p->datacap : 64;
			void *v = realloc(p->data, cap * sizeof(*p->data));
			if (v == NULL) {
				free(p->data);
				p->data = NULL;
				p->ndata = p->datacap = 0;
				return -1;
			}
			p->data = v;
			p->datacap = cap;
		}
		p->data[p->ndata++] = (struct qhb_phys_seg){ r->gpa + lo, hi - lo };
	}
	return 0;
}

int qhb_phys_scan(const struct qhb_phys *p, qhb_phys_scan_fn *fn, void *arg)
{
	int rc;

	if (p->ndata == 0) {
		for (size_t i = 0; i < p->n; i++)
			if ((rc = fn(arg, p->v[i].gpa, p->v[i].ptr, p->v[i].len)))
				return rc;
		return 0;
	}
	for (size_t i = 0; i < p->ndata; i++) {
		const struct qhb_phys_range *r = find(p, p->data[i].gpa);
		uint64_t in, len = p->data[i].len;
		if (r == NULL)
			continue;
		in = p->data[i].gpa - r->gpa;
		if (len > r->len - in)
			len = r->len - in;
		if ((rc = fn(arg, p->data[i].gpa, r->ptr + in, len)))
			return rc;
	}
	return 0;
}

void qhb_phys_release(struct qhb_phys *p)
{
	free(p->v);
	free(p->data);
	free(p->touched);
	memset(p, 0, sizeof(*p));
}

static void touch(const struct qhb_phys *p, uint64_t gpa, uint64_t len)
{
	for (uint64_t pg = gpa >> 12; pg <= (gpa + len - 1) >> 12; pg++)
		if (pg < p->touched_pages)
			p->touched[pg >> 3] |= (uint8_t)(1u << (pg & 7));
}

const uint8_t *qhb_phys_ptr(const struct qhb_phys *p, uint64_t gpa,
    uint64_t len)
{
	const struct qhb_phys_range *r = find(p, gpa);

	if (r == NULL || len > r->len - (gpa - r->gpa))
		return NULL;
	if (p->touched != NULL && len > 0)
		touch(p, gpa, len);
	return r->ptr + (gpa - r->gpa);
}

int qhb_phys_read(const struct qhb_phys *p, uint64_t gpa, void *buf,
    size_t len)
{
	uint8_t *out = buf;

	while (len > 0) {
		const struct qhb_phys_range *r = find(p, gpa);
		uint64_t in, k;
		if (r == NULL)
			return -1;
		in = gpa - r->gpa;
		k = r->len - in < len ? r->len - in : len;
		memcpy(out, r->ptr + in, k);
		if (p->touched != NULL)
			touch(p, gpa, k);
		out += k;
		gpa += k;
		len -= k;
	}
	return 0;
}

int qhb_phys_u64(const struct qhb_phys *p, uint64_t gpa, uint64_t *v)
{
	uint8_t b[8];

	if (qhb_phys_read(p, gpa, b, 8))
		return -1;
	memcpy(v, b, 8);
	return 0;
}

int qhb_phys_record(struct qhb_phys *p, struct qhb_err *e)
{
	free(p->touched);
	p->touched_pages = p->max_gpa >> 12;
	if ((p->touched = calloc(p->touched_pages / 8 + 1, 1)) == NULL) {
		p->touched_pages = 0;
		return qhb_err_set(e, "out of memory");
	}
	return 0;
}

int qhb_phys_sparse_write(const struct qhb_phys *phys, int fd,
    struct qhb_err *e)
{
	uint64_t hdr[2] = { phys->ram_size, 0 };
	uint8_t page[4096];

	for (uint64_t pg = 0; pg < phys->touched_pages; pg++)
		if (phys->touched[pg >> 3] & (1u << (pg & 7)))
			hdr[1]++;
	if (write(fd, QHB_PHYS_SPARSE_MAGIC, 8) != 8 ||
	    write(fd, hdr, sizeof(hdr)) != sizeof(hdr))
		return qhb_err_sys(e, "write");
	for (uint64_t pg = 0; pg < phys->touched_pages; pg++) {
		uint64_t gpa = pg << 12;
		if (!(phys->touched[pg >> 3] & (1u << (pg & 7))))
			continue;
		if (qhb_phys_read(phys, gpa, page, sizeof(page)))
			memset(page, 0, sizeof(page));
		if (write(fd, &gpa, 8) != 8 ||
		    write(fd, page, sizeof(page)) != sizeof(page))
			return qhb_err_sys(e, "write");
	}
	return 0;
}

int qhb_phys_sparse_load(struct qhb_phys *p, const uint8_t *buf, size_t len,
    struct qhb_err *e)
{
	uint64_t size, count, prev = 0;

	memset(p, 0, sizeof(*p));
	if (len < 24 || memcmp(buf, QHB_PHYS_SPARSE_MAGIC, 8) != 0)
		return qhb_err_at(e, 0, "expected sparse image magic "
		    "\"" QHB_PHYS_SPARSE_MAGIC "\"");
	memcpy(&size, buf + 8, 8);
	memcpy(&count, buf + 16, 8);
	if (count > (len - 24) / 4104)
		return qhb_err_at(e, 16, "%" PRIu64 " pages do not fit in "
		    "%zu bytes", count, len);
	for (uint64_t i = 0; i < count; i++) {
		const uint8_t *rec = buf + 24 + i * 4104;
		uint64_t gpa;
		memcpy(&gpa, rec, 8);
		if ((gpa & 4095) || (i > 0 && gpa <= prev) || gpa >= size) {
			qhb_phys_release(p);
			return qhb_err_at(e, 24 + i * 4104, "page address %#"
			    PRIx64 " not aligned, ascending and below %#" PRIx64,
			    gpa, size);
		}
		if (qhb_phys_add(p, gpa, rec + 8, 4096, e)) {
			qhb_phys_release(p);
			return -1;
		}
		prev = gpa;
	}
	return 0;
}
