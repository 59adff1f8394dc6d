/*
 * classify -- what a page of guest RAM holds, judged by its content alone:
 * zero, one byte repeated, printable text, machine code, pointers, or
 * other; and its byte entropy.  Used for qhb-hilbert's class and entropy
 * colours.
 * Knows nothing of volumes or streams.
 */
#ifndef QHB_CLASSIFY_H
#define QHB_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

enum qhb_class {
	QHB_CLASS_ZERO,      /* every byte 0 */
	QHB_CLASS_FILL,      /* every byte the same, not 0 (0xff, 0xcc, ...) */
	QHB_CLASS_TEXT,      /* mostly printable ASCII */
	QHB_CLASS_CODE,      /* x86-64 machine code, by opcode statistics */
	QHB_CLASS_POINTER,   /* many aligned words are canonical addresses */
	QHB_CLASS_OTHER,
	QHB_CLASS_COUNT
};

/* Summary of one block of bytes.  Cannot fail. */
struct qhb_class_info {
	enum qhb_class cls;
	unsigned entropy;    /* Shannon entropy of the bytes, 0..255 for 0..8 bits */
};

/* Classifies n bytes at p (n a multiple of 8, at least 64 for a meaningful
 * answer). */
void qhb_classify(const uint8_t *p, size_t n, struct qhb_class_info *out);
/* "zero", "fill", "text", "code", "pointer", "other". */
const char *qhb_class_name(enum qhb_class c);

#endif
