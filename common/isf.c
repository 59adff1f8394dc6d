#include "isf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf.h"
#include "json.h"

#define QHB_ISF_VERSION "0.1.0"

/* Globals whose types BTF does not carry but Volatility's Linux plugins
 * read (BTF has types only for per-CPU variables). */
static const struct { const char *sym, *kind, *type; } globals[] = {
	{ "init_task", "struct", "task_struct" },
	{ "init_files", "struct", "files_struct" },
	{ "init_mm", "struct", "mm_struct" },
	{ "init_fs", "struct", "fs_struct" },
	{ "init_pid_ns", "struct", "pid_namespace" },
	{ "init_uts_ns", "struct", "uts_namespace" },
	{ "init_net", "struct", "net" },
	{ "modules", "struct", "list_head" },
	{ "cap_last_cap", "base", "int" },
	{ "vmemmap_base", "base", "long unsigned int" },
	{ "page_offset_base", "base", "long unsigned int" },
	{ "vmalloc_base", "base", "long unsigned int" },
	{ "phys_base", "base", "long unsigned int" },
	{ "max_pfn", "base", "long unsigned int" },
};

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* The ISF name of struct, union or enum id: its own, or unnamed_ID. */
static void type_name(const struct qhb_btf *b, uint32_t id, char *buf,
    size_t size)
{
	struct qhb_btf_type t;

	if (qhb_btf_type(b, id, &t) == 0 && t.name[0] != '\0')
		snprintf(buf, size, "%s", t.name);
	else
		snprintf(buf, size, "unnamed_%" PRIu32, id);
}

/* The type descriptor of BTF type id. */
static json_t *desc(const struct qhb_btf *b, uint32_t id, int depth)
{
	struct qhb_btf_type t;
	uint32_t el, n;
	char name[256];

	if (depth > 32 || id == 0 || qhb_btf_type(b, id, &t))
		return json_pack("{s:s,s:s}", "kind", "base", "name", "void");
	switch (t.kind) {
	case QHB_BTF_INT: case QHB_BTF_FLOAT:
		return json_pack("{s:s,s:s}", "kind", "base", "name", t.name);
	case QHB_BTF_PTR:
		return json_pack("{s:s,s:o}", "kind", "pointer", "subtype",
		    desc(b, t.size_type, depth + 1));
	case QHB_BTF_ARRAY:
		qhb_btf_array(b, id, &el, &n);
		return json_pack("{s:s,s:I,s:o}", "kind", "array", "count",
		    (json_int_t)n, "subtype", desc(b, el, depth + 1));
	case QHB_BTF_STRUCT: case QHB_BTF_UNION:
		type_name(b, id, name, sizeof(name));
		return json_pack("{s:s,s:s}", "kind", t.kind == QHB_BTF_STRUCT ?
		    "struct" : "union", "name", name);
	case QHB_BTF_FWD:
		return json_pack("{s:s,s:s}", "kind", t.kflag ? "union" :
		    "struct", "name", t.name);
	case QHB_BTF_ENUM: case QHB_BTF_ENUM64:
		type_name(b, id, name, sizeof(name));
		return json_pack("{s:s,s:s}", "kind", "enum", "name", name);
	case QHB_BTF_TYPEDEF: case QHB_BTF_VOLATILE: case QHB_BTF_CONST:
	case QHB_BTF_RESTRICT: case QHB_BTF_TYPE_TAG:
		return desc(b, t.size_type, depth + 1);
	case QHB_BTF_FUNC_PROTO:
		return json_pack("{s:s}", "kind", "function");
	default:
		return json_pack("{s:s,s:s}", "kind", "base", "name", "void");
	}
}

/* Bits of an INT type when it is a bitfield's, else 0. */
static unsigned int_bits(const struct qhb_btf *b, uint32_t id)
{
	struct qhb_btf_type t;
	unsigned bits;

	if ((id = qhb_btf_resolve(b, id)) == 0 || qhb_btf_type(b, id, &t) ||
	    t.kind != QHB_BTF_INT)
		return 0;
	bits = le32(t.extra) & 0xff;
	return bits != t.size_type * 8 ? bits : 0;
}

