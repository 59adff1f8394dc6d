/*
 * y4m -- pictures as a YUV4MPEG2 stream, the raw video that ffmpeg and
 * mpv read from a pipe.
 *
 * Colour space C420jpeg: full-range BT.601 (JPEG) Y'CbCr in 16-bit fixed
 * point (grey exact), chroma averaged over 2x2 pixels (odd sizes: the last column or row alone), alpha dropped
 * (pictures are composed over their background first).  All pictures of
 * one stream must have one size.
 */
#ifndef QHB_Y4M_H
#define QHB_Y4M_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "picture.h"

/* The stream header for w x h pictures at fps frames a second, into buf.
 * Returns its length. */
size_t qhb_y4m_header(char *buf, size_t size, unsigned w, unsigned h,
    unsigned fps);
/* Bytes of one FRAME (its "FRAME\n" line included) of a w x h picture. */
size_t qhb_y4m_frame_size(unsigned w, unsigned h);
/* Writes img as one FRAME into out (qhb_y4m_frame_size bytes).  Cannot
 * fail. */
void qhb_y4m_frame(const struct qhb_picture *img, uint8_t *out);
/* The part of it for chroma rows j0 .. j1 - 1 (picture rows 2 j0 ..
 * 2 j1 - 1), the "FRAME" line with row 0: bands of one frame can be
 * written by several threads at once.  Cannot fail. */
void qhb_y4m_frame_rows(const struct qhb_picture *img, uint8_t *out,
    unsigned j0, unsigned j1);

#endif
