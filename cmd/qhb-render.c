/*
 * qhb-render -- pictures of guest RAM: a volume stream in, PNG files, a PNG
 * stream or a YUV4MPEG2 stream out (slices, maximum-intensity projections,
 * composited views, turntables, contact sheets).
 */
#include <err.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opt.h"
#include "outfile.h"
#include "parse.h"
#include "regions.h"
#include "render.h"
#include "renderjob.h"
#include "rendervk.h"
#include "stream.h"
#include "vk.h"
#include "volume.h"

struct render_opts {
	struct qhb_renderjob job;
	const char *out_path;
	const char *in_path;
	const char *regions_path;
	int cpu, stats, quiet, mode_set;
};

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: qhb-render [-q] [--cpu] [--stats] [--mip | --composite |\n"
	    "                  --slices x|y|z] [--azimuth DEG] [--elevation DEG]\n"
	    "                  [--zoom F] [--size WxH] [--perspective]\n"
	    "                  [--turntable N] [--opacity F] [--background COLOR]\n"
	    "                  [--regions FILE] [--legend] [--sheet COLSxROWS]\n"
	    "                  [--y4m] [--fps N] [--level N] [--threads N]\n"
	    "                  [-o PATTERN] [FILE]\n");
}

static void help(void)
{
	usage(stdout);
	printf("\nReads a volume stream (FILE, or standard input) and renders\n"
	    "every frame.\n\n"
	    "  --mip             maximum-intensity projection (default)\n"
	    "  --composite       front-to-back alpha compositing\n"
	    "  --slices AXIS     one picture per voxel plane along x, y or z\n"
	    "  --azimuth DEG     turn the camera about the y axis (default 30)\n"
	    "  --elevation DEG   raise the camera (default 20)\n"
	    "  --zoom F          1 fits the whole volume (default)\n"
	    "  --size WxH        picture size (default 512x512)\n"
	    "  --perspective     perspective camera (default orthographic)\n"
	    "  --turntable N     N views around the volume per frame\n"
	    "  --opacity F       compositing: opacity a voxel (default 0.1)\n"
	    "  --background C    #rrggbb, #rrggbbaa, black, white or none\n"
	    "  --regions FILE    outline and label qhb-query's regions\n"
	    "  --legend          add the colour legend and an address scale\n"
	    "  --sheet CxR       lay views or slices out on contact sheets\n"
	    "  --y4m             write a YUV4MPEG2 stream (for ffmpeg)\n"
	    "  --fps N           y4m frame rate (default 25)\n"
	    "  --level N         PNG zlib level, 0 to 9 (default 1)\n"
	    "  --threads N       CPU threads (default: one per CPU)\n"
	    "  --cpu             do not use a GPU\n"
	    "  --stats           backend, counts and timings on stderr\n"
	    "  -o PATTERN        files named by a %%d pattern, or - (default):\n"
	    "                    a PNG (or y4m) stream on standard output\n"
	    "  -q                no note of the backend on stderr\n"
	    "  -h, --help        this help\n"
	    "  -V, --version     the version\n");
}

/* --slices AXIS: x, y or z, as 0, 1 or 2. */
static int parse_axis(const char *arg, void *to, struct qhb_err *e)
{
	if (strlen(arg) != 1 || strchr("xyz", arg[0]) == NULL)
		return qhb_err_set(e, "'%s': expected x, y or z", arg);
	*(unsigned *)to = (unsigned)(arg[0] - 'x');
	return 0;
}

static const struct qhb_opt_prog prog = { "qhb-render", usage, help };

