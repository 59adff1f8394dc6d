/*
 * qhb-query -- ask a guest's RAM what its Linux kernel knows.
 */
#include <err.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "image.h"
#include "phys.h"
#include "query.h"
#include "ram.h"
#include "stream.h"

struct query_opts {
	const char *ram;          /* --ram FILE, or NULL: a stream on stdin */
	int jsonl;
	const char *record;       /* --record-pages FILE: a sparse image */
	struct qhb_query_opts q;
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

static void parse_args(struct query_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ram", required_argument, NULL, 'r' },
		{ "jsonl", no_argument, NULL, 'j' },
		{ "pages", no_argument, NULL, 'p' },
		{ "system-map", required_argument, NULL, 's' },
		{ "vmlinux", required_argument, NULL, 'k' },
		{ "isf", required_argument, NULL, 'i' },
		{ "record-pages", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, files = 0;

	while ((ch = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r': o->ram = optarg; break;
		case 'j': o->jsonl = 1; break;
		case 'p': o->q.pages = 1; break;
		case 's': o->q.kernel.system_map = optarg; files++; break;
		case 'k': o->q.kernel.vmlinux = optarg; files++; break;
		case 'i': o->q.kernel.isf = optarg; files++; break;
		case 'R': o->record = optarg; break;
		case 'h': help(); exit(0);
		case 'V': printf("qhb-query %s\n", QHB_VERSION); exit(0);
		default: usage(stderr); exit(1);
		}
	}
	if (files > 1)
		errx(1, "cannot use more than one of --system-map, --vmlinux "
		    "and --isf");
	if (o->jsonl && o->ram)
		errx(1, "--jsonl is for a stream; --ram is one image");
	if (optind >= argc) {
		usage(stderr);
		exit(1);
	}
}

static int print(json_t *j, int compact)
{
	int rc = qhb_json_print(j, stdout, compact ? JSON_COMPACT |
	    JSON_ENSURE_ASCII : JSON_INDENT(2) | JSON_ENSURE_ASCII);

	return rc < 0 || putchar('\n') == EOF ? -1 : 0;
}

/* Writes the pages the query read as a sparse image (for fuzz seeds). */
static int record(const char *path, const struct qhb_phys *phys,
    struct qhb_err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || qhb_sparse_write(phys, fd, e)) {
		if (fd < 0)
			qhb_err_sys(e, "cannot create");
		qhb_err_path(e, path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return close(fd) ? qhb_err_sys(e, "%s: close", path) : 0;
}

struct mark_arg {
	struct qhb_phys *phys;
	const uint8_t *base;
	uint64_t runs;
};

static int mark_data(void *arg, uint64_t first, uint64_t count)
{
	struct mark_arg *m = arg;

	m->runs++;
	return qhb_phys_mark_data(m->phys, m->base + first * QHB_PAGE_SIZE,
	    count * QHB_PAGE_SIZE);
}

/* Marks where the RAM file or the rebuilt image may hold data, so that
 * scans cost what the input held, not the RAM it declared.  When nothing
 * holds data, the first page (zero, like the rest) is marked: no mark at
 * all would mean "scan everything". */
static void mark_all_data(struct qhb_phys *phys, const uint8_t *ram,
    const struct qhb_ram *file, const struct qhb_image *im)
{
	struct mark_arg m = { phys, ram, 0 };

	if (file != NULL)
		qhb_ram_data_runs(file, mark_data, &m);
	else if (im != NULL)
		qhb_image_data_runs(im, mark_data, &m);
	else
		return;
	if (m.runs == 0)
		qhb_phys_mark_data(phys, ram, QHB_PAGE_SIZE);
}

/* Answers the question on one RAM image (from file or im, when not NULL,
 * whose holes or zero pages are skipped by scans) and logs it. */
static json_t *answer(const struct query_opts *o, struct qhb_audit *au,
    const struct qhb_ram *file, const struct qhb_image *im,
    const uint8_t *ram, uint64_t size, const char *source, uint64_t frame,
    int argc, char **argv, int full_argc, char **full_argv,
    struct qhb_err *e)
{
	struct qhb_phys phys;
	struct qhb_err ae = { 0 }, se = { 0 };
	char buf[1024];
	json_t *j = NULL;

	if (qhb_phys_init_q35(&phys, ram, size, e) == 0) {
		/* a RAM file's holes (pages never written) and a snapshot's
		 * zero pages need no scan */
		mark_all_data(&phys, ram, file, im);
		if (o->record) {
			phys.touched_pages = phys.max_gpa >> 12;
			phys.touched = calloc(phys.touched_pages / 8 + 1, 1);
		}
		j = qhb_query_run(&phys, argc, argv, &o->q, e);
		/* What was read from a file that shrank meanwhile, answer or
		 * error, is not to be trusted: the shrinking is the error. */
		if (file != NULL && qhb_ram_check(file, &se)) {
			json_decref(j);
			j = NULL;
			*e = se;
		}
		if (j != NULL && phys.touched != NULL && record(o->record,
		    &phys, e)) {
			json_decref(j);
			j = NULL;
		}
		free(phys.touched);
		qhb_phys_release(&phys);
	}
	if (j == NULL)
		qhb_err_path(e, source);
	if (qhb_audit_log(au, full_argc, full_argv, source,
	    file ? qhb_audit_hash_file(file) : im ? qhb_audit_hash_image(im) :
	    qhb_audit_hash(ram, size), frame, j ? "ok" :
	    qhb_err_str(e, buf, sizeof(buf)), &ae)) {
		qhb_err_report(&ae);
		json_decref(j);
		return NULL;
	}
	return j;
}

static int from_stream(const struct query_opts *o, struct qhb_audit *au,
    int argc, char **argv, int full_argc, char **full_argv,
    struct qhb_err *e)
{
	struct qhb_image im = { 0 };
	struct qhb_reader *r;
	struct qhb_frame f;
	json_t *last = NULL;
	int rc, rval = 0;

	if (isatty(STDIN_FILENO)) {
		qhb_err_set(e, "standard input is a terminal: expected a "
		    "snapshot stream, or --ram FILE");
		return -1;
	}
	if ((r = qhb_reader_fdopen(STDIN_FILENO, "<stdin>", e)) == NULL)
		return -1;
	qhb_reader_filter(r, 1u << QHB_FRAME_SNAP | 1u << QHB_FRAME_SNAP_DELTA,
	    NULL, NULL);
	qhb_frame_init(&f);
	while ((rc = qhb_reader_next(r, &f, e)) == 1) {
		json_t *j;
		if (qhb_image_apply(&im, &f, e)) {
			qhb_err_path(e, "<stdin>");
			rc = -1;
			break;
		}
		if (!o->jsonl)
			continue;
		if ((j = answer(o, au, NULL, &im, im.ram, im.size, "<stdin>", f.index,
		    argc, argv, full_argc, full_argv, e)) == NULL) {
			qhb_err_report(e);
			qhb_err_clear(e);
			rval = 1;
			continue;
		}
		json_object_set_new(j, "frame", json_integer((json_int_t)f.index));
		json_object_set_new(j, "seq", json_integer((json_int_t)im.seq));
		if (print(j, 1)) {
			json_decref(j);
			qhb_err_sys(e, "<stdout>: write");
			rc = -1;
			break;
		}
		json_decref(j);
	}
	qhb_frame_release(&f);
	qhb_reader_close(r);
	if (rc < 0)
		goto fail;
	if (im.frames == 0) {
		qhb_err_set(e, "<stdin>: no snapshot frame in the input");
		goto fail;
	}
	if (!o->jsonl) {
		if ((last = answer(o, au, NULL, &im, im.ram, im.size, "<stdin>",
		    im.frames - 1, argc, argv, full_argc, full_argv, e)) == NULL)
			goto fail;
		if (print(last, 0)) {
			qhb_err_sys(e, "<stdout>: write");
			json_decref(last);
			goto fail;
		}
		json_decref(last);
	}
	qhb_image_release(&im);
	return rval ? 1 : 0;
fail:
	qhb_image_release(&im);
	return -1;
}

int main(int argc, char **argv)
{
	struct query_opts o = { 0 };
	struct qhb_err e = { 0 };
	struct qhb_audit au = { .fd = -1 };
	struct qhb_ram ram = { .fd = -1 };
	json_t *j;
	int rval = 0, rc;

	parse_args(&o, argc, argv);
	if (qhb_query_check(argc - optind, argv + optind, &e)) {
		qhb_err_report(&e);
		return 1;
	}
	if (qhb_audit_open(&au, &e)) {
		qhb_err_report(&e);
		return 1;
	}
	if (o.ram) {
		if (qhb_ram_open(&ram, o.ram, &e)) {
			qhb_err_report(&e);
			rval = 1;
			goto out;
		}
		j = answer(&o, &au, &ram, NULL, ram.map, ram.size, o.ram, 0, argc - optind,
		    argv + optind, argc, argv, &e);
		if (j == NULL || print(j, 0)) {
			if (j != NULL)
				qhb_err_sys(&e, "<stdout>: write");
			qhb_err_report(&e);
			rval = 1;
		}
		json_decref(j);
		qhb_ram_close(&ram);
	} else if ((rc = from_stream(&o, &au, argc - optind, argv + optind,
	    argc, argv, &e)) != 0) {
		if (rc < 0)
			qhb_err_report(&e);
		rval = 1;
	}
out:
	qhb_audit_close(&au);
	if (fclose(stdout) == EOF && rval == 0) {
		warn("<stdout>");
		rval = 1;
	}
	return rval;
}
