#include "query.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isf.h"
#include "json.h"
#include "outfile.h"
#include "linux.h"
#include "parse.h"
#include "image.h"
#include "snap.h"

static const char forms[] = "banner, ps, maps PID, sym NAME|ADDR, modules, "
    "regions INTENT, isf";
static const char intents[] = "'pid N', 'COMM' (a process name), "
    "'kernel code', 'kernel stacks', 'page tables', 'free memory'";

/* A JSON string of a guest's text s; when s holds a control byte or is
 * not UTF-8, those bytes and every byte from 0x80 become '?' (1023 bytes
 * at most kept). */
static json_t *text(const char *s)
{
	json_t *j;
	char buf[1024];
	size_t i;

	for (i = 0; s[i] && (unsigned char)s[i] >= 0x20; i++)
		;
	if (s[i] == '\0' && (j = json_string(s)) != NULL)
		return j;
	for (i = 0; s[i] && i + 1 < sizeof(buf); i++)
		buf[i] = (unsigned char)s[i] >= 0x80 ||
		    (unsigned char)s[i] < 0x20 ? '?' : s[i];
	buf[i] = '\0';
	return json_string(buf);
}

static int parse_num(const char *s, uint64_t *v)
{
	char *end;

	if (*s == '\0' || *s == '-')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	/* ERANGE: more than 64 bits, not the largest address. */
	return *end != '\0' || errno ? -1 : 0;
}

/* The pid of "maps PID" or "regions 'pid N'": decimal, and a pid_t, so
 * that 2^32 + 1 is refused rather than read as pid 1.  0, or -1 with e. */
static int parse_pid(const char *s, int32_t *pid, struct qhb_err *e)
{
	unsigned v;

	if (qhb_parse_unsigned(s, 0, INT32_MAX, &v, "pid", e))
		return -1;
	*pid = (int32_t)v;
	return 0;
}

int qhb_query_check(int argc, char **argv, struct qhb_err *e)
{
	static const char *const bare[] = { "banner", "ps", "modules", "isf" };
	const char *q = argc > 0 ? argv[0] : "";
	int32_t pid;

	for (size_t i = 0; i < sizeof(bare) / sizeof(bare[0]); i++) {
		if (strcmp(q, bare[i]) != 0)
			continue;
		if (argc == 1)
			return 0;
		/* "ps FILE" is the usual slip: the snapshot is not an
		 * argument. */
		return qhb_err_set(e, "%s: takes no argument, got '%s'; the "
		    "snapshot comes on standard input or --ram", q, argv[1]);
	}
	if (strcmp(q, "maps") == 0 && argc == 2)
		return parse_pid(argv[1], &pid, e);
	if (strcmp(q, "sym") == 0 && argc == 2)
		return 0;
	if (strcmp(q, "regions") == 0 && argc == 2) {
		const char *intent = argv[1];
		uint64_t v;

		while (isspace((unsigned char)*intent))
			intent++;
		/* What q_regions reads as a pid must be one. */
		if (strncmp(intent, "pid ", 4) == 0 &&
		    parse_num(intent + 4, &v) == 0)
			return parse_pid(intent + 4, &pid, e);
		return 0;
	}
	return qhb_err_set(e, "unknown question '%s'%s: expected one of: %s",
	    q, argc > 0 ? " or wrong arguments" : "", forms);
}

/*
 * banner
 */
