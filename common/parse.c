#include "parse.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The two arguments that open every message: "--hot" and ": ", or nothing
 * when no option is named. */
#define WHAT(w) (w) ? (w) : "", (w) ? ": " : ""

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads the digits of base 10 or 16 at s into *v.  Returns the first byte
 * after them (s itself when there is none), or NULL when the value does not
 * fit 64 bits.  No sign and no blank is taken: strtoull would take both,
 * and turn "-4" into a huge number. */
static const char *scan_digits(const char *s, unsigned base, uint64_t *v)
{
	uint64_t x = 0;
	int d;

	for (; (d = hexval((unsigned char)*s)) >= 0 && (unsigned)d < base; s++) {
		if (x > (UINT64_MAX - (unsigned)d) / base)
			return NULL;
		x = x * base + (unsigned)d;
	}
	*v = x;
	return s;
}

/* The end of the decimal real number at s: [-+]digits[.digits][e[-+]digits]
 * (the integer or the fraction part may be empty, not both), or s when
 * there is none.  These are the strings on which strtod stops where we do;
 * its hexadecimal, "nan" and "inf" forms never match. */
static const char *scan_real(const char *s, int sign)
{
	const char *p = s, *q;
	size_t n;

	if (sign && (*p == '-' || *p == '+'))
		p++;
	n = strspn(p, "0123456789");
	p += n;
	if (*p == '.') {
		size_t f = strspn(p + 1, "0123456789");
		if (n + f == 0)
			return s;
		p += 1 + f;
	} else if (n == 0) {
		return s;
	}
	if (*p == 'e' || *p == 'E') {
		q = p + 1;
		if (*q == '-' || *q == '+')
			q++;
		if (*q >= '0' && *q <= '9')
			p = q + strspn(q, "0123456789");
	}
	return p;
}

int qhb_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *v,
    const char *what, struct qhb_err *e)
{
	uint64_t x;
	const char *end = scan_digits(s, 10, &x);

	if (end == NULL || end == s || *end != '\0' || x < min || x > max)
		goto bad;
	*v = x;
	return 0;
bad:
	return qhb_err_set(e, "%s%s'%s': expected a whole number from %" PRIu64
	    " to %" PRIu64, WHAT(what), s, min, max);
}

int qhb_parse_unsigned(const char *s, unsigned min, unsigned max,
    unsigned *v, const char *what, struct qhb_err *e)
{
	uint64_t x;

	if (qhb_parse_uint(s, min, max, &x, what, e))
		return -1;
	*v = (unsigned)x;
	return 0;
}

int qhb_parse_int(const char *s, int min, int max, int *v, const char *what,
    struct qhb_err *e)
{
	const char *digits = s + (min < 0 && s[0] == '-');
	const char *end;
	uint64_t x;
	int64_t y;

	end = scan_digits(digits, 10, &x);
	if (end == NULL || end == digits || *end != '\0' || x > INT64_MAX)
		goto bad;
	y = digits != s ? -(int64_t)x : (int64_t)x;
	if (y < min || y > max)
		goto bad;
	*v = (int)y;
	return 0;
bad:
	return qhb_err_set(e, "%s%s'%s': expected a whole number from %d to %d",
	    WHAT(what), s, min, max);
}

int qhb_parse_size(const char *s, uint64_t *bytes, const char *what,
    struct qhb_err *e)
{
	const char *end;
	uint64_t x;
	unsigned shift = 0;

	end = scan_digits(s, 10, &x);
	if (end == NULL || end == s)
		goto bad;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (shift && *end == 'i')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end != '\0' || (shift && x > (UINT64_MAX >> shift)))
		goto bad;
	*bytes = x << shift;
	return 0;
bad:
	return qhb_err_set(e, "%s%s'%s': expected a size such as 4096, 64K, "
	    "128M or 2G", WHAT(what), s);
}

int qhb_parse_addr(const char *s, uint64_t *addr, const char *what,
    struct qhb_err *e)
{
	const char *end;
	uint64_t x;
	int ok;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		end = scan_digits(s + 2, 16, &x);
		ok = end != NULL && end != s + 2 && *end == '\0';
	} else {
		ok = qhb_parse_size(s, &x, what, NULL) == 0;
	}
	if (!ok)
		return qhb_err_set(e, "%s%s'%s': expected an address (decimal, "
		    "0x hexadecimal, or with K, M, G)", WHAT(what), s);
	*addr = x;
	return 0;
}

int qhb_parse_duration(const char *s, uint64_t *ns, const char *what,
    struct qhb_err *e)
{
	static const struct { const char *unit; double ns; } units[] = {
		{ "", 1e9 }, { "s", 1e9 }, { "ms", 1e6 }, { "us", 1e3 },
		{ "ns", 1 }, { "m", 60e9 }, { "min", 60e9 }, { "h", 3600e9 },
	};
	const char *end = scan_real(s, 0);
	double x;

