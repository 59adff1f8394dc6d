/*
 * learntrace.c -- hot blocks learned, coverage measured (see learntrace.h).
 */
#include "learntrace.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
	uint64_t count;           /* its own executions */
	uint64_t lost;            /* executions of the blocks it keeps off
	                           * the Pixel CPU, all their instructions */
	size_t charged;           /* 1 + the last block lost charged it */
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
			    json_object_get(seen, f.key) != NULL)
				continue;
			json_object_set_new(seen, f.key, json_true());
			rc = each(&f, arg);
		}
	}
	json_decref(seen);
	return rc;
}

/*
 * Learning on threads.  The walk (this thread) looks every form up; the
 * forms the library wants learned become jobs, in the order met, and
 * the workers take them in that order and synthesize them, which needs
 * nothing but the form.  This thread then adds each result to the
 * library in job order.  A form whose key an earlier job already holds
 * (two texts, one key) is not synthesized twice: its turn comes after
 * that job's, and it is learned there as one thread would, by
 * qhb_learn_form, which then finds the entry.
 */
struct job {
	struct qhb_x86sem_form f;
	int synth;                /* a worker's: the first job of its key */
	int taken;                /* a worker has it */
	int done, rc;             /* synthesized: rc, and r or the pool's err */
	size_t shape;             /* its shape's index in the pool */
	struct qhb_synth_result r;
};

/* The forms of one shape among the jobs: the library's templates for it
 * (looked up by the walk, before any worker starts), and its first job,
 * whose result, once proven, is a template for the others.  A later job
 * of the shape waits for the first to be done, so that what it tries
 * does not depend on the threads' timing: the library ends the same
 * whatever the number of threads. */
struct shape {
	struct qhb_synth_tmpl t[QHB_LEARN_TEMPLATES];
	unsigned nt;
	size_t first;
};

/* How far past the lowest job not taken a worker looks for one it may
 * take (a later job of a shape whose first job is still running is
 * passed over). */
#define TAKE_WINDOW 256

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;        /* a job is done */
	struct job *jobs;
	size_t njobs, cap;
	size_t next;              /* the next job a worker may take */
	size_t finished;          /* jobs done (workers' and this thread's) */
	int stop;                 /* no new job: an error */
	/* the failure of the lowest job that failed, the one this thread
	 * stops at (every job before it succeeded) */
	size_t err_at;
	struct qhb_err err;
	const struct qhb_synth_opts *o;
	struct shape *shapes;
	size_t nshapes, capshapes;
};

/* The walk: what a learn run meets, and whether the library wants it. */
struct walk {
	struct qhb_learn_lib *l;
	struct qhb_learntrace_stats *st;
	struct pool *p;
	json_t *queued;           /* keys of the jobs to synthesize */
	json_t *shapes;           /* shape -> its index in p->shapes + 1 */
	struct qhb_err *e;
};

/* Counts a form's entry into st as proven or a fallback. */
static void count_entry(struct qhb_learntrace_stats *st,
    const struct qhb_learn_entry *en, int learned)
{
	st->learned += learned;
	if (learned && en->proven && en->tmpl_from[0] != '\0')
		st->templates++;
	if (qhb_learn_entry_runnable(en, NULL))
		st->proven++;
	else
		st->fallback++;
}

/* Room for one more element in *arr (n of *cap used, each size bytes),
 * doubled when full.  Returns 0, or -1 when out of memory (*arr as it
 * was). */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t nc = *cap ? *cap * 2 : 256;
	void *q;

	if (n < *cap)
		return 0;
	if ((q = realloc(*arr, nc * size)) == NULL)
		return -1;
	*arr = q;
	*cap = nc;
	return 0;
}

