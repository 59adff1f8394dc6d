#include "btf.h"

#include <stdlib.h>
#include <string.h>

#define BTF_MAGIC 0xeb9f
#define MAX_TYPES (1u << 22)

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Bytes of trailing data a record of this kind and vlen carries, or -1. */
static int64_t extra_len(int kind, uint32_t vlen)
{
	switch (kind) {
	case QHB_BTF_INT: return 4;
	case QHB_BTF_PTR: case QHB_BTF_FWD: case QHB_BTF_TYPEDEF:
	case QHB_BTF_VOLATILE: case QHB_BTF_CONST: case QHB_BTF_RESTRICT:
	case QHB_BTF_FUNC: case QHB_BTF_FLOAT: case QHB_BTF_TYPE_TAG:
		return 0;
	case QHB_BTF_ARRAY: return 12;
	case QHB_BTF_STRUCT: case QHB_BTF_UNION: return 12 * (int64_t)vlen;
	case QHB_BTF_ENUM: return 8 * (int64_t)vlen;
	case QHB_BTF_FUNC_PROTO: return 8 * (int64_t)vlen;
	case QHB_BTF_VAR: return 4;
	case QHB_BTF_DATASEC: return 12 * (int64_t)vlen;
	case QHB_BTF_DECL_TAG: return 4;
	case QHB_BTF_ENUM64: return 12 * (int64_t)vlen;
	default: return -1;
	}
}

void qhb_btf_release(struct qhb_btf *b)
{
	free(b->data);
	free(b->off);
	memset(b, 0, sizeof(*b));
}

int qhb_btf_load(struct qhb_btf *b, const void *buf, size_t len,
    struct qhb_err *e)
{
	uint32_t hdr_len, type_off, type_len, str_off, str_len, pos, cap;
	const uint8_t *p = buf;

	memset(b, 0, sizeof(*b));
	if (len < 24 || (p[0] | p[1] << 8) != BTF_MAGIC || p[2] != 1)
		return qhb_err_at(e, 0, "expected BTF magic eb9f version 1");
	hdr_len = le32(p + 4);
	type_off = le32(p + 8);
	type_len = le32(p + 12);
	str_off = le32(p + 16);
	str_len = le32(p + 20);
	if (hdr_len < 24 || hdr_len > len ||
	    (uint64_t)hdr_len + type_off + type_len > len ||
	    (uint64_t)hdr_len + str_off + str_len > len || str_len == 0)
		return qhb_err_at(e, 4, "BTF header sections outside its %zu "
		    "bytes", len);
	if ((b->data = malloc(len)) == NULL)
		return qhb_err_set(e, "out of memory");
	memcpy(b->data, buf, len);
	b->size = len;
	b->types = b->data + hdr_len + type_off;
	b->types_len = type_len;
	b->strs = (const char *)b->data + hdr_len + str_off;
	b->strs_len = str_len;
	if (b->strs[str_len - 1] != '\0') {
		qhb_err_at(e, hdr_len + str_off + str_len - 1,
		    "BTF string table does not end in NUL");
		goto err;
	}
	cap = 1024;
	if ((b->off = malloc(cap * sizeof(*b->off))) == NULL)
		goto oom;
	b->off[0] = 0;
	b->n = 1;
	for (pos = 0; pos < type_len;) {
		uint32_t info, vlen;
		int64_t x;
		int kind;
		if (type_len - pos < 12) {
			qhb_err_at(e, hdr_len + type_off + pos,
			    "BTF type record cut short");
			goto err;
		}
		info = le32(b->types + pos + 4);
		kind = (info >> 24) & 0x1f;
		vlen = info & 0xffff;
		if ((x = extra_len(kind, vlen)) < 0 ||
		    (uint64_t)x > type_len - pos - 12) {
			qhb_err_at(e, hdr_len + type_off + pos,
			    "BTF type %u: bad kind %d or length", b->n, kind);
			goto err;
		}
		if (b->n == MAX_TYPES) {
			qhb_err_set(e, "more than %u BTF types", MAX_TYPES);
			goto err;
		}
		if (b->n == cap) {
			void *v = realloc(b->off, 2 * cap * sizeof(*b->off));
			if (v == NULL)
				goto oom;
			b->off = v;
			cap *= 2;
		}
		b->off[b->n++] = pos;
		pos += 12 + (uint32_t)x;
	}
	return 0;
oom:
	qhb_err_set(e, "out of memory");
err:
	qhb_btf_release(b);
	return -1;
}

static const char *str(const struct qhb_btf *b, uint32_t off)
{
	return off < b->strs_len ? b->strs + off : "";
}

int qhb_btf_type(const struct qhb_btf *b, uint32_t id, struct qhb_btf_type *t)
{
	const uint8_t *p;
	uint32_t info;

	if (id == 0 || id >= b->n)
		return -1;
	p = b->types + b->off[id];
	info = le32(p + 4);
	t->name = str(b, le32(p));
	t->kind = (info >> 24) & 0x1f;
	t->vlen = info & 0xffff;
	t->kflag = info >> 31;
	t->size_type = le32(p + 8);
	t->extra = p + 12;
	return 0;
}

