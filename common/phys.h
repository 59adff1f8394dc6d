/*
 * phys -- guest physical memory as a small table of ranges.
 *
 * A guest's RAM reaches us as one buffer (a RAM file, a rebuilt snapshot)
 * or as scattered pages (a sparse image, in the fuzzer).  Either way a
 * guest physical address is found through an explicit, sorted table of
 * ranges: [gpa, gpa + len) lives at ptr.  QEMU's q35 machine puts the RAM
 * above its low-memory limit (2 GiB, or 2.75 GiB for guests smaller than
 * that) at 4 GiB; qhb_phys_init_q35() builds that table.
 *
 * Every read is bounds-checked: an address outside every range fails, it
 * never reads outside the buffers.  The buffers are borrowed and must
 * outlive the table.
 */
#ifndef QHB_PHYS_H
#define QHB_PHYS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct qhb_phys_range {
	uint64_t gpa, len;
	const uint8_t *ptr;
};

struct qhb_phys_seg {
	uint64_t gpa, len;
};

struct qhb_phys {
	struct qhb_phys_range *v;
	size_t n, cap;
	/* Where RAM may hold data, ascending; elsewhere it reads as zero
	 * (holes in a RAM file).  Scans skip the rest.  Empty: everywhere. */
	struct qhb_phys_seg *data;
	size_t ndata, datacap;
	uint64_t ram_size;      /* bytes of RAM, all ranges together */
	uint64_t max_gpa;       /* end of the highest range */
	/* When not NULL (qhb_phys_record), every page read is marked here
	 * (bit per page of gpa / 4096, touched_pages bits): what a query
	 * needed.  Owned by the table. */
	uint8_t *touched;
	uint64_t touched_pages;
};

/*
 * Functions used to build the table.
 */

/* Maps a buffer of size bytes as QEMU's q35 machine lays out that much RAM.
 * Returns 0, or -1 with e filled when out of memory. */
int qhb_phys_init_q35(struct qhb_phys *p, const uint8_t *ram, uint64_t size,
    struct qhb_err *e);
/* Adds [gpa, gpa + len) at ptr.  Ranges must not overlap and must be added
 * in ascending order.  Returns 0, or -1 with e filled, p unchanged. */
int qhb_phys_add(struct qhb_phys *p, uint64_t gpa, const uint8_t *ptr,
    uint64_t len, struct qhb_err *e);
/* Marks [ptr, ptr + len) of the added buffers as holding data, so that
 * scans skip the rest.  Call in ascending order.  Returns 0 or -1 (out of
 * memory: then scans cover everything). */
int qhb_phys_mark_data(struct qhb_phys *p, const uint8_t *ptr, uint64_t len);
/* Frees the table and its record; p is left empty and reusable. */
void qhb_phys_release(struct qhb_phys *p);

/*
 * Functions used to read.
 */

/* A pointer to len bytes at gpa when they lie in one range, else NULL. */
const uint8_t *qhb_phys_ptr(const struct qhb_phys *p, uint64_t gpa,
    uint64_t len);
/* Copies len bytes at gpa, which may span ranges.  Returns 0, or -1 when
 * some byte is outside RAM (buf then holds what was read before it). */
int qhb_phys_read(const struct qhb_phys *p, uint64_t gpa, void *buf,
    size_t len);
/* Calls fn for each contiguous stretch of RAM worth scanning (all of it,
 * less what mark_data said are holes), ascending.  Returns 0, or the
 * first non-zero value fn returned. */
typedef int qhb_phys_scan_fn(void *arg, uint64_t gpa, const uint8_t *ptr,
    uint64_t len);
int qhb_phys_scan(const struct qhb_phys *p, qhb_phys_scan_fn *fn, void *arg);
/* Reads a little-endian u64; -1 outside RAM. */
int qhb_phys_u64(const struct qhb_phys *p, uint64_t gpa, uint64_t *v);

/*
 * Functions used to record the pages read and keep them as a sparse image
 * (the fuzzer's seed corpus):
 *   "QHBSPAR1", u64 ram_size, u64 count, count x (u64 gpa, 4096 bytes)
 * little-endian, gpa ascending.
 */
#define QHB_PHYS_SPARSE_MAGIC "QHBSPAR1"

/* From now on, marks every page that a read touches (a record started
 * before is dropped).  Returns 0, or -1 with e when out of memory (then
 * nothing is recorded). */
int qhb_phys_record(struct qhb_phys *p, struct qhb_err *e);
/* Writes the pages recorded to fd as a sparse image.  Returns 0, or -1
 * with e (the file may then be partly written: the caller writes through
 * outfile.h, which keeps a partial file from taking the name). */
int qhb_phys_sparse_write(const struct qhb_phys *p, int fd,
    struct qhb_err *e);
/* Maps a sparse image of len bytes at buf into p (pages point into buf,
 * which must outlive p).  Returns 0, or -1 with e for a malformed image
 * (p then empty). */
int qhb_phys_sparse_load(struct qhb_phys *p, const uint8_t *buf, size_t len,
    struct qhb_err *e);

#endif
