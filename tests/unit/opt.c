/* Unit tests of common/opt: the table walk around getopt_long.  Flags,
 * counters and each kind of value into its field; a bad value named by its
 * option; -h and -V; usage errors; operands, in order or not; output names
 * checked after the rest. */
#include <stdio.h>
#include <string.h>

#include "opt.h"
#include "unit.h"

/* The options of a made-up program, every kind once. */
struct vals {
	int force, verbose, modes;
	const char *name, *trace, *out;
	uint64_t count, size, addr, every;
	unsigned threads, w, h, axis;
	int level;
	double zoom;
	uint32_t color;
};

static int parse_axis(const char *arg, void *to, struct qhb_err *e)
{
	if (strlen(arg) != 1 || strchr("xyz", arg[0]) == NULL)
		return qhb_err_set(e, "'%s': expected x, y or z", arg);
	*(unsigned *)to = (unsigned)(arg[0] - 'x');
	return 0;
}

/* Runs the table over the NULL-ended words (argv[0] first) into v. */
static int run(struct vals *v, unsigned flags, int *first,
    struct qhb_err *e, char **words)
{
	const struct qhb_opt t[] = {
		{ NULL, 'f', QHB_OPT_FLAG, .to = &v->force },
		{ NULL, 'q', QHB_OPT_SET, .to = &v->verbose, .value = 0 },
		{ "verbose", 'v', QHB_OPT_SET, .to = &v->verbose, .value = 2 },
		{ "mip", 0, QHB_OPT_FLAG, .count = &v->modes },
		{ "name", 0, QHB_OPT_STRING, .to = &v->name, .count = &v->modes },
		{ "trace", 0, QHB_OPT_OPTIONAL, .to = &v->trace },
		{ "output", 'o', QHB_OPT_PATH, .to = &v->out },
		{ "count", 0, QHB_OPT_U64, .to = &v->count,
		    .min = 1, .max = UINT64_MAX },
		{ "threads", 0, QHB_OPT_UNSIGNED, .to = &v->threads,
		    .min = 1, .max = 64 },
		{ "level", 0, QHB_OPT_INT, .to = &v->level, .min = -5, .max = 22 },
		{ "size", 0, QHB_OPT_SIZE, .to = &v->size },
		{ "addr", 0, QHB_OPT_ADDR, .to = &v->addr },
		{ "every", 0, QHB_OPT_DURATION, .to = &v->every },
		{ "zoom", 0, QHB_OPT_DOUBLE, .to = &v->zoom, .lo = 0.5, .hi = 4 },
		{ "geometry", 0, QHB_OPT_PAIR, .to = &v->w, .to2 = &v->h,
		    .max = 1000 },
		{ "color", 0, QHB_OPT_COLOR, .to = &v->color },
		{ "axis", 0, QHB_OPT_CALL, .to = &v->axis, .call = parse_axis },
		{ 0 },
	};
	int argc = 0;

	while (words[argc] != NULL)
		argc++;
	memset(e, 0, sizeof(*e));
	return qhb_opt_parse(t, flags, argc, words, first, e);
}

#define RUN(v, flags, first, e, ...) \
	run(v, flags, first, e, (char *[]){ "prog", __VA_ARGS__, NULL })

static void test_every_kind(void)
{
	struct vals v = { .verbose = 1 };
	struct qhb_err e;
	int first = -1;

	CHECK(RUN(&v, 0, &first, &e, "-f", "--name", "vm1", "--trace",
	    "--count=7", "--threads", "64", "--level", "-5", "--size", "64K",
	    "--addr", "0x1000", "--every", "60hz", "--zoom", "1.5",
	    "--geometry", "640x480", "--color", "#102030", "--axis", "z",
	    "-o", "out.png") == QHB_OPT_OK);
	CHECK(first == 26);
	CHECK(v.force == 1 && v.verbose == 1);
	CHECK(v.name != NULL && strcmp(v.name, "vm1") == 0 && v.modes == 1);
	CHECK(v.trace != NULL && v.trace[0] == '\0');
	CHECK(v.count == 7 && v.threads == 64 && v.level == -5);
	CHECK(v.size == 65536 && v.addr == 4096 && v.every == 16666667);
	CHECK(v.zoom == 1.5 && v.w == 640 && v.h == 480);
	CHECK(v.color == 0xff302010u && v.axis == 2);
	CHECK(strcmp(v.out, "out.png") == 0);
}

/* SET stores its value, 0 too; the last one given wins; counters count
 * every time, so that a repeated mode can be refused. */
static void test_flags_and_counts(void)
{
	struct vals v = { .verbose = 1 };
	struct qhb_err e;
	int first;

	CHECK(RUN(&v, 0, &first, &e, "-vq", "--mip", "--mip",
	    "--trace=policy=drop") == QHB_OPT_OK);
	CHECK(v.verbose == 0 && v.modes == 2);
	CHECK(strcmp(v.trace, "policy=drop") == 0);
	CHECK(RUN(&v, 0, &first, &e, "-q", "--verbose") == QHB_OPT_OK);
	CHECK(v.verbose == 2);
}

/* A bad value ends the walk, and the message names the option as the
 * table spells it: a letter's row by its letter, even given long. */
