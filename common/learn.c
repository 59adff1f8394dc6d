/*
 * learn.c -- the microcode library and the --eval state format.
 */
#include "learn.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <xxhash.h>

#include "infile.h"
#include "json.h"
#include "outfile.h"

/* A library is read whole: a bound on what a device or a wrong file can
 * make us read.  Each entry is some hundred bytes, a boot's hot blocks
 * some thousand entries: the limit is far above any library learned. */
#define LIB_MAX (256ull << 20)

static const char *const reg_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static int unhex(const char *h, uint8_t *b, size_t max)
{
	size_t n = strlen(h);

	if (n % 2 || n / 2 > max || n == 0)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return -1;
		b[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

void qhb_learn_key(const struct qhb_x86sem_form *f, char key[17])
{
	/* the key text: forms the same up to an address meet (a form
	 * without parameters keys as its text did before them) */
	snprintf(key, 17, "%016" PRIx64, (uint64_t)XXH3_64bits(f->key,
	    strlen(f->key)));
}

int qhb_learn_entry_bind(struct qhb_learn_entry *en,
    const struct qhb_x86sem_form *f, struct qhb_err *e)
{
	if (!en->proven)
		return 0;
	return qhb_pcpu_bind(en->tmpl, en->n, f->param, f->nparam, en->prog, e);
}

size_t qhb_learn_lib_count(const struct qhb_learn_lib *l)
{
	return l->forms ? json_object_size(l->forms) : 0;
}

/* The hash that binds an entry to what makes it what it is: its key,
 * form, bytes, status, each microcode instruction and its model.  Each
 * field seeds the next one's hash, so that no two lists of fields chain
 * to the same input. */
static void entry_hash(json_t *v, const char *key, char out[17])
{
	static const char *const fields[] = { "form", "bytes", "status" };
	json_t *mc = json_object_get(v, "microcode");
	char num[32];
	uint64_t h = XXH3_64bits("qhb-microcode entry", 19);

	h = XXH3_64bits_withSeed(key, strlen(key), h);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *t = json_string_value(json_object_get(v, fields[i]));

		h = XXH3_64bits_withSeed(t ? t : "", t ? strlen(t) : 0, h);
	}
	snprintf(num, sizeof(num), "%zu", json_array_size(mc));
	h = XXH3_64bits_withSeed(num, strlen(num), h);
	for (size_t i = 0; i < json_array_size(mc); i++) {
		const char *t = json_string_value(json_array_get(mc, i));

		h = XXH3_64bits_withSeed(t ? t : "", t ? strlen(t) : 0, h);
	}
	snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
	    json_integer_value(json_object_get(v, "model")));
	h = XXH3_64bits_withSeed(num, strlen(num), h);
	snprintf(out, 17, "%016" PRIx64, h);
}

/* Sets v's "hash" to what it holds now.  Returns 0, or -1 when out of
 * memory. */
static int entry_stamp(json_t *v, const char *key)
{
	char h[17];

	entry_hash(v, key, h);
	return json_object_set_new(v, "hash", json_string(h));
}

/* Parses v's microcode into out->prog and out->n.  Returns 0, or -1 with
 * why (of size n) saying what is wrong. */
static int entry_prog(json_t *v, struct qhb_learn_entry *out, char *why,
    size_t n)
{
	json_t *mc = json_object_get(v, "microcode"), *x;
	struct qhb_err ie = { 0 };
	size_t i;

	out->n = 0;
	if (!json_is_array(mc) || json_array_size(mc) > QHB_PCPU_MAXPROG) {
		snprintf(why, n, "expected \"microcode\", an array of at most "
		    "%d instructions", QHB_PCPU_MAXPROG);
		return -1;
	}
	for (i = 0; i < json_array_size(mc); i++) {
		x = json_array_get(mc, i);
		if (!json_is_string(x)) {
			snprintf(why, n, "microcode %zu: expected a string", i);
			return -1;
		}
		if (qhb_pcpu_parse(json_string_value(x), &out->prog[i], &ie) < 0) {
			snprintf(why, n, "microcode %zu: %.80s", i, ie.msg);
			return -1;
		}
	}
	if (qhb_pcpu_check(out->prog, i, &ie) < 0) {
		snprintf(why, n, "microcode: %.96s", ie.msg);
		return -1;
	}
	out->n = (unsigned)i;
	return 0;
}

/* 1 when the form of v's bytes has no effect at all (nop, pause,
 * prefetch): no register, flag or memory written and no fault, the only
 * forms whose proven microcode may be empty. */
