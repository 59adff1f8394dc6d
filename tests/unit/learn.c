/*
 * Unit tests for common/learn: each library entry bound to its form and
 * microcode by its hash (an edit of any part leaves it unverified, never
 * run), an empty program only for a form without effects, --verify
 * demoting what it cannot prove, unknown format versions refused, and
 * the runners asking qhb_learn_entry_runnable.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "learn.h"
#include "unit.h"

/* A library of add eax, ebx and nop, learned and read back from its text
 * as a file would be. */
static int lib_learned(struct qhb_learn_lib *l)
{
	static const char *const forms[] = { "\x01\xd8", "\x90" };
	struct qhb_learn_lib a;
	struct qhb_synth_opts o;
	struct qhb_err e = { 0 };
	char *text;
	int rc;

	memset(&a, 0, sizeof(a));
	qhb_synth_opts_init(&o);
	if (qhb_learn_lib_parse(&a, "{\"qhb-microcode\": 1, \"forms\": {}}",
	    33, &e) < 0)
		return -1;
	for (size_t i = 0; i < 2; i++) {
		struct qhb_x86sem_form f;
		struct qhb_learn_entry en;
		int learned;

		if (qhb_x86sem_decode(forms[i], strlen(forms[i]), &f, &e) < 0 ||
		    qhb_learn_form(&a, &f, &o, &en, &learned, &e) < 0 ||
		    !learned || !qhb_learn_entry_runnable(&en, NULL))
			return -1;
	}
	text = json_dumps(a.root, JSON_INDENT(1) | JSON_SORT_KEYS);
	qhb_learn_lib_close(&a);
	memset(l, 0, sizeof(*l));
	rc = text ? qhb_learn_lib_parse(l, text, strlen(text), &e) : -1;
	free(text);
	return rc;
}

static json_t *entry(struct qhb_learn_lib *l, const char *form)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)l->forms, key, v)
		if (strcmp(json_string_value(json_object_get(v, "form")), form) == 0)
			return v;
	return NULL;
}

static int get(struct qhb_learn_lib *l, const char *bytes,
    struct qhb_learn_entry *en)
{
	struct qhb_x86sem_form f;
	struct qhb_err e = { 0 };

	if (qhb_x86sem_decode(bytes, strlen(bytes), &f, &e) < 0)
		return -1;
	return qhb_learn_get(l, &f, en, &e);
}

static void test_fresh(void)
{
	struct qhb_learn_lib l;
	struct qhb_learn_entry en;

	CHECK(lib_learned(&l) == 0);
	CHECK(l.unverified == 0);
	CHECK(json_is_string(json_object_get(entry(&l, "add eax, ebx"), "hash")));
	CHECK(get(&l, "\x01\xd8", &en) == 1 && qhb_learn_entry_runnable(&en, NULL));
	CHECK(en.n == 1 && !en.unverified);
	/* nop's proven program is empty, which is right for a form without
	 * effects */
	CHECK(get(&l, "\x90", &en) == 1 && qhb_learn_entry_runnable(&en, NULL));
	CHECK(en.n == 0);
	qhb_learn_lib_close(&l);
}

/* Each part of an entry that makes it what it is, changed alone, breaks
 * the binding. */
static void test_binding(void)
{
	static const struct { const char *field; const char *value; } edits[] = {
		{ "bytes", "01d9" }, { "form", "add eax, ecx" },
		{ "model", NULL },
		{ "microcode", "sub.32f r0, r0, r3" }, { "microcode", "" },
		{ "hash", "0123456789abcdef" },
	};

	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		struct qhb_learn_lib l;
		struct qhb_learn_entry en;
		struct qhb_err e = { 0 };
		json_t *v;

		CHECK(lib_learned(&l) == 0);
		v = entry(&l, "add eax, ebx");
		CHECK(v != NULL);
		if (strcmp(edits[i].field, "microcode") == 0) {
			json_t *mc = json_array();

			if (edits[i].value[0])
				json_array_append_new(mc, json_string(edits[i].value));
			json_object_set_new(v, "microcode", mc);
		} else if (strcmp(edits[i].field, "model") == 0) {
			json_object_set_new(v, "model", json_integer(3));
		} else {
			json_object_set_new(v, edits[i].field,
			    json_string(edits[i].value));
		}
		CHECKF(get(&l, "\x01\xd8", &en) == 1, "%s", edits[i].field);
		CHECKF(!qhb_learn_entry_runnable(&en, &e) && en.unverified,
		    "%s", edits[i].field);
		CHECKF(strstr(en.reason, "hash mismatch") != NULL, "%s: %s",
		    edits[i].field, en.reason);
		CHECK(strstr(e.msg, "not verified") != NULL);
		CHECK(en.n == 0);
		/* the other entry is untouched */
		CHECK(get(&l, "\x90", &en) == 1 && qhb_learn_entry_runnable(&en, NULL));
		qhb_learn_lib_close(&l);
	}
}

/* Read from text, a library counts its unverified entries; one with no
 * hash at all is an older qhb-learn's. */