	if (end == s)
		goto bad;
	x = strtod(s, NULL);
	if (!isfinite(x) || x <= 0)
		goto bad;
	if (strcasecmp(end, "hz") == 0) {
		if (llround(1e9 / x) == 0)
			return qhb_err_set(e, "%s%s'%s': too fast", WHAT(what), s);
		*ns = (uint64_t)llround(1e9 / x);
		return 0;
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
	return qhb_err_set(e, "%s%s'%s': expected a duration such as 16ms, 1s, "
	    "5m, 1h or 60hz", WHAT(what), s);
}

int qhb_parse_double(const char *s, double min, double max, double *v,
    const char *what, struct qhb_err *e)
{
	const char *end = scan_real(s, 1);
	double x;

	if (end == s || *end != '\0')
		goto bad;
	x = strtod(s, NULL);
	if (!isfinite(x) || x < min || x > max)
		goto bad;
	*v = x;
	return 0;
bad:
	return qhb_err_set(e, "%s%s'%s': expected a number from %g to %g",
	    WHAT(what), s, min, max);
}

/*
 * n whole numbers from min to max, apart by one of seps, into v.  form
 * ("AxB") names the whole for the message, which quotes the part that is
 * wrong when the separators are right.
 */
static int parse_list(const char *s, const char *seps, unsigned n,
    uint64_t min, uint64_t max, uint64_t *v, const char *form,
    const char *what, struct qhb_err *e)
{
	uint64_t x[3];
	const char *p = s, *end;
	size_t len;
	unsigned i;

	for (i = 0; i < n; i++, p += len + 1) {
		len = strcspn(p, seps);
		if ((i + 1 < n) != (p[len] != '\0'))
			goto whole;
		end = scan_digits(p, 10, &x[i]);
		if (end == NULL || end == p || end != p + len || x[i] < min ||
		    x[i] > max)
			return qhb_err_set(e, "%s%s'%.*s' in '%s': expected %s, "
			    "each a whole number from %" PRIu64 " to %" PRIu64,
			    WHAT(what), (int)len, p, s, form, min, max);
	}
	memcpy(v, x, n * sizeof(x[0]));
	return 0;
whole:
	return qhb_err_set(e, "%s%s'%s': expected %s, each a whole number "
	    "from %" PRIu64 " to %" PRIu64, WHAT(what), s, form, min, max);
}

int qhb_parse_pair(const char *s, unsigned max, unsigned *a, unsigned *b,
    const char *what, struct qhb_err *e)
{
	uint64_t x[2];

	if (parse_list(s, "xX", 2, 1, max, x, "AxB", what, e))
		return -1;
	*a = (unsigned)x[0];
	*b = (unsigned)x[1];
	return 0;
}

int qhb_parse_coords(const char *s, unsigned n, uint32_t *v,
    const char *what, struct qhb_err *e)
{
	uint64_t x[3];

	if (n < 2 || n > 3)
		return qhb_err_set(e, "%s%s%u coordinates: expected 2 or 3",
		    WHAT(what), n);
	if (parse_list(s, ",", n, 0, UINT32_MAX, x, n == 3 ? "X,Y,Z" : "X,Y",
	    what, e))
		return -1;
	for (unsigned i = 0; i < n; i++)
		v[i] = (uint32_t)x[i];
	return 0;
}

int qhb_parse_color(const char *s, uint32_t *rgba, const char *what,
    struct qhb_err *e)
{
	size_t n = strlen(s);
	uint32_t v;

	if (strcmp(s, "black") == 0) {
		*rgba = 0xff000000u;
		return 0;
	}
	if (strcmp(s, "white") == 0) {
		*rgba = 0xffffffffu;
		return 0;
	}
	if (strcmp(s, "none") == 0 || strcmp(s, "transparent") == 0) {
		*rgba = 0;
		return 0;
	}
	if (s[0] != '#' || (n != 7 && n != 9) ||
	    strspn(s + 1, "0123456789abcdefABCDEF") != n - 1)
		return qhb_err_set(e, "%s%s'%s': expected #rrggbb, #rrggbbaa, "
		    "black, white or none", WHAT(what), s);
	v = n == 7 ? 0xff000000u : 0;   /* alpha left out: opaque */
	for (unsigned i = 0; i < (n - 1) / 2; i++)
		v |= (uint32_t)(hexval(s[1 + 2 * i]) << 4 |
		    hexval(s[2 + 2 * i])) << 8 * i;
	*rgba = v;
	return 0;
}

int qhb_parse_path(const char *s, const char *what, struct qhb_err *e)
{
	if (s != NULL && s[0] == '\0')
		return qhb_err_set(e, "%s%sempty file name", WHAT(what));
	return 0;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int qhb_parse_hex(const char *s, uint8_t *b, size_t max, size_t *n,
    struct qhb_err *e)
{
	size_t len = strlen(s);

	if (len % 2 || len == 0 || len / 2 > max)
		return qhb_err_set(e, "expected up to %zu bytes in hex", max);
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return qhb_err_set(e, "expected up to %zu bytes in hex",
			    max);
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	*n = len / 2;
	return 0;
}