static int entry_no_effect(json_t *v)
{
	const char *hex = json_string_value(json_object_get(v, "bytes"));
	struct qhb_x86sem_form f;
	struct qhb_err ie = { 0 };
	uint8_t b[16];
	size_t n = hex ? strlen(hex) : 0;

	if (n == 0 || n % 2 || n / 2 > 15 ||
	    strspn(hex, "0123456789abcdefABCDEF") != n)
		return 0;
	for (size_t i = 0; i < n / 2; i++)
		b[i] = (uint8_t)strtoul((char[]){ hex[2 * i], hex[2 * i + 1],
		    0 }, NULL, 16);
	if (qhb_x86sem_decode(b, n / 2, &f, &ie) < 0 || !f.ok)
		return 0;
	return f.wregs == 0 && f.fwrite == 0 && !f.mem.write &&
	    f.div_src == QHB_X86SEM_NOREG && f.vec == QHB_X86SEM_VNONE &&
	    f.sys == QHB_X86SEM_SYS_NONE &&
	    (f.mem.kind == QHB_X86SEM_REG || f.mem.kind == QHB_X86SEM_MEMOP);
}

/* Checks one entry and decodes it into out (when not NULL): a "proven"
 * entry that fails a check is out->unverified with the reason.  Returns
 * 0, or -1 with e when the entry is not an entry at all. */
static int entry_get(json_t *v, const char *key, struct qhb_learn_entry *out,
    struct qhb_err *e)
{
	struct qhb_learn_entry tmp;
	json_t *st, *fm, *x;
	const char *h;
	char want[17];

	if (out == NULL)
		out = &tmp;
	memset(out, 0, sizeof(*out));
	if (!json_is_object(v) || !json_is_string(st = json_object_get(v,
	    "status")) || !json_is_string(fm = json_object_get(v, "form")))
		return qhb_err_set(e, "form %.20s: expected an object with "
		    "\"form\" and \"status\"", key);
	snprintf(out->form, sizeof(out->form), "%s", json_string_value(fm));
	if (json_is_number(x = json_object_get(v, "solver_seconds")))
		out->solver_seconds = json_number_value(x);
	if (json_is_number(x = json_object_get(v, "synth_seconds")))
		out->synth_seconds = json_number_value(x);
	if (json_is_string(x = json_object_get(v, "reason")))
		snprintf(out->reason, sizeof(out->reason), "%s",
		    json_string_value(x));
	if (json_is_string(x = json_object_get(v, "template")))
		snprintf(out->tmpl_from, sizeof(out->tmpl_from), "%s",
		    json_string_value(x));
	if (strcmp(json_string_value(st), "fallback") == 0) {
		out->demoted = json_is_true(json_object_get(v, "demoted"));
		return 0;
	}
	if (strcmp(json_string_value(st), "proven") != 0)
		return qhb_err_set(e, "form %.20s: status \"%.32s\": expected "
		    "\"proven\" or \"fallback\"", key, json_string_value(st));
	out->unverified = 1;
	entry_hash(v, key, want);
	if ((h = json_string_value(json_object_get(v, "hash"))) == NULL)
		snprintf(out->reason, sizeof(out->reason), "no hash (a library "
		    "of an older qhb-learn)");
	else if (strcmp(h, want) != 0)
		snprintf(out->reason, sizeof(out->reason), "hash mismatch (the "
		    "entry was edited or is corrupt)");
	else if (entry_prog(v, out, out->reason, sizeof(out->reason)) < 0)
		;
	else if (out->n == 0 && !entry_no_effect(v))
		snprintf(out->reason, sizeof(out->reason), "empty microcode "
		    "for a form with effects");
	else
		out->unverified = 0;
	if (out->unverified) {
		out->n = 0;
		return 0;
	}
	out->reason[0] = '\0';
	out->proven = 1;
	return 0;
}

int qhb_learn_entry_runnable(const struct qhb_learn_entry *en,
    struct qhb_err *e)
{
	if (en->proven && !en->unverified)
		return 1;
	if (e != NULL && en->unverified)
		qhb_err_set(e, "%s: microcode not verified: %s; not run "
		    "(qhb-learn --verify proves it again)", en->form, en->reason);
	else if (e != NULL)
		qhb_err_set(e, "%s: no microcode, falls back to QEMU: %s",
		    en->form, en->reason);
	return 0;
}

int qhb_learn_lib_parse(struct qhb_learn_lib *l, const char *buf, size_t n,
    struct qhb_err *e)
{
	json_error_t je;
	json_t *root, *forms, *v, *ver;
	const char *key;
	size_t unverified = 0;
	char first[sizeof(l->unverified_first)] = "";

