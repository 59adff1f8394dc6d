/*
 * opt -- a program's command-line options, described in one table and
 * parsed by one call around getopt_long.
 *
 * Each row names an option (--level, -o, or both), says what its argument
 * is and which field of the program's options it fills.  qhb_opt_parse
 * walks argv with getopt_long over the table and converts every argument
 * through common/parse.h, so each kind of value is read, and refused, one
 * way in every program: "--level: 'nan': expected a whole number from 0 to
 * 22".  -h/--help and -V/--version come with every table; what they print
 * is the program's, through qhb_opt_report.
 *
 * What is left to cmd/: the defaults (set before the call), the checks
 * that span options ("cannot use --json and --raw together", after it),
 * the operands (from *first on) and the texts of usage and help.
 */
#ifndef QHB_OPT_H
#define QHB_OPT_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"

/* What an option's argument is, and the type of the field it fills. */
enum qhb_opt_kind {
	QHB_OPT_FLAG,       /* no argument: int, set to 1 */
	QHB_OPT_SET,        /* no argument: int, set to .value */
	QHB_OPT_STRING,     /* const char *, the argument as given */
	QHB_OPT_OPTIONAL,   /* --name[=ARG]: const char *, ARG or "" */
	QHB_OPT_PATH,       /* const char *, an output name: checked after the
	                     * others (qhb_parse_path), so '' is refused */
	QHB_OPT_U64,        /* uint64_t, a whole number in [min, max] */
	QHB_OPT_UNSIGNED,   /* unsigned, a whole number in [min, max] */
	QHB_OPT_INT,        /* int, a whole number in [min, max] */
	QHB_OPT_SIZE,       /* uint64_t, bytes: 4096, 64K, 128M, 2G */
	QHB_OPT_ADDR,       /* uint64_t, an address: 4096, 0x1000, 16M */
	QHB_OPT_DURATION,   /* uint64_t, nanoseconds: 16ms, 1s, 60hz */
	QHB_OPT_DOUBLE,     /* double, a real number in [lo, hi] */
	QHB_OPT_PAIR,       /* unsigned at to and at to2: WxH, each 1 to max */
	QHB_OPT_COLOR,      /* uint32_t, rgba: #rrggbb, black, none */
	QHB_OPT_CALL,       /* call(arg, to, e), for the odd ones */
};

/* One row of a table; a row with neither name nor letter ends it.  The
 * letters h and V are taken by help and version. */
struct qhb_opt {
	const char *name;         /* "level" for --level, or NULL */
	int letter;               /* 'o' for -o, or 0 */
	enum qhb_opt_kind kind;
	void *to;                 /* the field it fills, or NULL (FLAG) */
	int64_t min;              /* U64, UNSIGNED, INT: the range */
	uint64_t max;             /* ... and PAIR: each number's largest */
	double lo, hi;            /* DOUBLE: the range */
	int value;                /* SET: what it stores */
	int *count;               /* if not NULL, bumped each time it is
	                           * given: modes that exclude each other */
	void *to2;                /* PAIR: the second number */
	/* CALL: reads arg into to.  Returns 0, or -1 with e saying what was
	 * wrong ("'x': expected block or drop"), which qhb_opt_parse opens
	 * with the option's name, as parse.h does. */
	int (*call)(const char *arg, void *to, struct qhb_err *e);
};

/* What qhb_opt_parse found, besides the values it stored. */
enum qhb_opt_end {
	QHB_OPT_BAD = -1,         /* a bad value: e names the option */
	QHB_OPT_OK = 0,           /* all parsed; operands from *first */
	QHB_OPT_HELP,             /* -h or --help */
	QHB_OPT_VERSION,          /* -V or --version */
	QHB_OPT_USAGE,            /* an unknown option or a missing argument
	                           * (getopt_long has said which), or too
	                           * many operands */
};

/* Flags of qhb_opt_parse. */
#define QHB_OPT_IN_ORDER    1 /* stop at the first operand ("+"): what
                               * follows is another program's */
#define QHB_OPT_NO_VERSION  2 /* no -V/--version, only -h/--help */
#define QHB_OPT_ONE_OPERAND 4 /* at most one operand, counted before the
                               * output names are checked */

/* Functions used to parse options. */
/*
 * Parses the options of argv (argv[0] is the program) over table t,
 * storing each value into its field as it comes; fields of options not
 * given keep what the caller put there.  Stops at the first -h, -V, usage
 * error or bad value, in the order given.  Sets *first to the index of the
 * first operand.  Returns QHB_OPT_OK, QHB_OPT_HELP, QHB_OPT_VERSION or
 * QHB_OPT_USAGE, or QHB_OPT_BAD (-1) with e; fields already stored stay.
 * getopt_long prints its own complaint on stderr, as it always does.
 */
int qhb_opt_parse(const struct qhb_opt *t, unsigned flags, int argc,
    char **argv, int *first, struct qhb_err *e);

/* A program's name and texts, for what ends it after qhb_opt_parse. */
struct qhb_opt_prog {
	const char *name;         /* "qhb-cat", the -V line's first word */
	void (*usage)(FILE *f);   /* the synopsis */
	void (*help)(void);       /* the synopsis and the options, on stdout */
};

/* For cmd/ only, as qhb_err_report: says what a result rc of qhb_opt_parse
 * other than QHB_OPT_OK means.  HELP: p->help(); VERSION: "NAME VERSION"
 * on stdout; USAGE: p->usage(stderr); BAD: e reported.  Returns the exit
 * status: 0 for HELP and VERSION, else 1. */
int qhb_opt_report(int rc, const struct qhb_opt_prog *p,
    const struct qhb_err *e);

#endif
