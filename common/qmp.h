/*
 * qmp -- a client for the QEMU Machine Protocol over a Unix socket.
 *
 * Connects, negotiates capabilities, runs commands and returns their
 * "return" values as jansson objects.  Asynchronous events that arrive
 * between a command and its answer are skipped.  Every wait is bounded by a
 * timeout, so a hung QEMU gives an error, not a hang.
 */
#ifndef QHB_QMP_H
#define QHB_QMP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

struct qhb_qmp;

/* Connects to the QMP socket at path and leaves capabilities negotiation
 * done.  timeout_ms bounds every later wait (0: 10 s).  NULL on error. */
struct qhb_qmp *qhb_qmp_open(const char *path, int timeout_ms,
    struct qhb_err *e);
/* The same on fd, a connected stream socket (or one end of a socketpair)
 * that q owns from now on, even on error; name stands for the path in
 * errors.  fd is made non-blocking. */
struct qhb_qmp *qhb_qmp_fdopen(int fd, const char *name, int timeout_ms,
    struct qhb_err *e);
/* Closes the connection.  NULL is a no-op. */
void qhb_qmp_close(struct qhb_qmp *q);

/* Runs command with arguments (borrowed; NULL for none).  Returns the
 * "return" value, a new reference the caller json_decref()s, or NULL with e
 * holding QMP's error class and description. */
json_t *qhb_qmp_execute(struct qhb_qmp *q, const char *command,
    json_t *arguments, struct qhb_err *e);
/* Same, for a whole command object given as JSON text, as typed by a user
 * ({"execute": ..., "arguments": ...}). */
json_t *qhb_qmp_execute_text(struct qhb_qmp *q, const char *json_text,
    struct qhb_err *e);

/* Finds the file that backs guest RAM: the memory-backend-file object with
 * share=on and a regular file as mem-path.  Stores its path and size.
 * Returns 0, or -1 with e saying what QEMU has instead. */
int qhb_qmp_ram_file(struct qhb_qmp *q, char *path, size_t pathsize,
    uint64_t *size, struct qhb_err *e);

/* Stores 1 in *running when the guest's CPUs run, 0 when stopped. */
int qhb_qmp_running(struct qhb_qmp *q, int *running, struct qhb_err *e);
/* "stop" and "cont". */
int qhb_qmp_stop(struct qhb_qmp *q, struct qhb_err *e);
int qhb_qmp_cont(struct qhb_qmp *q, struct qhb_err *e);

#endif