static json_t *fields(const struct qhb_btf *b, uint32_t id)
{
	struct qhb_btf_type t;
	json_t *f = json_object();

	qhb_btf_type(b, id, &t);
	for (unsigned i = 0; i < t.vlen; i++) {
		struct qhb_btf_member m;
		unsigned bits;
		char key[64];
		json_t *x;
		if (qhb_btf_member_at(b, id, i, &m))
			break;
		bits = m.bit_size ? m.bit_size : int_bits(b, m.type);
		if (m.name[0] == '\0') {
			snprintf(key, sizeof(key), "unnamed_field_%u", i);
			x = json_pack("{s:o,s:I,s:b}", "type", desc(b, m.type, 0),
			    "offset", (json_int_t)(m.bit_off / 8), "anonymous", 1);
		} else if (bits || m.bit_off % 8) {
			int64_t sz = qhb_btf_size(b, m.type);
			uint32_t unit = sz > 0 && sz <= 8 ? (uint32_t)sz : 4;
			uint32_t off = m.bit_off / (unit * 8) * unit;
			x = json_pack("{s:{s:s,s:I,s:I,s:o},s:I}", "type",
			    "kind", "bitfield", "bit_position",
			    (json_int_t)(m.bit_off - off * 8), "bit_length",
			    (json_int_t)(bits ? bits : 1), "type",
			    desc(b, m.type, 0), "offset", (json_int_t)off);
		} else {
			x = json_pack("{s:o,s:I}", "type", desc(b, m.type, 0),
			    "offset", (json_int_t)(m.bit_off / 8));
		}
		json_object_set_new(f, m.name[0] ? m.name : key, x);
	}
	return f;
}

static json_t *enum_json(const struct qhb_btf *b, const struct qhb_btf_type *t)
{
	json_t *c = json_object();
	int is64 = t->kind == QHB_BTF_ENUM64, sign = 0;
	const char *base;

	for (unsigned i = 0; i < t->vlen; i++) {
		const uint8_t *x = t->extra + (is64 ? 12 : 8) * i;
		uint32_t no = le32(x);
		int64_t v = is64 ? (int64_t)((uint64_t)le32(x + 8) << 32 |
		    le32(x + 4)) : (int32_t)le32(x + 4);
		if (no < b->strs_len)
			json_object_set_new(c, b->strs + no, json_integer(v));
		sign |= v < 0;
	}
	switch (t->size_type) {
	case 1: base = sign ? "signed char" : "unsigned char"; break;
	case 2: base = sign ? "short int" : "short unsigned int"; break;
	case 8: base = sign ? "long int" : "long unsigned int"; break;
	default: base = sign ? "int" : "unsigned int"; break;
	}
	return json_pack("{s:I,s:s,s:o}", "size", (json_int_t)t->size_type,
	    "base", base, "constants", c);
}