/* Finds or makes j's shape (j the next job).  Returns 0, or -1 with e. */
static int job_shape(struct walk *w, struct job *j)
{
	struct pool *p = w->p;
	char sh[QHB_SYNTH_SHAPE];
	json_t *v;
	struct shape *s;

	qhb_synth_shape(&j->f, sh, sizeof(sh));
	if ((v = json_object_get(w->shapes, sh)) != NULL) {
		j->shape = (size_t)json_integer_value(v) - 1;
		return 0;
	}
	if (grow((void **)&p->shapes, &p->capshapes, p->nshapes,
	    sizeof(*p->shapes)) < 0)
		return qhb_err_set(w->e, "out of memory");
	s = &p->shapes[p->nshapes];
	s->first = p->njobs;
	if (qhb_learn_templates(w->l, &j->f, s->t, QHB_LEARN_TEMPLATES, &s->nt,
	    w->e) < 0)
		return -1;
	j->shape = p->nshapes++;
	if (json_object_set_new(w->shapes, sh,
	    json_integer((json_int_t)p->nshapes)) < 0)
		return qhb_err_set(w->e, "out of memory");
	return 0;
}

/* One form met by the walk: counted now when the library's entry stands,
 * else a job.  Returns 0, or -1 with e. */
static int walk_one(const struct qhb_x86sem_form *f, void *arg)
{
	struct walk *w = arg;
	struct pool *p = w->p;
	struct qhb_learn_entry en;
	char key[17];
	int g;

	w->st->forms++;
	if ((g = qhb_learn_wants(w->l, f, &en, w->e)) <= 0) {
		if (g == 0)
			count_entry(w->st, &en, 0);
		return g;
	}
	if (grow((void **)&p->jobs, &p->cap, p->njobs, sizeof(*p->jobs)) < 0)
		return qhb_err_set(w->e, "out of memory");
	qhb_learn_key(f, key);
	memset(&p->jobs[p->njobs], 0, sizeof(p->jobs[p->njobs]));
	p->jobs[p->njobs].f = *f;
	p->jobs[p->njobs].synth = json_object_get(w->queued, key) == NULL;
	if (json_object_set_new(w->queued, key, json_true()) < 0)
		return qhb_err_set(w->e, "out of memory");
	if (p->jobs[p->njobs].synth && job_shape(w, &p->jobs[p->njobs]) < 0)
		return -1;
	p->njobs++;
	return 0;
}

/* The lowest job a worker may take now (p->mu held): not taken, and
 * the first of its shape or one whose first is done; NULL when none. */
static struct job *take(struct pool *p)
{
	while (p->next < p->njobs && (!p->jobs[p->next].synth ||
	    p->jobs[p->next].taken))
		p->next++;
	for (size_t i = p->next; i < p->njobs && i < p->next + TAKE_WINDOW;
	    i++) {
		struct job *j = &p->jobs[i];
		size_t first = p->shapes[j->shape].first;

		if (j->synth && !j->taken && (first == i ||
		    p->jobs[first].done)) {
			j->taken = 1;
			return j;
		}
	}
	return NULL;
}

/* A worker: synthesizes jobs, the lowest it may take first, until none
 * is left; each tries its shape's templates first (qhb_learn_synth). */
