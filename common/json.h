/*
 * json -- our JSON writers around jansson: the numbers jansson cannot
 * hold, strings that are always valid and escaped, and one printer.
 *
 * jansson keeps integers as int64_t and prints reals with "%.17g".  A
 * value it cannot write our way (a u64 above INT64_MAX, a real with a
 * fixed number of decimals) is carried in the tree as a marked string,
 * the number's text behind a NUL byte, and qhb_json_print() writes the
 * text as a plain number.  No string made from C text can hold a NUL,
 * so nothing read from a guest or a file can pass for a marked number.
 *
 * Values returned are new references (json_decref frees them), or NULL
 * when out of memory.
 */
#ifndef QHB_JSON_H
#define QHB_JSON_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

/*
 * Functions used to make values.
 */

/* A u64 as a JSON number, also above INT64_MAX. */
json_t *qhb_json_u64(uint64_t v);
/* A real written with decimals digits after the point ("%.*f"), as
 * solver times are. */
json_t *qhb_json_fixed(double v, int decimals);
/* A u64 as the string "0x..." (lowercase, no padding). */
json_t *qhb_json_hex(uint64_t v);
/* A JSON string of s; when s is not UTF-8, its bytes from 0x80 up become
 * '?' (JSON cannot carry them, and dropping the key would hide it). */
json_t *qhb_json_text(const char *s);

/*
 * Functions used to write.  Each returns 0, or -1 when out of memory or
 * on a write error (f's error flag then says which).
 */

/* Writes j as json_dumpf() would, with the marked numbers as numbers. */
int qhb_json_print(json_t *j, FILE *f, size_t flags);
/* The same, then a newline: one JSON line when flags has JSON_COMPACT. */
int qhb_json_line(json_t *j, FILE *f, size_t flags);

/* Sets o[key] = v, clearing *ok when v is NULL or the slot could not be
 * made (out of memory), so that no key is silently left out: build an
 * object with several calls, then check ok once. */
void qhb_json_put(json_t *o, const char *key, json_t *v, int *ok);

#endif
