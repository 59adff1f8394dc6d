/*
 * qhb-snap -- capture guest RAM into a snapshot stream.
 */
#include <err.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "opt.h"
#include "outfile.h"
#include "qmp.h"
#include "ram.h"
#include "snap.h"
#include "stream.h"

struct snap_opts {
	const char *ram_path;
	const char *qmp_path;
	const char *out_pattern;
	const char *name;
	int level;
	int threads;
	int force;
	int verbose;
	struct qhb_snap_opts snap;
};

static volatile sig_atomic_t stop_requested;

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: qhb-snap [-fqv] [-o FILE] [--qmp SOCKET] [--consistent MODE]\n"
	    "                [--verify-rounds N]\n"
	    "                [--every DURATION [--count N] [--keyframe K]]\n"
	    "                [--level N] [--threads N] [--name VM] [RAMFILE]\n");
}

static void help(void)
{
	usage(stdout);
	printf("\nCaptures a QEMU guest's RAM (a memory-backend-file, or any raw RAM\n"
	    "file) into a qhb snapshot stream on stdout or in FILE.\n\n"
	    "  -o FILE                write FILE atomically; strftime patterns allowed\n"
	    "  --qmp SOCKET           find RAMFILE through QEMU's QMP socket\n"
	    "  --consistent MODE      none (default), pause (stop the guest for the\n"
	    "                         copy, needs --qmp), or verify (re-copy pages that\n"
	    "                         changed until stable)\n"
	    "  --verify-rounds N      bound on verify's re-copy rounds (default 8)\n"
	    "  --every DURATION       capture periodically (16ms, 1s, 60hz, ...):\n"
	    "                         a full frame, then dirty-page deltas\n"
	    "  --count N              stop after N frames (default: until a signal)\n"
	    "  --keyframe K           a full frame every K frames (default 0: first only)\n"
	    "  --level N              zstd level, 0 for raw (default 1)\n"
	    "  --threads N            zstd worker threads (default 0)\n"
	    "  --name VM              the VM name recorded in each frame\n"
	    "  -f                     write binary data to a terminal anyway\n"
	    "  -q                     no progress line\n"
	    "  -v                     report what each frame held on stderr\n"
	    "  -h, --help             this help\n"
	    "  -V, --version          the version\n");
}

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void progress(const struct snap_opts *o,
    const struct qhb_snap_stats *st, int last);

/* --consistent MODE. */
static int parse_consistent(const char *arg, void *to, struct qhb_err *e)
{
	enum qhb_consistency *c = to;

	if (strcmp(arg, "none") == 0)
		*c = QHB_CONSISTENT_NONE;
	else if (strcmp(arg, "pause") == 0)
		*c = QHB_CONSISTENT_PAUSE;
	else if (strcmp(arg, "verify") == 0)
		*c = QHB_CONSISTENT_VERIFY;
	else
		return qhb_err_set(e, "'%s': expected none, pause or verify",
		    arg);
	return 0;
}

static const struct qhb_opt_prog prog = { "qhb-snap", usage, help };

static void parse_args(struct snap_opts *o, int argc, char **argv)
{
	struct qhb_snap_opts *s = &o->snap;
	struct qhb_err e = { 0 };
	int first, rc;
	const struct qhb_opt opts[] = {
		{ "qmp", 0, QHB_OPT_STRING, .to = &o->qmp_path },
		{ "consistent", 0, QHB_OPT_CALL, .to = &s->consistency,
		    .call = parse_consistent },
		{ "verify-rounds", 0, QHB_OPT_UNSIGNED, .to = &s->verify_rounds,
		    .min = 1, .max = 1000 },
		{ "every", 0, QHB_OPT_DURATION, .to = &s->every_ns },
		{ "count", 0, QHB_OPT_U64, .to = &s->count,
		    .min = 1, .max = UINT64_MAX },
		{ "keyframe", 0, QHB_OPT_U64, .to = &s->keyframe,
		    .min = 0, .max = UINT64_MAX },
		{ "level", 0, QHB_OPT_INT, .to = &o->level, .min = 0, .max = 22 },
		{ "threads", 0, QHB_OPT_INT, .to = &o->threads,
		    .min = 0, .max = 256 },
		{ "name", 0, QHB_OPT_STRING, .to = &o->name },
		{ "output", 'o', QHB_OPT_PATH, .to = &o->out_pattern },
		{ NULL, 'f', QHB_OPT_FLAG, .to = &o->force },
		{ NULL, 'q', QHB_OPT_SET, .to = &o->verbose, .value = 0 },
		{ NULL, 'v', QHB_OPT_SET, .to = &o->verbose, .value = 2 },
		{ 0 },
	};

	o->level = 1;
	o->verbose = isatty(STDERR_FILENO) ? 1 : 0;
	rc = qhb_opt_parse(opts, QHB_OPT_ONE_OPERAND, argc, argv, &first, &e);
	if (rc != QHB_OPT_OK)
		exit(qhb_opt_report(rc, &prog, &e));
	o->ram_path = first < argc ? argv[first] : NULL;
	if (o->ram_path == NULL && o->qmp_path == NULL)
		errx(1, "no RAM file: give RAMFILE or --qmp SOCKET");
	if (s->consistency == QHB_CONSISTENT_PAUSE && o->qmp_path == NULL)
		errx(1, "--consistent=pause needs --qmp SOCKET to stop the guest");
	if (s->every_ns == 0 && (s->count > 1 || s->keyframe))
		errx(1, "--count and --keyframe need --every");
}

