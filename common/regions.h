/*
 * regions -- labelled ranges of guest physical addresses with colours, as
 * JSON (the form qhb-query writes), for tinting volumes.
 *
 * Accepted: an array, or an object whose "regions" member is one, of
 * objects {"start": A, "end": B} or {"start": A, "size": S}, with optional
 * "label" (string) and "color" ("#rrggbb"); A, B, S are integers or
 * strings "0x..." (hexadecimal) or decimal.
 */
#ifndef QHB_REGIONS_H
#define QHB_REGIONS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct qhb_region {
	uint64_t start, end;    /* [start, end) */
	uint8_t rgb[3];
	char label[64];
};

struct qhb_regions {
	struct qhb_region *v;
	size_t n;
};

/* Loads path into r (zeroed by the caller).  Returns 0, or -1 with e
 * naming the file and the region at fault; r is then empty. */
int qhb_regions_load(struct qhb_regions *r, const char *path,
    struct qhb_err *e);
/* Frees r; r is left empty and reusable.  NULL is a no-op. */
void qhb_regions_release(struct qhb_regions *r);

#endif
