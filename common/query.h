/*
 * query -- qhb-query's questions, answered as JSON from a found kernel.
 *
 * Each question (banner, ps, maps PID, sym NAME|ADDR, modules,
 * regions INTENT, isf) is a function of a guest's RAM: it finds the
 * kernel (kernel.h), reads its structures (linux.h) and builds a jansson
 * value, which the caller prints.  The audit trail lives in audit.h.
 */
#ifndef QHB_QUERY_H
#define QHB_QUERY_H

#include <jansson.h>
#include <stdio.h>

#include "err.h"
#include "kernel.h"
#include "phys.h"

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
 * A sparse image: the pages a query read, for the fuzzer's seed corpus.
 *   "QHBSPAR1", u64 ram_size, u64 count, count x (u64 gpa, 4096 bytes)
 * little-endian, gpa ascending.
 */
#define QHB_SPARSE_MAGIC "QHBSPAR1"
/* Writes the pages marked in phys->touched to fd.  Returns 0 or -1 with e. */
int qhb_sparse_write(const struct qhb_phys *phys, int fd, struct qhb_err *e);
/* Maps a sparse image of len bytes at buf into p (pages point into buf).
 * Returns 0, or -1 with e for a malformed image. */
int qhb_sparse_load(struct qhb_phys *p, const uint8_t *buf, size_t len,
    struct qhb_err *e);

#endif
