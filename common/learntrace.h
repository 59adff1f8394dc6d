/*
 * learntrace -- qhb-learn on traces: the hot blocks of a trace (as
 * common/trace reads it) learned form by form into a microcode library,
 * and the measured coverage of a trace by a library.
 *
 * A block is covered when every instruction but a final block exit (jcc,
 * jmp, call, ret) has proven microcode; coverage is the share of the
 * trace's dynamic instructions that run in covered blocks (exits of
 * covered blocks included).  Blocks are identified by their bytes, never
 * by address, so a library learned on one boot serves another (KASLR).
 *
 * Learning spreads the synthesis over threads; the library stays with
 * the caller's thread (learn.h: a library is not thread-safe).  Each
 * form to learn tries templates first: the library's proven forms of its
 * shape, looked up before the threads start, and the first form of its
 * shape met in the same run, once that is done.  The first of a shape is
 * always learned before the others of it are begun, so that what each
 * tries, and the library, is the same on any number of threads.
 */
#ifndef QHB_LEARNTRACE_H
#define QHB_LEARNTRACE_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "learn.h"
#include "trace.h"

/* How far a learn run is, for a progress line. */
struct qhb_learntrace_progress {
	size_t done, total;       /* forms looked up or synthesized, of all */
	unsigned workers;         /* threads that synthesize */
	double seconds;           /* since the run began */
};

struct qhb_learntrace_opts {
	uint64_t hot;             /* executions that make a block hot */
	unsigned top;             /* uncovered forms listed in reports */
	struct qhb_synth_opts synth;
	unsigned jobs;            /* threads that synthesize (0: one per
	                           * online CPU, at most 64) */
	/* When not NULL, told how far learning is from the thread that
	 * called qhb_learntrace_learn: about every QHB_LEARNTRACE_TICK
	 * seconds, and once more when every form is done. */
	void (*progress)(void *arg, const struct qhb_learntrace_progress *p);
	void *progress_arg;
};

#define QHB_LEARNTRACE_TICK 0.25

struct qhb_learntrace_stats {
	uint64_t hot_blocks, forms, learned, proven, fallback;
	uint64_t templates;       /* learned and proven through a template */
};

/* Calls each(f, arg) once for every distinct instruction form of the
 * blocks of t run at least hot times, in the order first met (distinct
 * by key: instances that differ only in an address parameter are one
 * form, given once, as the first met); a block's
 * exit (jcc, jmp, call, ret) and what does not decode are left out.
 * Adds the number of those blocks to *hot_blocks (NULL: not counted).
 * Stops at the first nonzero each returns and returns it; 0 when every
 * form was given, -1 with e when out of memory. */
int qhb_learntrace_forms(const struct qhb_trace *t, uint64_t hot,
    int (*each)(const struct qhb_x86sem_form *f, void *arg), void *arg,
    uint64_t *hot_blocks, struct qhb_err *e);
/* Learns every distinct form of the hot blocks of t into l.  The forms
 * to synthesize go to o->jobs worker threads, each with Z3 contexts of
 * its own; l is touched by the calling thread only, which adds what the
 * workers found in the order the forms were met, so that l ends as one
 * thread would leave it (timings aside), whatever the number of threads.
 * Returns 0 with *st filled, or -1 with e: the first form in that order
 * that failed, with what came before it added to l. */
int qhb_learntrace_learn(struct qhb_learn_lib *l, const struct qhb_trace *t,
    const struct qhb_learntrace_opts *o, struct qhb_learntrace_stats *st,
    struct qhb_err *e);
/* Writes the coverage report of t by l as one JSON object to out.
 * Returns 0, or -1 with e. */
int qhb_learntrace_report(struct qhb_learn_lib *l, const struct qhb_trace *t,
    const struct qhb_learntrace_opts *o, FILE *out, struct qhb_err *e);

#endif
