/*
 * qhb-trace -- record what a QEMU guest executes, and report on it.
 *
 *   qhb-trace [-o FILE] -- QEMU-COMMAND...    run QEMU with the plugin
 *   qhb-trace --attach NAME                   drain a qhb-vm --trace guest
 *   qhb-trace --format FMT [FILE]             report on a recorded trace
 */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opt.h"
#include "outfile.h"
#include "ring.h"
#include "stream.h"
#include "trace.h"
#include "vm.h"

struct trace_opts {
	const char *out_path;
	const char *attach;
	const char *plugin;
	int format;               /* -1: record */
	unsigned limit;
	int policy;
	int mem;
	uint64_t ring_size;
	int level;
	int force;
	int quiet;
	char **cmd;               /* after -- */
	int ncmd;
};

/* The last signal's number, until qhb_vm_record sends it on. */
static volatile sig_atomic_t signal_got;

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: qhb-trace [-fq] [-o FILE] [--policy block|drop] [--mem]\n"
	    "                 [--ring-size SIZE] [--plugin PATH] [--level N]\n"
	    "                 -- QEMU-COMMAND ...\n"
	    "       qhb-trace [-fq] [-o FILE] --attach NAME\n"
	    "       qhb-trace --format FORMAT [-f] [-o FILE] [--limit N] [FILE]\n");
}

static void help(void)
{
	usage(stdout);
	printf("\nRuns QEMU-COMMAND (qemu-system-x86_64 or qemu-x86_64 ...) with the\n"
	    "libqhbtrace plugin on a fresh ring and writes what the guest executes\n"
	    "as qhb trace frames until QEMU exits; or drains the ring of a guest\n"
	    "started with qhb-vm start --trace; or reports on a trace.\n\n"
	    "  -o FILE             write FILE atomically instead of stdout\n"
	    "  --policy P          block (default: lossless, the guest waits for\n"
	    "                      qhb-trace) or drop (never waits; counts losses)\n"
	    "  --mem               record memory accesses too (plugin mem=on)\n"
	    "  --ring-size SIZE    bytes per ring slot, a power of two (default 4M)\n"
	    "  --plugin PATH       the plugin (default: ../lib/libqhbtrace.so beside\n"
	    "                      this program, or $QHB_PLUGIN)\n"
	    "  --level N           zstd level of the frames, 0 for raw (default 1)\n"
	    "  --attach NAME       drain the ring of guest NAME until it stops\n"
	    "  --format FORMAT     report: text, drcov, hotblocks, hotpages, summary\n"
	    "  --limit N           hotblocks: the N hottest blocks (default 20, 0: all)\n"
	    "  -f                  write binary data to a terminal anyway\n"
	    "  -q                  no statistics on stderr\n"
	    "  -h, --help          this help\n"
	    "  -V, --version       the version\n");
}

/* --policy block|drop. */
static int parse_policy(const char *arg, void *to, struct qhb_err *e)
{
	if (strcmp(arg, "block") == 0)
		*(int *)to = QHB_RING_BLOCK;
	else if (strcmp(arg, "drop") == 0)
		*(int *)to = QHB_RING_DROP;
	else
		return qhb_err_set(e, "expected block or drop, got '%s'", arg);
	return 0;
}

/* --format FORMAT. */
static int parse_format(const char *arg, void *to, struct qhb_err *e)
{
	int f = qhb_trace_format_parse(arg);

	if (f < 0)
		return qhb_err_set(e, "expected text, drcov, hotblocks, hotpages "
		    "or summary, got '%s'", arg);
	*(int *)to = f;
	return 0;
}

/* --ring-size SIZE: bytes per slot, as common/trace checks them. */
static int parse_ring_size(const char *arg, void *to, struct qhb_err *e)
{
	return qhb_trace_slot_size(arg, to, e);
}

static const struct qhb_opt_prog prog = { "qhb-trace", usage, help };