static json_t *q_banner(struct qhb_kernel *k)
{
	json_t *o = json_object();

	json_object_set_new(o, "release", text(k->release));
	json_object_set_new(o, "banner", text(k->banner));
	json_object_set_new(o, "kaslr", json_pack("{s:o,s:o}",
	    "virt", qhb_json_hex(k->kaslr_virt),
	    "phys", qhb_json_hex(k->kaslr_phys)));
	json_object_set_new(o, "phys_base", qhb_json_hex((uint64_t)k->phys_base));
	json_object_set_new(o, "paging", json_string(k->levels == 5 ?
	    "5-level" : "4-level"));
	json_object_set_new(o, "top_pgt", qhb_json_hex(k->top_pgt));
	json_object_set_new(o, "page_offset", qhb_json_hex(k->page_offset));
	json_object_set_new(o, "stext", qhb_json_hex(k->stext));
	json_object_set_new(o, "vmcoreinfo", k->vmcoreinfo_pa ?
	    qhb_json_hex(k->vmcoreinfo_pa) : json_null());
	json_object_set_new(o, "found_by", text(k->found_by));
	json_object_set_new(o, "symbols", json_pack("{s:o,s:I}",
	    "source", text(k->sym_source), "count", (json_int_t)k->nsyms));
	json_object_set_new(o, "types", json_pack("{s:o,s:I}",
	    "source", text(k->type_source), "count", (json_int_t)k->btf.n - 1));
	json_object_set_new(o, "ram_size", json_integer(
	    (json_int_t)k->phys->ram_size));
	return o;
}

/*
 * ps
 */
static json_t *task_json(const struct qhb_task *t)
{
	char st[2] = { t->state, 0 };

	return json_pack("{s:i,s:i,s:i,s:o,s:s,s:I,s:i,s:b,s:o}",
	    "pid", t->pid, "tgid", t->tgid, "ppid", t->ppid,
	    "comm", text(t->comm), "state", st, "uid", (json_int_t)t->uid,
	    "threads", (int)t->threads, "kthread", t->kthread,
	    "task", qhb_json_hex(t->addr));
}

static json_t *q_ps(struct qhb_linux *l, struct qhb_err *e)
{
	struct qhb_task *v;
	size_t n;
	int partial;
	json_t *a;

	if (qhb_linux_tasks(l, &v, &n, &partial, e))
		return NULL;
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, task_json(&v[i]));
	free(v);
	return json_pack("{s:o,s:b}", "tasks", a, "partial", partial);
}

/* The leader of process pid, or -1. */
static int find_task(struct qhb_linux *l, int32_t pid, struct qhb_task *out,
    struct qhb_err *e)
{
	struct qhb_task *v;
	size_t n;
	int partial, rc = -1;

	if (qhb_linux_tasks(l, &v, &n, &partial, e))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (v[i].pid == pid) {
			*out = v[i];
			rc = 0;
			break;
		}
	free(v);
	if (rc)
		qhb_err_set(e, "no process with pid %" PRId32 "%s", pid,
		    partial ? " (the task list was cut short)" : "");
	return rc;
}

/*
 * maps
 */
struct pages_json {
	json_t *a;
	uint64_t count;
};

static int add_page_run(void *arg, uint64_t va, uint64_t pa, uint64_t len)
{
	struct pages_json *p = arg;

	json_array_append_new(p->a, json_pack("{s:o,s:o,s:I}", "va",
	    qhb_json_hex(va), "pa", qhb_json_hex(pa), "len", (json_int_t)len));
	p->count += len / 4096;
	return 0;
}

static json_t *vma_json(struct qhb_linux *l, uint64_t mm,
    const struct qhb_vma *v, int pages)
{
	char perms[5], dev[16];
	json_t *o;

	perms[0] = v->flags & 1 ? 'r' : '-';
	perms[1] = v->flags & 2 ? 'w' : '-';
	perms[2] = v->flags & 4 ? 'x' : '-';
	perms[3] = v->flags & 8 ? 's' : 'p';
	perms[4] = '\0';
	snprintf(dev, sizeof(dev), "%02x:%02x", v->dev >> 20, v->dev & 0xfffff);
	o = json_pack("{s:o,s:o,s:s,s:o,s:s,s:I,s:o}",
	    "start", qhb_json_hex(v->start), "end", qhb_json_hex(v->end),
	    "perms", perms, "offset", qhb_json_hex(v->pgoff), "dev", dev,
	    "inode", (json_int_t)v->ino, "name", text(v->name));
	if (pages) {
		struct pages_json p = { json_array(), 0 };
		qhb_linux_pages(l, mm, v->start, v->end, add_page_run, &p);
		json_object_set_new(o, "resident_pages",
		    json_integer((json_int_t)p.count));
		json_object_set_new(o, "pages", p.a);
	}
	return o;
}

