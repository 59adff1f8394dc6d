#include "parse.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <strings.h>

int qhb_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *v,
    const char *what, struct qhb_err *e)
{
	char *end;
	unsigned long long x;

	errno = 0;
	if (*s < '0' || *s > '9')
		goto bad;
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || x < min || x > max)
		goto bad;
	*v = x;
	return 0;
bad:
	return qhb_err_set(e, "%s: '%s': expected an integer in %" PRIu64
	    "..%" PRIu64, what, s, min, max);
}

int qhb_parse_size(const char *s, uint64_t *bytes, struct qhb_err *e)
{
	char *end;
	unsigned long long x;
	unsigned shift = 0;

	errno = 0;
	if (*s < '0' || *s > '9')
		goto bad;
	x = strtoull(s, &end, 10);
	if (errno != 0)
		goto bad;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end == 'i')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end != '\0' || (shift && x > (UINT64_MAX >> shift)))
		goto bad;
	*bytes = (uint64_t)x << shift;
	return 0;
bad:
	return qhb_err_set(e, "'%s': expected a size such as 4096, 64K, 128M "
	    "or 2G", s);
}

int qhb_parse_duration(const char *s, uint64_t *ns, struct qhb_err *e)
{
	static const struct { const char *unit; double ns; } units[] = {
		{ "", 1e9 }, { "s", 1e9 }, { "ms", 1e6 }, { "us", 1e3 },
		{ "ns", 1 }, { "m", 60e9 }, { "min", 60e9 }, { "h", 3600e9 },
	};
	char *end;
	double x;

	errno = 0;
	if ((*s < '0' || *s > '9') && *s != '.')
		goto bad;
	x = strtod(s, &end);
	if (errno != 0 || !isfinite(x) || x <= 0)
		goto bad;
	if (strcasecmp(end, "hz") == 0) {
		*ns = (uint64_t)llround(1e9 / x);
		return *ns ? 0 : qhb_err_set(e, "'%s': too fast", s);
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].unit) == 0) {
			double v = x * units[i].ns;
			if (v < 1 || v > 1e18)
				goto bad;
			*ns = (uint64_t)llround(v);
			return 0;
		}
	}
bad:
	return qhb_err_set(e, "'%s': expected a duration such as 16ms, 1s, "
	    "5m, 1h or 60hz", s);
}
