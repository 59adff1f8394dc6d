/*
 * infile.c -- input files opened without blocking, read within a limit.
 * See infile.h.
 */
#include "infile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int qhb_infile_open(const char *path, struct stat *st, struct qhb_err *e)
{
	struct stat tmp;
	int fd, fl, saved;

	if (st == NULL)
		st = &tmp;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		goto fail;
	/* Reads block as usual: only open() was not to wait. */
	if (fstat(fd, st) < 0 || (fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail;
	}
	return fd;
fail:
	saved = errno;
	qhb_err_sys(e, "cannot open");
	qhb_err_path(e, path);
	errno = saved;
	return -1;
}

/* cap in words for messages: "1 GiB", "64 MiB" or bytes. */
static void cap_words(uint64_t cap, char *buf, size_t size)
{
	if (cap >= (1u << 30) && cap % (1u << 30) == 0)
		snprintf(buf, size, "%" PRIu64 " GiB", cap >> 30);
	else if (cap >= (1u << 20) && cap % (1u << 20) == 0)
		snprintf(buf, size, "%" PRIu64 " MiB", cap >> 20);
	else
		snprintf(buf, size, "%" PRIu64 " bytes", cap);
}

int qhb_infile_read(int fd, const char *path, uint64_t cap, const char *what,
    char **buf, size_t *len, struct qhb_err *e)
{
	struct stat st;
	char *p = NULL, words[32];
	size_t n = 0, size = 0;

	*buf = NULL;
	*len = 0;
	cap_words(cap, words, sizeof(words));
	/* A regular file says its size: one too large is refused unread. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size > cap)
		goto too_big;
	for (;;) {
		ssize_t k;
		if (n + 1 >= size) {
			size_t want = size ? 2 * size : 65536;
			char *q;
			if (size > cap)
				goto too_big;
			if (want > cap + 2)
				want = (size_t)cap + 2;
			if ((q = realloc(p, want)) == NULL) {
				qhb_err_set(e, "out of memory");
				goto fail;
			}
			p = q;
			size = want;
		}
		k = read(fd, p + n, size - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			qhb_err_sys(e, "read");
			goto fail;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > cap)
			goto too_big;
	}
	p[n] = '\0';
	*buf = p;
	*len = n;
	return 0;
too_big:
	qhb_err_set(e, "larger than %s, the limit for %s", words, what);
fail:
	qhb_err_path(e, path);
	free(p);
	return -1;
}

int qhb_infile_load(const char *path, uint64_t cap, const char *what,
    char **buf, size_t *len, struct qhb_err *e)
{
	int fd, rc;

	*buf = NULL;
	*len = 0;
	if ((fd = qhb_infile_open(path, NULL, e)) < 0)
		return -1;
	rc = qhb_infile_read(fd, path, cap, what, buf, len, e);
	close(fd);
	return rc;
}

long qhb_infile_line(FILE *in, char **line, size_t *cap, size_t max,
    struct qhb_err *e)
{
	size_t n = 0;
	int c;

	if (*cap == 0) {
		size_t first = max < 4096 ? max : 4096;

		if ((*line = malloc(first)) == NULL) {
			qhb_err_set(e, "out of memory");
			return -2;
		}
		*cap = first;
	}
	while ((c = getc_unlocked(in)) != EOF && c != '\n') {
		if (n + 2 > *cap) {
			size_t nc = *cap ? *cap * 2 : 4096;
			char *p;

			if (nc > max)
				nc = max;
			if (n + 2 > nc) {
				qhb_err_set(e, "longer than %zu bytes", max - 1);
				return -2;
			}
			if ((p = realloc(*line, nc)) == NULL) {
				qhb_err_set(e, "out of memory");
				return -2;
			}
			*line = p;
			*cap = nc;
		}
		if (c == '\0') {
			qhb_err_set(e, "a NUL byte");
			return -2;
		}
		(*line)[n++] = (char)c;
	}
	if (c == EOF && n == 0)
		return -1;
	(*line)[n] = '\0';
	return (long)n;
}
