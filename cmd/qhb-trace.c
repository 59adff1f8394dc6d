/*
 * qhb-trace -- record what a QEMU guest executes, and report on it.
 *
 *   qhb-trace [-o FILE] -- QEMU-COMMAND...    run QEMU with the plugin
 *   qhb-trace --attach NAME                   drain a qhb-vm --trace guest
 *   qhb-trace --format FMT [FILE]             report on a recorded trace
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outfile.h"
#include "parse.h"
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

static void parse_args(struct trace_opts *o, int argc, char **argv)
{
	enum { O_POLICY = 256, O_MEM, O_RING, O_PLUGIN, O_LEVEL, O_ATTACH,
	    O_FORMAT, O_LIMIT };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "policy", required_argument, NULL, O_POLICY },
		{ "mem", no_argument, NULL, O_MEM },
		{ "ring-size", required_argument, NULL, O_RING },
		{ "plugin", required_argument, NULL, O_PLUGIN },
		{ "level", required_argument, NULL, O_LEVEL },
		{ "attach", required_argument, NULL, O_ATTACH },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "limit", required_argument, NULL, O_LIMIT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct qhb_err e = { 0 };
	int ch;

	o->format = -1;
	o->limit = 20;
	o->level = 1;
	/* "+": stop at the first operand, which may be QEMU's. */
	while ((ch = getopt_long(argc, argv, "+fho:qV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': o->force = 1; break;
		case 'q': o->quiet = 1; break;
		case 'o': o->out_path = optarg; break;
		case O_POLICY:
			if (strcmp(optarg, "block") == 0)
				o->policy = QHB_RING_BLOCK;
			else if (strcmp(optarg, "drop") == 0)
				o->policy = QHB_RING_DROP;
			else
				errx(1, "--policy: expected block or drop, got '%s'",
				    optarg);
			break;
		case O_MEM: o->mem = 1; break;
		case O_RING:
			if (qhb_trace_slot_size(optarg, &o->ring_size, &e) < 0)
				errx(1, "--ring-size: %s", e.msg);
			break;
		case O_PLUGIN: o->plugin = optarg; break;
		case O_LEVEL:
			if (qhb_parse_int(optarg, 0, 19, &o->level, "--level", &e))
				goto bad;
			break;
		case O_ATTACH: o->attach = optarg; break;
		case O_FORMAT:
			if ((o->format = qhb_trace_format_parse(optarg)) < 0)
				errx(1, "--format: expected text, drcov, hotblocks, "
				    "hotpages or summary, got '%s'", optarg);
			break;
		case O_LIMIT:
			if (qhb_parse_unsigned(optarg, 0, UINT_MAX, &o->limit,
			    "--limit", &e))
				goto bad;
			break;
		case 'h': help(); exit(0);
		case 'V': printf("qhb-trace %s\n", QHB_VERSION); exit(0);
		default: usage(stderr); exit(1);
		}
	}
	if (qhb_parse_path(o->out_path, "-o", &e))
		goto bad;
	o->cmd = argv + optind;
	o->ncmd = argc - optind;
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
	return;
bad:
	qhb_err_report(&e);
	exit(1);
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

/* Runs QEMU with the plugin on a fresh ring and records until it exits. */
static int do_record(struct trace_opts *o, struct qhb_writer *w)
{
	struct qhb_err e = { 0 };
	struct qhb_trace_stats st;
	char plugin[PATH_MAX];
	struct qhb_vm_record_opts ro = {
		.argv = o->cmd, .argc = o->ncmd, .plugin = plugin,
		.ring = { o->policy, o->ring_size, o->mem },
		/* QEMU's own output must not mix with a trace on stdout. */
		.out_to_err = o->out_path == NULL || strcmp(o->out_path, "-") == 0,
		.signal = &signal_got,
	};
	int rc = -1;

	if (qhb_trace_plugin_find(o->plugin, plugin, sizeof(plugin), &e) == 0)
		rc = qhb_vm_record(&ro, w, &st, &e);
	if (rc == 0)
		print_stats(o, &st);
	if (rc < 0 || !st.closed) {
		qhb_err_report(&e);
		return 1;
	}
	return 0;
}

static int do_attach(struct trace_opts *o, struct qhb_writer *w)
{
	struct qhb_err e = { 0 };
	struct qhb_vm_info info;
	struct qhb_ring r;
	struct qhb_trace_stats st;
	char path[QHB_VM_PATH_MAX];
	int rc;

	if (qhb_vm_find(o->attach, &info, &e) < 0 ||
	    qhb_trace_ring_path(o->attach, path, sizeof(path), &e) < 0 ||
	    qhb_ring_open(&r, path, &e) < 0) {
		qhb_err_report(&e);
		return 1;
	}
	if (!info.alive) {
		warnx("%s: guest is not running", o->attach);
		qhb_ring_close(&r, 0);
		return 1;
	}
	rc = qhb_trace_record(&r, w, pid_alive, (void *)(intptr_t)info.pid,
	    &signal_got, &st, &e);
	qhb_ring_close(&r, 0);
	if (rc < 0) {
		qhb_err_report(&e);
		return 1;
	}
	print_stats(o, &st);
	if (!st.closed && !o->quiet)
		warnx("%s: stopped before QEMU exited: block counts come when "
		    "it exits, so this trace has translations only", o->attach);
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

static int do_report(struct trace_opts *o)
{
	struct qhb_err e = { 0 };
	struct qhb_trace t = { 0 };
	struct qhb_outfile out = { .fd = -1 };
	const char *in = o->ncmd ? o->cmd[0] : "-";
	FILE *f;
	int binary = o->format == QHB_TRACE_DRCOV && !o->force;

	if (qhb_trace_read(&t, in, &e) < 0) {
		qhb_err_report(&e);
		qhb_trace_release(&t);
		return 1;
	}
	if (qhb_outfile_open(&out, o->out_path, binary, &e) < 0) {
		qhb_err_report(&e);
		qhb_trace_release(&t);
		return 1;
	}
	if ((f = fdopen(dup(out.fd), "w")) == NULL)
		err(1, "fdopen");
	if (qhb_trace_report(&t, o->format, o->limit, f, &e) < 0 ||
	    (fflush(f) == EOF && qhb_err_sys(&e, "write") < 0)) {
		qhb_err_path(&e, out.path);
		qhb_err_report(&e);
		fclose(f);
		qhb_outfile_abort(&out);
		qhb_trace_release(&t);
		return 1;
	}
	fclose(f);
	qhb_trace_release(&t);
	if (qhb_outfile_commit(&out, &e) < 0) {
		qhb_err_report(&e);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct trace_opts o = { 0 };
	struct qhb_outfile out = { .fd = -1 };
	struct qhb_err e = { 0 };
	struct qhb_writer *w;
	struct sigaction sa = { 0 };
	int rval;

	parse_args(&o, argc, argv);
	if (o.format >= 0)
		return finish(do_report(&o));
	if (qhb_outfile_open(&out, o.out_path, !o.force, &e) < 0) {
		qhb_err_report(&e);
		return 1;
	}
	if ((w = qhb_writer_new(out.fd, out.path, o.level, 0, &e)) == NULL) {
		qhb_err_report(&e);
		qhb_outfile_abort(&out);
		return 1;
	}
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rval = o.attach ? do_attach(&o, w) : do_record(&o, w);
	qhb_writer_free(w);
	if (rval == 0 && qhb_outfile_commit(&out, &e) < 0) {
		qhb_err_report(&e);
		rval = 1;
	} else if (rval) {
		qhb_outfile_abort(&out);
	}
	return finish(rval);
}