static json_t *q_maps(struct qhb_linux *l, const char *arg, int pages,
    struct qhb_err *e)
{
	struct qhb_task t;
	struct qhb_vma *v;
	int32_t pid;
	size_t n;
	int partial;
	json_t *a;

	if (parse_pid(arg, &pid, e) || find_task(l, pid, &t, e))
		return NULL;
	if (qhb_linux_vmas(l, t.mm, &v, &n, &partial, e))
		return NULL;
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, vma_json(l, t.mm, &v[i], pages));
	free(v);
	return json_pack("{s:i,s:o,s:o,s:b}", "pid", t.pid, "comm",
	    text(t.comm), "maps", a, "partial", partial);
}

/*
 * sym
 */
static json_t *q_sym(struct qhb_kernel *k, const char *arg, struct qhb_err *e)
{
	const struct qhb_ksym *s;
	uint64_t a;
	char type[2] = { 0, 0 };

	if (qhb_kernel_sym(k, arg, &a) == 0) {
		s = qhb_kernel_addr2sym(k, a);
		/* the entry of this name, for its type */
		for (const struct qhb_ksym *x = s; x && x >= k->syms &&
		    x->addr == a; x--)
			if (strcmp(qhb_kernel_symname(k, x), arg) == 0) {
				type[0] = x->type;
				break;
			}
		return json_pack("{s:s,s:o,s:s}", "name", arg, "address",
		    qhb_json_hex(a), "type", type[0] ? type : "?");
	}
	if (parse_num(arg, &a) == 0 && (s = qhb_kernel_addr2sym(k, a))) {
		type[0] = s->type;
		return json_pack("{s:o,s:o,s:o,s:s}", "address", qhb_json_hex(a),
		    "name", text(qhb_kernel_symname(k, s)), "offset",
		    qhb_json_hex(a - s->addr), "type", type);
	}
	if (parse_num(arg, &a) == 0 && a > qhb_kernel_end(k))
		qhb_err_set(e, "no symbol: %s is past the kernel's end (_end "
		    "at 0x%" PRIx64 ")", arg, qhb_kernel_end(k));
	else
		qhb_err_set(e, "no symbol %s (%s)", arg, k->sym_source);
	return NULL;
}

/*
 * modules
 */
static json_t *q_modules(struct qhb_linux *l, struct qhb_err *e)
{
	struct qhb_module *v;
	size_t n;
	int partial;
	json_t *a;

	if (qhb_linux_modules(l, &v, &n, &partial, e))
		return NULL;
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:o,s:o,s:I,s:i,s:o}",
		    "name", text(v[i].name), "base", qhb_json_hex(v[i].base),
		    "size", (json_int_t)v[i].size, "state", v[i].state,
		    "module", qhb_json_hex(v[i].addr)));
	free(v);
	return json_pack("{s:o,s:b}", "modules", a, "partial", partial);
}

/*
 * regions
 */
struct regs {
	struct { uint64_t start, end; } *v;
	size_t n, cap;
	uint64_t ram_end;
};

static int reg_add(void *arg, uint64_t va, uint64_t pa, uint64_t len)
{
	struct regs *r = arg;

	(void)va;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 256;
		void *v = realloc(r->v, cap * sizeof(*r->v));
		if (v == NULL)
			return -1;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n].start = pa;
	r->v[r->n].end = pa + len;
	r->n++;
	return 0;
}

