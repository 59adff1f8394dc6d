/*
 * qhb-learn -- synthesize Pixel CPU microcode for x86-64 instruction forms
 * with Z3, keep it in a library, prove a library again, and run microcode
 * on register states.
 */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "learn.h"
#include "learntrace.h"
#include "outfile.h"
#include "learnvk.h"
#include "opt.h"
#include "parse.h"
#include "pixelcpu.h"
#include "sandbox.h"
#include "synth.h"
#include "x86sem.h"

struct learn_opts {
	const char *library;
	const char *eval;
	int verify, learn, quiet, gpu, report;
	uint64_t bench, hot;
	unsigned top, jobs;
	const char *trace;
	char **forms;             /* --learn: HEXBYTES ..., then NULL */
	struct qhb_synth_opts synth;
};

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: qhb-learn --library FILE [--hot N] [--jobs N] [TRACE]\n"
	    "       qhb-learn --library FILE --report [--top N] [TRACE]\n"
	    "       qhb-learn --library FILE --learn HEXBYTES ...\n"
	    "       qhb-learn --library FILE --eval HEXBYTES [--gpu] [--bench N]\n"
	    "       qhb-learn --library FILE --verify\n");
}

static void help(void)
{
	usage(stdout);
	printf("\nSynthesizes Pixel CPU microcode for x86-64 instruction forms,\n"
	    "proves it with Z3, and keeps it in the library FILE (JSON).  With\n"
	    "no mode, learns the forms of the hot blocks of a trace (TRACE, or\n"
	    "standard input).\n\n"
	    "  --library FILE    the microcode library, created or extended\n"
	    "  --hot N           executions that make a block hot (default 10)\n"
	    "  --jobs N          threads that synthesize forms (default: one per\n"
	    "                    online CPU)\n"
	    "  --report          print the coverage of the trace by the library\n"
	    "  --top N           uncovered forms listed by --report (default 20)\n"
	    "  --learn           learn the forms given as hex bytes; one JSON\n"
	    "                    line per form on stdout\n"
	    "  --eval HEXBYTES   learn the form if needed, then run its\n"
	    "                    microcode on the JSON states of stdin\n"
	    "  --gpu             run --eval on the Vulkan interpreter\n"
	    "  --bench N         with --eval: run N random states instead and\n"
	    "                    print Pixel CPU instructions per second\n"
	    "  --verify          prove every proven form of the library again\n"
	    "  --max-len N       longest sequence searched (1 to %d, default 3)\n"
	    "  --budget N        instruction evaluations per form (default\n"
	    "                    400000000)\n"
	    "  --timeout MS      per Z3 query (default 60000)\n"
	    "  -q                no progress on stderr (shown only on a terminal)\n"
	    "  -h, --help        this help\n"
	    "  -V, --version     the version\n", QHB_SYNTH_MAXLEN);
}

static const struct qhb_opt_prog prog = { "qhb-learn", usage, help };

