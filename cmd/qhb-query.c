/*
 * qhb-query -- ask a guest's RAM what its Linux kernel knows.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "audit.h"
#include "opt.h"
#include "outfile.h"
#include "query.h"
#include "ram.h"
#include "sandbox.h"
#include "stream.h"

struct query_opts {
	const char *ram;          /* --ram FILE, or NULL: a stream on stdin */
	struct qhb_query_stream_opts s;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: qhb-query [--jsonl] [--pages] [--ram FILE] "
	    "[--record-pages FILE]\n"
	    "                 [--system-map FILE | --vmlinux FILE | --isf FILE] "
	    "QUESTION [ARG]\n");
}

static void help(void)
{
	usage(stdout);
	printf("\nFinds the Linux kernel in a guest's RAM (a snapshot stream on\n"
	    "standard input, or --ram) and answers in JSON.  Questions:\n\n"
	    "  banner          version, KASLR offsets, paging, symbol and type sources\n"
	    "  ps              every task: pid, tgid, ppid, comm, state, uid, ...\n"
	    "  maps PID        the process's VMAs, as /proc/PID/maps\n"
	    "  sym NAME|ADDR   a kernel symbol's address, or an address's symbol\n"
	    "  modules         the loaded modules\n"
	    "  regions INTENT  physical regions for qhb-hilbert and qhb-render:\n"
	    "                  'pid N', COMM, 'kernel code', 'kernel stacks',\n"
	    "                  'page tables', 'free memory'\n"
	    "  isf             a Volatility 3 symbol table of the kernel\n\n"
	    "  --ram FILE          a raw RAM file or a live memory-backend file\n"
	    "  --jsonl             one line per snapshot frame of the stream\n"
	    "  --pages             maps: each VMA's resident physical pages\n"
	    "  --system-map FILE   symbols from a System.map\n"
	    "  --vmlinux FILE      symbols and BTF from a vmlinux\n"
	    "  --isf FILE          symbols from a Volatility 3 ISF\n"
	    "  --record-pages FILE the pages the answer read, as a sparse\n"
	    "                      image (fuzzing seeds)\n"
	    "  -h, --help          this help\n"
	    "  -V, --version       the version\n\n"
	    "Each query is appended to the audit log $QHB_AUDIT (default\n"
	    "$XDG_STATE_HOME/qhb/audit.jsonl).\n");
}

static const struct qhb_opt_prog prog = { "qhb-query", usage, help };

static void parse_args(struct query_opts *o, int argc, char **argv)
{
	struct qhb_err e = { 0 };
	int files = 0, first, rc;
	const struct qhb_opt opts[] = {
		{ "ram", 0, QHB_OPT_STRING, .to = &o->ram },
		{ "jsonl", 0, QHB_OPT_FLAG, .to = &o->s.jsonl },
		{ "pages", 0, QHB_OPT_FLAG, .to = &o->s.q.pages },
		{ "system-map", 0, QHB_OPT_STRING,
		    .to = &o->s.q.kernel.system_map, .count = &files },
		{ "vmlinux", 0, QHB_OPT_STRING, .to = &o->s.q.kernel.vmlinux,
		    .count = &files },
		{ "isf", 0, QHB_OPT_STRING, .to = &o->s.q.kernel.isf,
		    .count = &files },
		{ "record-pages", 0, QHB_OPT_STRING, .to = &o->s.record },
		{ 0 },
	};

	/* In order: QUESTION and ARG are never options. */
	rc = qhb_opt_parse(opts, QHB_OPT_IN_ORDER, argc, argv, &first, &e);
	if (rc != QHB_OPT_OK)
		exit(qhb_opt_report(rc, &prog, &e));
	if (files > 1)
		errx(1, "cannot use more than one of --system-map, --vmlinux "
		    "and --isf");
	if (o->s.jsonl && o->ram)
		errx(1, "--jsonl is for a stream; --ram is one image");
	if (first >= argc) {
		usage(stderr);
		exit(1);
	}
	o->s.argc = argc - first;
	o->s.argv = argv + first;
}

int main(int argc, char **argv)
{
	struct query_opts o = { 0 };
	struct qhb_err e = { 0 };
	struct qhb_audit au = { .fd = -1 };
	struct qhb_ram ram = { .fd = -1 };
	struct qhb_reader *in = NULL;
	int rval = 0, rc;

	parse_args(&o, argc, argv);
	if (qhb_query_check(o.s.argc, o.s.argv, &e)) {
		qhb_err_report(&e);
		return 1;
	}
	if (qhb_audit_open(&au, &e)) {
		qhb_err_report(&e);
		return 1;
	}
	if (o.ram) {
		if (qhb_ram_open(&ram, o.ram, &e))
			goto fail;
		o.s.ram = &ram;
		o.s.in_name = o.ram;
	} else {
		if (isatty(STDIN_FILENO)) {
			qhb_err_set(&e, "standard input is a terminal: expected "
			    "a snapshot stream, or --ram FILE");
			goto fail;
		}
		if ((in = qhb_reader_fdopen(STDIN_FILENO, "<stdin>", &e)) == NULL)
			goto fail;
		o.s.in = in;
		o.s.in_name = "<stdin>";
	}
	/* Narrowed once the input is open; the symbol files are read later,
	 * when the question is answered, and --record-pages written. */
	if (qhb_sandbox_narrow(&(struct qhb_sandbox){ .read = (const char *[]){
	    o.ram, o.s.q.kernel.system_map, o.s.q.kernel.vmlinux, o.s.q.kernel.isf },
	    .n_read = 4, .write = &o.s.record, .n_write = 1 }, &e))
		goto fail;
	o.s.cmd_argc = argc;
	o.s.cmd_argv = argv;
	o.s.audit = &au;
	o.s.out = stdout;
	o.s.out_name = "<stdout>";
	o.s.warn = qhb_err_warn;
	if ((rc = qhb_query_stream(&o.s, &e)) == 0)
		goto out;
	if (rc > 0) {
		rval = 1;
		goto out;
	}
fail:
	qhb_err_report(&e);
	rval = 1;
out:
	qhb_reader_close(in);
	qhb_ram_close(&ram);
	qhb_audit_close(&au);
	if (qhb_outfile_close_stdout(&e) < 0 && rval == 0) {
		qhb_err_report(&e);
		rval = 1;
	}
	return rval;
}