	root = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return qhb_err_at(e, (uint64_t)je.position, "line %d: %s",
		    je.line, je.text);
	forms = json_object_get(root, "forms");
	if (!json_is_object(root) || !json_is_integer(ver = json_object_get(root,
	    "qhb-microcode")) || !json_is_object(forms)) {
		json_decref(root);
		return qhb_err_set(e, "expected {\"qhb-microcode\": 1, "
		    "\"forms\": {...}}");
	}
	if (json_integer_value(ver) != QHB_LEARN_FORMAT) {
		qhb_err_set(e, "format version %" JSON_INTEGER_FORMAT
		    " (\"qhb-microcode\") unknown: this qhb-learn reads "
		    "version %d", json_integer_value(ver), QHB_LEARN_FORMAT);
		json_decref(root);
		return -1;
	}
	json_object_foreach(forms, key, v) {
		struct qhb_learn_entry en;

		if (entry_get(v, key, &en, e) < 0) {
			json_decref(root);
			return -1;
		}
		if (en.unverified && unverified++ == 0)
			snprintf(first, sizeof(first), "%s: %s", en.form,
			    en.reason);
	}
	json_decref(l->root);
	json_decref(l->shapes);
	l->shapes = NULL;
	l->root = root;
	l->forms = forms;
	l->dirty = 0;
	l->unverified = unverified;
	memcpy(l->unverified_first, first, sizeof(first));
	return 0;
}

int qhb_learn_lib_open(struct qhb_learn_lib *l, const char *path,
    struct qhb_err *e)
{
	char *buf;
	size_t n;
	int fd, rv;

	memset(l, 0, sizeof(*l));
	snprintf(l->path, sizeof(l->path), "%s", path);
	if ((fd = qhb_infile_open(path, NULL, NULL)) < 0) {
		if (errno != ENOENT) {
			qhb_err_sys(e, "open");
			qhb_err_path(e, path);
			return -1;
		}
		l->root = json_pack("{s:i,s:{}}", "qhb-microcode", 1, "forms");
		if (l->root == NULL)
			return qhb_err_set(e, "out of memory");
		l->forms = json_object_get(l->root, "forms");
		return 0;
	}
	rv = qhb_infile_read(fd, path, LIB_MAX, "a microcode library", &buf, &n,
	    e);
	close(fd);
	if (rv == 0 && (rv = qhb_learn_lib_parse(l, buf, n, e)) < 0)
		qhb_err_path(e, path);
	free(buf);
	return rv;
}

int qhb_learn_lib_save(struct qhb_learn_lib *l, struct qhb_err *e)
{
	struct qhb_outfile out;
	char *text;
	int rc = -1;

	if ((text = json_dumps(l->root, JSON_INDENT(1) | JSON_SORT_KEYS)) ==
	    NULL) {
		qhb_err_set(e, "out of memory");
		qhb_err_path(e, l->path);
		return -1;
	}
	/* Whole or not at all, and a signal mid-way leaves no temporary
	 * file: outfile.c owns both. */
	if (qhb_outfile_open(&out, l->path, 0, e) == 0) {
		if (qhb_write_all(out.fd, text, strlen(text), e) == 0 &&
		    qhb_write_all(out.fd, "\n", 1, e) == 0 &&
		    qhb_outfile_commit(&out, e) == 0)
			rc = 0;
		else
			qhb_outfile_abort(&out);
	}
	free(text);
	if (rc < 0)
		qhb_err_path(e, l->path);
	else
		l->dirty = 0;
	return rc;
}

void qhb_learn_lib_close(struct qhb_learn_lib *l)
{
	json_decref(l->root);
	json_decref(l->shapes);
	l->root = l->forms = l->shapes = NULL;
}

int qhb_learn_get(struct qhb_learn_lib *l, const struct qhb_x86sem_form *f,
    struct qhb_learn_entry *out, struct qhb_err *e)
{
	struct qhb_err ie = { 0 };
	char key[17];
	json_t *v;

	qhb_learn_key(f, key);
	if ((v = json_object_get(l->forms, key)) == NULL)
		return 0;
	if (entry_get(v, key, out, e) < 0)
		return -1;
	/* the template bound to this instance's parameters; one that names
	 * a parameter the form lacks is not run */
	memcpy(out->tmpl, out->prog, sizeof(out->tmpl));
	if (qhb_learn_entry_bind(out, f, &ie) < 0) {
		out->proven = 0;
		out->unverified = 1;
		out->n = 0;
		snprintf(out->reason, sizeof(out->reason), "microcode: %.100s",
		    ie.msg);
	}
	return 1;
}

int qhb_learn_wants(struct qhb_learn_lib *l, const struct qhb_x86sem_form *f,
    struct qhb_learn_entry *out, struct qhb_err *e)
{
	char key[17];
	int g;

	qhb_learn_key(f, key);
	/* a fallback of an older model is tried again: what it lacked may
	 * be modelled now; so is one that --verify demoted.  An unverified
	 * entry stays as it is until --verify decides. */
	if ((g = qhb_learn_get(l, f, out, e)) != 0 && (g < 0 || out->proven ||
	    out->unverified || (!out->demoted &&
	    json_integer_value(json_object_get(json_object_get(l->forms, key),
	    "model")) >= QHB_LEARN_MODEL)))
		return g < 0 ? -1 : 0;
	return 1;
}