static void parse_args(struct learn_opts *o, int argc, char **argv)
{
	struct qhb_synth_opts *sy = &o->synth;
	struct qhb_err e = { 0 };
	int i, rc;
	const struct qhb_opt opts[] = {
		{ "library", 0, QHB_OPT_STRING, .to = &o->library },
		{ "eval", 0, QHB_OPT_STRING, .to = &o->eval },
		{ "verify", 0, QHB_OPT_FLAG, .to = &o->verify },
		{ "learn", 0, QHB_OPT_FLAG, .to = &o->learn },
		{ "gpu", 0, QHB_OPT_FLAG, .to = &o->gpu },
		{ "bench", 0, QHB_OPT_U64, .to = &o->bench,
		    .min = 1, .max = 1ULL << 28 },
		{ "hot", 0, QHB_OPT_U64, .to = &o->hot,
		    .min = 1, .max = UINT64_MAX / 2 },
		{ "jobs", 0, QHB_OPT_UNSIGNED, .to = &o->jobs,
		    .min = 1, .max = 256 },
		{ "report", 0, QHB_OPT_FLAG, .to = &o->report },
		{ "top", 0, QHB_OPT_UNSIGNED, .to = &o->top,
		    .min = 0, .max = 100000 },
		{ "max-len", 0, QHB_OPT_UNSIGNED, .to = &sy->max_len,
		    .min = 1, .max = QHB_SYNTH_MAXLEN },
		{ "budget", 0, QHB_OPT_U64, .to = &sy->budget,
		    .min = 1, .max = UINT64_MAX / 2 },
		{ "timeout", 0, QHB_OPT_UNSIGNED, .to = &sy->timeout_ms,
		    .min = 1, .max = 3600000 },
		{ NULL, 'q', QHB_OPT_FLAG, .to = &o->quiet },
		{ 0 },
	};

	memset(o, 0, sizeof(*o));
	qhb_synth_opts_init(sy);
	o->hot = 10;
	o->top = 20;
	o->trace = "-";
	if ((rc = qhb_opt_parse(opts, 0, argc, argv, &i, &e)) != QHB_OPT_OK)
		exit(qhb_opt_report(rc, &prog, &e));
	if (o->library == NULL)
		errx(1, "need --library FILE");
	if ((o->eval != NULL) + o->verify + o->learn + o->report > 1)
		errx(1, "cannot use more than one of --learn, --eval, --verify, "
		    "--report");
	if ((o->gpu || o->bench) && o->eval == NULL)
		errx(1, "--gpu and --bench are for --eval");
	if (o->eval == NULL && !o->verify && !o->learn && i < argc)
		o->trace = argv[i++];
	if (!o->learn && i != argc)
		errx(1, "unexpected argument '%s'", argv[i]);
	o->forms = argv + i;
}

/* Decodes HEXBYTES and learns the form.  Returns 0, or -1 reported. */
static int learn_one(struct qhb_learn_lib *lib, const struct learn_opts *o,
    const char *hex, struct qhb_x86sem_form *f, struct qhb_learn_entry *en,
    int *learned)
{
	uint8_t b[16];
	struct qhb_err e = { 0 };
	size_t n;

	if (qhb_parse_hex(hex, b, 15, &n, &e) < 0) {
		qhb_err_path(&e, hex);
		qhb_err_report(&e);
		return -1;
	}
	if (qhb_x86sem_decode(b, n, f, &e) < 0) {
		qhb_err_path(&e, hex);
		qhb_err_report(&e);
		return -1;
	}
	if (n != f->len) {
		qhb_err_set(&e, "expected one instruction of %zu bytes, got %u",
		    n, f->len);
		qhb_err_path(&e, hex);
		qhb_err_report(&e);
		return -1;
	}
	if (!o->quiet && isatty(2))
		fprintf(stderr, "qhb-learn: %s ...\n", f->text);
	if (qhb_learn_form(lib, f, &o->synth, en, learned, &e) < 0) {
		qhb_err_path(&e, f->text);
		qhb_err_report(&e);
		return -1;
	}
	return 0;
}

/* Reports a line that could not be printed (rc -1).  Returns rc. */
static int printed(int rc)
{
	struct qhb_err e = { 0 };

	if (rc < 0 && ferror(stdout)) {
		qhb_err_set(&e, "%s", strerror(errno));
		qhb_err_path(&e, "<stdout>");
		qhb_err_report(&e);
	} else if (rc < 0) {
		qhb_err_set(&e, "out of memory");
		qhb_err_report(&e);
	}
	return rc;
}

/* Prints j, a new reference it frees, as one JSON line.  Returns 0, or
 * -1 when out of memory or on a write error (warned). */
static int print_line(json_t *j)
{
	int rc = j == NULL || qhb_json_line(j, stdout, JSON_COMPACT) < 0 ? -1 : 0;

	json_decref(j);
	return printed(rc);
}

static void verify_cb(void *arg, const char *key, const char *form, int ok,
    double secs)
{
	(void)arg;
	print_line(json_pack("{s:o,s:o,s:b,s:o}", "key", qhb_json_text(key),
	    "form", qhb_json_text(form), "proven", ok == 1,
	    "seconds", qhb_json_fixed(secs, 6)));
	if (ok == 0)
		warnx("%s (%s): the proof fails: demoted to a fallback", form,
		    key);
	else if (ok < 0)
		warnx("%s (%s): Z3 gave up (a longer --timeout may prove it): "
		    "demoted to a fallback", form, key);
}

/* The progress line of a learn run, rewritten in place on stderr. */
struct progress {
	int shown;                /* a line is on the terminal, unended */
	int width;                /* of the last line */
};

