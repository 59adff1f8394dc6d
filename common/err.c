#include "err.h"

#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int err_vset(struct qhb_err *e, const char *fmt, va_list ap)
{
	if (e != NULL)
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return -1;
}

int qhb_err_set(struct qhb_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, fmt, ap);
	va_end(ap);
	if (e != NULL)
		e->has_off = 0;
	return -1;
}

int qhb_err_at(struct qhb_err *e, uint64_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, fmt, ap);
	va_end(ap);
	if (e != NULL) {
		e->off = off;
		e->has_off = 1;
	}
	return -1;
}

int qhb_err_prefix(struct qhb_err *e, const char *fmt, ...)
{
	char msg[sizeof(e->msg)];
	va_list ap;
	size_t n;

	if (e == NULL)
		return -1;
	/* not from e->msg into itself: a copy first; what does not fit is
	 * cut at the end, as qhb_err_set cuts */
	memcpy(msg, e->msg, sizeof(msg));
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	memcpy(e->msg + n, msg, sizeof(e->msg) - n - 1);
	e->msg[sizeof(e->msg) - 1] = '\0';
	return -1;
}

int qhb_err_sys(struct qhb_err *e, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	err_vset(e, fmt, ap);
	va_end(ap);
	e->has_off = 0;
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n, "%s%s", n ? ": " : "",
	    strerror(saved));
	errno = saved;
	return -1;
}

void qhb_err_path(struct qhb_err *e, const char *path)
{
	if (e != NULL && e->path[0] == '\0' && path != NULL)
		snprintf(e->path, sizeof(e->path), "%s", path);
}

void qhb_err_clear(struct qhb_err *e)
{
	if (e != NULL)
		memset(e, 0, sizeof(*e));
}

const char *qhb_err_str(const struct qhb_err *e, char *buf, unsigned long size)
{
	char off[32] = "";

	if (e->has_off)
		snprintf(off, sizeof(off), "byte %" PRIu64 ": ", e->off);
	snprintf(buf, size, "%s%s%s%s", e->path, e->path[0] ? ": " : "", off,
	    e->msg[0] ? e->msg : "unknown error");
	return buf;
}

void qhb_err_report(const struct qhb_err *e)
{
	char buf[1024];

	warnx("%s", qhb_err_str(e, buf, sizeof(buf)));
}

void qhb_err_warn(void *arg, const struct qhb_err *w)
{
	(void)arg;
	qhb_err_report(w);
}