static int reg_cmp(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Sorts and merges, then appends to out with label and colour. */
/* Region colours stand apart from qhb-hilbert's class colours (green
 * text, red code, blue pointers, white fill, grey other), which the
 * tinted voxels around an outline keep showing. */
#define REGION_PROCESS "#ff40ff"

static void reg_emit(struct regs *r, json_t *out, const char *label,
    const char *color)
{
	size_t m = 0;

	if (r->n == 0)
		return;
	qsort(r->v, r->n, sizeof(*r->v), reg_cmp);
	for (size_t i = 0; i < r->n; i++) {
		if (m > 0 && r->v[i].start <= r->v[m - 1].end) {
			if (r->v[i].end > r->v[m - 1].end)
				r->v[m - 1].end = r->v[i].end;
		} else
			r->v[m++] = r->v[i];
	}
	for (size_t i = 0; i < m; i++)
		json_array_append_new(out, json_pack("{s:o,s:o,s:s,s:s}",
		    "start", qhb_json_hex(r->v[i].start), "end",
		    qhb_json_hex(r->v[i].end), "label", label, "color", color));
	r->n = 0;
}

static int stack_pages(struct qhb_linux *l, const struct qhb_task *t,
    struct regs *r)
{
	/* THREAD_SIZE is 16 KiB on x86-64 (KASAN doubles it; not here) */
	return t->stack ? qhb_linux_pages(l, 0, t->stack, t->stack + 16384,
	    reg_add, r) : 0;
}

static int process_regions(struct qhb_linux *l, const struct qhb_task *t,
    struct regs *r)
{
	struct qhb_vma *v;
	size_t n;
	int partial;

	stack_pages(l, t, r);
	if (qhb_linux_vmas(l, t->mm, &v, &n, &partial, NULL))
		return 0;
	for (size_t i = 0; i < n; i++)
		qhb_linux_pages(l, t->mm, v[i].start, v[i].end, reg_add, r);
	free(v);
	return partial;
}

static json_t *q_regions(struct qhb_linux *l, const char *intent,
    struct qhb_err *e)
{
	struct qhb_kernel *k = l->k;
	struct regs r = { 0 };
	json_t *out = json_array(), *res = NULL;
	struct qhb_task *tv = NULL;
	size_t tn = 0;
	uint64_t a, b;
	int32_t pid;
	char label[128];
	int partial = 0, found = 0;

	while (isspace((unsigned char)*intent))
		intent++;
	if (strncmp(intent, "pid ", 4) == 0 && parse_num(intent + 4, &a) == 0) {
		if (parse_pid(intent + 4, &pid, e) ||
		    qhb_linux_tasks(l, &tv, &tn, &partial, e))
			goto out;
		for (size_t i = 0; i < tn; i++)
			if (tv[i].tgid == pid) {
				partial |= process_regions(l, &tv[i], &r);
				if (tv[i].pid == pid)
					snprintf(label, sizeof(label),
					    "pid %" PRId32 " %s", pid, tv[i].comm);
				found = 1;
			}
		if (!found) {
			qhb_err_set(e, "no process with pid %" PRId32, pid);
			goto out;
		}
		reg_emit(&r, out, label, REGION_PROCESS);
	} else if (strcmp(intent, "kernel code") == 0) {
		if (qhb_kernel_sym(k, "_etext", &b) || b < k->stext) {
			qhb_err_set(e, "no symbol _etext");
			goto out;
		}
		a = k->kaslr_phys;
		reg_add(&r, 0, a, (b - k->stext + 4095) & ~4095ull);
		reg_emit(&r, out, "kernel code", "#00e0ff");
	} else if (strcmp(intent, "kernel stacks") == 0) {
		if (qhb_linux_tasks(l, &tv, &tn, &partial, e))
			goto out;
		for (size_t i = 0; i < tn; i++)
			stack_pages(l, &tv[i], &r);
		reg_emit(&r, out, "kernel stacks", "#ff9000");
	} else if (strcmp(intent, "page tables") == 0) {
		if (qhb_linux_tasks(l, &tv, &tn, &partial, e))
			goto out;
		qhb_linux_pt_pages(l, k->top_pgt, 256, 511, reg_add, &r);
		for (size_t i = 0; i < tn; i++)
			if (tv[i].mm && tv[i].pid == tv[i].tgid) {
				uint64_t root = qhb_linux_mm_root(l, tv[i].mm);
				if (root)
					qhb_linux_pt_pages(l, root, 0, 255,
					    reg_add, &r);
			}
		reg_emit(&r, out, "page tables", "#ffe000");
	} else if (strcmp(intent, "free memory") == 0) {
		int rc = qhb_linux_free(l, reg_add, &r, e);
		if (rc < 0)
			goto out;
		partial = rc;
		reg_emit(&r, out, "free memory", "#9050ff");
	} else if (*intent != '\0' && strlen(intent) <= 16 &&
	    strchr(intent, ' ') == NULL) {
		if (qhb_linux_tasks(l, &tv, &tn, &partial, e))
			goto out;
		for (size_t i = 0; i < tn; i++)
			if (strcmp(tv[i].comm, intent) == 0) {
				partial |= process_regions(l, &tv[i], &r);
				found = 1;
			}
		if (!found) {
			qhb_err_set(e, "no process named '%s'; known intents: %s",
			    intent, intents);
			goto out;
		}
		reg_emit(&r, out, intent, REGION_PROCESS);
	} else {
		qhb_err_set(e, "unknown intent '%s': expected %s", intent,
		    intents);
		goto out;
	}
	res = json_pack("{s:s,s:O,s:b}", "intent", intent, "regions", out,
	    "partial", partial);
out:
	json_decref(out);
	free(r.v);
	free(tv);
	return res;
}

json_t *qhb_query_run(const struct qhb_phys *phys, int argc, char **argv,
    const struct qhb_query_opts *o, struct qhb_err *e)
{
	struct qhb_kernel k;
	struct qhb_linux l;
	json_t *res = NULL;
	const char *q;

	if (qhb_query_check(argc, argv, e))
		return NULL;
	q = argv[0];
	if (qhb_kernel_open(&k, phys, &o->kernel, e))
		return NULL;
	if (strcmp(q, "banner") == 0) {
		res = q_banner(&k);
		goto out;
	}
	if (strcmp(q, "sym") == 0) {
		res = q_sym(&k, argv[1], e);
		goto out;
	}
	if (strcmp(q, "isf") == 0) {
		res = qhb_isf_build(&k, e);
		goto out;
	}
	if (qhb_linux_init(&l, &k, e))
		goto out;
	if (strcmp(q, "ps") == 0)
		res = q_ps(&l, e);
	else if (strcmp(q, "maps") == 0)
		res = q_maps(&l, argv[1], o->pages, e);
	else if (strcmp(q, "modules") == 0)
		res = q_modules(&l, e);
	else if (strcmp(q, "regions") == 0)
		res = q_regions(&l, argv[1], e);
	if (res != NULL && l.exhausted)
		json_object_set_new(res, "partial", json_true());
out:
	qhb_kernel_close(&k);
	return res;
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

/* Writes the pages a question read to path (--record-pages), whole or not
 * at all.  Returns 0, or -1 with e naming path. */
static int record_save(const struct qhb_phys *phys, const char *path,
    struct qhb_err *e)
{
	struct qhb_outfile out;

	if (qhb_outfile_open(&out, path, 1, e) < 0)
		goto fail;
	if (qhb_phys_sparse_write(phys, out.fd, e) < 0 ||
	    qhb_outfile_commit(&out, e) < 0) {
		qhb_outfile_abort(&out);
		goto fail;
	}
	return 0;
fail:
	qhb_err_path(e, path);
	return -1;
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

/* Answers the question on one RAM image -- o->ram when not NULL, else im
 * -- whose holes or zero pages are skipped by scans, and logs it.
 * Returns the answer, or NULL with e (a failed log record goes to
 * o->warn, e then left as it was). */
static json_t *answer(const struct qhb_query_stream_opts *o,
    const struct qhb_image *im, uint64_t frame, struct qhb_err *e)
{
	const uint8_t *ram = o->ram ? o->ram->map : im->ram;
	uint64_t size = o->ram ? o->ram->size : im->size;
	struct qhb_phys phys;
	struct qhb_err ae = { 0 }, se = { 0 };
	char buf[1024];
	json_t *j = NULL;

	if (qhb_phys_init_q35(&phys, ram, size, e) == 0) {
		/* a RAM file's holes (pages never written) and a snapshot's
		 * zero pages need no scan */
		mark_all_data(&phys, ram, o->ram, im);
		if (o->record == NULL || qhb_phys_record(&phys, e) == 0)
			j = qhb_query_run(&phys, o->argc, o->argv, &o->q, e);
		/* What was read from a file that shrank meanwhile, answer or
		 * error, is not to be trusted: the shrinking is the error. */
		if (o->ram != NULL && qhb_ram_check(o->ram, &se)) {
			json_decref(j);
			j = NULL;
			*e = se;
		}
		if (j != NULL && o->record != NULL &&
		    record_save(&phys, o->record, e)) {
			json_decref(j);
			j = NULL;
		}
		qhb_phys_release(&phys);
	}
	if (j == NULL)
		qhb_err_path(e, o->in_name);
	if (qhb_audit_log(o->audit, o->cmd_argc, o->cmd_argv, o->in_name,
	    o->ram ? qhb_audit_hash_file(o->ram) : qhb_audit_hash_image(im),
	    frame, j ? "ok" : qhb_err_str(e, buf, sizeof(buf)), &ae)) {
		if (o->warn != NULL)
			o->warn(o->warn_arg, &ae);
		json_decref(j);
		return NULL;
	}
	return j;
}

/* Prints j, compact (a line) or indented.  Returns 0, or -1 with e. */
static int print(const struct qhb_query_stream_opts *o, json_t *j,
    int compact, struct qhb_err *e)
{
	if (qhb_json_line(j, o->out, (compact ? JSON_COMPACT : JSON_INDENT(2)) |
	    JSON_ENSURE_ASCII) < 0)
		return qhb_err_sys(e, "%s: write", o->out_name);
	return 0;
}

static int from_stream(const struct qhb_query_stream_opts *o,
    struct qhb_err *e)
{
	struct qhb_image im = { 0 };
	struct qhb_frame f;
	json_t *j;
	int rc, rval = 0;

	qhb_reader_filter(o->in, 1u << QHB_FRAME_SNAP |
	    1u << QHB_FRAME_SNAP_DELTA, NULL, NULL);
	qhb_frame_init(&f);
	while ((rc = qhb_reader_next(o->in, &f, e)) == 1) {
		if (qhb_image_apply(&im, &f, e)) {
			qhb_err_path(e, o->in_name);
			rc = -1;
			break;
		}
		if (!o->jsonl)
			continue;
		if ((j = answer(o, &im, f.index, e)) == NULL) {
			if (o->warn != NULL)
				o->warn(o->warn_arg, e);
			qhb_err_clear(e);
			rval = 1;
			continue;
		}
		json_object_set_new(j, "frame", json_integer((json_int_t)f.index));
		json_object_set_new(j, "seq", json_integer((json_int_t)im.seq));
		rc = print(o, j, 1, e);
		json_decref(j);
		if (rc < 0)
			break;
	}
	qhb_frame_release(&f);
	if (rc < 0)
		goto fail;
	if (im.frames == 0) {
		qhb_err_set(e, "%s: no snapshot frame in the input", o->in_name);
		goto fail;
	}
	if (!o->jsonl) {
		if ((j = answer(o, &im, im.frames - 1, e)) == NULL)
			goto fail;
		rc = print(o, j, 0, e);
		json_decref(j);
		if (rc < 0)
			goto fail;
	}
	qhb_image_release(&im);
	return rval;
fail:
	qhb_image_release(&im);
	return -1;
}

int qhb_query_stream(const struct qhb_query_stream_opts *o,
    struct qhb_err *e)
{
	json_t *j;
	int rc;

	/* Standard output carries the answer, so "-" cannot mean it here;
	 * taken as a name it would make a file "-". */
	if (o->record != NULL && strcmp(o->record, "-") == 0)
		return qhb_err_set(e, "--record-pages: '-': expected a file "
		    "name; standard output carries the answer");
	if (o->ram == NULL)
		return from_stream(o, e);
	if ((j = answer(o, NULL, 0, e)) == NULL)
		return -1;
	rc = print(o, j, 0, e);
	json_decref(j);
	return rc;
}
