#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int qhb_outfile_open(struct qhb_outfile *o, const char *path, int binary,
    struct qhb_err *e)
{
	char dir[4096], base[4096], real[4096];
	struct stat st;
	mode_t mask;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	if (path == NULL || strcmp(path, "-") == 0) {
		o->is_stdout = 1;
		o->fd = STDOUT_FILENO;
		snprintf(o->path, sizeof(o->path), "<stdout>");
		if (binary && isatty(STDOUT_FILENO))
			return qhb_err_set(e, "stdout is a terminal; refusing "
			    "to write binary data there (use -o FILE or a pipe)");
		return 0;
	}
	if (strlen(path) + 16 >= sizeof(o->tmp))
		return qhb_err_set(e, "output path too long");
	snprintf(o->path, sizeof(o->path), "%s", path);
	/* A device or a FIFO is written as it is: renaming a file over it
	 * would replace it (as root, even /dev/null). */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (binary && S_ISCHR(st.st_mode) && (o->fd = open(path,
		    O_WRONLY | O_CLOEXEC)) >= 0 && isatty(o->fd)) {
			close(o->fd);
			o->fd = -1;
			qhb_err_path(e, path);
			return qhb_err_set(e, "a terminal; refusing to write "
			    "binary data there");
		}
		if (o->fd < 0 && (o->fd = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
			qhb_err_sys(e, "cannot open");
			qhb_err_path(e, path);
			return -1;
		}
		o->is_stdout = 1;       /* no temporary file to rename */
		return 0;
	}
	/* A symbolic link keeps pointing where it did: the file it names is
	 * the one replaced. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) &&
	    realpath(path, real) != NULL) {
		path = real;
		snprintf(o->path, sizeof(o->path), "%s", path);
	}
	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	snprintf(o->tmp, sizeof(o->tmp), "%s/.%s.XXXXXX", dirname(dir),
	    basename(base));
	if ((o->fd = mkostemp(o->tmp, O_CLOEXEC)) < 0) {
		qhb_err_sys(e, "cannot create a temporary file beside it");
		qhb_err_path(e, path);
		o->tmp[0] = '\0';
		return -1;
	}
	/* mkstemp makes 0600; give the file the mode a plain open would. */
	mask = umask(0);
	umask(mask);
	fchmod(o->fd, 0666 & ~mask);
	return 0;
}

int qhb_outfile_commit(struct qhb_outfile *o, struct qhb_err *e)
{
	if (o->is_stdout) {
		if (o->fd > STDERR_FILENO && close(o->fd) < 0) {
			o->fd = -1;
			qhb_err_sys(e, "cannot write");
			qhb_err_path(e, o->path);
			return -1;
		}
		o->fd = -1;
		return 0;
	}
	if (o->fd < 0)
		return qhb_err_set(e, "output already closed");
	if (fdatasync(o->fd) < 0 && errno != EINVAL) {
		qhb_err_sys(e, "cannot write");
		goto err;
	}
	if (close(o->fd) < 0) {
		o->fd = -1;
		qhb_err_sys(e, "cannot write");
		goto err;
	}
	o->fd = -1;
	if (rename(o->tmp, o->path) < 0) {
		qhb_err_sys(e, "cannot rename %s into place", o->tmp);
		goto err;
	}
	o->tmp[0] = '\0';
	return 0;
err:
	qhb_err_path(e, o->path);
	qhb_outfile_abort(o);
	return -1;
}

void qhb_outfile_abort(struct qhb_outfile *o)
{
	if (o->is_stdout) {
		/* A device opened by name is closed; stdout stays open. */
		if (o->fd > STDERR_FILENO)
			close(o->fd);
		if (o->fd != STDOUT_FILENO)
			o->fd = -1;
		return;
	}
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp[0] != '\0')
		unlink(o->tmp);
	o->tmp[0] = '\0';
}

int qhb_outfile_close_stdout(struct qhb_err *e)
{
	int failed = ferror(stdout);

	/* fclose's own error, not one left in errno by an earlier call. */
	errno = 0;
	if (fflush(stdout) == EOF || fclose(stdout) == EOF) {
		qhb_err_clear(e);
		qhb_err_path(e, "<stdout>");
		return errno ? qhb_err_sys(e, "%s", "") : qhb_err_set(e,
		    "write error");
	}
	if (failed) {
		qhb_err_clear(e);
		qhb_err_path(e, "<stdout>");
		return qhb_err_set(e, "write error");
	}
	return 0;
}

int qhb_write_all(int fd, const void *buf, uint64_t n, struct qhb_err *e)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t k = write(fd, p, n > (1u << 30) ? (1u << 30) : n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return qhb_err_sys(e, "write");
		p += k;
		n -= (uint64_t)k;
	}
	return 0;
}

int qhb_outfile_expand(const char *pattern, time_t t, char *out,
    size_t size, struct qhb_err *e)
{
	struct tm tm;
	size_t n;

	if (strchr(pattern, '%') == NULL) {
		if (strlen(pattern) >= size)
			return qhb_err_set(e, "output path too long");
		strcpy(out, pattern);
		return 0;
	}
	localtime_r(&t, &tm);
	n = strftime(out, size, pattern, &tm);
	if (n == 0)
		return qhb_err_set(e, "output pattern '%s' expands to nothing "
		    "or more than %zu bytes", pattern, size - 1);
	return 0;
}