static void *worker(void *arg)
{
	struct pool *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct job *j;
		struct qhb_err e = { 0 };
		struct qhb_synth_tmpl t[QHB_LEARN_TEMPLATES + 1];
		const struct shape *sh;
		unsigned nt;
		int rc;

		if (p->stop)
			break;
		if ((j = take(p)) == NULL) {
			if (p->next == p->njobs)
				break;
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		sh = &p->shapes[j->shape];
		nt = sh->nt;
		memcpy(t, sh->t, nt * sizeof(*t));
		if (sh->first != (size_t)(j - p->jobs)) {
			const struct job *f = &p->jobs[sh->first];

			if (f->rc == 0 && f->r.status == QHB_SYNTH_PROVEN) {
				t[nt].from = f->f;
				memcpy(t[nt].p, f->r.prog, sizeof(t[nt].p));
				t[nt].n = f->r.n;
				nt++;
			}
		}
		pthread_mutex_unlock(&p->mu);
		rc = qhb_learn_synth(&j->f, t, nt, p->o, &j->r, &e);
		pthread_mutex_lock(&p->mu);
		if (rc < 0 && (size_t)(j - p->jobs) < p->err_at) {
			p->err_at = (size_t)(j - p->jobs);
			p->err = e;
		}
		j->rc = rc;
		j->done = 1;
		p->finished++;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Tells o->progress how far the run is (p->mu held: it is let go for
 * the call), when final or a tick has passed since *last. */
static void tell(struct pool *p, const struct qhb_learntrace_opts *o,
    const struct qhb_learntrace_stats *st, unsigned workers, double t0,
    double *last, int final)
{
	struct qhb_learntrace_progress pr;
	double t = now();

	if (o->progress == NULL || (!final && t - *last < QHB_LEARNTRACE_TICK))
		return;
	*last = t;
	pr.total = st->forms;
	pr.done = st->forms - p->njobs + p->finished;
	pr.workers = workers;
	pr.seconds = t - t0;
	pthread_mutex_unlock(&p->mu);
	o->progress(o->progress_arg, &pr);
	pthread_mutex_lock(&p->mu);
}

/* Waits until job j is done, telling the progress meanwhile (p->mu
 * held). */
static void await(struct pool *p, const struct job *j,
    const struct qhb_learntrace_opts *o,
    const struct qhb_learntrace_stats *st, unsigned workers, double t0,
    double *last)
{
	while (!j->done) {
		struct timespec ts;
		double d = *last + QHB_LEARNTRACE_TICK;

		ts.tv_sec = (time_t)d;
		ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
		if (o->progress == NULL) {
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		tell(p, o, st, workers, t0, last, 0);
	}
}

static unsigned jobs_of(const struct qhb_learntrace_opts *o)
{
	long n;

	if (o->jobs)
		return o->jobs;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

int qhb_learntrace_learn(struct qhb_learn_lib *l, const struct qhb_trace *t,
    const struct qhb_learntrace_opts *o, struct qhb_learntrace_stats *st,
    struct qhb_err *e)
{
	struct pool p = { .o = &o->synth, .err_at = SIZE_MAX };
	struct qhb_err we = { 0 };
	struct walk w = { l, st, &p, json_object(), json_object(), &we };
	pthread_condattr_t ca;
	pthread_t *th = NULL;
	unsigned nt = jobs_of(o), started = 0;
	double t0 = now(), last = t0;
	int rv = -1, walked;

	memset(st, 0, sizeof(*st));
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, &ca);
	pthread_condattr_destroy(&ca);
	if (w.queued == NULL || w.shapes == NULL) {
		qhb_err_set(e, "out of memory");
		goto out;
	}
	/* a walk that fails midway stops there, as one thread would: what
	 * it met before is still learned, then its error is the run's */
	walked = qhb_learntrace_forms(t, o->hot, walk_one, &w, &st->hot_blocks,
	    &we);
	if (nt > p.njobs)
		nt = (unsigned)p.njobs;
	if (nt > 0 && (th = calloc(nt, sizeof(*th))) == NULL) {
		qhb_err_set(e, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < nt; i++)
		if (pthread_create(&th[started], NULL, worker, &p) == 0)
			started++;
	if (nt > 0 && started == 0) {
		qhb_err_set(e, "cannot start a thread");
		goto out;
	}
	pthread_mutex_lock(&p.mu);
	rv = 0;
	for (size_t i = 0; i < p.njobs && rv == 0; i++) {
		struct job *j = &p.jobs[i];
		struct qhb_learn_entry en;
		int learned = 1;

		if (j->synth)
			await(&p, j, o, st, started, t0, &last);
		/* the library is this thread's alone: no worker reads it */
		pthread_mutex_unlock(&p.mu);
		if (!j->synth) {
			rv = qhb_learn_form(l, &j->f, &o->synth, &en, &learned, e);
		} else if (j->rc < 0) {
			*e = p.err;
			rv = -1;
		} else {
			rv = qhb_learn_add(l, &j->f, &j->r, &en, e);
		}
		if (rv == 0)
			count_entry(st, &en, learned);
		pthread_mutex_lock(&p.mu);
		if (!j->synth)
			p.finished++;
		tell(&p, o, st, started, t0, &last, 0);
	}
	p.stop = 1;
	pthread_cond_broadcast(&p.cv);
	if (rv == 0 && walked < 0) {
		*e = we;
		rv = -1;
	} else if (rv == 0) {
		tell(&p, o, st, started, t0, &last, 1);
	}
	pthread_mutex_unlock(&p.mu);
out:
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	free(p.jobs);
	free(p.shapes);
	json_decref(w.queued);
	json_decref(w.shapes);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	return rv;
}

static int cmp_count(const void *a, const void *b)
{
	const struct uncovered *x = *(const struct uncovered *const *)a;
	const struct uncovered *y = *(const struct uncovered *const *)b;

	if (x->lost != y->lost)
		return x->lost < y->lost ? 1 : -1;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* Adds c executions of form f (reason why) to the uncovered forms, and
 * sets *at to its index.  Returns 0, or -1 with e when out of memory. */
static int uncovered_add(json_t *idx, struct uncovered **arr, size_t *n,
    size_t *cap, const char *form, const char *why, uint64_t c, size_t *at,
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
		u->count = u->lost = 0;
		u->charged = 0;
		if (json_object_set_new(idx, form, json_integer((json_int_t)++*n))
		    < 0)
			return qhb_err_set(e, "out of memory");
	} else {
		u = &(*arr)[json_integer_value(i) - 1];
	}
	u->count = sat_add(u->count, c);
	*at = (size_t)(u - *arr);
	return 0;
}

int qhb_learntrace_report(struct qhb_learn_lib *l, const struct qhb_trace *t,
    const struct qhb_learntrace_opts *o, FILE *out, struct qhb_err *e)
{
	json_t *idx = json_object(), *top = json_array(), *rep = NULL, *v;
	struct uncovered *unc = NULL, **arr = NULL;
	uint64_t total = 0, covered = 0, fallback = 0, exits = 0, indirect = 0;
	uint64_t cblocks = 0;
	size_t n = 0, cap = 0;
	/* the uncovered forms of one block (ninsns is 16 bits) */
	size_t *in_block = malloc(65536 * sizeof(*in_block));
	int rv = -1, ok = 1;

	if (idx == NULL || top == NULL || in_block == NULL) {
		qhb_err_set(e, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < t->nblocks; i++) {
		const struct qhb_trace_block *b = &t->blocks[i];
		uint64_t sum = 0;
		size_t off = 0, nin = 0;
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
				if (qhb_x86sem_is_indirect_exit(b->code + off,
				    b->len[k]) == 1)
					indirect = sat_add(indirect, c);
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
			if (uncovered_add(idx, &unc, &n, &cap, f.text, why, c,
			    &in_block[nin], e) < 0)
				goto out;
			nin++;
		}
		total = sat_add(total, sum);
		if (bok) {
			covered = sat_add(covered, sum);
			cblocks++;
		}
		/* each form the block holds is charged the whole block once */
		for (size_t j = 0; j < nin; j++) {
			struct uncovered *u = &unc[in_block[j]];

			if (u->charged != i + 1) {
				u->charged = i + 1;
				u->lost = sat_add(u->lost, sum);
			}
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
		qhb_json_put(v, "lost", qhb_json_u64(arr[i]->lost), &ok);
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
		qhb_json_put(rep, "indirect_exits", json_real(total ?
		    (double)indirect / (double)total : 0.0), &ok);
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
	free(in_block);
	json_decref(top);
	json_decref(idx);
	return rv;
}
