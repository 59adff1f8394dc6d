/*
 * nrrd -- volumes as NRRD files.  See nrrd.h.
 */
#include <stdio.h>
#include <unistd.h>

#include "nrrd.h"
#include "outfile.h"

int qhb_nrrd_write(int fd, const struct qhb_volume *v, struct qhb_err *e)
{
	const struct qhb_volume_shape *s = &v->info.shape;
	char h[1024];
	int n;

	if (v->vox == NULL)
		return qhb_err_set(e, "no volume to write");
	if (s->h.dim == 3)
		n = snprintf(h, sizeof(h), "NRRD0004\n"
		    "# qhb volume: guest RAM along Skilling's Hilbert curve\n"
		    "type: uint8\ndimension: 4\nsizes: 4 %u %u %u\n"
		    "kinds: RGBA-color domain domain domain\n"
		    "spacings: NaN 1 1 1\n", s->h.size[0], s->h.size[1],
		    s->h.size[2]);
	else
		n = snprintf(h, sizeof(h), "NRRD0004\n"
		    "# qhb volume: guest RAM along Skilling's Hilbert curve\n"
		    "type: uint8\ndimension: 3\nsizes: 4 %u %u\n"
		    "kinds: RGBA-color domain domain\nspacings: NaN 1 1\n",
		    s->h.size[0], s->h.size[1]);
	n += snprintf(h + n, sizeof(h) - (size_t)n, "encoding: raw\n"
	    "qhb_scheme:=%s\nqhb_unit:=%llu\nqhb_ram_size:=%llu\n"
	    "qhb_seq:=%llu\n\n", qhb_scheme_name(v->info.scheme),
	    (unsigned long long)s->unit, (unsigned long long)s->ram_size,
	    (unsigned long long)v->info.seq);
	if (qhb_write_all(fd, h, (uint64_t)n, e))
		return -1;
	return qhb_write_all(fd, v->vox, s->h.voxels * 4, e);
}
