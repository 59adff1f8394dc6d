/*
 * libFuzzer target for the --regions reader (common/regions) of
 * qhb-hilbert and qhb-render: any bytes, as the file the user names, must
 * give regions or a clean error, never a crash, a hang or a leak.  The
 * loader reads a path, so the bytes are a memfd it opens by name.  The
 * regions read are checked against what the header promises (end at or
 * after start, a terminated label).  Seeds in tests/fuzz/regions/: what
 * qhb-query regions writes, and a bare array with sizes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "regions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qhb_regions r = { 0 };
	struct qhb_err e = { 0 };
	char path[64];
	int fd = memfd_create("regions.json", 0);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (qhb_regions_load(&r, path, &e) == 0) {
		for (size_t i = 0; i < r.n; i++)
			if (r.v[i].end < r.v[i].start ||
			    memchr(r.v[i].label, 0, sizeof(r.v[i].label)) == NULL)
				abort();
	} else if (e.msg[0] == '\0' || r.v != NULL || r.n != 0)
		abort();
	qhb_regions_release(&r);
	close(fd);
	return 0;
}
