/*
 * btf -- the BPF Type Format that a Linux kernel keeps of itself.
 *
 * The kernel's .BTF section (Documentation/bpf/btf.rst) describes every
 * type of the kernel: a 24-byte header, an array of variable-length type
 * records, and a string table.  This parser copies the bytes, checks every
 * record against the section's bounds once, and then answers questions
 * about structs and their members.  Nothing here trusts the bytes: a
 * malformed section fails to load, a lookup that finds nothing fails.
 */
#ifndef QHB_BTF_H
#define QHB_BTF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum qhb_btf_kind {
	QHB_BTF_UNKN, QHB_BTF_INT, QHB_BTF_PTR, QHB_BTF_ARRAY,
	QHB_BTF_STRUCT, QHB_BTF_UNION, QHB_BTF_ENUM, QHB_BTF_FWD,
	QHB_BTF_TYPEDEF, QHB_BTF_VOLATILE, QHB_BTF_CONST, QHB_BTF_RESTRICT,
	QHB_BTF_FUNC, QHB_BTF_FUNC_PROTO, QHB_BTF_VAR, QHB_BTF_DATASEC,
	QHB_BTF_FLOAT, QHB_BTF_DECL_TAG, QHB_BTF_TYPE_TAG, QHB_BTF_ENUM64,
};

struct qhb_btf {
	uint8_t *data;          /* owned copy of the section */
	size_t size;
	const uint8_t *types;   /* type records, types_len bytes */
	uint32_t types_len;
	const char *strs;       /* string table, strs_len bytes, NUL-ended */
	uint32_t strs_len;
	uint32_t *off;          /* off[id]: record of type id; id 0 is void */
	uint32_t n;             /* ids 1..n-1 are types */
};

/* A type record, decoded. */
struct qhb_btf_type {
	const char *name;       /* "" when anonymous */
	int kind;               /* enum qhb_btf_kind */
	unsigned vlen, kflag;
	uint32_t size_type;     /* size, or the type referred to */
	const uint8_t *extra;   /* the kind's trailing data */
};

/* A struct or union member. */
struct qhb_btf_member {
	const char *name;
	uint32_t type;
	uint32_t bit_off;       /* from the start of the outermost struct */
	uint32_t bit_size;      /* 0 unless a bitfield */
};

/*
 * Functions used to load.
 */

/* Copies and checks a BTF section of len bytes.  Returns 0, or -1 with e
 * naming the byte of the first record that does not fit, b then empty. */
int qhb_btf_load(struct qhb_btf *b, const void *buf, size_t len,
    struct qhb_err *e);
/* Frees what load allocated; b is left empty and reusable. */
void qhb_btf_release(struct qhb_btf *b);

/*
 * Functions used to ask.
 */

/* Fills t for id.  Returns 0, or -1 for an id out of range. */
int qhb_btf_type(const struct qhb_btf *b, uint32_t id, struct qhb_btf_type *t);
/* The id of the first type of kind with that name; 0 when none. */
uint32_t qhb_btf_find(const struct qhb_btf *b, int kind, const char *name);
/* Follows typedefs and qualifiers to the type they name; 0 on a loop. */
uint32_t qhb_btf_resolve(const struct qhb_btf *b, uint32_t id);
/* The size in bytes of type id (pointers 8); -1 when it has none. */
int64_t qhb_btf_size(const struct qhb_btf *b, uint32_t id);
/* Member i (0 <= i < vlen) of struct or union id, offsets relative. */
int qhb_btf_member_at(const struct qhb_btf *b, uint32_t id, unsigned i,
    struct qhb_btf_member *m);
/* Finds member name in struct or union id, also inside anonymous members;
 * name may be a path "a.b.c".  Returns 0 with m filled (bit_off from the
 * start of id), or -1. */
int qhb_btf_member(const struct qhb_btf *b, uint32_t id, const char *name,
    struct qhb_btf_member *m);
/* The byte offset of member path in struct sname, or -1. */
int64_t qhb_btf_offsetof(const struct qhb_btf *b, const char *sname,
    const char *path);
/* The element type and count of array id; -1 when not an array. */
int qhb_btf_array(const struct qhb_btf *b, uint32_t id, uint32_t *elem,
    uint32_t *count);

#endif
