/*
 * qhb-hilbert -- lay guest RAM out along Skilling's Hilbert curve: a
 * snapshot stream in, a volume stream out; also the curve itself, and the
 * voxel of an address and back.
 */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hilbert.h"
#include "opt.h"
#include "outfile.h"
#include "parse.h"
#include "regions.h"
#include "sandbox.h"
#include "stream.h"
#include "vk.h"
#include "volume.h"
#include "volvk.h"

enum mode { MODE_STREAM, MODE_MAP, MODE_INVERSE, MODE_LOCATE, MODE_ADDRESS };

struct hilbert_opts {
	enum mode mode;
	unsigned dim;
	unsigned order;
	int have_order;           /* times --order was given */
	uint64_t unit;
	uint64_t ram_size;
	unsigned lod;
	enum qhb_scheme scheme;
	const char *regions_path;
	const char *out_path;
	const char *in_path;
	const char *locate;
	int cpu, stats, force, quiet, level;
};

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: qhb-hilbert [-fq] [--cpu] [--stats] [--dim D] [--unit BYTES]\n"
	    "                   [--color SCHEME] [--regions FILE] [--lod N]\n"
	    "                   [--level N] [-o FILE] [FILE]\n"
	    "       qhb-hilbert --map | --inverse [--dim D] --order K\n"
	    "       qhb-hilbert --locate ADDR --ram-size S [--unit U] [--dim D]\n"
	    "       qhb-hilbert --address X,Y[,Z] --ram-size S [--unit U] [--dim D]\n");
}

static void help(void)
{
	usage(stdout);
	printf("\nReads a snapshot stream (FILE, or standard input) and writes a\n"
	    "volume stream: a volume frame for each snapshot frame, a delta\n"
	    "volume frame for each snapshot delta.\n\n"
	    "  --dim D           2 or 3 (default 3)\n"
	    "  --unit BYTES      bytes per voxel: 1, 4 (default), 16, 64, 4096\n"
	    "  --color SCHEME    class (default), entropy, value or heat\n"
	    "  --regions FILE    JSON regions of physical addresses to tint\n"
	    "  --lod N           add N mip levels, each half the side\n"
	    "  --level N         zstd level of the output, 0 for raw (default 1)\n"
	    "  --cpu             do not use a GPU\n"
	    "  --stats           the backend and its timings on stderr at the end\n"
	    "  -o FILE           write FILE atomically instead of stdout\n"
	    "  -f                write binary data to a terminal anyway\n"
	    "  -q                no note of the backend on stderr\n"
	    "  --map             curve indices on stdin, one a line, to coordinates\n"
	    "  --inverse         coordinates on stdin to curve indices\n"
	    "  --order K         the curve's order for --map and --inverse\n"
	    "  --locate ADDR     the voxel of physical address ADDR, as JSON\n"
	    "  --address X,Y,Z   the physical address of a voxel, as JSON\n"
	    "  --ram-size S      the RAM size for --locate and --address\n"
	    "  -h, --help        this help\n"
	    "  -V, --version     the version\n");
}

/* --unit BYTES: a size, and one that the volume knows. */
static int parse_unit(const char *arg, void *to, struct qhb_err *e)
{
	if (qhb_parse_size(arg, to, NULL, e))
		return -1;
	if (!qhb_volume_unit_ok(*(uint64_t *)to))
		return qhb_err_set(e, "%s: expected 1, 4, 16, 64 or 4096", arg);
	return 0;
}

/* --color SCHEME. */
static int parse_scheme(const char *arg, void *to, struct qhb_err *e)
{
	if (qhb_scheme_parse(arg, to))
		return qhb_err_set(e, "'%s': expected class, entropy, value or "
		    "heat", arg);
	return 0;
}

static const struct qhb_opt_prog prog = { "qhb-hilbert", usage, help };

