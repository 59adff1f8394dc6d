#include "ram.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "infile.h"

/* The mappings the SIGBUS handler may repair.  A signal handler sees only
 * static state: a slot is filled before its mapping is read and emptied
 * before it is unmapped. */
#define GUARD_SLOTS 8
static struct guard {
	const uint8_t *volatile map;
	volatile uint64_t size;
	volatile sig_atomic_t faults;
} guards[GUARD_SLOTS];
static struct sigaction old_bus;
static int bus_installed;

/* Async-signal-safe but for mmap(), which on Linux is the bare system
 * call.  A fault outside every guarded mapping is not ours: the handler
 * that was there before (the default: the process dies) gets it. */
static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	for (int i = 0; i < GUARD_SLOTS; i++) {
		uintptr_t m = (uintptr_t)guards[i].map;
		if (m == 0 || a < m || a - m >= guards[i].size)
			continue;
		a &= ~(uintptr_t)(QHB_PAGE_SIZE - 1);
		if (mmap((void *)a, QHB_PAGE_SIZE, PROT_READ, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			break;
		guards[i].faults++;
		return;
	}
	if (old_bus.sa_flags & SA_SIGINFO) {
		old_bus.sa_sigaction(sig, si, ctx);
		return;
	}
	if (old_bus.sa_handler != SIG_DFL && old_bus.sa_handler != SIG_IGN) {
		old_bus.sa_handler(sig);
		return;
	}
	/* Returning re-runs the access, which faults again, now fatally. */
	signal(SIGBUS, SIG_DFL);
}

static struct guard *guard_add(const uint8_t *map, uint64_t size)
{
	for (int i = 0; i < GUARD_SLOTS; i++) {
		if (guards[i].map != NULL)
			continue;
		if (!bus_installed) {
			struct sigaction sa;
			memset(&sa, 0, sizeof(sa));
			sa.sa_sigaction = on_sigbus;
			sa.sa_flags = SA_SIGINFO | SA_NODEFER;
			sigemptyset(&sa.sa_mask);
			if (sigaction(SIGBUS, &sa, &old_bus) < 0)
				return NULL;
			bus_installed = 1;
		}
		guards[i].faults = 0;
		guards[i].size = size;
		guards[i].map = map;
		return &guards[i];
	}
	return NULL;
}

static struct guard *guard_find(const uint8_t *map)
{
	for (int i = 0; map != NULL && i < GUARD_SLOTS; i++)
		if (guards[i].map == map)
			return &guards[i];
	return NULL;
}

/* The test hook of tests/integration/hostile.sh, and the only one: with
 * QHB_TEST_RAM_SHRINK=BYTES the file is truncated to BYTES once its data
 * runs are listed, as when a guest's file is cut while we read it, so
 * that the race is the same on every run. */
static void test_shrink(const char *path)
{
	const char *v = getenv("QHB_TEST_RAM_SHRINK");

	/* A truncate that fails cuts nothing, and the test sees that. */
	if (v != NULL && *v != '\0' && truncate(path, strtoll(v, NULL, 0)) < 0)
		return;
}

int qhb_ram_open(struct qhb_ram *r, const char *path, struct qhb_err *e)
{
	struct stat st;
	void *map;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	snprintf(r->path, sizeof(r->path), "%s", path);
	/* Not waiting in open() for a FIFO's writer: it is refused below. */
	if ((r->fd = qhb_infile_open(path, &st, NULL)) < 0) {
		qhb_err_sys(e, "cannot open RAM file");
		qhb_err_path(e, path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		qhb_err_set(e, "not a RAM file: expected a regular file");
		goto err;
	}
	if (st.st_size == 0 || st.st_size % QHB_PAGE_SIZE != 0) {
		qhb_err_set(e, "not a RAM file: size %" PRIu64 " is not a "
		    "non-zero multiple of the %u-byte page",
		    (uint64_t)st.st_size, QHB_PAGE_SIZE);
		goto err;
	}
	r->size = (uint64_t)st.st_size;
	map = mmap(NULL, r->size, PROT_READ, MAP_SHARED, r->fd, 0);
	if (map == MAP_FAILED) {
		qhb_err_sys(e, "cannot map RAM file");
		goto err;
	}
	r->map = map;
	if (guard_add(r->map, r->size) == NULL) {
		qhb_err_set(e, "cannot guard the RAM file's mapping against "
		    "a shrinking file");
		munmap(map, r->size);
		r->map = NULL;
		goto err;
	}
	return 0;
err:
	qhb_err_path(e, path);
	close(r->fd);
	r->fd = -1;
	return -1;
}

void qhb_ram_close(struct qhb_ram *r)
{
	struct guard *g = guard_find(r->map);

	if (g != NULL)
		g->map = NULL;
	if (r->map != NULL)
		munmap((void *)r->map, r->size);
	if (r->fd > 0)
		close(r->fd);
	r->map = NULL;
	r->fd = -1;
}

int qhb_ram_check(const struct qhb_ram *r, struct qhb_err *e)
{
	const struct guard *g = guard_find(r->map);
	struct stat st;

	if (fstat(r->fd, &st) < 0)
		return qhb_err_sys(e, "cannot stat RAM file");
	if ((uint64_t)st.st_size >= r->size && (g == NULL || g->faults == 0))
		return 0;
	qhb_err_set(e, "the RAM file shrank while it was read: %" PRIu64
	    " bytes when opened, %" PRIu64 " now", r->size,
	    (uint64_t)st.st_size);
	qhb_err_path(e, r->path);
	return -1;
}

static int list_runs(const struct qhb_ram *r,
    int (*fn)(void *arg, uint64_t first, uint64_t count), void *arg)
{
	off_t pos = 0, size = (off_t)r->size;

	while (pos < size) {
		off_t data = lseek(r->fd, pos, SEEK_DATA), hole;
		uint64_t first, last;
		int rc;

		if (data < 0) {
			if (errno == ENXIO)     /* only a hole is left */
				return 0;
			/* No hole support: everything may be data. */
			return fn(arg, (uint64_t)pos / QHB_PAGE_SIZE,
			    (uint64_t)(size - pos) / QHB_PAGE_SIZE);
		}
		hole = lseek(r->fd, data, SEEK_HOLE);
		if (hole < 0 || hole > size)
			hole = size;
		first = (uint64_t)data / QHB_PAGE_SIZE;
		last = ((uint64_t)hole + QHB_PAGE_SIZE - 1) / QHB_PAGE_SIZE;
		if ((rc = fn(arg, first, last - first)) != 0)
			return rc;
		pos = (off_t)(last * QHB_PAGE_SIZE);
	}
	return 0;
}

int qhb_ram_data_runs(const struct qhb_ram *r,
    int (*fn)(void *arg, uint64_t first, uint64_t count), void *arg)
{
	int rc = list_runs(r, fn, arg);

	test_shrink(r->path);
	return rc;
}

int qhb_is_zero(const void *p, size_t len)
{
	const uint64_t *w = p;
	size_t n = len / 8;

	/* Word by word with early exit: data pages usually differ from zero
	 * in their first words, so the common cost is a few loads. */
	for (size_t i = 0; i < n; i += 8) {
		uint64_t acc = 0;
		for (size_t j = i; j < i + 8 && j < n; j++)
			acc |= w[j];
		if (acc)
			return 0;
	}
	for (size_t i = n * 8; i < len; i++)
		if (((const uint8_t *)p)[i])
			return 0;
	return 1;
}
