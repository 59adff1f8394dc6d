/*
 * qhb-cat -- inspect and convert qhb streams.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cat.h"
#include "opt.h"
#include "outfile.h"
#include "parse.h"
#include "sandbox.h"

struct cat_opts {
	enum qhb_cat_mode mode;
	const char *out_path;
	const char *nrrd_path;
	int force;
	char **files;             /* the operands, argv's NULL after them */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: qhb-cat [-f] [--json | --raw | --nrrd FILE] [-o FILE] [FILE ...]\n");
}

static void help(void)
{
	usage(stdout);
	printf("\nReads each FILE in turn (standard input when none, or -); a\n"
	    "later file's deltas may continue an earlier file's snapshot.\n\n"
	    "  --json          a JSON line per frame: header, metadata, page counts\n"
	    "                  (the default)\n"
	    "  --raw           the guest RAM of the last snapshot frame, deltas\n"
	    "                  applied, as raw bytes\n"
	    "  --nrrd FILE     the last volume frame, deltas applied, as an NRRD\n"
	    "                  file (level 0, RGBA) for ParaView, 3D Slicer, Fiji\n"
	    "  -o FILE         write FILE atomically instead of stdout\n"
	    "  -f              write binary data to a terminal anyway\n"
	    "  -h, --help      this help\n"
	    "  -V, --version   the version\n");
}

static const struct qhb_opt_prog prog = { "qhb-cat", usage, help };

static void parse_args(struct cat_opts *o, int argc, char **argv)
{
	struct qhb_err e = { 0 };
	int json = 0, raw = 0, modes, first, rc;
	const struct qhb_opt opts[] = {
		{ "json", 0, QHB_OPT_FLAG, .to = &json },
		{ "raw", 0, QHB_OPT_FLAG, .to = &raw },
		{ "nrrd", 0, QHB_OPT_STRING, .to = &o->nrrd_path },
		{ "output", 'o', QHB_OPT_STRING, .to = &o->out_path },
		{ NULL, 'f', QHB_OPT_FLAG, .to = &o->force },
		{ 0 },
	};

	if ((rc = qhb_opt_parse(opts, 0, argc, argv, &first, &e)) != QHB_OPT_OK)
		exit(qhb_opt_report(rc, &prog, &e));
	o->files = argv + first;
	modes = json | raw << 1 | (o->nrrd_path != NULL) << 2;
	o->mode = o->nrrd_path ? QHB_CAT_NRRD : raw ? QHB_CAT_RAW : QHB_CAT_JSON;
	if (modes == 3)
		errx(1, "cannot use --json and --raw together");
	if (modes & (modes - 1))
		errx(1, "cannot use more than one of --json, --raw and --nrrd");
	/* The output names after the modes: a conflict is the first thing to
	 * say. */
	if (qhb_parse_path(o->out_path, "-o", &e) ||
	    qhb_parse_path(o->nrrd_path, "--nrrd", &e)) {
		qhb_err_report(&e);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static char *stdin_only[] = { "-", NULL };
	struct cat_opts o = { 0 };
	struct qhb_err e = { 0 };
	struct qhb_outfile out = { .fd = -1 };
	struct qhb_cat c = { .json_out = stdout, .out = &out,
	    .warn = qhb_err_warn };
	char **files;
	int rval = 0;

	parse_args(&o, argc, argv);
	files = *o.files != NULL ? o.files : stdin_only;
	if (o.mode == QHB_CAT_JSON && o.out_path != NULL)
		errx(1, "-o is for --raw; redirect the JSON instead");
	if (o.mode == QHB_CAT_NRRD && o.out_path != NULL)
		errx(1, "-o is for --raw; --nrrd names its own FILE");
	if (o.mode == QHB_CAT_NRRD)
		o.out_path = o.nrrd_path;
	if (o.mode != QHB_CAT_JSON &&
	    qhb_outfile_open(&out, o.out_path, !o.force, &e)) {
		qhb_err_path(&e, o.out_path ? o.out_path : "<stdout>");
		qhb_err_report(&e);
		return 1;
	}
	if (qhb_sandbox_narrow(&(struct qhb_sandbox){ .read = (const char *
	    const *)files, .n_read = optind < argc ? (size_t)(argc - optind) : 1,
	    .write = (const char *[]){ out.path }, .n_write = out.tmp[0] != 0 },
	    &e)) {
		qhb_err_report(&e);
		if (o.mode != QHB_CAT_JSON)
			qhb_outfile_abort(&out);
		return 1;
	}
	c.mode = o.mode;
	for (; *files != NULL; files++) {
		qhb_err_clear(&e);
		if (qhb_cat_file(&c, *files, &e) == 0)
			continue;
		qhb_err_report(&e);
		rval = 1;
		/* A RAM image with a frame missing would be wrong: stop. */
		if (o.mode != QHB_CAT_JSON)
			break;
	}
	qhb_err_clear(&e);
	if (rval == 0 && qhb_cat_finish(&c, &e)) {
		qhb_err_report(&e);
		rval = 1;
	}
	if (rval != 0 && o.mode != QHB_CAT_JSON)
		qhb_outfile_abort(&out);
	qhb_cat_release(&c);
	if (qhb_outfile_close_stdout(&e) < 0 && rval == 0) {
		qhb_err_report(&e);
		rval = 1;
	}
	return rval;
}