/* Decodes an entry's "bytes" into f.  Returns 0, or -1 when they are not
 * one modelled form. */
static int entry_form(json_t *v, struct qhb_x86sem_form *f)
{
	const char *hex = json_string_value(json_object_get(v, "bytes"));
	struct qhb_err ie = { 0 };
	uint8_t b[16];
	int n;

	if (hex == NULL || (n = unhex(hex, b, 15)) < 0 ||
	    qhb_x86sem_decode(b, (size_t)n, f, &ie) < 0 || !f->ok)
		return -1;
	return 0;
}

/* Adds key, a proven entry of form f, to the shape index (when it is
 * built).  Returns 0, or -1 when out of memory. */
static int shape_add(struct qhb_learn_lib *l, const struct qhb_x86sem_form *f,
    const char *key)
{
	char sh[QHB_SYNTH_SHAPE];
	json_t *a;

	if (l->shapes == NULL)
		return 0;
	qhb_synth_shape(f, sh, sizeof(sh));
	if ((a = json_object_get(l->shapes, sh)) == NULL) {
		if ((a = json_array()) == NULL ||
		    json_object_set_new(l->shapes, sh, a) < 0)
			return -1;
	}
	for (size_t i = 0; i < json_array_size(a); i++)
		if (strcmp(json_string_value(json_array_get(a, i)), key) == 0)
			return 0;
	return json_array_append_new(a, json_string(key));
}

/* Builds the shape index of every proven entry: one pass, one decode an
 * entry.  Returns 0, or -1 when out of memory. */
static int shapes_build(struct qhb_learn_lib *l)
{
	const char *key;
	json_t *v;

	if ((l->shapes = json_object()) == NULL)
		return -1;
	json_object_foreach(l->forms, key, v) {
		struct qhb_x86sem_form f;
		const char *st = json_string_value(json_object_get(v, "status"));

		if (st == NULL || strcmp(st, "proven") != 0 ||
		    entry_form(v, &f) < 0)
			continue;
		if (shape_add(l, &f, key) < 0)
			return -1;
	}
	return 0;
}

int qhb_learn_templates(struct qhb_learn_lib *l,
    const struct qhb_x86sem_form *f, struct qhb_synth_tmpl *t, unsigned max,
    unsigned *n, struct qhb_err *e)
{
	char sh[QHB_SYNTH_SHAPE], key[17], sh2[QHB_SYNTH_SHAPE];
	json_t *a;

	*n = 0;
	if (!f->ok)
		return 0;
	if (l->shapes == NULL && shapes_build(l) < 0) {
		json_decref(l->shapes);
		l->shapes = NULL;
		return qhb_err_set(e, "out of memory");
	}
	qhb_learn_key(f, key);
	qhb_synth_shape(f, sh, sizeof(sh));
	a = json_object_get(l->shapes, sh);
	for (size_t i = 0; i < json_array_size(a) && *n < max; i++) {
		const char *k = json_string_value(json_array_get(a, i));
		json_t *v = json_object_get(l->forms, k);
		struct qhb_learn_entry en;
		struct qhb_err ie = { 0 };

		/* only what may run may serve: an entry that fails its
		 * checks, or is no longer proven, is passed over */
		if (v == NULL || strcmp(k, key) == 0 ||
		    entry_get(v, k, &en, &ie) < 0)
			continue;
		if (!qhb_learn_entry_runnable(&en, NULL) ||
		    entry_form(v, &t[*n].from) < 0)
			continue;
		qhb_synth_shape(&t[*n].from, sh2, sizeof(sh2));
		if (strcmp(sh, sh2) != 0)
			continue;
		memcpy(t[*n].p, en.prog, sizeof(t[*n].p));
		t[*n].n = en.n;
		(*n)++;
	}
	return 0;
}

int qhb_learn_add(struct qhb_learn_lib *l, const struct qhb_x86sem_form *f,
    const struct qhb_synth_result *r, struct qhb_learn_entry *out,
    struct qhb_err *e)
{
	char key[17], hex[40], z3v[32], text[96];
	json_t *v, *mc;

