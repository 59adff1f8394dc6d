/*
 * infile -- input files named on the command line: opened without
 * blocking, and read whole within a limit.
 *
 * A name the user gives may be a FIFO nobody writes to, a device that
 * never ends (/dev/zero) or a file far larger than the thing it claims to
 * be.  open() of a FIFO blocks until a writer comes, so files are opened
 * with O_NONBLOCK and their type is known from fstat() before anything
 * waits; side files (symbol tables, libraries) are read whole, but never
 * more than a limit that the loader names.  The sibling of outfile.h.
 */
#ifndef QHB_INFILE_H
#define QHB_INFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "err.h"

/*
 * Functions used to open and read.
 */

/* Opens path read-only without blocking in open() (a FIFO with no writer
 * opens at once), fills st when not NULL, and leaves the descriptor in
 * blocking mode.  The caller closes it.  Returns the descriptor, or -1
 * with errno set and e filled ("cannot open: ...", path named). */
int qhb_infile_open(const char *path, struct stat *st, struct qhb_err *e);
/* Reads the whole of fd, named path in errors, into *buf (malloc'd,
 * NUL-terminated, *len bytes before the NUL; the caller frees it).  More
 * than cap bytes fail without reading on, naming cap and what (the kind
 * of file, e.g. "a System.map").  Returns 0, or -1 with e and *buf NULL;
 * fd stays open either way. */
int qhb_infile_read(int fd, const char *path, uint64_t cap, const char *what,
    char **buf, size_t *len, struct qhb_err *e);
/* Reads one line of in, without its newline, into *line (of *cap bytes,
 * grown as needed up to max, the caller frees it).  A line is bounded:
 * /dev/zero is one endless line, which getline would grow into all of
 * memory; and a NUL byte would end its text early.  Returns its length,
 * -1 at the end of in, or -2 with e ("longer than N bytes", "a NUL byte",
 * "out of memory"). */
long qhb_infile_line(FILE *in, char **line, size_t *cap, size_t max,
    struct qhb_err *e);
/* qhb_infile_open, then qhb_infile_read, then close. */
int qhb_infile_load(const char *path, uint64_t cap, const char *what,
    char **buf, size_t *len, struct qhb_err *e);

#endif