static void test_bad_values(void)
{
	struct vals v = { 0 };
	struct qhb_err e;
	int first;

	CHECK(RUN(&v, 0, &first, &e, "--threads", "1.5", "--level",
	    "x") == QHB_OPT_BAD);
	CHECKF(strcmp(e.msg, "--threads: '1.5': expected a whole number from "
	    "1 to 64") == 0, "%s", e.msg);
	CHECK(v.threads == 0);
	CHECK(RUN(&v, 0, &first, &e, "--zoom", "nan") == QHB_OPT_BAD);
	CHECK(strncmp(e.msg, "--zoom: 'nan': expected a number", 32) == 0);
	CHECK(RUN(&v, 0, &first, &e, "--axis", "w") == QHB_OPT_BAD);
	CHECKF(strcmp(e.msg, "--axis: 'w': expected x, y or z") == 0, "%s",
	    e.msg);
	CHECK(RUN(&v, 0, &first, &e, "--output=") == QHB_OPT_BAD);
	CHECKF(strcmp(e.msg, "-o: empty file name") == 0, "%s", e.msg);
	CHECK(RUN(&v, 0, &first, &e, "--geometry", "5x") == QHB_OPT_BAD);
	CHECK(strncmp(e.msg, "--geometry: ", 12) == 0);
}

/* Output names are checked after every other option, and after the
 * operands are counted. */
static void test_paths_last(void)
{
	struct vals v = { 0 };
	struct qhb_err e;
	int first;

	CHECK(RUN(&v, 0, &first, &e, "-o", "", "--level", "99") ==
	    QHB_OPT_BAD);
	CHECK(strncmp(e.msg, "--level: ", 9) == 0);
	CHECK(RUN(&v, QHB_OPT_ONE_OPERAND, &first, &e, "-o", "", "a", "b") ==
	    QHB_OPT_USAGE);
	CHECK(RUN(&v, QHB_OPT_ONE_OPERAND, &first, &e, "-o", "", "a") ==
	    QHB_OPT_BAD);
	v.out = NULL;
	CHECK(RUN(&v, QHB_OPT_ONE_OPERAND, &first, &e, "a") == QHB_OPT_OK);
	CHECK(first == 1);
}

/* -h and -V come with every table and end the walk where they stand. */
static void test_help_version(void)
{
	struct vals v = { 0 };
	struct qhb_err e;
	int first;

	CHECK(RUN(&v, 0, &first, &e, "-h") == QHB_OPT_HELP);
	CHECK(RUN(&v, 0, &first, &e, "--help", "--level", "x") ==
	    QHB_OPT_HELP);
	CHECK(RUN(&v, 0, &first, &e, "--level", "x", "-h") == QHB_OPT_BAD);
	CHECK(RUN(&v, 0, &first, &e, "-V") == QHB_OPT_VERSION);
	CHECK(RUN(&v, 0, &first, &e, "--version") == QHB_OPT_VERSION);
	CHECK(RUN(&v, QHB_OPT_NO_VERSION, &first, &e, "--help") ==
	    QHB_OPT_HELP);
}

/* Unknown options and missing arguments are usage errors; getopt_long
 * says which on stderr. */
static void test_usage(void)
{
	struct vals v = { 0 };
	struct qhb_err e;
	int first;

	fflush(stdout);
	fprintf(stderr, "(getopt_long's complaints expected below)\n");
	CHECK(RUN(&v, 0, &first, &e, "--bogus") == QHB_OPT_USAGE);
	CHECK(RUN(&v, 0, &first, &e, "-Z") == QHB_OPT_USAGE);
	CHECK(RUN(&v, 0, &first, &e, "--level") == QHB_OPT_USAGE);
	CHECK(RUN(&v, QHB_OPT_NO_VERSION, &first, &e, "-V") == QHB_OPT_USAGE);
	CHECK(RUN(&v, QHB_OPT_NO_VERSION, &first, &e, "--version") ==
	    QHB_OPT_USAGE);
}

/* Operands: permuted to the end by default; in order, the walk stops at
 * the first, and what follows is left alone. */
static void test_operands(void)
{
	struct vals v = { 0 };
	struct qhb_err e;
	char *words[] = { "prog", "a", "-f", "b", "--", "-q", NULL };
	char *ordered[] = { "prog", "-f", "cmd", "-q", NULL };
	int first;

	CHECK(run(&v, 0, &first, &e, words) == QHB_OPT_OK);
	CHECK(first == 3 && v.force == 1 && v.verbose == 0);
	CHECK(strcmp(words[3], "a") == 0 && strcmp(words[4], "b") == 0 &&
	    strcmp(words[5], "-q") == 0);
	v.force = 0;
	v.verbose = 1;
	CHECK(run(&v, QHB_OPT_IN_ORDER, &first, &e, ordered) == QHB_OPT_OK);
	CHECK(first == 2 && v.force == 1 && v.verbose == 1);
	/* A walk after an in-order one permutes again. */
	CHECK(RUN(&v, 0, &first, &e, "x", "-q") == QHB_OPT_OK);
	CHECK(first == 2 && v.verbose == 0);
}

void unit_main(void)
{
	UNIT_RUN(test_every_kind);
	UNIT_RUN(test_flags_and_counts);
	UNIT_RUN(test_bad_values);
	UNIT_RUN(test_paths_last);
	UNIT_RUN(test_help_version);
	UNIT_RUN(test_usage);
	UNIT_RUN(test_operands);
}
