/*
 * query -- qhb-query's questions, answered as JSON from a found kernel.
 *
 * Each question (banner, ps, maps PID, sym NAME|ADDR, modules,
 * regions INTENT, isf) is a function of a guest's RAM: it finds the
 * kernel (kernel.h), reads its structures (linux.h) and builds a jansson
 * value.  qhb_query_stream() is qhb-query's loop: it answers on a RAM
 * file or a snapshot stream, logs each answer to the audit trail
 * (audit.h) and prints it.
 */
#ifndef QHB_QUERY_H
#define QHB_QUERY_H

#include <jansson.h>
#include <stdio.h>

#include "audit.h"
#include "err.h"
#include "kernel.h"
#include "phys.h"
#include "ram.h"
#include "stream.h"

struct qhb_query_opts {
	struct qhb_kernel_opts kernel;
	int pages;              /* maps: add each VMA's resident pages */
};

/* Checks a question's words (argv[0] is the question) before any RAM is
 * read.  Returns 0, or -1 with e listing the known forms. */
int qhb_query_check(int argc, char **argv, struct qhb_err *e);

/* Finds the kernel in phys and answers argv.  Returns a new JSON value
 * (the caller decrefs it), or NULL with e filled. */
json_t *qhb_query_run(const struct qhb_phys *phys, int argc, char **argv,
    const struct qhb_query_opts *o, struct qhb_err *e);

/*
 * Functions used to answer on a whole input, as qhb-query does.
 */
struct qhb_query_stream_opts {
	int argc;                 /* the question: argv[0], then its argument */
	char **argv;
	int cmd_argc;             /* the command line, for the audit log */
	char **cmd_argv;
	struct qhb_query_opts q;
	int jsonl;                /* an answer per snapshot frame, a line each */
	const char *record;       /* not NULL: the pages read go there, as a
	                           * sparse image (phys.h); "-" is refused */
	struct qhb_audit *audit;  /* where each answer is logged */
	/* The input, borrowed: one RAM file when ram is not NULL, else the
	 * snapshot stream in (other frame kinds are skipped). */
	const struct qhb_ram *ram;
	struct qhb_reader *in;
	const char *in_name;      /* names the input in errors and the log */
	FILE *out;                /* the answers, named out_name in errors */
	const char *out_name;
	/* Hears of what fails without ending the run: a frame's answer with
	 * jsonl, a failed audit record.  May be NULL. */
	void (*warn)(void *arg, const struct qhb_err *w);
	void *warn_arg;
};

/* Answers o->argv on o->ram, or on the last snapshot of o->in (on each
 * with o->jsonl), logs it and prints it to o->out.  Returns 0; 1 when
 * some frame's answer failed (each told to o->warn, the others printed);
 * or -1 with e. */
int qhb_query_stream(const struct qhb_query_stream_opts *o,
    struct qhb_err *e);

#endif