uint32_t qhb_btf_find(const struct qhb_btf *b, int kind, const char *name)
{
	struct qhb_btf_type t;

	for (uint32_t id = 1; id < b->n; id++)
		if (qhb_btf_type(b, id, &t) == 0 && t.kind == kind &&
		    strcmp(t.name, name) == 0)
			return id;
	return 0;
}

uint32_t qhb_btf_resolve(const struct qhb_btf *b, uint32_t id)
{
	struct qhb_btf_type t;

	for (int i = 0; i < 64; i++) {
		if (qhb_btf_type(b, id, &t))
			return 0;
		switch (t.kind) {
		case QHB_BTF_TYPEDEF: case QHB_BTF_VOLATILE:
		case QHB_BTF_CONST: case QHB_BTF_RESTRICT:
		case QHB_BTF_TYPE_TAG:
			id = t.size_type;
			break;
		default:
			return id;
		}
	}
	return 0;
}

int64_t qhb_btf_size(const struct qhb_btf *b, uint32_t id)
{
	struct qhb_btf_type t;
	uint32_t elem = 0, count = 0;
	int64_t s;

	for (int depth = 0; depth < 16; depth++) {
		if ((id = qhb_btf_resolve(b, id)) == 0 ||
		    qhb_btf_type(b, id, &t))
			return -1;
		switch (t.kind) {
		case QHB_BTF_INT: case QHB_BTF_STRUCT: case QHB_BTF_UNION:
		case QHB_BTF_ENUM: case QHB_BTF_ENUM64: case QHB_BTF_FLOAT:
		case QHB_BTF_DATASEC:
			return t.size_type;
		case QHB_BTF_PTR:
			return 8;
		case QHB_BTF_ARRAY:
			qhb_btf_array(b, id, &elem, &count);
			if (count == 0)
				return 0;
			/* Nested arrays multiply; recurse once per level. */
			s = qhb_btf_size(b, elem);
			if (s < 0 || (uint64_t)s > (UINT64_C(1) << 40) / count)
				return -1;
			return s * count;
		default:
			return -1;
		}
	}
	return -1;
}

int qhb_btf_array(const struct qhb_btf *b, uint32_t id, uint32_t *elem,
    uint32_t *count)
{
	struct qhb_btf_type t;

	if (qhb_btf_type(b, id, &t) || t.kind != QHB_BTF_ARRAY)
		return -1;
	*elem = le32(t.extra);
	*count = le32(t.extra + 8);
	return 0;
}

int qhb_btf_member_at(const struct qhb_btf *b, uint32_t id, unsigned i,
    struct qhb_btf_member *m)
{
	struct qhb_btf_type t;
	const uint8_t *x;
	uint32_t off;

	if (qhb_btf_type(b, id, &t) ||
	    (t.kind != QHB_BTF_STRUCT && t.kind != QHB_BTF_UNION) ||
	    i >= t.vlen)
		return -1;
	x = t.extra + 12 * i;
	off = le32(x + 8);
	m->name = str(b, le32(x));
	m->type = le32(x + 4);
	m->bit_off = t.kflag ? off & 0xffffff : off;
	m->bit_size = t.kflag ? off >> 24 : 0;
	return 0;
}

static int member1(const struct qhb_btf *b, uint32_t id, const char *name,
    size_t nlen, struct qhb_btf_member *m, int depth)
{
	struct qhb_btf_type t;

	if (depth > 8 || (id = qhb_btf_resolve(b, id)) == 0 ||
	    qhb_btf_type(b, id, &t))
		return -1;
	for (unsigned i = 0; i < t.vlen; i++) {
		struct qhb_btf_member x;
		if (qhb_btf_member_at(b, id, i, &x))
			return -1;
		if (x.name[0] == '\0') {
			if (member1(b, x.type, name, nlen, m, depth + 1) == 0) {
				m->bit_off += x.bit_off;
				return 0;
			}
		} else if (strlen(x.name) == nlen &&
		    memcmp(x.name, name, nlen) == 0) {
			*m = x;
			return 0;
		}
	}
	return -1;
}

int qhb_btf_member(const struct qhb_btf *b, uint32_t id, const char *name,
    struct qhb_btf_member *m)
{
	uint32_t base = 0;

	for (;;) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);
		if (member1(b, id, name, n, m, 0))
			return -1;
		m->bit_off += base;
		if (dot == NULL)
			return 0;
		base = m->bit_off;
		id = m->type;
		name = dot + 1;
	}
}

int64_t qhb_btf_offsetof(const struct qhb_btf *b, const char *sname,
    const char *path)
{
	struct qhb_btf_member m;
	uint32_t id = qhb_btf_find(b, QHB_BTF_STRUCT, sname);

	if (id == 0 || qhb_btf_member(b, id, path, &m))
		return -1;
	return m.bit_off / 8;
}
