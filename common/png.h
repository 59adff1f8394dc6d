/*
 * png -- PNG encoding for speed, into memory, several pictures at once.
 *
 * Pictures (common/picture.h, rgba8) are encoded with libpng at zlib
 * level 1, the Z_RLE strategy and the "sub" filter only: the choices that
 * encode fastest while still shrinking the flat areas of a volume
 * picture.  Opaque pictures are written as RGB.
 */
#ifndef QHB_PNG_H
#define QHB_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "picture.h"

/* An encoded PNG; free buf with free(). */
struct qhb_png {
	uint8_t *buf;
	size_t len, cap;
};

/* Encodes img into p (zeroed by the caller).  level is the zlib level
 * (-1: 1).  Returns 0, or -1 with e and p empty. */
int qhb_png_encode(const struct qhb_picture *img, int level, struct qhb_png *p,
    struct qhb_err *e);
/* Encodes n pictures into p[0..n) on up to threads threads (0: one per
 * CPU).  Returns 0, or -1 with e (the first failure) and every p empty. */
int qhb_png_encode_many(const struct qhb_picture *imgs, unsigned n, int level,
    struct qhb_png *p, unsigned threads, struct qhb_err *e);
void qhb_png_release(struct qhb_png *p);

/* Decodes a PNG in memory to rgba8 (for tests).  Returns 0, or -1 with e. */
int qhb_png_decode(const uint8_t *buf, size_t len, struct qhb_picture *img,
    struct qhb_err *e);

#endif
