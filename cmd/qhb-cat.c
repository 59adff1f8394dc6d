/*
 * qhb-cat -- inspect and convert qhb streams.
 */
#include <err.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "nrrd.h"
#include "outfile.h"
#include "sandbox.h"
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
}

/* A u64 as a JSON integer when it fits jansson's signed type. */
static json_t *json_u64(uint64_t v)
{
	char buf[24];

	if (v <= (uint64_t)INT64_MAX)
		return json_integer((json_int_t)v);
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_string(buf);
}

/* A JSON string of s; bytes that are not UTF-8 become '?', since JSON
 * cannot carry them and dropping the key would hide it. */
static json_t *json_text(const char *s)
{
	json_t *j = json_string(s);
	char *copy;

	if (j != NULL || (copy = strdup(s)) == NULL)
		return j;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

/* Sets o[key] = v, noting in *ok a value or a slot that could not be made
 * (out of memory), so that no key is silently left out. */
static void put(json_t *o, const char *key, json_t *v, int *ok)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0)
		*ok = 0;
}

static int print_json(const char *name, const struct qhb_frame *f,
    struct qhb_err *e)
{
	json_t *o = json_object(), *m = json_object();
	char hash[17];
	int rc = 0, ok = o != NULL && m != NULL;

	if (!ok) {
		json_decref(o);
		json_decref(m);
		return qhb_err_set(e, "out of memory");
	}
	snprintf(hash, sizeof(hash), "%016" PRIx64, f->xxh3);
	put(o, "file", json_text(name), &ok);
	put(o, "frame", json_u64(f->index), &ok);
	put(o, "offset", json_u64(f->offset), &ok);
	put(o, "kind", json_string(qhb_frame_kind_name(f->kind)), &ok);
	put(o, "version", json_integer(f->version), &ok);
	put(o, "compression",
	    json_string(f->flags & QHB_FRAME_ZSTD ? "zstd" : "none"), &ok);
	put(o, "stored_size", json_u64(f->stored_size), &ok);
	put(o, "size", json_u64(f->size), &ok);
	put(o, "xxh3", json_string(hash), &ok);
	for (size_t i = 0; i < f->meta.n; i++) {
		const struct qhb_meta_entry *x = &f->meta.v[i];
		put(m, x->name, x->type == QHB_META_U64 ? json_u64(x->u) :
		    json_text(x->s), &ok);
	}
	put(o, "meta", m, &ok);
	if (f->kind == QHB_FRAME_SNAP || f->kind == QHB_FRAME_SNAP_DELTA) {
		struct qhb_snap_info in;
		if (qhb_snap_check(f, &in, e)) {
			rc = -1;
			goto done;
		}
		put(o, "pages", json_pack("{s:o,s:o,s:o}",
		    "given", json_u64(in.given_pages),
		    "data", json_u64(in.data_pages),
		    "zero", json_u64(in.zero_pages)), &ok);
	}
	if (!ok) {
		rc = qhb_err_set(e, "frame %" PRIu64 ": out of memory", f->index);
		goto done;
	}
	if (json_dumpf(o, stdout, JSON_COMPACT | JSON_ENSURE_ASCII) < 0 ||
	    putchar('\n') == EOF)
		rc = qhb_err_sys(e, "<stdout>: write");
done:
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
	if (qhb_sandbox_narrow(&(struct qhb_sandbox){ .read = (const char *
	    const *)files, .n_read = optind < argc ? (size_t)(argc - optind) : 1,
	    .write = (const char *[]){ out.path }, .n_write = out.tmp[0] != 0 },
	    &e)) {
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
