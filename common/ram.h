/*
 * ram -- a guest RAM file mapped read-only.
 *
 * The file is a QEMU memory-backend-file (in /dev/shm, usually) or any raw
 * RAM image.  It is mapped PROT_READ and MAP_SHARED, so reads see the
 * guest's writes as they happen and nothing here can change the guest.
 * Holes in the file (pages the guest never touched) are found with
 * SEEK_DATA/SEEK_HOLE, so that they cost nothing to capture.
 */
#ifndef QHB_RAM_H
#define QHB_RAM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define QHB_PAGE_SIZE 4096u

struct qhb_ram {
	int fd;
	char path[4096];
	uint64_t size;          /* bytes, a multiple of QHB_PAGE_SIZE */
	const uint8_t *map;     /* size bytes, read-only */
};

/* Opens and maps path.  Fails, leaving r closed, when the file is missing,
 * not a regular file (a FIFO fails at once, it is not waited on), empty,
 * or not a whole number of pages long. */
int qhb_ram_open(struct qhb_ram *r, const char *path, struct qhb_err *e);
/* Unmaps and closes; a closed or zeroed r is a no-op. */
void qhb_ram_close(struct qhb_ram *r);

/*
 * A file that shrinks under us.  The file is not ours: a guest's RAM file
 * can be truncated while we read it, and a read of the mapping past its
 * new end raises SIGBUS.  While a RAM file is open, a SIGBUS handler maps
 * a zero page over the page that faulted and notes it, so the read goes on
 * and sees zeros, as pread() past the end does; no read pays for a guard.
 * Whoever answers from the RAM asks afterwards whether it shrank.
 */

/* Returns 0 when the file is still as long as when opened and no read of
 * the mapping fell past its end; -1 with e ("... shrank ...") otherwise,
 * and then what was read cannot be trusted. */
int qhb_ram_check(const struct qhb_ram *r, struct qhb_err *e);

/* Calls fn for each run of pages [first, first + count) that may hold data;
 * pages outside every run are holes, which read as zero.  Where the file
 * system cannot tell, the whole file is one run.  Returns 0, or the first
 * non-zero value fn returned. */
int qhb_ram_data_runs(const struct qhb_ram *r,
    int (*fn)(void *arg, uint64_t first, uint64_t count), void *arg);

/* Returns 1 when the len bytes at p are all zero. */
int qhb_is_zero(const void *p, size_t len);

#endif
