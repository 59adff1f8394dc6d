#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Temporary files removed on a signal.  A signal that ends the process
 * (SIGHUP, SIGINT, SIGPIPE, SIGTERM at their default action) would leave
 * the temporary files of outputs not yet committed: the handler removes
 * them, then dies of the same signal, so the exit status is still a
 * killed process's.  A handler sees only static state: each live
 * temporary name has a slot, filled once the file exists and emptied
 * before the name is reused.  A program that handles one of the signals
 * itself (qhb-snap ends a capture and commits) keeps its handler, and an
 * ignored signal stays ignored.
 */
#define LIVE_SLOTS 16
static const char *volatile live[LIVE_SLOTS];
static const int fatal_signals[] = { SIGHUP, SIGINT, SIGPIPE, SIGTERM };
static int handlers_installed;

/* Async-signal-safe: unlink(), sigaction() and raise() only. */
static void on_fatal_signal(int sig)
{
	struct sigaction sa;

	for (int i = 0; i < LIVE_SLOTS; i++) {
		const char *tmp = live[i];
		if (tmp != NULL)
			unlink(tmp);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
	raise(sig);
}

static void install_handlers(void)
{
	struct sigaction sa, old;

	if (handlers_installed)
		return;
	handlers_installed = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	/* Not blocked in the handler, so that the raise() kills at once. */
	sa.sa_flags = SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(*fatal_signals);
	    i++) {
		if (sigaction(fatal_signals[i], NULL, &old) == 0 &&
		    !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL)
			sigaction(fatal_signals[i], &sa, NULL);
	}
}

/* Gives o's temporary name a slot; with none free (more than LIVE_SLOTS
 * outputs at once) a signal leaves that one behind. */
static void live_add(struct qhb_outfile *o)
{
	install_handlers();
	for (int i = 0; i < LIVE_SLOTS; i++) {
		if (live[i] == NULL) {
			live[i] = o->tmp;
			return;
		}
	}
}

static void live_remove(struct qhb_outfile *o)
{
	for (int i = 0; i < LIVE_SLOTS; i++)
		if (live[i] == o->tmp)
			live[i] = NULL;
}

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
	live_add(o);
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
	live_remove(o);
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
	live_remove(o);
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