	qhb_learn_key(f, key);
	for (unsigned i = 0; i < f->len; i++)
		snprintf(hex + 2 * i, 3, "%02x", f->bytes[i]);
	mc = json_array();
	for (unsigned i = 0; i < r->n; i++) {
		qhb_pcpu_format(&r->prog[i], text, sizeof(text));
		json_array_append_new(mc, json_string(text));
	}
	v = json_pack("{s:s,s:s,s:s,s:o,s:f,s:f,s:s,s:i,s:i,s:i}", "form", f->text,
	    "bytes", hex, "status", r->status == QHB_SYNTH_PROVEN ? "proven" :
	    "fallback", "microcode", mc, "solver_seconds", r->solver_seconds,
	    "synth_seconds", r->seconds, "z3", qhb_synth_z3_version(z3v,
	    sizeof(z3v)), "candidates", (int)r->iterations, "tests",
	    (int)r->tests, "model", QHB_LEARN_MODEL);
	if (v == NULL)
		return qhb_err_set(e, "out of memory");
	if (r->status != QHB_SYNTH_PROVEN)
		json_object_set_new(v, "reason", json_string(r->reason));
	else if (r->tmpl_from[0] != '\0')
		json_object_set_new(v, "template", json_string(r->tmpl_from));
	if (r->tmpl_refuted > 0)
		json_object_set_new(v, "templates_refuted",
		    json_integer(r->tmpl_refuted));
	if (entry_stamp(v, key) < 0) {
		json_decref(v);
		return qhb_err_set(e, "out of memory");
	}
	if (json_object_set_new(l->forms, key, v) < 0 ||
	    (r->status == QHB_SYNTH_PROVEN && shape_add(l, f, key) < 0))
		return qhb_err_set(e, "out of memory");
	l->dirty = 1;
	return qhb_learn_get(l, f, out, e) == 1 ? 0 : -1;
}

int qhb_learn_synth(const struct qhb_x86sem_form *f,
    const struct qhb_synth_tmpl *t, unsigned n,
    const struct qhb_synth_opts *o, struct qhb_synth_result *r,
    struct qhb_err *e)
{
	unsigned refuted = 0;
	double secs = 0, zsecs = 0;

	for (unsigned i = 0; i < n; i++) {
		if (qhb_synth_template(f, &t[i], o, r, e) < 0)
			return -1;
		secs += r->seconds;
		zsecs += r->solver_seconds;
		if (r->status == QHB_SYNTH_PROVEN) {
			r->tmpl_refuted += refuted;
			r->seconds = secs;
			r->solver_seconds = zsecs;
			return 0;
		}
		refuted += r->tmpl_refuted;
	}
	/* no template holds: the search, which owes them nothing */
	if (qhb_synth_form(f, o, r, e) < 0)
		return -1;
	r->tmpl_refuted = refuted;
	r->seconds += secs;
	r->solver_seconds += zsecs;
	return 0;
}

int qhb_learn_form(struct qhb_learn_lib *l, const struct qhb_x86sem_form *f,
    const struct qhb_synth_opts *o, struct qhb_learn_entry *out,
    int *learned, struct qhb_err *e)
{
	struct qhb_synth_result r;
	struct qhb_synth_tmpl t[QHB_LEARN_TEMPLATES];
	unsigned nt = 0;
	int w;

	*learned = 0;
	if ((w = qhb_learn_wants(l, f, out, e)) <= 0)
		return w;
	if (qhb_learn_templates(l, f, t, QHB_LEARN_TEMPLATES, &nt, e) < 0 ||
	    qhb_learn_synth(f, t, nt, o, &r, e) < 0 ||
	    qhb_learn_add(l, f, &r, out, e) < 0)
		return -1;
	*learned = 1;
	return 0;
}

/* Demotes v to a fallback that says why, stamped again.  Returns 0, or -1
 * when out of memory. */
static int entry_demote(json_t *v, const char *key, int ok)
{
	if (json_object_set_new(v, "status", json_string("fallback")) < 0 ||
	    json_object_set_new(v, "reason", json_string(ok == 0 ?
	    "refuted by --verify" : "Z3 gave up in --verify")) < 0 ||
	    json_object_set_new(v, "demoted", json_true()) < 0)
		return -1;
	return entry_stamp(v, key);
}

int qhb_learn_verify(struct qhb_learn_lib *l, unsigned timeout_ms,
    void (*cb)(void *arg, const char *key, const char *form, int ok,
    double secs), void *arg, unsigned *total, unsigned *bad,
    struct qhb_err *e)
{
	const char *key;
	json_t *v, *b;

