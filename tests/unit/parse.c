/* Unit tests of common/parse: every kind of value at its edges, and what
 * must be refused -- signs on unsigned numbers, fractions for whole
 * numbers, NaN and infinities, empty strings, overflow, stray bytes -- with
 * the option's name and the wrong part in the message. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "unit.h"

/* The kinds of value the table below tries, each with fixed bounds. */
enum kind { UINT9, UINT64, UNSIGNED, INT, INTNEG, SIZE, ADDR, DURATION };

static const struct num_case {
	enum kind kind;
	const char *s;
	int ok;
	uint64_t v;             /* when ok */
} num_cases[] = {
	/* Whole numbers, 1 to 9 or the whole 64 bits. */
	{ UINT9, "7", 1, 7 }, { UINT9, "007", 1, 7 }, { UINT9, "9", 1, 9 },
	{ UINT9, "10", 0, 0 }, { UINT9, "0", 0, 0 }, { UINT9, "1.5", 0, 0 },
	{ UINT9, "-4", 0, 0 }, { UINT9, "+4", 0, 0 }, { UINT9, " 4", 0, 0 },
	{ UINT9, "4 ", 0, 0 }, { UINT9, "", 0, 0 }, { UINT9, "nan", 0, 0 },
	{ UINT9, "inf", 0, 0 }, { UINT9, "1e0", 0, 0 }, { UINT9, "0x5", 0, 0 },
	{ UINT9, "7x", 0, 0 }, { UINT9, "-0", 0, 0 },
	{ UINT64, "0", 1, 0 }, { UINT64, "18446744073709551615", 1, UINT64_MAX },
	{ UINT64, "18446744073709551616", 0, 0 },
	{ UINT64, "99999999999999999999999", 0, 0 },
	/* unsigned, 0 to UINT32_MAX; int, 0 to 22 and -5 to 5. */
	{ UNSIGNED, "4294967295", 1, UINT32_MAX },
	{ UNSIGNED, "4294967296", 0, 0 }, { UNSIGNED, "-1", 0, 0 },
	{ INT, "22", 1, 22 }, { INT, "0", 1, 0 }, { INT, "23", 0, 0 },
	{ INT, "-1", 0, 0 }, { INT, "9223372036854775808", 0, 0 },
	{ INTNEG, "-5", 1, (uint64_t)-5 }, { INTNEG, "5", 1, 5 },
	{ INTNEG, "-6", 0, 0 }, { INTNEG, "-", 0, 0 }, { INTNEG, "--5", 0, 0 },
	/* Sizes. */
	{ SIZE, "128M", 1, 128u << 20 }, { SIZE, "4096", 1, 4096 },
	{ SIZE, "64k", 1, 65536 }, { SIZE, "2GiB", 1, 2ull << 30 },
	{ SIZE, "1T", 1, 1ull << 40 }, { SIZE, "4096B", 1, 4096 },
	{ SIZE, "16777215T", 1, 16777215ull << 40 },
	{ SIZE, "16777216T", 0, 0 }, { SIZE, "12Q", 0, 0 },
	{ SIZE, "-4", 0, 0 }, { SIZE, "", 0, 0 }, { SIZE, "1.5G", 0, 0 },
	{ SIZE, "4096i", 0, 0 }, { SIZE, "M", 0, 0 }, { SIZE, "nan", 0, 0 },
	{ SIZE, "18446744073709551616", 0, 0 },
	/* Addresses. */
	{ ADDR, "0x1000", 1, 4096 }, { ADDR, "0XfFfFfFfFfFfFfFfF", 1, UINT64_MAX },
	{ ADDR, "4096", 1, 4096 }, { ADDR, "010", 1, 10 },
	{ ADDR, "1M", 1, 1u << 20 }, { ADDR, "0x10000000000000000", 0, 0 },
	{ ADDR, "0x", 0, 0 }, { ADDR, "0x10M", 0, 0 }, { ADDR, "-4096", 0, 0 },
	{ ADDR, "", 0, 0 }, { ADDR, "0x-1", 0, 0 }, { ADDR, "0x 1", 0, 0 },
	/* Durations, in nanoseconds. */
	{ DURATION, "16ms", 1, 16000000 }, { DURATION, "60hz", 1, 16666667 },
	{ DURATION, "2.5", 1, 2500000000u }, { DURATION, ".5s", 1, 500000000 },
	{ DURATION, "1h", 1, 3600000000000u }, { DURATION, "5m", 1, 300000000000u },
	{ DURATION, "250us", 1, 250000 }, { DURATION, "1ns", 1, 1 },
	{ DURATION, "1e3ms", 1, 1000000000 }, { DURATION, "0s", 0, 0 },
	{ DURATION, "fast", 0, 0 }, { DURATION, "nan", 0, 0 },
	{ DURATION, "infs", 0, 0 }, { DURATION, "-1s", 0, 0 },
	{ DURATION, "0x10", 0, 0 }, { DURATION, "", 0, 0 },
	{ DURATION, "1e400", 0, 0 }, { DURATION, "0.1ns", 0, 0 },
	{ DURATION, "1e10hz", 0, 0 },
};

