/*
 * learntrace.c -- hot blocks learned, coverage measured (see learntrace.h).
 */
#include "learntrace.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json.h"

static uint64_t insn_count(const struct qhb_trace_block *b, unsigned k)
{
	return b->count != NULL ? b->count[k] : b->execs;
}

/* Counts come from the trace, so sums of them saturate at UINT64_MAX
 * rather than wrap. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* An uncovered form of the report, found by its text through an object
 * of the same name (its index + 1). */
struct uncovered {
	char form[96];
	char why[160];
	uint64_t count;
};

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
	if (qhb_learn_entry_runnable(&en, NULL))
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
	const struct uncovered *x = *(const struct uncovered *const *)a;
	const struct uncovered *y = *(const struct uncovered *const *)b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* Adds c executions of form f (reason why) to the uncovered forms.
 * Returns 0, or -1 with e when out of memory. */
static int uncovered_add(json_t *idx, struct uncovered **arr, size_t *n,
    size_t *cap, const char *form, const char *why, uint64_t c,
    struct qhb_err *e)
{
	json_t *i = json_object_get(idx, form);
	struct uncovered *u;

	if (i == NULL) {
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			struct uncovered *p = realloc(*arr, nc * sizeof(*p));

			if (p == NULL)
				return qhb_err_set(e, "out of memory");
			*arr = p;
			*cap = nc;
		}
		u = &(*arr)[*n];
		snprintf(u->form, sizeof(u->form), "%s", form);
		snprintf(u->why, sizeof(u->why), "%s", why);
		u->count = 0;
		if (json_object_set_new(idx, form, json_integer((json_int_t)++*n))
		    < 0)
			return qhb_err_set(e, "out of memory");
	} else {
		u = &(*arr)[json_integer_value(i) - 1];
	}
	u->count = sat_add(u->count, c);
	return 0;
}

int qhb_learntrace_report(struct qhb_learn_lib *l, const struct qhb_trace *t,
    const struct qhb_learntrace_opts *o, FILE *out, struct qhb_err *e)
{
	json_t *idx = json_object(), *top = json_array(), *rep = NULL, *v;
	struct uncovered *unc = NULL, **arr = NULL;
	uint64_t total = 0, covered = 0, fallback = 0, exits = 0;
	uint64_t cblocks = 0;
	size_t n = 0, cap = 0;
	int rv = -1, ok = 1;

	if (idx == NULL || top == NULL) {
		qhb_err_set(e, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < t->nblocks; i++) {
		const struct qhb_trace_block *b = &t->blocks[i];
		uint64_t sum = 0;
		size_t off = 0;
		int bok = 1;

		for (unsigned k = 0; k < b->ninsns; off += b->len[k], k++) {
			uint64_t c = insn_count(b, k);
			struct qhb_x86sem_form f;
			struct qhb_learn_entry en;
			struct qhb_err ie = { 0 };
			const char *why = NULL;
			char whybuf[160];
			int g;

			sum = sat_add(sum, c);
			if (off + b->len[k] > b->nbytes ||
			    qhb_x86sem_decode(b->code + off, b->len[k], &f, &ie) < 0) {
				bok = 0;
				fallback = sat_add(fallback, c);
				continue;
			}
			if (k + 1 == b->ninsns &&
			    qhb_x86sem_is_exit(b->code + off, b->len[k]) == 1) {
				exits = sat_add(exits, c);
				continue;
			}
			if ((g = qhb_learn_get(l, &f, &en, e)) < 0)
				goto out;
			if (g == 0)
				why = "not learned";
			else if (en.unverified) {
				snprintf(whybuf, sizeof(whybuf), "not verified: %s",
				    en.reason);
				why = whybuf;
			} else if (!qhb_learn_entry_runnable(&en, NULL))
				why = en.reason;
			if (why == NULL)
				continue;
			bok = 0;
			fallback = sat_add(fallback, c);
			if (uncovered_add(idx, &unc, &n, &cap, f.text, why, c, e) < 0)
				goto out;
		}
		total = sat_add(total, sum);
		if (bok) {
			covered = sat_add(covered, sum);
			cblocks++;
		}
	}
	if ((arr = malloc((n + 1) * sizeof(*arr))) == NULL) {
		qhb_err_set(e, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		arr[i] = &unc[i];
	qsort(arr, n, sizeof(*arr), cmp_count);
	for (size_t i = 0; i < n && i < o->top && ok; i++) {
		if ((v = json_object()) == NULL ||
		    json_array_append_new(top, v) < 0) {
			json_decref(v);
			ok = 0;
			break;
		}
		qhb_json_put(v, "form", json_string(arr[i]->form), &ok);
		qhb_json_put(v, "count", qhb_json_u64(arr[i]->count), &ok);
		qhb_json_put(v, "reason", json_string(arr[i]->why), &ok);
	}
	if (ok && (rep = json_object()) != NULL) {
		qhb_json_put(rep, "instructions", qhb_json_u64(total), &ok);
		qhb_json_put(rep, "coverage", json_real(total ?
		    (double)covered / (double)total : 0.0), &ok);
		qhb_json_put(rep, "covered_instructions", qhb_json_u64(covered),
		    &ok);
		qhb_json_put(rep, "fallback", json_real(total ?
		    (double)fallback / (double)total : 0.0), &ok);
		qhb_json_put(rep, "exits", json_real(total ?
		    (double)exits / (double)total : 0.0), &ok);
		qhb_json_put(rep, "blocks", qhb_json_u64(t->nblocks), &ok);
		qhb_json_put(rep, "covered_blocks", qhb_json_u64(cblocks), &ok);
		qhb_json_put(rep, "library_forms",
		    qhb_json_u64(qhb_learn_lib_count(l)), &ok);
		qhb_json_put(rep, "top_uncovered", json_incref(top), &ok);
	}
	if (rep == NULL || !ok) {
		qhb_err_set(e, "out of memory");
		goto out;
	}
	if (qhb_json_line(rep, out, JSON_COMPACT) < 0)
		qhb_err_sys(e, "write");
	else
		rv = 0;
out:
	json_decref(rep);
	free(arr);
	free(unc);
	json_decref(top);
	json_decref(idx);
	return rv;
}