static void parse_args(struct trace_opts *o, int argc, char **argv)
{
	struct qhb_err e = { 0 };
	int first, rc;
	const struct qhb_opt opts[] = {
		{ "output", 'o', QHB_OPT_PATH, .to = &o->out_path },
		{ "policy", 0, QHB_OPT_CALL, .to = &o->policy,
		    .call = parse_policy },
		{ "mem", 0, QHB_OPT_FLAG, .to = &o->mem },
		{ "ring-size", 0, QHB_OPT_CALL, .to = &o->ring_size,
		    .call = parse_ring_size },
		{ "plugin", 0, QHB_OPT_STRING, .to = &o->plugin },
		{ "level", 0, QHB_OPT_INT, .to = &o->level, .min = 0, .max = 19 },
		{ "attach", 0, QHB_OPT_STRING, .to = &o->attach },
		{ "format", 0, QHB_OPT_CALL, .to = &o->format,
		    .call = parse_format },
		{ "limit", 0, QHB_OPT_UNSIGNED, .to = &o->limit,
		    .min = 0, .max = UINT_MAX },
		{ NULL, 'f', QHB_OPT_FLAG, .to = &o->force },
		{ NULL, 'q', QHB_OPT_FLAG, .to = &o->quiet },
		{ 0 },
	};

	o->format = -1;
	o->limit = 20;
	o->level = 1;
	/* In order: stop at the first operand, which may be QEMU's. */
	rc = qhb_opt_parse(opts, QHB_OPT_IN_ORDER, argc, argv, &first, &e);
	if (rc != QHB_OPT_OK)
		exit(qhb_opt_report(rc, &prog, &e));
	o->cmd = argv + first;
	o->ncmd = argc - first;
	if (o->format >= 0 && o->attach)
		errx(1, "cannot use --format and --attach");
	if (o->format >= 0 && o->ncmd > 1)
		errx(1, "--format reads one FILE");
	if (o->attach && o->ncmd)
		errx(1, "cannot use --attach and a QEMU command");
	if (o->format < 0 && !o->attach && o->ncmd == 0) {
		usage(stderr);
		exit(1);
	}
}

/* Record: QEMU gets the signal (qhb_vm_record), and its exit ends the
 * recording; attach: the draining stops. */
static void on_signal(int sig)
{
	signal_got = sig;
}

