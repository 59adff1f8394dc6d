/*
 * qhb-render -- pictures of guest RAM: a volume stream in, PNG files, a PNG
 * stream or a YUV4MPEG2 stream out (slices, maximum-intensity projections,
 * composited views, turntables, contact sheets).
 */
#include <err.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static void parse_args(struct render_opts *o, int argc, char **argv)
{
	enum { OPT_MIP = 256, OPT_COMPOSITE, OPT_SLICES, OPT_AZIMUTH,
	    OPT_ELEVATION, OPT_ZOOM, OPT_SIZE, OPT_PERSPECTIVE, OPT_TURNTABLE,
	    OPT_OPACITY, OPT_BACKGROUND, OPT_REGIONS, OPT_LEGEND, OPT_SHEET,
	    OPT_Y4M, OPT_FPS, OPT_LEVEL, OPT_THREADS, OPT_CPU, OPT_STATS };
	static const struct option longopts[] = {
		{ "mip", no_argument, NULL, OPT_MIP },
		{ "composite", no_argument, NULL, OPT_COMPOSITE },
		{ "slices", required_argument, NULL, OPT_SLICES },
		{ "azimuth", required_argument, NULL, OPT_AZIMUTH },
		{ "elevation", required_argument, NULL, OPT_ELEVATION },
		{ "zoom", required_argument, NULL, OPT_ZOOM },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "perspective", no_argument, NULL, OPT_PERSPECTIVE },
		{ "turntable", required_argument, NULL, OPT_TURNTABLE },
		{ "opacity", required_argument, NULL, OPT_OPACITY },
		{ "background", required_argument, NULL, OPT_BACKGROUND },
		{ "regions", required_argument, NULL, OPT_REGIONS },
		{ "legend", no_argument, NULL, OPT_LEGEND },
		{ "sheet", required_argument, NULL, OPT_SHEET },
		{ "y4m", no_argument, NULL, OPT_Y4M },
		{ "fps", required_argument, NULL, OPT_FPS },
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "cpu", no_argument, NULL, OPT_CPU },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct qhb_renderjob *j = &o->job;
	struct qhb_err e = { 0 };
	int ch, modes = 0;

	j->r.mode = QHB_RENDER_MIP;
	j->r.azimuth = 30;
	j->r.elevation = 20;
	j->r.zoom = 1;
	j->r.width = j->r.height = 512;
	j->r.opacity = 0.1;
	j->r.background = 0xff000000u;
	j->png_level = 1;
	j->fps = 25;
	o->out_path = "-";
	while ((ch = getopt_long(argc, argv, "ho:qV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'q': o->quiet = 1; break;
		case 'o': o->out_path = optarg; break;
		case OPT_MIP: j->r.mode = QHB_RENDER_MIP; modes++; break;
		case OPT_COMPOSITE: j->r.mode = QHB_RENDER_COMPOSITE; modes++; break;
		case OPT_SLICES:
			if (strlen(optarg) != 1 || strchr("xyz", optarg[0]) == NULL)
				errx(1, "--slices: '%s': expected x, y or z", optarg);
			j->r.mode = QHB_RENDER_SLICES;
			j->r.axis = (unsigned)(optarg[0] - 'x');
			modes++;
			break;
		case OPT_AZIMUTH:
			if (qhb_parse_double(optarg, -3600, 3600, &j->r.azimuth,
			    "--azimuth", &e))
				goto bad;
			break;
		case OPT_ELEVATION:
			if (qhb_parse_double(optarg, -90, 90, &j->r.elevation,
			    "--elevation", &e))
				goto bad;
			break;
		case OPT_ZOOM:
			if (qhb_parse_double(optarg, 0.001, 1000, &j->r.zoom,
			    "--zoom", &e))
				goto bad;
			break;
		case OPT_OPACITY:
			if (qhb_parse_double(optarg, 0.0001, 1, &j->r.opacity,
			    "--opacity", &e))
				goto bad;
			break;
		case OPT_SIZE:
			if (qhb_parse_pair(optarg, 16384, &j->r.width, &j->r.height,
			    "--size", &e))
				goto bad;
			break;
		case OPT_SHEET:
			if (qhb_parse_pair(optarg, 256, &j->sheet_cols,
			    &j->sheet_rows, "--sheet", &e))
				goto bad;
			break;
		case OPT_PERSPECTIVE: j->r.perspective = 1; break;
		case OPT_TURNTABLE:
			if (qhb_parse_unsigned(optarg, 1, 100000, &j->turntable,
			    "--turntable", &e))
				goto bad;
			break;
		case OPT_BACKGROUND:
			if (qhb_parse_color(optarg, &j->r.background,
			    "--background", &e))
				goto bad;
			break;
		case OPT_REGIONS: o->regions_path = optarg; break;
		case OPT_LEGEND: j->legend = 1; break;
		case OPT_Y4M: j->y4m = 1; break;
		case OPT_FPS:
			if (qhb_parse_unsigned(optarg, 1, 1000, &j->fps, "--fps", &e))
				goto bad;
			break;
		case OPT_LEVEL:
			if (qhb_parse_int(optarg, 0, 9, &j->png_level, "--level", &e))
				goto bad;
			break;
		case OPT_THREADS:
			if (qhb_parse_unsigned(optarg, 1, 64, &j->r.threads,
			    "--threads", &e))
				goto bad;
			break;
		case OPT_CPU: o->cpu = 1; break;
		case OPT_STATS: o->stats = 1; break;
		case 'h':
			help();
			exit(0);
		case 'V':
			printf("qhb-render %s\n", QHB_VERSION);
			exit(0);
		default:
			usage(stderr);
			exit(1);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1) {
		usage(stderr);
		exit(1);
	}
	o->in_path = argc == 1 ? argv[0] : "-";
	if (qhb_parse_path(o->out_path, "-o", &e))
		goto bad;
	if (modes > 1)
		errx(1, "cannot use more than one of --mip, --composite and "
		    "--slices");
	if (j->r.mode == QHB_RENDER_SLICES && j->turntable)
		errx(1, "cannot use --turntable with --slices");
	if (j->y4m && strcmp(o->out_path, "-") != 0)
		errx(1, "cannot use --y4m with -o FILE: y4m goes to standard "
		    "output");
	return;
bad:
	qhb_err_report(&e);
	exit(1);
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