static void progress_cb(void *arg, const struct qhb_learntrace_progress *p)
{
	struct progress *pg = arg;
	char line[128];
	int n;

	n = snprintf(line, sizeof(line), "qhb-learn: %zu/%zu forms, %u worker%s, "
	    "%.0f s", p->done, p->total, p->workers, p->workers == 1 ? "" : "s",
	    p->seconds);
	/* blanks over what is left of a longer line before */
	fprintf(stderr, "\r%s%*s", line, pg->width > n ? pg->width - n : 0, "");
	fflush(stderr);
	pg->width = n;
	pg->shown = 1;
}

/* Learning from a trace, or --report.  Returns the exit status. */
static int trace_mode(const struct learn_opts *o, struct qhb_learn_lib *lib)
{
	struct qhb_trace t;
	struct progress pg = { 0 };
	struct qhb_learntrace_opts lo = { .hot = o->hot, .top = o->top,
	    .synth = o->synth, .jobs = o->jobs };
	struct qhb_learntrace_stats st;
	struct qhb_err e = { 0 };
	int rval = 1, rc;

	memset(&t, 0, sizeof(t));
	if (qhb_sandbox_narrow(&(struct qhb_sandbox){ .read = &o->trace,
	    .n_read = 1, .write = &o->library, .n_write = 1, .threads = 1 }, &e)) {
		qhb_err_report(&e);
		goto out;
	}
	rc = qhb_trace_read(&t, o->trace, &e);
	/* a snapshot or volume stream is not an empty trace */
	if (rc == 0 && t.frames == 0)
		rc = qhb_err_set(&e, "no trace frame in the input");
	if (rc < 0) {
		qhb_err_path(&e, strcmp(o->trace, "-") ? o->trace : "<stdin>");
		qhb_err_report(&e);
		goto out;
	}
	if (o->report) {
		if (qhb_learntrace_report(lib, &t, &lo, stdout, &e) < 0) {
			qhb_err_report(&e);
			goto out;
		}
	} else {
		if (!o->quiet && isatty(2)) {
			lo.progress = progress_cb;
			lo.progress_arg = &pg;
		}
		rc = qhb_learntrace_learn(lib, &t, &lo, &st, &e);
		/* the line stays, ended, above what follows */
		if (pg.shown)
			fputc('\n', stderr);
		if (rc < 0) {
			qhb_err_report(&e);
			goto out;
		}
		if (print_line(json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}",
		    "hot_blocks", qhb_json_u64(st.hot_blocks),
		    "forms", qhb_json_u64(st.forms),
		    "learned", qhb_json_u64(st.learned),
		    "proven", qhb_json_u64(st.proven),
		    "fallback", qhb_json_u64(st.fallback),
		    "templates", qhb_json_u64(st.templates))) < 0)
			goto out;
	}
	rval = 0;
out:
	qhb_trace_release(&t);
	return rval;
}

/* --eval --gpu, with or without --bench.  Returns the exit status. */
static int eval_gpu(const struct learn_opts *o, const struct qhb_x86sem_form *f,
    const struct qhb_learn_entry *en)
{
	struct qhb_err e = { 0 };
	struct qhb_pcpu_state *s = NULL;
	struct qhb_pcpu_mem *m = NULL;
	struct qhb_vk *vk;
	size_t n = 0;
	uint64_t ns = 0;
	int rval = 1;

	if ((vk = qhb_vk_open(&e)) == NULL) {
		qhb_err_report(&e);
		return 1;
	}
	if (!o->quiet)
		warnx("using %s (Vulkan)", qhb_vk_device_name(vk));
	if (o->bench) {
		n = o->bench;
		if ((s = malloc(n * sizeof(*s))) == NULL) {
			qhb_err_set(&e, "out of memory for %zu states", n);
			qhb_err_report(&e);
			goto out;
		}
		qhb_learn_states_random(s, n);
	} else if (qhb_learn_states_read(stdin, &s, &m, &n, &e) < 0) {
		qhb_err_path(&e, "<stdin>");
		qhb_err_report(&e);
		goto out;
	}
	if (qhb_learnvk_run_entry(vk, en, s, m, n, &ns, &e) < 0) {
		qhb_err_report(&e);
		goto out;
	}
	if (o->bench) {
		if (print_line(json_pack("{s:o,s:I,s:o,s:o,s:o,s:o}",
		    "form", qhb_json_text(f->text), "instructions",
		    (json_int_t)en->n, "states", qhb_json_u64(n), "backend",
		    qhb_json_text(qhb_vk_device_name(vk)), "gpu_ns",
		    qhb_json_u64(ns), "pixel_ips", qhb_json_fixed(ns ?
		    (double)en->n * (double)n * 1e9 / (double)ns : 0.0, 0))) < 0)
			goto out;
	} else
		qhb_learn_states_write(stdout, s, m, n);
	rval = 0;
out:
	for (size_t i = 0; m != NULL && i < n; i++)
		free(m[i].bytes);
	free(m);
	free(s);
	qhb_vk_close(vk);
	return rval;
}