static void parse_args(struct hilbert_opts *o, int argc, char **argv)
{
	struct qhb_err e = { 0 };
	const char *address = NULL;
	int map = 0, inverse = 0, modes = 0, first, rc;
	const struct qhb_opt opts[] = {
		{ "map", 0, QHB_OPT_FLAG, .to = &map, .count = &modes },
		{ "inverse", 0, QHB_OPT_FLAG, .to = &inverse, .count = &modes },
		{ "dim", 0, QHB_OPT_UNSIGNED, .to = &o->dim, .min = 2, .max = 3 },
		{ "order", 0, QHB_OPT_UNSIGNED, .to = &o->order,
		    .min = 0, .max = 32, .count = &o->have_order },
		{ "unit", 0, QHB_OPT_CALL, .to = &o->unit, .call = parse_unit },
		{ "color", 0, QHB_OPT_CALL, .to = &o->scheme,
		    .call = parse_scheme },
		{ "regions", 0, QHB_OPT_STRING, .to = &o->regions_path },
		{ "lod", 0, QHB_OPT_UNSIGNED, .to = &o->lod,
		    .min = 0, .max = QHB_VOLUME_MAX_LOD },
		{ "locate", 0, QHB_OPT_STRING, .to = &o->locate, .count = &modes },
		{ "address", 0, QHB_OPT_STRING, .to = &address, .count = &modes },
		{ "ram-size", 0, QHB_OPT_SIZE, .to = &o->ram_size },
		{ "cpu", 0, QHB_OPT_FLAG, .to = &o->cpu },
		{ "stats", 0, QHB_OPT_FLAG, .to = &o->stats },
		{ "level", 0, QHB_OPT_INT, .to = &o->level, .min = 0, .max = 22 },
		{ "output", 'o', QHB_OPT_PATH, .to = &o->out_path },
		{ NULL, 'f', QHB_OPT_FLAG, .to = &o->force },
		{ NULL, 'q', QHB_OPT_FLAG, .to = &o->quiet },
		{ 0 },
	};

	o->dim = 3;
	o->unit = 4;
	o->level = 1;
	o->scheme = QHB_SCHEME_CLASS;
	if ((rc = qhb_opt_parse(opts, 0, argc, argv, &first, &e)) != QHB_OPT_OK)
		exit(qhb_opt_report(rc, &prog, &e));
	argc -= first;
	argv += first;
	if (modes > 1)
		errx(1, "cannot use more than one of --map, --inverse, --locate "
		    "and --address");
	o->mode = map ? MODE_MAP : inverse ? MODE_INVERSE : o->locate ?
	    MODE_LOCATE : address ? MODE_ADDRESS : MODE_STREAM;
	if (address != NULL)
		o->locate = address;
	if (o->mode == MODE_STREAM) {
		if (argc > 1) {
			usage(stderr);
			exit(1);
		}
		o->in_path = argc == 1 ? argv[0] : "-";
		if (o->have_order || o->ram_size)
			errx(1, "--order and --ram-size are for --map, --inverse, "
			    "--locate and --address");
		return;
	}
	if (argc > 0) {
		usage(stderr);
		exit(1);
	}
	if (o->mode == MODE_MAP || o->mode == MODE_INVERSE) {
		if (!o->have_order)
			errx(1, "--map and --inverse need --order K");
		if (o->order * o->dim > 64)
			errx(1, "--order %u: at most %u in %u dimensions", o->order,
			    64 / o->dim, o->dim);
	} else if (o->ram_size == 0) {
		errx(1, "--locate and --address need --ram-size S");
	}
}

/* --locate and --address: one JSON line. */
static int locate(const struct hilbert_opts *o)
{
	struct qhb_volume_shape s;
	struct qhb_err e = { 0 };
	uint32_t xyz[3] = { 0, 0, 0 };
	uint64_t addr;

	if (qhb_volume_shape_init(&s, o->dim, o->unit, o->ram_size, 0, &e))
		goto bad;
	if (o->mode == MODE_LOCATE) {
		if (qhb_parse_addr(o->locate, &addr, "--locate", &e) ||
		    qhb_volume_locate(&s, addr, xyz, &e))
			goto bad;
	} else {
		if (qhb_parse_coords(o->locate, o->dim, xyz, "--address", &e) ||
		    qhb_volume_address(&s, xyz, &addr, &e))
			goto bad;
	}
	printf("{\"address\":%" PRIu64 ",\"end\":%" PRIu64 ",\"index\":%" PRIu64
	    ",\"voxel\":[%u,%u", addr, addr + o->unit, addr / o->unit, xyz[0],
	    xyz[1]);
	if (o->dim == 3)
		printf(",%u", xyz[2]);
	printf("],\"box\":[%u,%u", s.h.size[0], s.h.size[1]);
	if (o->dim == 3)
		printf(",%u", s.h.size[2]);
	printf("],\"unit\":%" PRIu64 ",\"ram_size\":%" PRIu64 "}\n", o->unit,
	    o->ram_size);
	return 0;
bad:
	qhb_err_report(&e);
	return 1;
}