	*total = *bad = 0;
	json_object_foreach(l->forms, key, v) {
		struct qhb_learn_entry en;
		struct qhb_x86sem_form f;
		struct qhb_err ie = { 0 };
		uint8_t bytes[16];
		char k2[17] = "", why[128];
		double secs = 0;
		int n, ok = 0;

		if (entry_get(v, key, &en, e) < 0)
			return -1;
		if (!en.proven && !en.unverified)
			continue;
		b = json_object_get(v, "bytes");
		if (!json_is_string(b) || (n = unhex(json_string_value(b), bytes,
		    sizeof(bytes))) < 0)
			return qhb_err_set(e, "form %.20s: expected \"bytes\", "
			    "hex of at most 15 bytes", key);
		if (qhb_x86sem_decode(bytes, (size_t)n, &f, &ie) == 0) {
			qhb_learn_key(&f, k2);
		} else {
			snprintf(f.text, sizeof(f.text), "%s", en.form);
			f.ok = 0;
		}
		/* an entry whose bytes are not its form, or whose microcode
		 * does not parse, is refuted without asking Z3 */
		if (f.ok && strcmp(k2, key) == 0 &&
		    entry_prog(v, &en, why, sizeof(why)) == 0 &&
		    qhb_synth_prove(&f, en.prog, en.n, timeout_ms, &ok, &secs,
		    e) < 0)
			return -1;
		(*total)++;
		if (ok != 1) {
			(*bad)++;
			if (entry_demote(v, key, ok) < 0)
				return qhb_err_set(e, "out of memory");
			l->dirty = 1;
		} else if (en.unverified) {
			/* proven now: what was unverified is stamped */
			if (entry_stamp(v, key) < 0)
				return qhb_err_set(e, "out of memory");
			l->dirty = 1;
		}
		if (cb != NULL)
			cb(arg, key, f.text, ok, secs);
	}
	return 0;
}

static const struct { const char *name; int reg; } extra_regs[] = {
	{ "rflags", QHB_PCPU_FLAGS }, { "fs_base", QHB_PCPU_FSBASE },
	{ "gs_base", QHB_PCPU_GSBASE }, { "rip", QHB_PCPU_RIP },
	{ "es", QHB_PCPU_SEG }, { "cs", QHB_PCPU_SEG + 1 },
	{ "ss", QHB_PCPU_SEG + 2 }, { "ds", QHB_PCPU_SEG + 3 },
	{ "fs", QHB_PCPU_SEG + 4 }, { "gs", QHB_PCPU_SEG + 5 },
	{ "kernel_gs_base", QHB_PCPU_KGSBASE }, { "env", QHB_PCPU_ENV },
};

/* Register r's name in a state's text: its own, else "rN" (the
 * reserved registers and the vector lanes). */
static const char *state_reg_name(int r, char *buf, size_t size)
{
	if (r < 16)
		return reg_names[r];
	for (size_t i = 0; i < sizeof(extra_regs) / sizeof(extra_regs[0]); i++)
		if (extra_regs[i].reg == r)
			return extra_regs[i].name;
	snprintf(buf, size, "r%d", r);
	return buf;
}

/* The register a state's key names, -1 if none: a name, or "rN" for
 * any N below QHB_PCPU_NREG. */
static int state_reg(const char *key)
{
	char *end;
	unsigned long n;

	for (int i = 0; i < 16; i++)
		if (strcmp(key, reg_names[i]) == 0)
			return i;
	for (size_t i = 0; i < sizeof(extra_regs) / sizeof(extra_regs[0]); i++)
		if (strcmp(key, extra_regs[i].name) == 0)
			return extra_regs[i].reg;
	if (key[0] != 'r' || key[1] < '0' || key[1] > '9' ||
	    (key[1] == '0' && key[2] != 0))
		return -1;
	n = strtoul(key + 1, &end, 10);
	return *end == 0 && n < QHB_PCPU_NREG ? (int)n : -1;
}

static int hex_value(json_t *v, uint64_t *u)
{
	const char *t = json_string_value(v);
	char *end;

	errno = 0;
	if (t == NULL || (*u = strtoull(t, &end, 16), errno) || end == t ||
	    *end != 0)
		return -1;
	return 0;
}

int qhb_learn_state_parse(const char *line, struct qhb_pcpu_state *s,
    struct qhb_pcpu_mem *m, struct qhb_err *e)
{
	json_error_t je;
	json_t *o, *v;
	const char *key;
	int rv = 0;

