/*
 * parse -- the numbers users type: sizes and durations.
 */
#ifndef QHB_PARSE_H
#define QHB_PARSE_H

#include <stdint.h>

#include "err.h"

/* "128M", "1G", "4096", "64k": bytes, with binary K/M/G/T suffixes.
 * Returns 0, or -1 with e saying what was expected. */
int qhb_parse_size(const char *s, uint64_t *bytes, struct qhb_err *e);
/* "16ms", "1s", "2.5s", "5m", "1h", "250us", "60hz": nanoseconds.  A plain
 * number is seconds.  Returns 0, or -1 with e. */
int qhb_parse_duration(const char *s, uint64_t *ns, struct qhb_err *e);
/* A decimal unsigned integer in [min, max]; what names it for errors. */
int qhb_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *v,
    const char *what, struct qhb_err *e);

#endif