static void parse_args(struct render_opts *o, int argc, char **argv)
{
	struct qhb_renderjob *j = &o->job;
	struct qhb_render_opts *r = &j->r;
	struct qhb_err e = { 0 };
	int mip = 0, composite = 0, slices = 0, first, rc;
	const struct qhb_opt opts[] = {
		{ "mip", 0, QHB_OPT_FLAG, .count = &mip },
		{ "composite", 0, QHB_OPT_FLAG, .count = &composite },
		{ "slices", 0, QHB_OPT_CALL, .to = &r->axis, .call = parse_axis,
		    .count = &slices },
		{ "azimuth", 0, QHB_OPT_DOUBLE, .to = &r->azimuth,
		    .lo = -3600, .hi = 3600 },
		{ "elevation", 0, QHB_OPT_DOUBLE, .to = &r->elevation,
		    .lo = -90, .hi = 90 },
		{ "zoom", 0, QHB_OPT_DOUBLE, .to = &r->zoom,
		    .lo = 0.001, .hi = 1000 },
		{ "size", 0, QHB_OPT_PAIR, .to = &r->width, .to2 = &r->height,
		    .max = 16384 },
		{ "perspective", 0, QHB_OPT_FLAG, .to = &r->perspective },
		{ "turntable", 0, QHB_OPT_UNSIGNED, .to = &j->turntable,
		    .min = 1, .max = 100000 },
		{ "opacity", 0, QHB_OPT_DOUBLE, .to = &r->opacity,
		    .lo = 0.0001, .hi = 1 },
		{ "background", 0, QHB_OPT_COLOR, .to = &r->background },
		{ "regions", 0, QHB_OPT_STRING, .to = &o->regions_path },
		{ "legend", 0, QHB_OPT_FLAG, .to = &j->legend },
		{ "sheet", 0, QHB_OPT_PAIR, .to = &j->sheet_cols,
		    .to2 = &j->sheet_rows, .max = 256 },
		{ "y4m", 0, QHB_OPT_FLAG, .to = &j->y4m },
		{ "fps", 0, QHB_OPT_UNSIGNED, .to = &j->fps, .min = 1, .max = 1000 },
		{ "level", 0, QHB_OPT_INT, .to = &j->png_level, .min = 0, .max = 9 },
		{ "threads", 0, QHB_OPT_UNSIGNED, .to = &r->threads,
		    .min = 1, .max = 64 },
		{ "cpu", 0, QHB_OPT_FLAG, .to = &o->cpu },
		{ "stats", 0, QHB_OPT_FLAG, .to = &o->stats },
		{ "output", 'o', QHB_OPT_PATH, .to = &o->out_path },
		{ NULL, 'q', QHB_OPT_FLAG, .to = &o->quiet },
		{ 0 },
	};

	r->azimuth = 30;
	r->elevation = 20;
	r->zoom = 1;
	r->width = r->height = 512;
	r->opacity = 0.1;
	r->background = 0xff000000u;
	j->png_level = 1;
	j->fps = 25;
	o->out_path = "-";
	rc = qhb_opt_parse(opts, QHB_OPT_ONE_OPERAND, argc, argv, &first, &e);
	if (rc != QHB_OPT_OK)
		exit(qhb_opt_report(rc, &prog, &e));
	o->in_path = first < argc ? argv[first] : "-";
	if (mip + composite + slices > 1)
		errx(1, "cannot use more than one of --mip, --composite and "
		    "--slices");
	r->mode = slices ? QHB_RENDER_SLICES : composite ?
	    QHB_RENDER_COMPOSITE : QHB_RENDER_MIP;
	if (r->mode == QHB_RENDER_SLICES && j->turntable)
		errx(1, "cannot use --turntable with --slices");
	if (j->y4m && strcmp(o->out_path, "-") != 0)
		errx(1, "cannot use --y4m with -o FILE: y4m goes to standard "
		    "output");
}