	memset(s, 0, sizeof(*s));
	memset(m, 0, sizeof(*m));
	if ((o = json_loads(line, 0, &je)) == NULL)
		return qhb_err_set(e, "%s", je.text);
	if (!json_is_object(o)) {
		json_decref(o);
		return qhb_err_set(e, "expected an object of registers");
	}
	json_object_foreach(o, key, v) {
		int r = state_reg(key);

		if (strcmp(key, "mem_base") == 0) {
			if (hex_value(v, &m->base) < 0) {
				rv = qhb_err_set(e, "mem_base: expected a hex "
				    "string");
				break;
			}
			continue;
		}
		if (strcmp(key, "mem") == 0) {
			const char *t = json_string_value(v);
			size_t n = t ? strlen(t) : 0;

			if (t == NULL || n % 2 || n / 2 > QHB_LEARN_MAXMEM ||
			    strspn(t, "0123456789abcdefABCDEF") != n) {
				rv = qhb_err_set(e, "mem: expected up to %d bytes "
				    "in hex", QHB_LEARN_MAXMEM);
				break;
			}
			free(m->bytes);
			if ((m->bytes = malloc(n / 2 + 1)) == NULL) {
				rv = qhb_err_set(e, "out of memory");
				break;
			}
			m->size = (uint32_t)(n / 2);
			for (size_t i = 0; i < n / 2; i++)
				m->bytes[i] = (uint8_t)strtoul((char[]){ t[2 * i],
				    t[2 * i + 1], 0 }, NULL, 16);
			continue;
		}
		if (r < 0) {
			rv = qhb_err_set(e, "key \"%.32s\": expected rax..r15, "
			    "rflags, fs_base, gs_base, rip, es..gs, "
			    "kernel_gs_base, env, r0..r%d, mem_base or mem", key,
			    QHB_PCPU_NREG - 1);
			break;
		}
		if (hex_value(v, &s->r[r]) < 0) {
			rv = qhb_err_set(e, "%s: expected a hex string", key);
			break;
		}
	}
	json_decref(o);
	if (rv < 0) {
		free(m->bytes);
		memset(m, 0, sizeof(*m));
	}
	return rv;
}

int qhb_learn_state_write(FILE *out, const struct qhb_pcpu_state *s,
    const struct qhb_pcpu_mem *m)
{
	json_t *o = json_object();
	char *hex = NULL;
	int ok = o != NULL, rc;

	for (int i = 0; i < 16 && ok; i++)
		qhb_json_put(o, reg_names[i], qhb_json_hex(s->r[i]), &ok);
	if (ok)
		qhb_json_put(o, "rflags", qhb_json_hex(s->r[QHB_PCPU_FLAGS]), &ok);
	/* the inputs beyond them when set: the bases, rip, the selectors,
	 * what swapgs and the environment forms read and write */
	for (int i = QHB_PCPU_FSBASE; i < QHB_PCPU_NREG && ok; i++) {
		char nm[8];

		if (s->r[i] != 0)
			qhb_json_put(o, state_reg_name(i, nm, sizeof(nm)),
			    qhb_json_hex(s->r[i]), &ok);
	}
	if (ok && m != NULL && m->bytes != NULL) {
		qhb_json_put(o, "mem_base", qhb_json_hex(m->base), &ok);
		if ((hex = malloc(2 * (size_t)m->size + 1)) == NULL)
			ok = 0;
		for (uint32_t i = 0; ok && i < m->size; i++)
			snprintf(hex + 2 * i, 3, "%02x", m->bytes[i]);
		if (ok) {
			hex[2 * (size_t)m->size] = '\0';
			qhb_json_put(o, "mem", json_string(hex), &ok);
			qhb_json_put(o, "fault", json_boolean(m->fault), &ok);
		}
	}
	if (ok && s->r[QHB_PCPU_FAULT] != 0)
		qhb_json_put(o, "exception", json_true(), &ok);
	rc = ok ? qhb_json_line(o, out, JSON_COMPACT) : -1;
	free(hex);
	json_decref(o);
	return rc;
}

int qhb_learn_states_write(FILE *out, const struct qhb_pcpu_state *s,
    const struct qhb_pcpu_mem *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (qhb_learn_state_write(out, &s[i], m ? &m[i] : NULL) < 0)
			return -1;
	return 0;
}

int qhb_learn_entry_write(FILE *out, const struct qhb_x86sem_form *f,
    const struct qhb_learn_entry *en, int learned)
{
	json_t *o = json_object(), *mc = json_array();
	char key[17], t[96];
	int ok = o != NULL && mc != NULL, rc;

	qhb_learn_key(f, key);
	for (unsigned i = 0; ok && i < en->n; i++) {
		qhb_pcpu_format(&en->prog[i], t, sizeof(t));
		if (json_array_append_new(mc, qhb_json_text(t)) < 0)
			ok = 0;
	}
	if (!ok) {
		json_decref(o);
		json_decref(mc);
		return -1;
	}
	qhb_json_put(o, "form", qhb_json_text(f->text), &ok);
	qhb_json_put(o, "key", json_string(key), &ok);
	qhb_json_put(o, "status", json_string(en->proven ? "proven" :
	    en->unverified ? "unverified" : "fallback"), &ok);
	qhb_json_put(o, "learned", json_boolean(learned), &ok);
	qhb_json_put(o, "microcode", mc, &ok);
	qhb_json_put(o, "solver_seconds", qhb_json_fixed(en->solver_seconds, 6), &ok);
	qhb_json_put(o, "synth_seconds", qhb_json_fixed(en->synth_seconds, 6), &ok);
	if (!en->proven)
		qhb_json_put(o, "reason", qhb_json_text(en->reason), &ok);
	else if (en->tmpl_from[0] != '\0')
		qhb_json_put(o, "template", qhb_json_text(en->tmpl_from), &ok);
	rc = ok ? qhb_json_line(o, out, JSON_COMPACT) : -1;
	json_decref(o);
	return rc;
}

