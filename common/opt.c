#include "opt.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "outfile.h"
#include "parse.h"

/* Rows in a table at most, so that getopt_long's tables fit on the stack:
 * parsing options allocates nothing. */
#define OPT_MAX 48
/* getopt_long's code for row i when it has no letter: above every byte. */
#define OPT_CODE 256

/* The option as messages name it: "-o" for a row with a letter (even when
 * --output spelled it), else "--level". */
static const char *opt_what(const struct qhb_opt *r, char *buf, size_t size)
{
	if (r->letter)
		snprintf(buf, size, "-%c", r->letter);
	else
		snprintf(buf, size, "--%s", r->name);
	return buf;
}

/* Calls row r's reader on arg; its message opens with what. */
static int opt_call(const struct qhb_opt *r, const char *arg,
    const char *what, struct qhb_err *e)
{
	struct qhb_err why = { 0 };

	if (r->call(arg, r->to, &why) == 0)
		return 0;
	return qhb_err_set(e, "%s: %s", what, why.msg);
}

/* Converts arg into row r's field.  0, or -1 with e naming what. */
static int opt_store(const struct qhb_opt *r, const char *arg,
    const char *what, struct qhb_err *e)
{
	switch (r->kind) {
	case QHB_OPT_FLAG:
		if (r->to != NULL)
			*(int *)r->to = 1;
		return 0;
	case QHB_OPT_SET:
		*(int *)r->to = r->value;
		return 0;
	case QHB_OPT_STRING:
	case QHB_OPT_PATH:
		*(const char **)r->to = arg;
		return 0;
	case QHB_OPT_OPTIONAL:
		*(const char **)r->to = arg != NULL ? arg : "";
		return 0;
	case QHB_OPT_U64:
		return qhb_parse_uint(arg, (uint64_t)r->min, r->max, r->to, what,
		    e);
	case QHB_OPT_UNSIGNED:
		return qhb_parse_unsigned(arg, (unsigned)r->min,
		    (unsigned)r->max, r->to, what, e);
	case QHB_OPT_INT:
		return qhb_parse_int(arg, (int)r->min, (int)r->max, r->to, what,
		    e);
	case QHB_OPT_SIZE:
		return qhb_parse_size(arg, r->to, what, e);
	case QHB_OPT_ADDR:
		return qhb_parse_addr(arg, r->to, what, e);
	case QHB_OPT_DURATION:
		return qhb_parse_duration(arg, r->to, what, e);
	case QHB_OPT_DOUBLE:
		return qhb_parse_double(arg, r->lo, r->hi, r->to, what, e);
	case QHB_OPT_PAIR:
		return qhb_parse_pair(arg, (unsigned)r->max, r->to, r->to2, what,
		    e);
	case QHB_OPT_COLOR:
		return qhb_parse_color(arg, r->to, what, e);
	case QHB_OPT_CALL:
		return opt_call(r, arg, what, e);
	}
	return qhb_err_set(e, "%s: no such kind of option", what);
}

/* The row getopt_long's code c stands for, or NULL (its '?'). */
static const struct qhb_opt *opt_row(const struct qhb_opt *t, size_t n,
    int c)
{
	size_t i;

	if (c >= OPT_CODE)
		return (size_t)(c - OPT_CODE) < n ? &t[c - OPT_CODE] : NULL;
	for (i = 0; i < n; i++)
		if (t[i].letter == c)
			return &t[i];
	return NULL;
}

int qhb_opt_parse(const struct qhb_opt *t, unsigned flags, int argc,
    char **argv, int *first, struct qhb_err *e)
{
	/* The rows, then --help and --version, then the end. */
	struct option lo[OPT_MAX + 3];
	/* "+", a letter and "::" a row, "hV", the NUL. */
	char shorts[1 + 3 * OPT_MAX + 3], *s = shorts, what[64];
	const struct qhb_opt *r;
	size_t n, i, k = 0;
	int c, has;

	for (n = 0; t[n].name != NULL || t[n].letter != 0; n++)
		if (n == OPT_MAX)
			return qhb_err_set(e, "more than %d options", OPT_MAX);
	if (flags & QHB_OPT_IN_ORDER)
		*s++ = '+';
	for (i = 0; i < n; i++) {
		has = t[i].kind == QHB_OPT_FLAG || t[i].kind == QHB_OPT_SET ?
		    no_argument : t[i].kind == QHB_OPT_OPTIONAL ?
		    optional_argument : required_argument;
		if (t[i].letter) {
			*s++ = (char)t[i].letter;
			if (has != no_argument)
				*s++ = ':';
			if (has == optional_argument)
				*s++ = ':';
		}
		if (t[i].name != NULL)
			lo[k++] = (struct option){ t[i].name, has, NULL,
			    t[i].letter ? t[i].letter : OPT_CODE + (int)i };
	}
	/* Help and version last, as every program listed them: the message
	 * for an ambiguous abbreviation names the options in this order. */
	lo[k++] = (struct option){ "help", no_argument, NULL, 'h' };
	*s++ = 'h';
	if (!(flags & QHB_OPT_NO_VERSION)) {
		lo[k++] = (struct option){ "version", no_argument, NULL, 'V' };
		*s++ = 'V';
	}
	lo[k] = (struct option){ NULL, 0, NULL, 0 };
	*s = '\0';

	/* 0, not 1: glibc then starts afresh, and reads the "+" again. */
	optind = 0;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (c == 'h')
			return QHB_OPT_HELP;
		if (c == 'V' && !(flags & QHB_OPT_NO_VERSION))
			return QHB_OPT_VERSION;
		if ((r = opt_row(t, n, c)) == NULL)
			return QHB_OPT_USAGE;
		if (opt_store(r, optarg, opt_what(r, what, sizeof(what)), e))
			return QHB_OPT_BAD;
		if (r->count != NULL)
			(*r->count)++;
	}
	*first = optind;
	if ((flags & QHB_OPT_ONE_OPERAND) && argc - optind > 1)
		return QHB_OPT_USAGE;
	/* Output names last, once: a later -o replaces an earlier one. */
	for (i = 0; i < n; i++)
		if (t[i].kind == QHB_OPT_PATH &&
		    qhb_parse_path(*(const char **)t[i].to,
		    opt_what(&t[i], what, sizeof(what)), e))
			return QHB_OPT_BAD;
	return QHB_OPT_OK;
}

/* The exit status after --help or --version: 0 when stdout took it all
 * (help > /dev/full is a lost output like any other). */
static int printed(void)
{
	struct qhb_err e = { 0 };

	if (qhb_outfile_close_stdout(&e) == 0)
		return 0;
	qhb_err_report(&e);
	return 1;
}

int qhb_opt_report(int rc, const struct qhb_opt_prog *p,
    const struct qhb_err *e)
{
	switch (rc) {
	case QHB_OPT_HELP:
		p->help();
		return printed();
	case QHB_OPT_VERSION:
		printf("%s %s\n", p->name, QHB_VERSION);
		return printed();
	case QHB_OPT_USAGE:
		p->usage(stderr);
		return 1;
	}
	qhb_err_report(e);
	return 1;
}