int main(int argc, char **argv)
{
	struct render_opts o;
	struct qhb_err e = { 0 };
	struct qhb_outfile out = { .fd = -1 };
	struct qhb_regions regions = { 0 };
	struct qhb_renderjob_stats st = { 0 };
	struct qhb_reader *r = NULL;
	struct qhb_rendervk *rv = NULL;
	struct qhb_renderjob_gpu gpu;
	struct qhb_vk *vk = NULL;
	const char *in_name;
	int rval = 1, stream_out, in_fd = -1;

	memset(&o, 0, sizeof(o));
	parse_args(&o, argc, argv);
	in_name = strcmp(o.in_path, "-") ? o.in_path : "<stdin>";
	stream_out = strcmp(o.out_path, "-") == 0;
	if (o.regions_path != NULL &&
	    qhb_regions_load(&regions, o.regions_path, &e))
		goto fail;
	if (!stream_out && qhb_renderjob_pattern_check(o.out_path, &e))
		goto fail;
	/* The descriptor is ours (the reader does not close it): the run
	 * polls it to see whether the next frame is already there. */
	if (strcmp(o.in_path, "-") == 0)
		in_fd = STDIN_FILENO;
	else if ((in_fd = open(o.in_path, O_RDONLY | O_CLOEXEC)) < 0) {
		qhb_err_sys(&e, "cannot open");
		qhb_err_path(&e, in_name);
		goto fail;
	}
	if ((r = qhb_reader_fdopen(in_fd, in_name, &e)) == NULL) {
		qhb_err_path(&e, in_name);
		goto fail;
	}
	qhb_reader_filter(r, 1u << QHB_FRAME_VOLUME |
	    1u << QHB_FRAME_VOLUME_DELTA, qhb_err_warn, NULL);
	if (stream_out && qhb_outfile_open(&out, "-", 1, &e))
		goto fail;
	if (!o.cpu && o.job.r.mode != QHB_RENDER_SLICES) {
		struct qhb_err ve = { 0 };
		if ((vk = qhb_vk_open(&ve)) == NULL ||
		    (rv = qhb_rendervk_new(vk, &ve)) == NULL)
			warnx("%s: using the CPU", ve.msg);
		else if (!o.quiet)
			warnx("using %s (Vulkan)", qhb_vk_device_name(vk));
	} else if (o.stats) {
		warnx("using the CPU");
	}
	o.job.regions = o.regions_path ? &regions : NULL;
	o.job.pattern = stream_out ? NULL : o.out_path;
	o.job.out_fd = stream_out ? out.fd : -1;
	o.job.out_name = "<stdout>";
	o.job.in_fd = in_fd;
	if (rv != NULL)
		qhb_rendervk_gpu(rv, &gpu);
	o.job.gpu = rv ? &gpu : NULL;
	if (qhb_renderjob_run(&o.job, r, &st, &e)) {
		if (e.path[0] == 0 && e.has_off)
			qhb_err_path(&e, in_name);
		goto fail;
	}
	if (stream_out && qhb_outfile_commit(&out, &e))
		goto fail;
	if (o.stats)
		fprintf(stderr, "qhb-render: backend %s; %" PRIu64 " frames, %"
		    PRIu64 " pictures (%" PRIu64 " files, %" PRIu64 " bytes); "
		    "views: %" PRIu64 " gpu, %" PRIu64 " cpu; render %.3f ms, "
		    "encode %.3f ms, write %.3f ms; volume upload %" PRIu64
		    " bytes, %.3f ms; %" PRIu64 " views finished after the next "
		    "frame's read\n",
		    st.gpu_views ? qhb_vk_device_name(vk) : "cpu", st.frames,
		    st.pictures, st.files, st.bytes_out, st.gpu_views,
		    st.cpu_views, st.render_ns / 1e6, st.encode_ns / 1e6,
		    st.write_ns / 1e6, rv ? qhb_rendervk_uploaded(rv) : 0,
		    st.volume_ns / 1e6, st.carried);
	rval = 0;
	goto done;
fail:
	qhb_err_report(&e);
	qhb_outfile_abort(&out);
done:
	qhb_reader_close(r);
	if (in_fd > STDIN_FILENO)
		close(in_fd);
	qhb_rendervk_free(rv);
	qhb_vk_close(vk);
	qhb_regions_release(&regions);
	if (qhb_outfile_close_stdout(&e) < 0 && rval == 0) {
		qhb_err_report(&e);
		rval = 1;
	}
	return rval;
}
