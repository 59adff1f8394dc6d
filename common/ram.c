#include "ram.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int qhb_ram_open(struct qhb_ram *r, const char *path, struct qhb_err *e)
{
	struct stat st;
	void *map;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	snprintf(r->path, sizeof(r->path), "%s", path);
	if ((r->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		qhb_err_sys(e, "cannot open RAM file");
		qhb_err_path(e, path);
		return -1;
	}
	if (fstat(r->fd, &st) < 0) {
		qhb_err_sys(e, "cannot stat RAM file");
		goto err;
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
	return 0;
err:
	qhb_err_path(e, path);
	close(r->fd);
	r->fd = -1;
	return -1;
}

void qhb_ram_close(struct qhb_ram *r)
{
	if (r->map != NULL)
		munmap((void *)r->map, r->size);
	if (r->fd > 0)
		close(r->fd);
	r->map = NULL;
	r->fd = -1;
}

int qhb_ram_data_runs(const struct qhb_ram *r,
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
