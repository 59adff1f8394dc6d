/*
 * qhb-cat -- inspect and convert qhb streams.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "json.h"
#include "nrrd.h"
#include "outfile.h"
#include "parse.h"
#include "snap.h"
#include "stream.h"
#include "volume.h"

enum cat_mode { MODE_JSON, MODE_RAW, MODE_NRRD };

struct cat_opts {
	enum cat_mode mode;
	const char *out_path;
	const char *nrrd_path;
	int force;
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

static void parse_args(struct cat_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "raw", no_argument, NULL, 'r' },
		{ "nrrd", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct qhb_err e = { 0 };
	int ch, modes = 0;

	while ((ch = getopt_long(argc, argv, "fho:V", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': o->force = 1; break;
		case 'j': o->mode = MODE_JSON; modes |= 1; break;
		case 'r': o->mode = MODE_RAW; modes |= 2; break;
		case 'n': o->mode = MODE_NRRD; o->nrrd_path = optarg; modes |= 4;
			break;
		case 'o': o->out_path = optarg; break;
		case 'h': help(); exit(0);
		case 'V': printf("qhb-cat %s\n", QHB_VERSION); exit(0);
		default: usage(stderr); exit(1);
		}
	}
	if (modes == 3)
		errx(1, "cannot use --json and --raw together");
	if (modes & (modes - 1))
		errx(1, "cannot use more than one of --json, --raw and --nrrd");
	if (qhb_parse_path(o->out_path, "-o", &e) ||
	    qhb_parse_path(o->nrrd_path, "--nrrd", &e))
		goto bad;
	return;
bad:
	qhb_err_report(&e);
	exit(1);
}

/* Prints a frame's header as one JSON line. */
static int print_json(const char *name, const struct qhb_frame *f,
    struct qhb_err *e)
{
	json_t *o = qhb_json_frame(name, f, e);
	int rc = 0;

	if (o == NULL)
		return -1;
	if (qhb_json_line(o, stdout, JSON_COMPACT | JSON_ENSURE_ASCII) < 0)
		rc = qhb_err_sys(e, "<stdout>: write");
	json_decref(o);
	return rc;
}

/* Reads every frame of one file: prints it, or applies it to im. */
static int cat_file(const struct cat_opts *o, const char *path,
    struct qhb_image *im, struct qhb_volume *vol, struct qhb_err *e)
{
	struct qhb_reader *r;
	struct qhb_frame f;
	int rc;

	if ((r = qhb_reader_open(path, e)) == NULL)
		return -1;
	qhb_reader_filter(r, o->mode == MODE_RAW ? (1u << QHB_FRAME_SNAP |
	    1u << QHB_FRAME_SNAP_DELTA) : o->mode == MODE_NRRD ?
	    (1u << QHB_FRAME_VOLUME | 1u << QHB_FRAME_VOLUME_DELTA) : 0,
	    qhb_err_warn, NULL);
	qhb_frame_init(&f);
	while ((rc = qhb_reader_next(r, &f, e)) == 1) {
		if (o->mode == MODE_JSON)
			rc = print_json(strcmp(path, "-") ? path : "<stdin>", &f, e);
		else if (o->mode == MODE_RAW)
			rc = qhb_image_apply(im, &f, e);
		else
			rc = qhb_volume_apply(vol, &f, e);
		if (rc != 0) {
			qhb_err_path(e, strcmp(path, "-") ? path : "<stdin>");
			rc = -1;
			break;
		}
	}
	qhb_frame_release(&f);
	qhb_reader_close(r);
	return rc;
}

int main(int argc, char **argv)
{
	static char *stdin_only[] = { "-", NULL };
	struct cat_opts o = { 0 };
	struct qhb_err e = { 0 };
	struct qhb_image im = { 0 };
	struct qhb_volume vol = { 0 };
	struct qhb_outfile out = { .fd = -1 };
	char **files;
	int rval = 0;

	parse_args(&o, argc, argv);
	files = optind < argc ? argv + optind : stdin_only;
	if (o.mode == MODE_JSON && o.out_path != NULL)
		errx(1, "-o is for --raw; redirect the JSON instead");
	if (o.mode == MODE_NRRD && o.out_path != NULL)
		errx(1, "-o is for --raw; --nrrd names its own FILE");
	if (o.mode == MODE_NRRD)
		o.out_path = o.nrrd_path;
	if (o.mode != MODE_JSON &&
	    qhb_outfile_open(&out, o.out_path, !o.force, &e)) {
		qhb_err_path(&e, o.out_path ? o.out_path : "<stdout>");
		qhb_err_report(&e);
		return 1;
	}
	for (; *files != NULL; files++) {
		qhb_err_clear(&e);
		if (cat_file(&o, *files, &im, &vol, &e) == 0)
			continue;
		qhb_err_report(&e);
		rval = 1;
		/* A RAM image with a frame missing would be wrong: stop. */
		if (o.mode != MODE_JSON)
			break;
	}
	if (o.mode == MODE_RAW) {
		qhb_err_clear(&e);
		if (rval == 0 && im.frames == 0) {
			warnx("no snapshot frame in the input");
			rval = 1;
		}
		if (rval == 0 && (qhb_write_all(out.fd, im.ram, im.size, &e) ||
		    qhb_outfile_commit(&out, &e))) {
			qhb_err_path(&e, out.path);
			qhb_err_report(&e);
			rval = 1;
		}
		if (rval != 0)
			qhb_outfile_abort(&out);
		qhb_image_release(&im);
	}
	if (o.mode == MODE_NRRD) {
		qhb_err_clear(&e);
		if (rval == 0 && vol.frames == 0) {
			warnx("no volume frame in the input");
			rval = 1;
		}
		if (rval == 0 && (qhb_nrrd_write(out.fd, &vol, &e) ||
		    qhb_outfile_commit(&out, &e))) {
			qhb_err_path(&e, out.path);
			qhb_err_report(&e);
			rval = 1;
		}
		if (rval != 0)
			qhb_outfile_abort(&out);
		qhb_volume_release(&vol);
	}
	if (fclose(stdout) == EOF && rval == 0) {
		warn("<stdout>");
		rval = 1;
	}
	return rval;
}