/* The bytes of linux_banner, NUL included, base64. */
static json_t *banner_data(struct qhb_kernel *k, uint64_t a)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char s[512], out[700];
	size_t n, o = 0;

	if (qhb_kernel_str(k, a, s, sizeof(s), NULL))
		return NULL;
	n = strlen(s) + 1;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(uint8_t)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(uint8_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (uint8_t)s[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return json_string(out);
}

json_t *qhb_isf_build(struct qhb_kernel *k, struct qhb_err *e)
{
	const struct qhb_btf *b = &k->btf;
	json_t *isf, *base = json_object(), *user = json_object();
	json_t *enums = json_object(), *syms = json_object(), *meta;
	struct qhb_btf_type t;
	char name[256];

	if (b->n <= 1 || k->nsyms == 0) {
		qhb_err_set(e, "isf: needs the kernel's BTF and symbols");
		goto err;
	}
	json_object_set_new(base, "void", json_pack("{s:i,s:b,s:s,s:s}",
	    "size", 0, "signed", 0, "kind", "void", "endian", "little"));
	json_object_set_new(base, "pointer", json_pack("{s:i,s:b,s:s,s:s}",
	    "size", 8, "signed", 0, "kind", "int", "endian", "little"));
	for (uint32_t id = 1; id < b->n; id++) {
		if (qhb_btf_type(b, id, &t))
			continue;
		switch (t.kind) {
		case QHB_BTF_INT: {
			unsigned enc = le32(t.extra) >> 24 & 0xf;
			const char *kind = enc & 4 ? "bool" :
			    strstr(t.name, "char") ? "char" : "int";
			if (json_object_get(base, t.name) == NULL)
				json_object_set_new(base, t.name, json_pack(
				    "{s:I,s:b,s:s,s:s}", "size",
				    (json_int_t)t.size_type, "signed", enc & 1,
				    "kind", kind, "endian", "little"));
			break;
		}
		case QHB_BTF_FLOAT:
			if (json_object_get(base, t.name) == NULL)
				json_object_set_new(base, t.name, json_pack(
				    "{s:I,s:b,s:s,s:s}", "size",
				    (json_int_t)t.size_type, "signed", 1,
				    "kind", "float", "endian", "little"));
			break;
		case QHB_BTF_STRUCT: case QHB_BTF_UNION:
			type_name(b, id, name, sizeof(name));
			if (json_object_get(user, name) == NULL)
				json_object_set_new(user, name, json_pack(
				    "{s:s,s:I,s:o}", "kind", t.kind ==
				    QHB_BTF_STRUCT ? "struct" : "union", "size",
				    (json_int_t)t.size_type, "fields",
				    fields(b, id)));
			break;
		case QHB_BTF_ENUM: case QHB_BTF_ENUM64:
			type_name(b, id, name, sizeof(name));
			if (json_object_get(enums, name) == NULL)
				json_object_set_new(enums, name, enum_json(b, &t));
			break;
		}
	}
	/* declared, never defined: empty, so that references resolve */
	for (uint32_t id = 1; id < b->n; id++)
		if (qhb_btf_type(b, id, &t) == 0 && t.kind == QHB_BTF_FWD &&
		    json_object_get(user, t.name) == NULL)
			json_object_set_new(user, t.name, json_pack(
			    "{s:s,s:i,s:{}}", "kind", t.kflag ? "union" :
			    "struct", "size", 0, "fields"));
	/* symbols, at their link-time addresses (as in System.map) */
	for (size_t i = 0; i < k->nsyms; i++) {
		const char *sn = k->names + k->syms[i].name;
		uint64_t a = k->syms[i].addr;
		if (a >= QHB_START_KERNEL_MAP)
			a -= k->kaslr_virt;
		if (json_object_get(syms, sn) == NULL)
			json_object_set_new(syms, sn, json_pack("{s:o}",
			    "address", qhb_json_u64(a)));
	}
	/* types: BTF's variables (per-CPU), then the globals above */
	for (uint32_t id = 1; id < b->n; id++) {
		json_t *s;
		if (qhb_btf_type(b, id, &t) || t.kind != QHB_BTF_VAR ||
		    (s = json_object_get(syms, t.name)) == NULL)
			continue;
		json_object_set_new(s, "type", desc(b, t.size_type, 0));
	}
	for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++) {
		json_t *s = json_object_get(syms, globals[i].sym);
		if (s == NULL)
			continue;
		json_object_set_new(s, "type", json_pack("{s:s,s:s}", "kind",
		    globals[i].kind, "name", globals[i].type));
	}
	{
		uint64_t a;
		json_t *s = json_object_get(syms, "linux_banner"), *d;
		if (s == NULL || qhb_kernel_sym(k, "linux_banner", &a) ||
		    (d = banner_data(k, a)) == NULL) {
			qhb_err_set(e, "isf: linux_banner is not readable");
			goto err;
		}
		json_object_set_new(s, "constant_data", d);
		json_object_set_new(s, "type", json_pack("{s:s,s:I,s:{s:s,s:s}}",
		    "kind", "array", "count", (json_int_t)(json_string_length(d)
		    * 3 / 4), "subtype", "kind", "base", "name", "char"));
	}
	meta = json_pack("{s:s,s:{s:s,s:s},s:{s:[{s:s,s:s}],s:[{s:s,s:s}]}}",
	    "format", "6.2.0", "producer", "name", "qhb-query", "version",
	    QHB_ISF_VERSION, "linux", "symbols", "kind", "symtab", "name",
	    k->sym_source, "types", "kind", "dwarf", "name", k->type_source);
	isf = json_pack("{s:o,s:o,s:o,s:o,s:o}", "metadata", meta,
	    "base_types", base, "user_types", user, "enums", enums,
	    "symbols", syms);
	if (isf == NULL) {
		qhb_err_set(e, "isf: out of memory");
		return NULL;
	}
	return isf;
err:
	json_decref(base);
	json_decref(user);
	json_decref(enums);
	json_decref(syms);
	return NULL;
}
