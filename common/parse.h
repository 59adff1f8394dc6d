/*
 * parse -- the values users type on command lines: whole numbers, sizes,
 * addresses, durations, real numbers, pairs and tuples, colours and output
 * names.  Every program of cmd/ parses its options through it, so each kind
 * of value is read one way everywhere.
 *
 * Each function reads the whole string s (no leading blanks, no trailing
 * bytes) and takes what, the option's name ("--hot"), which opens its
 * message: "--hot: '1.5': expected a whole number from 1 to 100".  A NULL
 * what leaves the name out.  Whole numbers are decimal digits only: no
 * sign, no fraction, no exponent, no leading blanks; an empty string, a
 * value out of range and an overflow are refused.  Real numbers are finite:
 * NaN and the infinities are refused.  On failure each returns -1, fills e
 * and leaves *v (or whatever it writes) unchanged; on success it returns 0.
 */
#ifndef QHB_PARSE_H
#define QHB_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Functions used to read whole numbers: "4096", decimal, in [min, max]. */
int qhb_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *v,
    const char *what, struct qhb_err *e);
int qhb_parse_unsigned(const char *s, unsigned min, unsigned max,
    unsigned *v, const char *what, struct qhb_err *e);
/* As qhb_parse_uint; a leading '-' only when min is negative. */
int qhb_parse_int(const char *s, int min, int max, int *v, const char *what,
    struct qhb_err *e);

/* Functions used to read quantities with units. */
/* "128M", "1G", "4096", "64k", "2GiB": bytes, with binary K/M/G/T
 * suffixes (an "i" and a "B" after them allowed). */
int qhb_parse_size(const char *s, uint64_t *bytes, const char *what,
    struct qhb_err *e);
/* A byte address: decimal, 0x hexadecimal, or a size as above ("16M"). */
int qhb_parse_addr(const char *s, uint64_t *addr, const char *what,
    struct qhb_err *e);
/* "16ms", "1s", "2.5s", "5m", "1h", "250us", "60hz": nanoseconds, at least
 * 1.  A plain number is seconds. */
int qhb_parse_duration(const char *s, uint64_t *ns, const char *what,
    struct qhb_err *e);
/* "30", "-12.5", "1e-3": a finite decimal real number in [min, max]; no
 * hexadecimal, NaN or infinity. */
int qhb_parse_double(const char *s, double min, double max, double *v,
    const char *what, struct qhb_err *e);

/* Functions used to read several numbers in one argument.  The message
 * quotes the part that is wrong. */
/* "640x480" (or "640X480"): two whole numbers, each from 1 to max. */
int qhb_parse_pair(const char *s, unsigned max, unsigned *a, unsigned *b,
    const char *what, struct qhb_err *e);
/* "X,Y" or "X,Y,Z" for n of 2 or 3: whole numbers from 0 to UINT32_MAX. */
int qhb_parse_coords(const char *s, unsigned n, uint32_t *v,
    const char *what, struct qhb_err *e);

/* Functions used to read other values. */
/* "#rrggbb", "#rrggbbaa" (hex digits, alpha ff when left out), "black",
 * "white", or "none" or "transparent" (all zero): the colour with red in
 * the low byte and alpha in the high byte. */
int qhb_parse_color(const char *s, uint32_t *rgba, const char *what,
    struct qhb_err *e);
/* An output file's name: NULL (none given) or any string but the empty
 * one, which would otherwise fail late, as a rename or a pattern error. */
int qhb_parse_path(const char *s, const char *what, struct qhb_err *e);
/* Bytes in hex ("01d8"): an even number of hex digits, 1 to max bytes,
 * into b and their count into *n.  The message names no option (the
 * bytes are an operand: the caller names them). */
int qhb_parse_hex(const char *s, uint8_t *b, size_t max, size_t *n,
    struct qhb_err *e);

#endif
