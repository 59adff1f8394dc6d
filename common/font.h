/*
 * font -- a built-in 5x7 bitmap font for labels on pictures.
 *
 * Printable ASCII (32 to 126), drawn for qhb; other bytes show as '?'.
 * Each glyph takes a 6x8 cell (one column and one row of spacing).
 */
#ifndef QHB_FONT_H
#define QHB_FONT_H

#include <stdint.h>

#include "picture.h"

#define QHB_FONT_CW 6        /* cell, spacing included */
#define QHB_FONT_CH 8

/* The 7 rows of glyph c, bit 4 the leftmost column. */
const uint8_t *qhb_font_glyph(unsigned char c);
/* Width in pixels of s drawn at scale. */
unsigned qhb_font_width(const char *s, unsigned scale);
/* Draws s with its top left corner at (x, y), scale pixels a font pixel,
 * in rgba (alpha blended over the picture), clipped to img; with a shadow
 * one pixel down and right in shadow when shadow's alpha is not 0.
 * Cannot fail. */
void qhb_font_draw(struct qhb_picture *img, int x, int y, const char *s,
    unsigned scale, uint32_t rgba, uint32_t shadow);

#endif