/* The VM's name as QEMU knows it (-name), or NULL. */
static char *qmp_vm_name(struct qhb_qmp *q)
{
	struct qhb_err e = { 0 };
	json_t *r = qhb_qmp_execute(q, "query-name", NULL, &e);
	const char *n = r ? json_string_value(json_object_get(r, "name")) : NULL;
	char *copy = n ? strdup(n) : NULL;

	json_decref(r);
	return copy;
}

/* -v: a line per frame; a terminal on stderr: one line kept current. */
static void on_frame(void *arg, const struct qhb_snap_stats *st)
{
	const struct snap_opts *o = arg;

	if (o->verbose == 1)
		fprintf(stderr, "\rqhb-snap: %" PRIu64 " frames, %" PRIu64
		    " bytes, last capture %.1f ms, %" PRIu64 " ticks missed ",
		    st->frames, st->bytes_out, st->capture_ns / 1e6,
		    st->missed_ticks);
	else if (o->verbose == 2)
		progress(o, st, 0);
}

static void progress(const struct snap_opts *o, const struct qhb_snap_stats *st,
    int last)
{
	if (o->verbose == 2 || (o->verbose == 1 && last))
		fprintf(stderr, "qhb-snap: frame %" PRIu64 ": %" PRIu64 " pages "
		    "given, %" PRIu64 " with data, %" PRIu64 " zero; capture %.1f ms"
		    "; %" PRIu64 " bytes out in all\n", st->frames - 1,
		    st->given_pages, st->data_pages, st->zero_pages,
		    st->capture_ns / 1e6, st->bytes_out);
}

int main(int argc, char **argv)
{
	struct snap_opts o = { 0 };
	struct qhb_err e = { 0 };
	struct qhb_ram ram = { .fd = -1 };
	struct qhb_outfile out = { .fd = -1 };
	struct qhb_qmp *qmp = NULL;
	struct qhb_writer *w = NULL;
	struct qhb_snapper *s = NULL;
	char ram_path[4096], out_path[4096], *vm_name = NULL;
	struct sigaction sa;
	int rval = 1;

	parse_args(&o, argc, argv);

	if (o.qmp_path != NULL) {
		if ((qmp = qhb_qmp_open(o.qmp_path, 0, &e)) == NULL) {
			qhb_err_path(&e, o.qmp_path);
			goto fail;
		}
		if (o.ram_path == NULL) {
			uint64_t size;
			if (qhb_qmp_ram_file(qmp, ram_path, sizeof(ram_path),
			    &size, &e)) {
				qhb_err_path(&e, o.qmp_path);
				goto fail;
			}
			o.ram_path = ram_path;
		}
		if (o.name == NULL)
			o.name = vm_name = qmp_vm_name(qmp);
	}
	/* A signal ends a periodic capture after the frame in hand, and the
	 * output is committed: what was captured is kept.  One that comes
	 * before the first frame leaves nothing behind. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (qhb_ram_open(&ram, o.ram_path, &e))
		goto fail;
	if (o.out_pattern != NULL && strcmp(o.out_pattern, "-") != 0) {
		if (qhb_outfile_expand(o.out_pattern, time(NULL), out_path,
		    sizeof(out_path), &e))
			goto fail;
	} else {
		snprintf(out_path, sizeof(out_path), "-");
	}
	if (qhb_outfile_open(&out, out_path, !o.force, &e))
		goto fail;
	if ((w = qhb_writer_new(out.fd, out.path, o.level, o.threads, &e)) == NULL)
		goto fail;
	o.snap.vm_name = o.name;
	o.snap.source = o.ram_path;
	o.snap.stop = &stop_requested;
	o.snap.on_frame = on_frame;
	o.snap.on_frame_arg = &o;
	if ((s = qhb_snapper_new(&ram, qmp, &o.snap, &e)) == NULL)
		goto fail;

	if (qhb_snapper_run(s, w, &e) || qhb_ram_check(&ram, &e))
		goto fail;
	if (qhb_snapper_stats(s)->frames == 0) {
		qhb_err_clear(&e);
		qhb_err_set(&e, "interrupted before the first frame");
		goto fail;
	}
	if (o.verbose == 1 && o.snap.every_ns != 0)
		fputc('\n', stderr);
	if (o.verbose == 1 || o.snap.every_ns == 0)
		progress(&o, qhb_snapper_stats(s), 1);
	if (qhb_outfile_commit(&out, &e))
		goto fail;
	rval = 0;
	goto done;
fail:
	qhb_err_path(&e, o.ram_path);
	qhb_err_report(&e);
	qhb_outfile_abort(&out);
done:
	qhb_snapper_free(s);
	qhb_writer_free(w);
	qhb_ram_close(&ram);
	qhb_qmp_close(qmp);
	free(vm_name);
	if (qhb_outfile_close_stdout(&e) < 0 && rval == 0) {
		qhb_err_report(&e);
		rval = 1;
	}
	return rval;
}