static void test_parse_counts(void)
{
	struct qhb_learn_lib l, m;
	struct qhb_learn_entry en;
	struct qhb_err e = { 0 };
	char *text;

	CHECK(lib_learned(&l) == 0);
	json_object_del(entry(&l, "add eax, ebx"), "hash");
	json_object_del(entry(&l, "nop"), "hash");
	text = json_dumps(l.root, 0);
	CHECK(text != NULL);
	memset(&m, 0, sizeof(m));
	CHECK(qhb_learn_lib_parse(&m, text, strlen(text), &e) == 0);
	free(text);
	CHECK(m.unverified == 2);
	CHECK(strstr(m.unverified_first, "no hash") != NULL);
	CHECK(get(&m, "\x01\xd8", &en) == 1 && !qhb_learn_entry_runnable(&en, NULL));
	qhb_learn_lib_close(&m);
	qhb_learn_lib_close(&l);
}

static void test_verify(void)
{
	unsigned total, bad;
	struct qhb_err e = { 0 };
	struct qhb_synth_opts o;
	struct qhb_learn_lib l;
	struct qhb_x86sem_form f;
	int learned;
	struct qhb_learn_entry en;
	json_t *v;

	qhb_synth_opts_init(&o);
	CHECK(lib_learned(&l) == 0);
	v = entry(&l, "add eax, ebx");
	json_array_set_new(json_object_get(v, "microcode"), 0,
	    json_string("sub.32f r0, r0, r3"));
	json_object_del(entry(&l, "nop"), "hash");
	CHECK(qhb_learn_verify(&l, 10000, NULL, NULL, &total, &bad, &e) == 0);
	CHECK(total == 2 && bad == 1 && l.dirty);
	CHECK(strcmp(json_string_value(json_object_get(v, "status")),
	    "fallback") == 0);
	CHECK(strcmp(json_string_value(json_object_get(v, "reason")),
	    "refuted by --verify") == 0);
	CHECK(get(&l, "\x01\xd8", &en) == 1 && en.demoted &&
	    !qhb_learn_entry_runnable(&en, NULL));
	/* nop, proven again, is stamped */
	CHECK(get(&l, "\x90", &en) == 1 && qhb_learn_entry_runnable(&en, NULL));
	/* a demoted form is learned again when next met */
	CHECK(qhb_x86sem_decode("\x01\xd8", 2, &f, &e) == 0);
	CHECK(qhb_learn_form(&l, &f, &o, &en, &learned, &e) == 0);
	CHECK(learned && qhb_learn_entry_runnable(&en, NULL) && !en.demoted);
	/* microcode that does not parse is refuted without Z3 */
	v = entry(&l, "add eax, ebx");
	json_array_set_new(json_object_get(v, "microcode"), 0,
	    json_string("frob.8 r0, r0, r0"));
	CHECK(get(&l, "\x01\xd8", &en) == 1 && en.unverified);
	CHECK(qhb_learn_verify(&l, 10000, NULL, NULL, &total, &bad, &e) == 0);
	CHECK(total == 2 && bad == 1);
	qhb_learn_lib_close(&l);
}

static void test_version(void)
{
	static const char v2[] = "{\"qhb-microcode\": 2, \"forms\": {}}";
	struct qhb_learn_lib l;
	struct qhb_err e = { 0 };

	memset(&l, 0, sizeof(l));
	CHECK(qhb_learn_lib_parse(&l, v2, strlen(v2), &e) < 0);
	CHECK(strstr(e.msg, "format version 2") != NULL);
	CHECK(strstr(e.msg, "reads version 1") != NULL);
	CHECK(l.root == NULL);
}

/* --eval's and --bench's runners refuse what may not run. */
static void test_runners(void)
{
	struct qhb_learn_lib l;
	struct qhb_learn_entry en;
	struct qhb_err e = { 0 };
	double ips;
	FILE *in, *out;
	char *buf = NULL;
	size_t n = 0;

	CHECK(lib_learned(&l) == 0);
	json_object_set_new(entry(&l, "add eax, ebx"), "model", json_integer(9));
	CHECK(get(&l, "\x01\xd8", &en) == 1 && en.unverified);
	CHECK(qhb_learn_bench(&en, 16, &ips, &e) < 0);
	CHECK(strstr(e.msg, "not verified") != NULL);
	in = fmemopen((char *)"{}\n", 3, "r");
	out = open_memstream(&buf, &n);
	CHECK(in != NULL && out != NULL);
	CHECK(qhb_learn_eval(in, out, &en, &e) < 0);
	fclose(in);
	fclose(out);
	CHECK(n == 0);
	free(buf);
	CHECK(strstr(e.msg, "add eax, ebx: microcode not verified") != NULL);
	qhb_learn_lib_close(&l);
}

void unit_main(void)
{
	UNIT_RUN(test_fresh);
	UNIT_RUN(test_binding);
	UNIT_RUN(test_parse_counts);
	UNIT_RUN(test_verify);
	UNIT_RUN(test_version);
	UNIT_RUN(test_runners);
}