int main(int argc, char **argv)
{
	struct learn_opts o;
	struct qhb_learn_lib lib = { 0 };
	struct qhb_err e = { 0 };
	struct qhb_x86sem_form f;
	struct qhb_learn_entry en;
	int rval = 0, learned, opened = 0;

	parse_args(&o, argc, argv);
	if (qhb_learn_lib_open(&lib, o.library, &e) < 0) {
		qhb_err_report(&e);
		return 1;
	}
	opened = 1;
	/* said once, here: what an unverified entry is never does (run) */
	if (lib.unverified && !o.verify)
		warnx("%s: %zu proven form%s not verified, not run (first: %s); "
		    "qhb-learn --verify proves them again", o.library,
		    lib.unverified, lib.unverified == 1 ? "" : "s",
		    lib.unverified_first);
	if (o.eval == NULL && !o.verify && !o.learn) {
		rval = trace_mode(&o, &lib);
	} else if (o.learn) {
		for (char **hex = o.forms; *hex != NULL; hex++) {
			if (learn_one(&lib, &o, *hex, &f, &en, &learned) < 0) {
				rval = 1;
				continue;
			}
			if (printed(qhb_learn_entry_write(stdout, &f, &en,
			    learned)) < 0) {
				rval = 1;
			} else if (fflush(stdout) == EOF) {
				/* Now, while errno is the write's: the
				 * lines of the forms left would be lost. */
				warn("<stdout>");
				rval = 1;
				break;
			}
		}
	} else if (o.eval != NULL) {
		if (learn_one(&lib, &o, o.eval, &f, &en, &learned) < 0) {
			rval = 1;
		} else if (!qhb_learn_entry_runnable(&en, &e)) {
			qhb_err_report(&e);
			rval = 1;
		} else if (o.gpu) {
			rval = eval_gpu(&o, &f, &en);
		} else if (o.bench) {
			double ips;

			if (qhb_learn_bench(&en, o.bench, &ips, &e) < 0) {
				qhb_err_report(&e);
				rval = 1;
			} else if (print_line(json_pack("{s:o,s:I,s:o,s:s,s:o}",
			    "form", qhb_json_text(f.text), "instructions",
			    (json_int_t)en.n, "states", qhb_json_u64(o.bench),
			    "backend", "cpu", "pixel_ips", qhb_json_fixed(ips,
			    0))) < 0) {
				rval = 1;
			}
		} else if (qhb_learn_eval(stdin, stdout, &en, &e) < 0) {
			qhb_err_path(&e, "<stdin>");
			qhb_err_report(&e);
			rval = 1;
		}
	} else {
		unsigned total, bad;

		if (qhb_learn_verify(&lib, o.synth.timeout_ms, verify_cb, NULL,
		    &total, &bad, &e) < 0) {
			qhb_err_path(&e, o.library);
			qhb_err_report(&e);
			rval = 1;
		} else {
			if (!o.quiet)
				fprintf(stderr, "qhb-learn: %u forms proven again, "
				    "%u failed\n", total - bad, bad);
			/* demoted entries are written back (below) */
			if (bad)
				rval = 1;
		}
	}
	if (opened && lib.dirty && qhb_learn_lib_save(&lib, &e) < 0) {
		qhb_err_report(&e);
		rval = 1;
	}
	qhb_learn_lib_close(&lib);
	if (qhb_outfile_close_stdout(&e) < 0 && rval == 0) {
		qhb_err_report(&e);
		rval = 1;
	}
	return rval;
}
