/*
 * audit -- the audit trail of introspection queries and guest starts.
 *
 * Every question asked of a guest's memory, and every guest started (with
 * its limits and the user its QEMU runs as), is appended, as one JSON line,
 * to $QHB_AUDIT, or $XDG_STATE_HOME/qhb/audit.jsonl, or
 * ~/.local/state/qhb/audit.jsonl: time, user, arguments, source, and the
 * xxh3-64 of the RAM image the answer came from.  The line is written with
 * one write() to a file opened O_APPEND, so concurrent writers do not
 * interleave.
 */
#ifndef QHB_AUDIT_H
#define QHB_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"
#include "err.h"
#include "image.h"
#include "ram.h"

struct qhb_audit {
	char path[4096];
	char user[256];       /* the user's name, looked up at open */
	int fd;
};

/* Opens the audit log (creating its directory), before any guest memory
 * is read.  Returns 0, or -1 with e naming the path. */
int qhb_audit_open(struct qhb_audit *a, struct qhb_err *e);
/* Appends one record: argv (argc words), source (a file name), the hash
 * of the RAM image, and the outcome ("ok" or the error text). */
int qhb_audit_log(struct qhb_audit *a, int argc, char **argv,
    const char *source, uint64_t ram_hash, uint64_t frame,
    const char *outcome, struct qhb_err *e);
/* Appends the record of a guest's start: argv (argc words), its name, its
 * limits, the user QEMU runs as and its pid (0 when it did not start),
 * and the outcome ("ok" or the error text). */
int qhb_audit_log_start(struct qhb_audit *a, int argc, char **argv,
    const char *guest, const struct qhb_cgroup_limits *l,
    const char *qemu_user, long qemu_pid, const char *outcome,
    struct qhb_err *e);
void qhb_audit_close(struct qhb_audit *a);

/* The xxh3-64 of a RAM image. */
uint64_t qhb_audit_hash(const void *ram, size_t size);
/* The same of a RAM file, whose holes are hashed as the zeros they read
 * as without being touched.  Returns the hash; 0 when out of memory. */
uint64_t qhb_audit_hash_file(const struct qhb_ram *r);
/* The same of RAM rebuilt from snapshot frames, whose pages without data
 * are hashed as zeros without being touched. */
uint64_t qhb_audit_hash_image(const struct qhb_image *im);

#endif