/* Parses c->s as its kind names, as option "--opt". */
static int parse_num(const struct num_case *c, uint64_t *v, struct qhb_err *e)
{
	unsigned u = (unsigned)*v;
	int i = (int)*v, rc;

	switch (c->kind) {
	case UINT9: return qhb_parse_uint(c->s, 1, 9, v, "--opt", e);
	case UINT64: return qhb_parse_uint(c->s, 0, UINT64_MAX, v, "--opt", e);
	case SIZE: return qhb_parse_size(c->s, v, "--opt", e);
	case ADDR: return qhb_parse_addr(c->s, v, "--opt", e);
	case DURATION: return qhb_parse_duration(c->s, v, "--opt", e);
	case UNSIGNED:
		rc = qhb_parse_unsigned(c->s, 0, UINT32_MAX, &u, "--opt", e);
		*v = u;
		return rc;
	default:
		rc = qhb_parse_int(c->s, c->kind == INT ? 0 : -5,
		    c->kind == INT ? 22 : 5, &i, "--opt", e);
		*v = (uint64_t)(int64_t)i;
		return rc;
	}
}

static void test_numbers(void)
{
	for (size_t n = 0; n < sizeof(num_cases) / sizeof(num_cases[0]); n++) {
		const struct num_case *c = &num_cases[n];
		struct qhb_err e = { 0 };
		char want[128];
		uint64_t v = 3;
		int rc = parse_num(c, &v, &e);

		snprintf(want, sizeof(want), "--opt: '%s': expected", c->s);
		if (c->ok)
			CHECKF(rc == 0 && v == c->v, "'%s': rc %d, %" PRIu64 ": %s",
			    c->s, rc, v, e.msg);
		else
			CHECKF(rc == -1 && v == 3 && (strstr(e.msg, want) ||
			    strstr(e.msg, "too fast")), "'%s': rc %d, %" PRIu64
			    ", '%s'", c->s, rc, v, e.msg);
	}
}

/* The messages name the option, quote the value and give the bounds. */
static void test_messages(void)
{
	struct qhb_err e = { 0 };
	uint64_t v;
	unsigned a, b;

	CHECK(qhb_parse_uint("1.5", 1, 100, &v, "--hot", &e) == -1 &&
	    strcmp(e.msg, "--hot: '1.5': expected a whole number from 1 to "
	    "100") == 0);
	CHECK(qhb_parse_uint("x", 1, 9, &v, NULL, &e) == -1 &&
	    strcmp(e.msg, "'x': expected a whole number from 1 to 9") == 0);
	CHECK(qhb_parse_size("-4", &v, "--unit", &e) == -1 &&
	    strcmp(e.msg, "--unit: '-4': expected a size such as 4096, 64K, "
	    "128M or 2G") == 0);
	CHECK(qhb_parse_addr("-1", &v, "--locate", &e) == -1 &&
	    strcmp(e.msg, "--locate: '-1': expected an address (decimal, 0x "
	    "hexadecimal, or with K, M, G)") == 0);
	CHECK(qhb_parse_duration("1e10hz", &v, "--every", &e) == -1 &&
	    strcmp(e.msg, "--every: '1e10hz': too fast") == 0);
	CHECK(qhb_parse_pair("-5x5", 16384, &a, &b, "--size", &e) == -1 &&
	    strcmp(e.msg, "--size: '-5' in '-5x5': expected AxB, each a whole "
	    "number from 1 to 16384") == 0);
	CHECK(qhb_parse_path("", "-o", &e) == -1 &&
	    strcmp(e.msg, "-o: empty file name") == 0);
}

static void test_double(void)
{
	static const char *const bad[] = { "90.5", "-90.5", "nan", "NAN",
	    "-inf", "infinity", "1e999", "0x1p3", "", ".", "1e", " 1", "1 ",
	    "1,5", "--1", "+-1" };
	struct qhb_err e = { 0 };
	double d;

	CHECK(qhb_parse_double("30", -90, 90, &d, "-x", &e) == 0 && d == 30);
	CHECK(qhb_parse_double("-12.5", -90, 90, &d, "-x", &e) == 0 &&
	    d == -12.5);
	CHECK(qhb_parse_double("+.5", -90, 90, &d, "-x", &e) == 0 && d == 0.5);
	CHECK(qhb_parse_double("5.", -90, 90, &d, "-x", &e) == 0 && d == 5);
	CHECK(qhb_parse_double("1e-3", 0, 1, &d, "-x", &e) == 0 && d == 1e-3);
	CHECK(qhb_parse_double("90", -90, 90, &d, "-x", &e) == 0 && d == 90);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = 3;
		CHECKF(qhb_parse_double(bad[i], -90, 90, &d, "--elevation",
		    &e) == -1 && d == 3 && strstr(e.msg, "--elevation: '") &&
		    strstr(e.msg, "': expected a number from -90 to 90"),
		    "'%s': %s", bad[i], e.msg);
	}
	CHECK(qhb_parse_double("1e308", -HUGE_VAL, HUGE_VAL, &d, "-x", &e) ==
	    0 && d == 1e308);
	CHECK(qhb_parse_double("-1e999", -HUGE_VAL, HUGE_VAL, &d, "-x", &e) ==
	    -1);
}

