/*
 * outfile -- output files that appear whole or not at all.
 *
 * A named output is written to a temporary file beside it and renamed over
 * the final name on commit, so a reader (or a cron job's retention sweep)
 * never sees a partial file.  "-" is standard output, which is refused when
 * it is a terminal and the output is binary.  A path that names a device or
 * a FIFO is written in place; a symbolic link's target is the file
 * replaced.  SIGHUP, SIGINT, SIGPIPE or SIGTERM, where the program leaves
 * them at their default action, remove the temporary files of outputs
 * not yet committed before they end the process.
 */
#ifndef QHB_OUTFILE_H
#define QHB_OUTFILE_H

#include <stdint.h>
#include <time.h>

#include "err.h"

struct qhb_outfile {
	int fd;
	int is_stdout;          /* stdout, or a device written in place */
	char path[4096];        /* final name, or "<stdout>" */
	char tmp[4096];         /* temporary name, "" for stdout */
};

/* Opens path ("-" or NULL: standard output) for writing.  With binary set,
 * a terminal on standard output is refused.  Returns 0, or -1 with e. */
int qhb_outfile_open(struct qhb_outfile *o, const char *path, int binary,
    struct qhb_err *e);
/* Flushes to disk and renames the temporary file to its final name.
 * Returns 0, or -1 with e (the temporary file is then removed). */
int qhb_outfile_commit(struct qhb_outfile *o, struct qhb_err *e);
/* Removes the temporary file: nothing is left behind.  Idempotent. */
void qhb_outfile_abort(struct qhb_outfile *o);

/* Flushes and closes the standard I/O stream stdout, for programs that
 * print on it.  A write that failed earlier counts too (its error flag
 * stays set although the buffer is gone), so a lost line is never an exit
 * 0.  Returns 0, or -1 with e (cleared first) about "<stdout>": errno's
 * words when the flush or close failed, "write error" when only an
 * earlier write did. */
int qhb_outfile_close_stdout(struct qhb_err *e);

/* Writes all n bytes at buf to fd, resuming after short writes and
 * signals.  Returns 0, or -1 with e (errno's words). */
int qhb_write_all(int fd, const void *buf, uint64_t n, struct qhb_err *e);

/* Expands strftime conversions (%Y, %H, ...) in pattern for time t into
 * out.  Returns 0, or -1 when the result is empty or too long. */
int qhb_outfile_expand(const char *pattern, time_t t, char *out,
    size_t size, struct qhb_err *e);

#endif