/* The longest line of states: every register and a 64 KiB memory window
 * in hexadecimal take a fraction of it. */
#define STATE_LINE_MAX (1u << 20)

int qhb_learn_eval(FILE *in, FILE *out, const struct qhb_learn_entry *en,
    struct qhb_err *e)
{
	char *line = NULL;
	size_t cap = 0;
	uint64_t lineno = 0;
	long len;
	int rv = 0;

	if (!qhb_learn_entry_runnable(en, e))
		return -1;

	while ((len = qhb_infile_line(in, &line, &cap, STATE_LINE_MAX, e)) != -1) {
		struct qhb_pcpu_state s;
		struct qhb_pcpu_mem m;

		lineno++;
		if (len == -2) {
			rv = qhb_err_prefix(e, "line %" PRIu64 ": ", lineno);
			break;
		}
		if (line[strspn(line, " \t\r\n")] == 0)
			continue;
		if (qhb_learn_state_parse(line, &s, &m, e) < 0) {
			rv = qhb_err_prefix(e, "line %" PRIu64 ": ", lineno);
			break;
		}
		qhb_pcpu_run_mem(en->prog, en->n, &s, &m);
		rv = qhb_learn_state_write(out, &s, &m);
		free(m.bytes);
		if (rv < 0) {
			rv = qhb_err_sys(e, "write");
			break;
		}
	}
	if (rv == 0 && ferror(in))
		rv = qhb_err_sys(e, "read");
	free(line);
	return rv;
}

int qhb_learn_bench(const struct qhb_learn_entry *en, size_t nstates,
    double *ips, struct qhb_err *e)
{
	const struct qhb_pcpu_insn *p = en->prog;
	size_t n = en->n;
	struct qhb_pcpu_state *s;
	uint64_t x = 0x243f6a8885a308d3ULL, sum = 0;
	struct timespec t0, t1;
	double secs;

	if (!qhb_learn_entry_runnable(en, e))
		return -1;
	if ((s = malloc(nstates * sizeof(*s))) == NULL)
		return qhb_err_set(e, "out of memory for %zu states", nstates);
	for (size_t i = 0; i < nstates; i++)
		for (int r = 0; r < QHB_PCPU_NREG; r++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			s[i].r[r] = x;
		}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < nstates; i++) {
		qhb_pcpu_run(p, n, &s[i]);
		sum += s[i].r[0];
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	*ips = secs > 0 ? (double)n * (double)nstates / secs : 0;
	free(s);
	return sum == 1 ? 0 : 0;   /* sum keeps the loop from being dropped */
}

void qhb_learn_states_random(struct qhb_pcpu_state *s, size_t n)
{
	uint64_t x = 0x243f6a8885a308d3ULL;

	for (size_t i = 0; i < n; i++)
		for (int r = 0; r < QHB_PCPU_NREG; r++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			s[i].r[r] = x;
		}
}

int qhb_learn_states_read(FILE *in, struct qhb_pcpu_state **states,
    struct qhb_pcpu_mem **mems, size_t *count, struct qhb_err *e)
{
	struct qhb_pcpu_state *s = NULL;
	struct qhb_pcpu_mem *m = NULL;
	size_t n = 0, cap = 0, lcap = 0;
	char *line = NULL;
	uint64_t lineno = 0;
	long len;
	int rv = 0;

	while ((len = qhb_infile_line(in, &line, &lcap, STATE_LINE_MAX, e)) !=
	    -1) {
		lineno++;
		if (len == -2) {
			rv = qhb_err_prefix(e, "line %" PRIu64 ": ", lineno);
			break;
		}
		if (line[strspn(line, " \t\r\n")] == 0)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 1024;
			void *p = realloc(s, nc * sizeof(*s)), *q;

			if (p != NULL)
				s = p;
			q = p ? realloc(m, nc * sizeof(*m)) : NULL;
			if (q == NULL) {
				rv = qhb_err_set(e, "out of memory");
				break;
			}
			m = q;
			cap = nc;
		}
		if (qhb_learn_state_parse(line, &s[n], &m[n], e) < 0) {
			rv = qhb_err_prefix(e, "line %" PRIu64 ": ", lineno);
			break;
		}
		n++;
	}
	if (rv == 0 && ferror(in))
		rv = qhb_err_sys(e, "read");
	free(line);
	if (rv < 0) {
		for (size_t i = 0; i < n; i++)
			free(m[i].bytes);
		free(s);
		free(m);
		return -1;
	}
	*states = s;
	*mems = m;
	*count = n;
	return 0;
}
