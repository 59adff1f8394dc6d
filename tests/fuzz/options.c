/*
 * libFuzzer target for the typed option parser (common/parse): any string
 * given to every qhb_parse_* function, with the ranges the programs use,
 * must give a value or a clean error, never a crash, a hang or a leak.  The
 * header's promises are checked too: a value in its range on success, and
 * on failure a message and the old value left as it was.  Seeds in
 * tests/fuzz/options/: values as typed on command lines.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the test expects of one call: rc 0 and check true, or rc -1, a
 * message, and unchanged true. */
static void expect(int rc, int in_range, int unchanged, struct qhb_err *e)
{
	if (rc == 0 ? !in_range : rc != -1 || !unchanged || e->msg[0] == '\0')
		abort();
	memset(e, 0, sizeof(*e));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t umax[] = { 1, 100, UINT32_MAX, UINT64_MAX };
	struct qhb_err e = { 0 };
	uint64_t u, old = 0x5a5a5a5a5a5a5a5aULL;
	unsigned a, b, un;
	uint32_t c[3], rgba;
	double d;
	int i, rc;
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (size_t k = 0; k < sizeof(umax) / sizeof(umax[0]); k++) {
		u = old;
		rc = qhb_parse_uint(s, k & 1, umax[k], &u, "--n", &e);
		expect(rc, u >= (k & 1) && u <= umax[k], u == old, &e);
	}
	un = 7;
	rc = qhb_parse_unsigned(s, 1, 64, &un, "--order", &e);
	expect(rc, un >= 1 && un <= 64, un == 7, &e);
	i = 7;
	rc = qhb_parse_int(s, -1000, 1000, &i, "--angle", &e);
	expect(rc, i >= -1000 && i <= 1000, i == 7, &e);
	i = 7;
	rc = qhb_parse_int(s, 0, 0x7fffffff, &i, NULL, &e);
	expect(rc, i >= 0, i == 7, &e);
	u = old;
	expect(qhb_parse_size(s, &u, "--unit", &e), 1, u == old, &e);
	u = old;
	expect(qhb_parse_addr(s, &u, "--locate", &e), 1, u == old, &e);
	u = old;
	rc = qhb_parse_duration(s, &u, "--every", &e);
	expect(rc, u >= 1, u == old, &e);
	d = 0.5;
	rc = qhb_parse_double(s, -360, 360, &d, "--yaw", &e);
	expect(rc, isfinite(d) && d >= -360 && d <= 360, d == 0.5, &e);
	d = 0.5;
	rc = qhb_parse_double(s, -HUGE_VAL, HUGE_VAL, &d, NULL, &e);
	expect(rc, isfinite(d), d == 0.5, &e);
	a = b = 7;
	rc = qhb_parse_pair(s, 16384, &a, &b, "--size", &e);
	expect(rc, a >= 1 && a <= 16384 && b >= 1 && b <= 16384,
	    a == 7 && b == 7, &e);
	for (unsigned n = 2; n <= 3; n++) {
		c[0] = c[1] = c[2] = 7;
		rc = qhb_parse_coords(s, n, c, "--voxel", &e);
		expect(rc, 1, c[0] == 7 && c[1] == 7 && c[2] == 7, &e);
	}
	rgba = 7;
	expect(qhb_parse_color(s, &rgba, "--background", &e), 1, rgba == 7,
	    &e);
	expect(qhb_parse_path(s, "-o", &e), 1, 1, &e);
	expect(qhb_parse_path(NULL, "-o", &e), 1, 1, &e);
	free(s);
	return 0;
}