static void test_pair_coords(void)
{
	static const struct { const char *s, *want; } bad[] = {
		{ "5x-5", "'-5' in '5x-5'" }, { "0x5", "'0' in '0x5'" },
		{ "5x16385", "'16385' in" }, { "1.5x5", "'1.5' in" },
		{ "5x", "'' in '5x'" }, { "55", "'55': expected AxB" },
		{ "5x5x5", "'5x5x5': expected AxB" }, { "", "'': expected AxB" },
		{ "x", "'' in 'x'" },
	};
	struct qhb_err e = { 0 };
	unsigned a = 0, b = 0;
	uint32_t c[3] = { 0, 0, 0 };

	CHECK(qhb_parse_pair("640x480", 16384, &a, &b, "-x", &e) == 0 &&
	    a == 640 && b == 480);
	CHECK(qhb_parse_pair("1X16384", 16384, &a, &b, "-x", &e) == 0 &&
	    a == 1 && b == 16384);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = b = 7;
		CHECKF(qhb_parse_pair(bad[i].s, 16384, &a, &b, "--sheet", &e) ==
		    -1 && a == 7 && b == 7 && strstr(e.msg, bad[i].want) &&
		    strncmp(e.msg, "--sheet: ", 9) == 0, "'%s': %s", bad[i].s,
		    e.msg);
	}
	CHECK(qhb_parse_coords("1,2,3", 3, c, "-x", &e) == 0 && c[0] == 1 &&
	    c[1] == 2 && c[2] == 3);
	CHECK(qhb_parse_coords("0,4294967295", 2, c, "-x", &e) == 0 &&
	    c[0] == 0 && c[1] == UINT32_MAX);
	CHECK(qhb_parse_coords("1,2", 3, c, "--address", &e) == -1 &&
	    strstr(e.msg, "--address: '1,2': expected X,Y,Z, each a whole "
	    "number from 0 to 4294967295"));
	CHECK(qhb_parse_coords("1,2,3", 2, c, "-x", &e) == -1 &&
	    strstr(e.msg, "'1,2,3': expected X,Y,"));
	CHECK(qhb_parse_coords("1,-2,3", 3, c, "-x", &e) == -1 &&
	    strstr(e.msg, "'-2' in '1,-2,3'"));
	CHECK(qhb_parse_coords("1,4294967296", 2, c, "-x", &e) == -1 &&
	    strstr(e.msg, "'4294967296' in"));
	CHECK(qhb_parse_coords("1,2", 4, c, "-x", &e) == -1 &&
	    strstr(e.msg, "expected 2 or 3"));
	CHECK(c[0] == 0 && c[1] == UINT32_MAX);
}

static void test_color_path(void)
{
	static const char *const bad[] = { "#12345", "#12345g", "", "red",
	    "#1234567", "102030", "#+12345" };
	struct qhb_err e = { 0 };
	uint32_t c;

	CHECK(qhb_parse_color("black", &c, "-x", &e) == 0 && c == 0xff000000u);
	CHECK(qhb_parse_color("white", &c, "-x", &e) == 0 && c == 0xffffffffu);
	CHECK(qhb_parse_color("none", &c, "-x", &e) == 0 && c == 0);
	CHECK(qhb_parse_color("transparent", &c, "-x", &e) == 0 && c == 0);
	CHECK(qhb_parse_color("#102030", &c, "-x", &e) == 0 &&
	    c == 0xff302010u);
	CHECK(qhb_parse_color("#A0b0C080", &c, "-x", &e) == 0 &&
	    c == 0x80c0b0a0u);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = 7;
		CHECKF(qhb_parse_color(bad[i], &c, "--background", &e) == -1 &&
		    c == 7 && strstr(e.msg, "--background: '") &&
		    strstr(e.msg, "': expected #rrggbb, #rrggbbaa, black, white "
		    "or none"), "'%s': %s", bad[i], e.msg);
	}
	CHECK(qhb_parse_path("out.png", "-o", &e) == 0);
	CHECK(qhb_parse_path("-", "-o", &e) == 0);
	CHECK(qhb_parse_path(NULL, "-o", &e) == 0);
	CHECK(qhb_parse_path("", "-o", &e) == -1);
}

void unit_main(void)
{
	UNIT_RUN(test_numbers);
	UNIT_RUN(test_messages);
	UNIT_RUN(test_double);
	UNIT_RUN(test_pair_coords);
	UNIT_RUN(test_color_path);
}
