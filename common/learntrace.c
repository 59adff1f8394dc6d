/*
 * learntrace.c -- hot blocks learned, coverage measured (see learntrace.h).
 */
#include "learntrace.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static uint64_t insn_count(const struct qhb_trace_block *b, unsigned k)
{
	return b->count != NULL ? b->count[k] : b->execs;
}

int qhb_learntrace_forms(const struct qhb_trace *t, uint64_t hot,
    int (*each)(const struct qhb_x86sem_form *f, void *arg), void *arg,
    uint64_t *hot_blocks, struct qhb_err *e)
{
	json_t *seen = json_object();
	int rc = 0;

	if (seen == NULL)
		return qhb_err_set(e, "out of memory");
	for (size_t i = 0; i < t->nblocks && rc == 0; i++) {
		const struct qhb_trace_block *b = &t->blocks[i];
		size_t off = 0;

		if (b->execs < hot)
			continue;
		if (hot_blocks != NULL)
			(*hot_blocks)++;
		for (unsigned k = 0; k < b->ninsns && rc == 0;
		    off += b->len[k], k++) {
			struct qhb_x86sem_form f;
			struct qhb_err ie = { 0 };

			if (off + b->len[k] > b->nbytes ||
			    qhb_x86sem_decode(b->code + off, b->len[k], &f, &ie) < 0 ||
			    qhb_x86sem_is_exit(b->code + off, b->len[k]) == 1 ||
			    json_object_get(seen, f.text) != NULL)
				continue;
			json_object_set_new(seen, f.text, json_true());
			rc = each(&f, arg);
		}
	}
	json_decref(seen);
	return rc;
}

struct learn_run {
	struct qhb_learn_lib *l;
	const struct qhb_learntrace_opts *o;
	struct qhb_learntrace_stats *st;
	struct qhb_err *e;
};

/* One form of a learn run: looked up, or synthesized into the library. */
static int learn_one(const struct qhb_x86sem_form *f, void *arg)
{
	struct learn_run *r = arg;
	struct qhb_learn_entry en;
	int learned;

	r->st->forms++;
	if (qhb_learn_form(r->l, f, &r->o->synth, &en, &learned, r->e) < 0)
		return -1;
	r->st->learned += learned;
	if (en.proven)
		r->st->proven++;
	else
		r->st->fallback++;
	return 0;
}

int qhb_learntrace_learn(struct qhb_learn_lib *l, const struct qhb_trace *t,
    const struct qhb_learntrace_opts *o, struct qhb_learntrace_stats *st,
    struct qhb_err *e)
{
	struct learn_run r = { l, o, st, e };

	memset(st, 0, sizeof(*st));
	return qhb_learntrace_forms(t, o->hot, learn_one, &r, &st->hot_blocks,
	    e) < 0 ? -1 : 0;
}

static int cmp_count(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t p = json_integer_value(json_object_get(x, "count"));
	json_int_t q = json_integer_value(json_object_get(y, "count"));

	return p < q ? 1 : p > q ? -1 : 0;
}

int qhb_learntrace_report(struct qhb_learn_lib *l, const struct qhb_trace *t,
    const struct qhb_learntrace_opts *o, FILE *out, struct qhb_err *e)
{
	json_t *unc = json_object(), *top = json_array(), *rep, *v;
	json_t **arr = NULL;
	uint64_t total = 0, covered = 0, fallback = 0, exits = 0;
	uint64_t cblocks = 0;
	const char *key;
	size_t n = 0;
	int rv = -1;

	if (unc == NULL || top == NULL) {
		qhb_err_set(e, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < t->nblocks; i++) {
		const struct qhb_trace_block *b = &t->blocks[i];
		uint64_t sum = 0;
		size_t off = 0;
		int ok = 1;

		for (unsigned k = 0; k < b->ninsns; off += b->len[k], k++) {
			uint64_t c = insn_count(b, k);
			struct qhb_x86sem_form f;
			struct qhb_learn_entry en;
			struct qhb_err ie = { 0 };
			const char *why = NULL;
			int g;

			sum += c;
			if (off + b->len[k] > b->nbytes ||
			    qhb_x86sem_decode(b->code + off, b->len[k], &f, &ie) < 0) {
				ok = 0;
				fallback += c;
				continue;
			}
			if (k + 1 == b->ninsns &&
			    qhb_x86sem_is_exit(b->code + off, b->len[k]) == 1) {
				exits += c;
				continue;
			}
			if ((g = qhb_learn_get(l, &f, &en, e)) < 0)
				goto out;
			if (g == 0)
				why = "not learned";
			else if (!en.proven)
				why = en.reason;
			if (why == NULL)
				continue;
			ok = 0;
			fallback += c;
			if ((v = json_object_get(unc, f.text)) == NULL) {
				v = json_pack("{s:s,s:I,s:s}", "form", f.text,
				    "count", (json_int_t)0, "reason", why);
				if (v == NULL || json_object_set_new(unc, f.text, v) < 0) {
					qhb_err_set(e, "out of memory");
					goto out;
				}
			}
			json_object_set_new(v, "count", json_integer(
			    json_integer_value(json_object_get(v, "count")) +
			    (json_int_t)c));
		}
		total += sum;
		if (ok) {
			covered += sum;
			cblocks++;
		}
	}
	if ((arr = malloc((json_object_size(unc) + 1) * sizeof(*arr))) == NULL) {
		qhb_err_set(e, "out of memory");
		goto out;
	}
	json_object_foreach(unc, key, v)
		arr[n++] = v;
	qsort(arr, n, sizeof(*arr), cmp_count);
	for (size_t i = 0; i < n && i < o->top; i++)
		json_array_append(top, arr[i]);
	rep = json_pack("{s:I,s:f,s:I,s:f,s:f,s:I,s:I,s:I,s:O}",
	    "instructions", (json_int_t)total,
	    "coverage", total ? (double)covered / (double)total : 0.0,
	    "covered_instructions", (json_int_t)covered,
	    "fallback", total ? (double)fallback / (double)total : 0.0,
	    "exits", total ? (double)exits / (double)total : 0.0,
	    "blocks", (json_int_t)t->nblocks, "covered_blocks",
	    (json_int_t)cblocks, "library_forms",
	    (json_int_t)qhb_learn_lib_count(l), "top_uncovered", top);
	if (rep == NULL) {
		qhb_err_set(e, "out of memory");
		goto out;
	}
	if (json_dumpf(rep, out, JSON_COMPACT) < 0 || fputc('\n', out) == EOF)
		qhb_err_sys(e, "write");
	else
		rv = 0;
	json_decref(rep);
out:
	free(arr);
	json_decref(top);
	json_decref(unc);
	return rv;
}
