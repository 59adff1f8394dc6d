/*
 * err -- the error record that common/ fills and cmd/ reports.
 *
 * Nothing in common/ prints or exits.  A function that fails returns -1 (or
 * NULL) and describes the failure in a caller-owned struct qhb_err: which
 * file, which byte offset when one applies, and what was expected.  The one
 * place that turns it into words on stderr is qhb_err_report(), called from
 * cmd/.
 */
#ifndef QHB_ERR_H
#define QHB_ERR_H

#include <stdint.h>

struct qhb_err {
	char path[256];   /* file or stream the error is about; "" if none */
	uint64_t off;     /* byte offset in path, valid when has_off */
	int has_off;
	char msg[512];    /* what went wrong: expected ..., got ... */
};

/* Functions used to fill an error record.  Each returns -1 so that callers
 * can write "return qhb_err_set(e, ...);".  A NULL e is allowed. */
int qhb_err_set(struct qhb_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int qhb_err_at(struct qhb_err *e, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like qhb_err_set, with ": " and strerror(errno) appended. */
int qhb_err_sys(struct qhb_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Puts the text of fmt before e's message, as a reader puts "line 3: "
 * before what failed inside the line; path and offset stay.  Returns -1;
 * a NULL e is allowed. */
int qhb_err_prefix(struct qhb_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Sets the path the error is about, unless one is set already. */
void qhb_err_path(struct qhb_err *e, const char *path);
void qhb_err_clear(struct qhb_err *e);

/* Formats "PATH: byte OFF: MSG" (parts omitted when absent) into buf. */
const char *qhb_err_str(const struct qhb_err *e, char *buf, unsigned long size);

/* Writes "PROGRAM: PATH: byte OFF: MSG" on stderr.  For cmd/ only. */
void qhb_err_report(const struct qhb_err *e);
/* The same, in the shape of the readers' warning callback (a skipped
 * frame, say); arg is unused. */
void qhb_err_warn(void *arg, const struct qhb_err *w);

#endif