static int stream(struct hilbert_opts *o)
{
	struct qhb_err e = { 0 };
	struct qhb_outfile out = { .fd = -1 };
	struct qhb_regions regions = { 0 };
	struct qhb_volume_opts vo = { 0 };
	struct qhb_volumizer *v = NULL;
	struct qhb_reader *r = NULL;
	struct qhb_writer *w = NULL;
	struct qhb_vk *vk = NULL;
	const char *in_name = strcmp(o->in_path, "-") ? o->in_path : "<stdin>";
	int rval = 1;

	if (o->regions_path != NULL &&
	    qhb_regions_load(&regions, o->regions_path, &e))
		goto fail;
	if ((r = qhb_reader_open(o->in_path, &e)) == NULL) {
		qhb_err_path(&e, in_name);
		goto fail;
	}
	qhb_reader_filter(r, 1u << QHB_FRAME_SNAP | 1u << QHB_FRAME_SNAP_DELTA,
	    qhb_err_warn, NULL);
	if (qhb_outfile_open(&out, o->out_path, !o->force, &e))
		goto fail;
	if ((w = qhb_writer_new(out.fd, out.path, o->level, 0, &e)) == NULL)
		goto fail;
	if (!o->cpu) {
		struct qhb_err ve = { 0 };
		if ((vk = qhb_vk_open(&ve)) == NULL)
			warnx("%s: using the CPU", ve.msg);
		else if (!o->quiet)
			warnx("using %s (Vulkan)", qhb_vk_device_name(vk));
	} else if (o->stats) {
		warnx("using the CPU");
	}
	if (qhb_sandbox_narrow(&(struct qhb_sandbox){ .write = (const char *[]){
	    out.tmp[0] ? out.path : NULL, vk ? qhb_vk_cache_path(vk) : NULL },
	    .n_write = 2, .threads = 1, .gpu = vk != NULL }, &e))
		goto fail;
	vo.dim = o->dim;
	vo.unit = o->unit;
	vo.lod = o->lod;
	vo.scheme = o->scheme;
	vo.regions = o->regions_path ? &regions : NULL;
	vo.gpu = vk ? qhb_volvk_fill : NULL;
	vo.gpu_arg = vk;
	if ((v = qhb_volumizer_new(&vo, &e)) == NULL)
		goto fail;
	if (qhb_volumizer_run(v, r, w, &e)) {
		qhb_err_path(&e, in_name);
		goto fail;
	}
	if (qhb_outfile_commit(&out, &e))
		goto fail;
	if (o->stats) {
		const struct qhb_volume_stats *st = qhb_volumizer_stats(v);
		fprintf(stderr, "qhb-hilbert: backend %s; %" PRIu64 " frames (%"
		    PRIu64 " full, %" PRIu64 " delta), %" PRIu64 " voxels out; "
		    "fills: %" PRIu64 " gpu, %" PRIu64 " cpu, %.3f ms\n",
		    st->gpu_fills ? qhb_vk_device_name(vk) : "cpu", st->frames,
		    st->full_frames, st->delta_frames, st->voxels_out,
		    st->gpu_fills, st->cpu_fills, st->fill_ns / 1e6);
		if (vk != NULL) {
			const struct qhb_vk_stats *k = qhb_vk_stats(vk);
			fprintf(stderr, "qhb-hilbert: gpu: %" PRIu64 " dispatches, "
			    "%.3f ms (timestamps); upload %" PRIu64 " bytes in %.3f ms"
			    ", %" PRIu64 " imported in place; download %" PRIu64
			    " bytes in %.3f ms\n", k->dispatches, k->gpu_ns / 1e6,
			    k->upload_bytes, k->upload_ns / 1e6, k->imported_bytes,
			    k->download_bytes, k->download_ns / 1e6);
		}
	}
	rval = 0;
	goto done;
fail:
	qhb_err_report(&e);
	qhb_outfile_abort(&out);
done:
	qhb_volumizer_free(v);
	qhb_writer_free(w);
	qhb_reader_close(r);
	qhb_vk_close(vk);
	qhb_regions_release(&regions);
	return rval;
}

int main(int argc, char **argv)
{
	struct hilbert_opts o = { 0 };
	struct qhb_err e = { 0 };
	int rval = 0;

	parse_args(&o, argc, argv);
	switch (o.mode) {
	case MODE_MAP:
	case MODE_INVERSE:
		if (qhb_hilbert_map_lines(stdin, "<stdin>", stdout,
		    o.mode == MODE_INVERSE, o.dim, o.order, &e) < 0) {
			qhb_err_report(&e);
			rval = 1;
		}
		break;
	case MODE_LOCATE:
	case MODE_ADDRESS:
		rval = locate(&o);
		break;
	default:
		rval = stream(&o);
		break;
	}
	if (qhb_outfile_close_stdout(&e) < 0 && rval == 0) {
		qhb_err_report(&e);
		rval = 1;
	}
	return rval;
}
