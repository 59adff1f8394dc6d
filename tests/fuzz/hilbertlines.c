/*
 * libFuzzer target for the lines of qhb-hilbert --map and --inverse
 * (common/hilbert): any bytes, split into lines as getline splits them,
 * each read as a curve index and as axes, in 2D and 3D and at the orders
 * at the edges, must give numbers in range or a clean error, never a
 * crash, a hang or a leak.  What is read must map back to itself (the
 * curve is a bijection).  Seeds in tests/fuzz/hilbertlines/: indices in
 * decimal and hexadecimal, coordinates with blanks, the largest values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hilbert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_line(const char *s)
{
	static const unsigned shape[][2] = { { 2, 1 }, { 2, 16 }, { 2, 32 },
	    { 3, 0 }, { 3, 4 }, { 3, 21 } };
	struct qhb_err e = { 0 };

	for (size_t k = 0; k < sizeof(shape) / sizeof(shape[0]); k++) {
		unsigned dim = shape[k][0], order = shape[k][1];
		uint32_t x[3], y[3];
		uint64_t d;

		if (qhb_hilbert_parse_index(s, dim, order, &d, &e) == 0) {
			qhb_hilbert_d2axes(d, dim, order, x);
			if (qhb_hilbert_axes2d(x, dim, order) != d)
				abort();
		} else if (e.msg[0] == '\0')
			abort();
		memset(&e, 0, sizeof(e));
		if (qhb_hilbert_parse_axes(s, dim, order, x, &e) == 0) {
			for (unsigned i = 0; i < dim; i++)
				if (order < 32 && x[i] >> order)
					abort();
			qhb_hilbert_d2axes(qhb_hilbert_axes2d(x, dim, order),
			    dim, order, y);
			if (memcmp(x, y, dim * sizeof(*x)) != 0)
				abort();
		} else if (e.msg[0] == '\0')
			abort();
		memset(&e, 0, sizeof(e));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	size_t i = 0;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	/* lines as getline gives them: each keeps its '\n' */
	while (i < size) {
		char *nl = memchr(buf + i, '\n', size - i);
		size_t end = nl != NULL ? (size_t)(nl - buf) + 1 : size;
		char c = buf[end];

		buf[end] = '\0';
		one_line(buf + i);
		buf[end] = c;
		i = end;
	}
	free(buf);
	return 0;
}