static int pid_alive(void *arg)
{
	pid_t pid = (pid_t)(intptr_t)arg;

	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

static void print_stats(const struct trace_opts *o,
    const struct qhb_trace_stats *st)
{
	if (o->quiet)
		return;
	fprintf(stderr, "qhb-trace: %" PRIu64 " records, %" PRIu64 " bytes in %"
	    PRIu64 " frames; %" PRIu64 " dropped; producer waited %" PRIu64
	    " times\n", st->records, st->bytes, st->frames, st->dropped,
	    st->waits);
}

/* Runs QEMU with the plugin on a fresh ring and records until it exits.
 * 0, or -1 with e. */
static int do_record(struct trace_opts *o, struct qhb_writer *w,
    struct qhb_err *e)
{
	struct qhb_trace_stats st;
	char plugin[PATH_MAX];
	struct qhb_vm_record_opts ro = {
		.argv = o->cmd, .argc = o->ncmd, .plugin = plugin,
		.ring = { o->policy, o->ring_size, o->mem },
		/* QEMU's own output must not mix with a trace on stdout. */
		.out_to_err = o->out_path == NULL || strcmp(o->out_path, "-") == 0,
		.signal = &signal_got,
	};

	if (qhb_trace_plugin_find(o->plugin, plugin, sizeof(plugin), e) < 0 ||
	    qhb_vm_record(&ro, w, &st, e) < 0)
		return -1;
	print_stats(o, &st);
	/* Without the plugin's close, e says how QEMU ended. */
	return st.closed ? 0 : -1;
}

/* Drains the ring of guest o->attach until it stops.  0, or -1 with e. */
static int do_attach(struct trace_opts *o, struct qhb_writer *w,
    struct qhb_err *e)
{
	struct qhb_err warning = { 0 };
	struct qhb_vm_info info;
	struct qhb_ring r;
	struct qhb_trace_stats st;
	char path[QHB_VM_PATH_MAX];
	int rc;

	if (qhb_vm_find(o->attach, &info, e) < 0 ||
	    qhb_trace_ring_path(o->attach, path, sizeof(path), e) < 0 ||
	    qhb_ring_open(&r, path, e) < 0)
		return -1;
	if (!info.alive) {
		qhb_err_path(e, o->attach);
		rc = qhb_err_set(e, "guest is not running");
	} else {
		rc = qhb_trace_record(&r, w, pid_alive,
		    (void *)(intptr_t)info.pid, &signal_got, &st, e);
	}
	qhb_ring_close(&r, 0);
	if (rc < 0)
		return -1;
	print_stats(o, &st);
	/* Not an error: the trace is kept, and says what it lacks. */
	if (!st.closed && !o->quiet) {
		qhb_err_path(&warning, o->attach);
		qhb_err_set(&warning, "stopped before QEMU exited: block counts "
		    "come when it exits, so this trace has translations only");
		qhb_err_warn(NULL, &warning);
	}
	return 0;
}

/* The exit status rval, made 1 when stdout lost what was printed on it. */
static int finish(int rval)
{
	struct qhb_err e = { 0 };

	if (qhb_outfile_close_stdout(&e) < 0 && rval == 0) {
		qhb_err_report(&e);
		rval = 1;
	}
	return rval;
}

/* Reports on the trace FILE (or standard input) in o->format.  0, or -1
 * with e. */
static int do_report(struct trace_opts *o, struct qhb_err *e)
{
	struct qhb_trace t = { 0 };
	struct qhb_outfile out = { .fd = -1 };
	const char *in = o->ncmd ? o->cmd[0] : "-";
	FILE *f = NULL;
	int binary = o->format == QHB_TRACE_DRCOV && !o->force, rc = -1;

	if (qhb_trace_read(&t, in, e) < 0 ||
	    qhb_outfile_open(&out, o->out_path, binary, e) < 0)
		goto out;
	if ((f = fdopen(dup(out.fd), "w")) == NULL)
		qhb_err_sys(e, "fdopen");
	else if (qhb_trace_report(&t, o->format, o->limit, f, e) < 0 ||
	    (fflush(f) == EOF && qhb_err_sys(e, "write") < 0))
		qhb_err_path(e, out.path);
	else
		rc = 0;
	if (f != NULL)
		fclose(f);
	if (rc == 0)
		rc = qhb_outfile_commit(&out, e) < 0 ? -1 : 0;
	else
		qhb_outfile_abort(&out);
out:
	qhb_trace_release(&t);
	return rc;
}

int main(int argc, char **argv)
{
	struct trace_opts o = { 0 };
	struct qhb_outfile out = { .fd = -1 };
	struct qhb_err e = { 0 };
	struct qhb_writer *w;
	struct sigaction sa = { 0 };
	int rc;

	parse_args(&o, argc, argv);
	if (o.format >= 0) {
		if (do_report(&o, &e) < 0)
			goto fail;
		return finish(0);
	}
	if (qhb_outfile_open(&out, o.out_path, !o.force, &e) < 0)
		goto fail;
	if ((w = qhb_writer_new(out.fd, out.path, o.level, 0, &e)) == NULL) {
		qhb_outfile_abort(&out);
		goto fail;
	}
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = o.attach ? do_attach(&o, w, &e) : do_record(&o, w, &e);
	qhb_writer_free(w);
	if (rc == 0 && qhb_outfile_commit(&out, &e) == 0)
		return finish(0);
	if (rc < 0)
		qhb_outfile_abort(&out);
fail:
	qhb_err_report(&e);
	return finish(1);
}
