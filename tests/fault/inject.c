/*
 * inject -- fault injection for the integration tests, SQLite-style: an
 * LD_PRELOAD library that fails the Nth call of a kind, so that a test can
 * try n = 1, 2, ... until no call fails, and require each run to end with
 * success or a clean error: never a crash, a hang or a partial file.
 *
 *   QHB_FAULT=alloc:N   the Nth malloc/calloc/realloc returns NULL (ENOMEM)
 *   QHB_FAULT=io:N      the Nth open/read/pread/write/writev/pwrite/rename/
 *                       fsync/fdatasync fails (EIO; ENOSPC for writes)
 *   QHB_FAULT_LOG=FILE  "fired KIND N CALL" is appended when it fires
 *   QHB_FAULT_PROG=NAME only in the program of that name (not in the
 *                       timeout(1) or shell that starts it)
 *
 * Counting starts at the program's first getopt_long() call, so that the
 * C library's start-up is left alone.  Only calls that go through the
 * dynamic linker are seen: the C library's internal ones are not.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

enum { KIND_NONE, KIND_ALLOC, KIND_IO };

static struct {
	int ready;          /* QHB_FAULT read */
	int armed;          /* getopt_long() has been called */
	int kind;
	long target, count;
} g;

static void setup(void)
{
	const char *s = getenv("QHB_FAULT");

	const char *prog = getenv("QHB_FAULT_PROG");

	g.ready = 1;
	if (s == NULL || strchr(s, ':') == NULL)
		return;
	if (prog != NULL && strcmp(prog, program_invocation_short_name) != 0)
		return;
	if (strncmp(s, "alloc:", 6) == 0)
		g.kind = KIND_ALLOC;
	else if (strncmp(s, "io:", 3) == 0)
		g.kind = KIND_IO;
	g.target = atol(strchr(s, ':') + 1);
}

/* Appends to the log with raw system calls, which nothing here intercepts. */
static void note(const char *call)
{
	const char *path = getenv("QHB_FAULT_LOG");
	char line[128];
	int n, fd;

	if (path == NULL)
		return;
	n = snprintf(line, sizeof(line), "fired %s %ld %s\n",
	    g.kind == KIND_ALLOC ? "alloc" : "io", g.target, call);
	fd = (int)syscall(SYS_openat, AT_FDCWD, path,
	    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	syscall(SYS_write, fd, line, (size_t)n);
	syscall(SYS_close, fd);
}

/* 1 when this call of kind is the one to fail. */
static int fail_now(int kind, const char *call)
{
	if (!g.ready)
		setup();
	if (!g.armed || g.kind != kind)
		return 0;
	if (++g.count != g.target)
		return 0;
	note(call);
	return 1;
}

#define REAL(name) static __typeof__(name) *real; \
	if (real == NULL) real = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

int getopt_long(int argc, char *const argv[], const char *optstring,
    const struct option *longopts, int *longindex)
{
	REAL(getopt_long);
	g.armed = 1;
	return real(argc, argv, optstring, longopts, longindex);
}

void *malloc(size_t n)
{
	if (fail_now(KIND_ALLOC, "malloc")) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	if (fail_now(KIND_ALLOC, "calloc")) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	if (fail_now(KIND_ALLOC, "realloc")) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, n);
}

#define IO_FAIL(call, err, ret) do { \
	if (fail_now(KIND_IO, call)) { errno = err; return ret; } \
} while (0)

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	REAL(open);

	va_start(ap, flags);
	mode = (mode_t)va_arg(ap, int);
	va_end(ap);
	IO_FAIL("open", EIO, -1);
	return real(path, flags, mode);
}

int openat(int dir, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	REAL(openat);

	va_start(ap, flags);
	mode = (mode_t)va_arg(ap, int);
	va_end(ap);
	IO_FAIL("openat", EIO, -1);
	return real(dir, path, flags, mode);
}

ssize_t read(int fd, void *buf, size_t n)
{
	REAL(read);
	IO_FAIL("read", EIO, -1);
	return real(fd, buf, n);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	REAL(pread);
	IO_FAIL("pread", EIO, -1);
	return real(fd, buf, n, off);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	REAL(write);
	IO_FAIL("write", ENOSPC, -1);
	return real(fd, buf, n);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	REAL(writev);
	IO_FAIL("writev", ENOSPC, -1);
	return real(fd, iov, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	REAL(pwrite);
	IO_FAIL("pwrite", ENOSPC, -1);
	return real(fd, buf, n, off);
}

int rename(const char *from, const char *to)
{
	REAL(rename);
	IO_FAIL("rename", EIO, -1);
	return real(from, to);
}

int fdatasync(int fd)
{
	REAL(fdatasync);
	IO_FAIL("fdatasync", EIO, -1);
	return real(fd);
}
