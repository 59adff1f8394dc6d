/*
 * trace.c -- reading trace records and reporting on them.  Layout of the
 * records: common/trace.h and man/qhb-format.5.
 */
#include "trace.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "install.h"
#include "parse.h"
#include "stream.h"
#include "x86.h"

/* Blocks are found by id, and pages by number, through open-addressing
 * hash tables. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	return x;
}

void qhb_trace_release(struct qhb_trace *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nblocks; i++) {
		free(t->blocks[i].len);
		free(t->blocks[i].count);
	}
	free(t->blocks);
	free(t->pages);
	free(t->idx);
	memset(t, 0, sizeof(*t));
}

static int idx_put(struct qhb_trace *t, uint32_t id, uint32_t index)
{
	size_t mask, i;

	if ((t->nblocks + 1) * 2 > t->icap) {
		size_t cap = t->icap ? t->icap * 2 : 1024;
		uint32_t *n = calloc(cap, sizeof(*n));

		if (n == NULL)
			return -1;
		for (size_t k = 0; k < t->icap; k++) {
			uint32_t v = t->idx[k];
			if (v == 0)
				continue;
			i = mix(t->blocks[v - 1].id) & (cap - 1);
			while (n[i])
				i = (i + 1) & (cap - 1);
			n[i] = v;
		}
		free(t->idx);
		t->idx = n;
		t->icap = cap;
	}
	mask = t->icap - 1;
	for (i = mix(id) & mask; t->idx[i]; i = (i + 1) & mask)
		;
	t->idx[i] = index + 1;
	return 0;
}

static struct qhb_trace_block *block_find(const struct qhb_trace *t,
    uint32_t id)
{
	size_t mask, i;

	if (t->icap == 0)
		return NULL;
	mask = t->icap - 1;
	for (i = mix(id) & mask; t->idx[i]; i = (i + 1) & mask)
		if (t->blocks[t->idx[i] - 1].id == id)
			return &t->blocks[t->idx[i] - 1];
	return NULL;
}

static struct qhb_trace_page *page_get(struct qhb_trace *t, uint64_t page)
{
	size_t mask, i;

	if ((t->npages + 1) * 2 > t->pcap) {
		size_t cap = t->pcap ? t->pcap * 2 : 1024;
		struct qhb_trace_page *n = calloc(cap, sizeof(*n));

		if (n == NULL)
			return NULL;
		for (size_t k = 0; k < t->pcap; k++) {
			if (t->pages[k].page == 0)
				continue;
			i = mix(t->pages[k].page) & (cap - 1);
			while (n[i].page)
				i = (i + 1) & (cap - 1);
			n[i] = t->pages[k];
		}
		free(t->pages);
		t->pages = n;
		t->pcap = cap;
	}
	/* Stored as page + 1 so that 0 marks an empty cell. */
	mask = t->pcap - 1;
	for (i = mix(page + 1) & mask; t->pages[i].page; i = (i + 1) & mask)
		if (t->pages[i].page == page + 1)
			return &t->pages[i];
	t->pages[i].page = page + 1;
	t->npages++;
	return &t->pages[i];
}

static int add_tb(struct qhb_trace *t, const struct qhb_rec *h,
    const uint8_t *p, uint64_t off, struct qhb_err *e)
{
	struct qhb_rec_tb r;
	struct qhb_trace_block *b;
	unsigned sum = 0;

	if (h->len < sizeof(r))
		return qhb_err_at(e, off, "block record: expected at least %zu "
		    "bytes, got %u", sizeof(r), h->len);
	memcpy(&r, p, sizeof(r));
	if (r.ninsns == 0 || r.ninsns > QHB_TB_MAX_INSNS ||
	    r.nbytes > QHB_TB_MAX_BYTES ||
	    sizeof(r) + r.ninsns + (size_t)r.nbytes > h->len)
		return qhb_err_at(e, off, "block record %u: expected 1..%u "
		    "instructions of %u bytes within %u, got %u of %u", r.id,
		    QHB_TB_MAX_INSNS, QHB_TB_MAX_BYTES, h->len, r.ninsns,
		    r.nbytes);
	for (unsigned k = 0; k < r.ninsns; k++)
		sum += QHB_TB_LEN(p[sizeof(r) + k]);
	if (!(p[sizeof(r)] & QHB_TB_COUNTED))
		return qhb_err_at(e, off, "block record %u: expected a counter "
		    "on the first instruction", r.id);
	if (sum != r.nbytes)
		return qhb_err_at(e, off, "block record %u: expected lengths "
		    "summing to %u, got %u", r.id, r.nbytes, sum);
	if (block_find(t, r.id))
		return qhb_err_at(e, off, "block record: id %u seen before",
		    r.id);
	if (t->nblocks == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct qhb_trace_block *n = realloc(t->blocks, cap * sizeof(*n));
		if (n == NULL)
			return qhb_err_set(e, "out of memory");
		t->blocks = n;
		t->cap = cap;
	}
	b = &t->blocks[t->nblocks];
	memset(b, 0, sizeof(*b));
	b->id = r.id;
	b->listed = b->ninsns = r.ninsns;
	b->nbytes = r.nbytes;
	b->flags = h->flags;
	b->vaddr = r.vaddr;
	b->paddr = r.paddr;
	if ((b->len = malloc(2 * (size_t)r.ninsns + r.nbytes + 1)) == NULL)
		return qhb_err_set(e, "out of memory");
	memcpy(b->len, p + sizeof(r), r.ninsns + (size_t)r.nbytes);
	b->code = b->len + r.ninsns;
	b->counted = b->code + r.nbytes;
	for (unsigned k = 0; k < r.ninsns; k++) {
		b->counted[k] = (b->len[k] & QHB_TB_COUNTED) != 0;
		b->ncounters += b->counted[k];
		b->len[k] = (uint8_t)QHB_TB_LEN(b->len[k]);
	}
	if (idx_put(t, r.id, (uint32_t)t->nblocks) < 0) {
		free(b->len);
		return qhb_err_set(e, "out of memory");
	}
	t->nblocks++;
	return 0;
}

static int add_count(struct qhb_trace *t, const struct qhb_rec *h,
    const uint8_t *p, uint64_t off, struct qhb_err *e)
{
	struct qhb_rec_count r;
	struct qhb_trace_block *b;
	uint64_t k, j, first, sum = 0;

	if (h->len < sizeof(r))
		return qhb_err_at(e, off, "count record: too short");
	memcpy(&r, p, sizeof(r));
	if (r.n == 0 || r.n > QHB_TB_MAX_INSNS ||
	    sizeof(r) + (size_t)r.n * 8 > h->len)
		return qhb_err_at(e, off, "count record %u: expected 1..%u "
		    "counts within %u bytes, got %u", r.id, QHB_TB_MAX_INSNS,
		    h->len, r.n);
	if ((b = block_find(t, r.id)) == NULL) {
		t->uncounted++;         /* its block record was dropped */
		return 0;
	}
	if (r.n != 1 && r.n != b->ncounters)
		return qhb_err_at(e, off, "count record %u: expected 1 or %u "
		    "counts, got %u", r.id, b->ncounters, r.n);
	if (b->count == NULL && (b->count = calloc(b->listed, 8)) == NULL)
		return qhb_err_set(e, "out of memory");
	memcpy(&first, p + sizeof(r), 8);
	/* An instruction without a counter started as often as the one
	 * before it. */
	uint64_t c = first;
	for (k = 0, j = 0; k < b->listed; k++) {
		if (b->counted[k]) {
			if (r.n > 1)
				memcpy(&c, p + sizeof(r) + j * 8, 8);
			j++;
		}
		b->count[k] += c;
		sum += c;
	}
	b->execs += first;
	t->executions += first;
	b->insns += sum;
	t->instructions += sum;
	/* QEMU 7.2 lists an instruction that crosses into the next page and
	 * then leaves it out of the block: it never runs. */
	if (b->listed > 1 && b->count[b->listed - 1] == 0 && b->count[0]) {
		unsigned last = b->listed - 1, at = 0;
		for (unsigned i = 0; i < last; i++)
			at += b->len[i];
		if (((b->vaddr + at) & 4095) + 15 > 4096) {
			if (b->ninsns == b->listed)
				t->phantoms++;
			b->ninsns = (uint16_t)last;
		}
	}
	return 0;
}

static int add_mem(struct qhb_trace *t, const struct qhb_rec *h,
    const uint8_t *p, uint64_t off, struct qhb_err *e)
{
	struct qhb_rec_mem r;
	struct qhb_trace_page *pg;

	if (h->len < sizeof(r))
		return qhb_err_at(e, off, "memory record: too short");
	memcpy(&r, p, sizeof(r));
	if ((pg = page_get(t, r.addr >> 12)) == NULL)
		return qhb_err_set(e, "out of memory");
	if (h->flags & QHB_MEM_STORE) {
		pg->writes++;
		t->mem_writes++;
	} else {
		pg->reads++;
		t->mem_reads++;
	}
	return 0;
}

int qhb_trace_add(struct qhb_trace *t, const void *data, size_t size,
    struct qhb_err *e)
{
	const uint8_t *p = data;
	size_t off = 0;

	while (off < size) {
		struct qhb_rec h;
		int rc = 0;

		if (size - off < sizeof(h))
			return qhb_err_at(e, off, "record: expected a header of "
			    "8 bytes, got %zu", size - off);
		memcpy(&h, p + off, sizeof(h));
		if (h.len < sizeof(h) || h.len % 8 || h.len > size - off)
			return qhb_err_at(e, off, "record: expected a length that "
			    "is a multiple of 8 within %zu, got %u", size - off,
			    h.len);
		switch (h.type) {
		case QHB_REC_TB: rc = add_tb(t, &h, p + off, off, e); break;
		case QHB_REC_COUNT: rc = add_count(t, &h, p + off, off, e); break;
		case QHB_REC_MEM: rc = add_mem(t, &h, p + off, off, e); break;
		case QHB_REC_DROP: {
			struct qhb_rec_drop d;
			if (h.len < sizeof(d))
				return qhb_err_at(e, off, "drop record: too short");
			memcpy(&d, p + off, sizeof(d));
			t->dropped += d.records;
			t->dropped_bytes += d.bytes;
			break;
		}
		default:
			break;          /* newer record types are skipped */
		}
		if (rc < 0)
			return -1;
		if (h.type != QHB_REC_DROP)
			t->records++;
		off += h.len;
	}
	return 0;
}

int qhb_trace_read(struct qhb_trace *t, const char *path, struct qhb_err *e)
{
	struct qhb_reader *r = qhb_reader_open(path, e);
	struct qhb_frame f;
	const char *s;
	int rc;

	if (r == NULL)
		return -1;
	qhb_frame_init(&f);
	qhb_reader_filter(r, UINT64_C(1) << QHB_FRAME_TRACE, NULL, NULL);
	while ((rc = qhb_reader_next(r, &f, e)) == 1) {
		if ((s = qhb_meta_get_str(&f.meta, "target")))
			snprintf(t->target, sizeof(t->target), "%s", s);
		if ((s = qhb_meta_get_str(&f.meta, "binary")))
			snprintf(t->binary, sizeof(t->binary), "%s", s);
		if ((s = qhb_meta_get_str(&f.meta, "mode")))
			t->system = strcmp(s, "system") == 0;
		if (qhb_trace_add(t, f.data, f.size, e) < 0) {
			char msg[sizeof(e->msg)];
			snprintf(msg, sizeof(msg), "%s", e->msg);
			qhb_err_at(e, f.offset, "trace frame %" PRIu64 ": %s",
			    f.index, msg);
			qhb_err_path(e, path);
			rc = -1;
			break;
		}
		t->frames++;
	}
	qhb_frame_release(&f);
	qhb_reader_close(r);
	if (rc == 0 && t->frames == 0) {
		/* A snapshot, a volume or nothing at all: its reports would
		 * be zeros that look like a trace of an idle guest. */
		qhb_err_path(e, strcmp(path, "-") ? path : "<stdin>");
		return qhb_err_set(e, "no trace frame in the input");
	}
	return rc < 0 ? -1 : 0;
}

/*
 * Reports.
 */
int qhb_trace_format_parse(const char *s)
{
	static const char *const names[] = { "text", "drcov", "hotblocks",
	    "hotpages", "summary" };

	for (int i = 0; i < 5; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static enum qhb_x86_mode block_mode(const struct qhb_trace *t,
    const struct qhb_trace_block *b)
{
	/* Plain guesses: the plugin sees no CPU mode.  Below 1 MiB in
	 * system mode is firmware in real mode. */
	if (t->system && (b->vaddr < 0x100000 ||
	    (b->vaddr >= 0xffff0000 && b->vaddr < 0x100000000)))
		return QHB_X86_16;
	return QHB_X86_64;
}

static int by_id(const void *a, const void *b)
{
	const struct qhb_trace_block *x = *(struct qhb_trace_block *const *)a;
	const struct qhb_trace_block *y = *(struct qhb_trace_block *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int by_heat(const void *a, const void *b)
{
	const struct qhb_trace_block *x = *(struct qhb_trace_block *const *)a;
	const struct qhb_trace_block *y = *(struct qhb_trace_block *const *)b;

	if (x->insns != y->insns)
		return x->insns > y->insns ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int by_page(const void *a, const void *b)
{
	const struct qhb_trace_page *x = a, *y = b;

	return x->page < y->page ? -1 : x->page > y->page;
}

/* The executed blocks, sorted by cmp, in a malloc'd array. */
static struct qhb_trace_block **ran(const struct qhb_trace *t,
    int (*cmp)(const void *, const void *), size_t *n)
{
	struct qhb_trace_block **v = malloc((t->nblocks + 1) * sizeof(*v));

	*n = 0;
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < t->nblocks; i++)
		if (t->blocks[i].execs)
			v[(*n)++] = &t->blocks[i];
	qsort(v, *n, sizeof(*v), cmp);
	return v;
}

static int report_text(const struct qhb_trace *t, FILE *f)
{
	struct qhb_trace_block **v;
	size_t n;
	char dis[256], hex[64];

	if ((v = ran(t, by_id, &n)) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct qhb_trace_block *b = v[i];
		unsigned at = 0;

		fprintf(f, "# block %u vaddr 0x%" PRIx64, b->id, b->vaddr);
		if (b->flags & QHB_TB_PHYS)
			fprintf(f, " paddr 0x%" PRIx64, b->paddr);
		fprintf(f, " executions %" PRIu64 " instructions %u\n",
		    b->execs, b->ninsns);
		for (unsigned k = 0; k < b->ninsns; k++) {
			unsigned l = b->len[k], h = 0;

			for (unsigned j = 0; j < l && h + 3 < sizeof(hex); j++)
				h += (unsigned)snprintf(hex + h, sizeof(hex) - h,
				    "%02x", b->code[at + j]);
			hex[h] = 0;
			qhb_x86_format(block_mode(t, b), b->code + at, l,
			    b->vaddr + at, dis, sizeof(dis));
			fprintf(f, "0x%016" PRIx64 ", %" PRIu64 ", %s, \"%s\"\n",
			    b->vaddr + at, b->count[k], hex, dis);
			at += l;
		}
	}
	free(v);
	return 0;
}

static int report_hotblocks(const struct qhb_trace *t, unsigned limit,
    FILE *f)
{
	struct qhb_trace_block **v;
	size_t n;

	if ((v = ran(t, by_heat, &n)) == NULL)
		return -1;
	fprintf(f, "# vaddr, paddr, executions, instructions, block_insns\n");
	for (size_t i = 0; i < n && (limit == 0 || i < limit); i++)
		fprintf(f, "0x%016" PRIx64 ", 0x%016" PRIx64 ", %" PRIu64 ", %"
		    PRIu64 ", %u\n", v[i]->vaddr, v[i]->flags & QHB_TB_PHYS ?
		    v[i]->paddr : v[i]->vaddr, v[i]->execs, v[i]->insns,
		    v[i]->ninsns);
	free(v);
	return 0;
}

/* Page heat: memory reads and writes (mem=on) and instructions executed,
 * by 4 KiB page, physical in system mode where known. */
static int report_hotpages(const struct qhb_trace *t, FILE *f)
{
	struct qhb_trace heat = { 0 };
	struct qhb_trace_page *v = NULL, *p;
	size_t n = 0;

	/* One table of both: the memory pages, then code pages added. */
	for (size_t i = 0; i < t->pcap; i++) {
		if (t->pages[i].page == 0)
			continue;
		if ((p = page_get(&heat, t->pages[i].page - 1)) == NULL)
			goto oom;
		p->reads += t->pages[i].reads;
		p->writes += t->pages[i].writes;
	}
	for (size_t i = 0; i < t->nblocks; i++) {
		const struct qhb_trace_block *b = &t->blocks[i];

		if (!b->execs)
			continue;
		p = page_get(&heat, ((b->flags & QHB_TB_PHYS) ? b->paddr :
		    b->vaddr) >> 12);
		if (p == NULL)
			goto oom;
		p->insns += b->insns;
	}
	if ((v = malloc((heat.npages + 1) * sizeof(*v))) == NULL)
		goto oom;
	for (size_t i = 0; i < heat.pcap; i++)
		if (heat.pages[i].page) {
			v[n] = heat.pages[i];
			v[n++].page--;
		}
	qsort(v, n, sizeof(*v), by_page);
	fprintf(f, "# page, reads, writes, instructions\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "0x%016" PRIx64 ", %" PRIu64 ", %" PRIu64 ", %"
		    PRIu64 "\n", v[i].page << 12, v[i].reads, v[i].writes,
		    v[i].insns);
	free(v);
	qhb_trace_release(&heat);
	return 0;
oom:
	qhb_trace_release(&heat);
	return -1;
}

/* drcov version 2, as DynamoRIO writes it and Lighthouse reads it: one
 * module per 4 GiB window of addresses (block offsets are 32 bits). */
static int report_drcov(const struct qhb_trace *t, FILE *f)
{
	struct qhb_trace_block **v;
	uint64_t windows[64];
	size_t n, nw = 0, nbb = 0;

	if ((v = ran(t, by_id, &n)) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint64_t w = v[i]->vaddr & ~UINT64_C(0xffffffff);
		size_t k;
		for (k = 0; k < nw && windows[k] != w; k++)
			;
		if (k == nw && nw < 64)
			windows[nw++] = w;
		if (k < 64)
			nbb++;
	}
	fprintf(f, "DRCOV VERSION: 2\nDRCOV FLAVOR: qhb-trace\n");
	fprintf(f, "Module Table: version 2, count %zu\n", nw);
	fprintf(f, "Columns: id, base, end, entry, checksum, timestamp, path\n");
	for (size_t k = 0; k < nw; k++)
		fprintf(f, "%zu, 0x%016" PRIx64 ", 0x%016" PRIx64 ", 0x0, 0x0, "
		    "0x0, %s\n", k, windows[k], windows[k] + 0xffffffff,
		    t->binary[0] ? t->binary : t->system ? "guest" : "program");
	fprintf(f, "BB Table: %zu bbs\n", nbb);
	for (size_t i = 0; i < n; i++) {
		uint64_t w = v[i]->vaddr & ~UINT64_C(0xffffffff);
		unsigned size = 0;
		uint8_t e[8];
		size_t k;

		for (k = 0; k < nw && windows[k] != w; k++)
			;
		if (k == nw)
			continue;
		for (unsigned j = 0; j < v[i]->ninsns; j++)
			size += v[i]->len[j];
		uint32_t off = (uint32_t)(v[i]->vaddr - w);
		memcpy(e, &off, 4);          /* little-endian hosts */
		e[4] = (uint8_t)size;
		e[5] = (uint8_t)(size >> 8);
		e[6] = (uint8_t)k;
		e[7] = (uint8_t)(k >> 8);
		fwrite(e, 1, 8, f);
	}
	free(v);
	return 0;
}

static json_t *ju(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static int report_summary(const struct qhb_trace *t, FILE *f)
{
	json_t *o = json_object();
	uint64_t ran_blocks = 0, early = 0, bad = 0;
	int rc;

	/* Within a block, an instruction cannot start more often than the
	 * one before it; the difference is executions that left early. */
	for (size_t i = 0; i < t->nblocks; i++) {
		const struct qhb_trace_block *b = &t->blocks[i];
		if (!b->execs)
			continue;
		ran_blocks++;
		for (unsigned k = 1; k < b->ninsns; k++)
			if (b->count[k] > b->count[k - 1])
				bad++;
		if (b->count[0] >= b->count[b->ninsns - 1])
			early += b->count[0] - b->count[b->ninsns - 1];
	}
	json_object_set_new(o, "target", json_string(t->target));
	json_object_set_new(o, "mode", json_string(t->system ? "system" : "user"));
	json_object_set_new(o, "instructions", ju(t->instructions));
	json_object_set_new(o, "blocks", ju(t->nblocks));
	json_object_set_new(o, "blocks_executed", ju(ran_blocks));
	json_object_set_new(o, "executions", ju(t->executions));
	json_object_set_new(o, "dropped", ju(t->dropped));
	json_object_set_new(o, "dropped_bytes", ju(t->dropped_bytes));
	json_object_set_new(o, "uncounted", ju(t->uncounted));
	json_object_set_new(o, "phantoms", ju(t->phantoms));
	json_object_set_new(o, "early_exits", ju(early));
	json_object_set_new(o, "inconsistent", ju(bad));
	json_object_set_new(o, "mem_reads", ju(t->mem_reads));
	json_object_set_new(o, "mem_writes", ju(t->mem_writes));
	json_object_set_new(o, "pages", ju(t->npages));
	json_object_set_new(o, "records", ju(t->records));
	json_object_set_new(o, "frames", ju(t->frames));
	rc = json_dumpf(o, f, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	fputc('\n', f);
	return rc;
}

int qhb_trace_report(const struct qhb_trace *t, enum qhb_trace_format fmt,
    unsigned limit, FILE *f, struct qhb_err *e)
{
	int rc;

	switch (fmt) {
	case QHB_TRACE_TEXT: rc = report_text(t, f); break;
	case QHB_TRACE_DRCOV: rc = report_drcov(t, f); break;
	case QHB_TRACE_HOTBLOCKS: rc = report_hotblocks(t, limit, f); break;
	case QHB_TRACE_HOTPAGES: rc = report_hotpages(t, f); break;
	default: rc = report_summary(t, f); break;
	}
	if (rc < 0)
		return qhb_err_set(e, "out of memory");
	if (ferror(f))
		return qhb_err_sys(e, "write");
	return 0;
}

/*
 * Recording.
 */
int qhb_trace_plugin_find(const char *given, char *buf, size_t size,
    struct qhb_err *e)
{
	const char *env = getenv("QHB_PLUGIN");
	char *r;

	if (given == NULL && env != NULL && *env)
		given = env;
	if (given != NULL) {
		if ((r = realpath(given, NULL)) == NULL) {
			qhb_err_path(e, given);
			return qhb_err_sys(e, "plugin");
		}
		if (strlen(r) >= size) {
			free(r);
			return qhb_err_set(e, "plugin path too long");
		}
		memcpy(buf, r, strlen(r) + 1);
		free(r);
		return 0;
	}
	if (qhb_install_path("lib/libqhbtrace.so", R_OK, buf, size) == 0 ||
	    qhb_install_path("lib/qhb/libqhbtrace.so", R_OK, buf, size) == 0)
		return 0;
	return qhb_err_set(e, "cannot find libqhbtrace.so beside this program "
	    "(../lib/); set QHB_PLUGIN");
}

/*
 * The plugin's ring.  One name scheme for every ring, beside the guest's
 * RAM file /dev/shm/qhb-UID-NAME.ram: /dev/shm/qhb-UID-NAME.trace, where
 * NAME is a guest's (qhb-vm start --trace, found again by name for
 * qhb-trace --attach) or, for a recording of qhb-trace -- QEMU, "-PID",
 * which no guest name can be (none starts with "-"), so the two never
 * meet.  Each name is then ours alone -- a guest's while qhb-vm holds the
 * runtime directory's lock, a recording's while our pid is ours -- and a
 * file found there is a stale one, which qhb_trace_ring_create replaces.
 */
int qhb_trace_slot_size(const char *s, uint64_t *size, struct qhb_err *e)
{
	uint64_t v;

	if (qhb_parse_size(s, &v, NULL, NULL) < 0 || !qhb_ring_slot_size_ok(v))
		return qhb_err_set(e, "expected a power of two from 64K to 4G, "
		    "got '%s'", s);
	*size = v;
	return 0;
}

int qhb_trace_ring_path(const char *name, char *buf, size_t size,
    struct qhb_err *e)
{
	int n;

	if (name != NULL)
		n = snprintf(buf, size, "/dev/shm/qhb-%ld-%s.trace",
		    (long)geteuid(), name);
	else
		n = snprintf(buf, size, "/dev/shm/qhb-%ld--%ld.trace",
		    (long)geteuid(), (long)getpid());
	if (n < 0 || (size_t)n >= size)
		return qhb_err_set(e, "trace path too long");
	return 0;
}

int qhb_trace_ring_create(struct qhb_ring *r, const char *name,
    const char *plugin, const struct qhb_trace_ring_opts *o, char *arg,
    size_t size, struct qhb_err *e)
{
	char path[sizeof(r->path)];
	int n;

	memset(r, 0, sizeof(*r));
	/* QEMU's -plugin splits its argument at commas; the ring's path has
	 * none (a guest name cannot). */
	if (strchr(plugin, ',') != NULL) {
		qhb_err_path(e, plugin);
		return qhb_err_set(e, "a comma in the plugin's path cannot be "
		    "passed to QEMU");
	}
	if (qhb_trace_ring_path(name, path, sizeof(path), e) < 0)
		return -1;
	unlink(path);   /* stale: see above */
	/* Slot 0, then one per vCPU: as many as the ring format allows, for
	 * any -smp (qhb-vm takes up to 256) and the threads of a user-mode
	 * program, each a vCPU to QEMU.  The file is sparse, so a slot no
	 * vCPU writes costs only its header. */
	if (qhb_ring_create(r, path, QHB_RING_MAX_SLOTS, o->slot_size ?
	    o->slot_size : QHB_TRACE_SLOT_DEFAULT, o->policy, e) < 0)
		return -1;
	n = snprintf(arg, size, "file=%s,ring=%s%s", plugin, path,
	    o->mem ? ",mem=on" : "");
	if (n < 0 || (size_t)n >= size) {
		qhb_ring_close(r, 1);
		qhb_err_path(e, plugin);
		return qhb_err_set(e, "plugin path too long");
	}
	return 0;
}

#define FRAME_FLUSH  (1u << 20)

struct slotbuf {
	uint8_t *data;
	size_t fill, cap;
};

static uint64_t trace_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static int put_frame(struct qhb_writer *w, const struct qhb_ring_hdr *h,
    uint32_t slot, const void *data, size_t size, struct qhb_trace_stats *st,
    struct qhb_err *e)
{
	struct qhb_meta m = { 0 };
	struct iovec iov = { (void *)data, size };
	int rc = -1;

	if (qhb_meta_set_str(&m, "target", h->target, e) < 0 ||
	    qhb_meta_set_str(&m, "mode", h->system ? "system" : "user", e) < 0 ||
	    qhb_meta_set_u64(&m, "slot", slot, e) < 0 ||
	    (h->binary[0] && qhb_meta_set_str(&m, "binary", h->binary, e) < 0))
		goto out;
	rc = qhb_writer_put(w, QHB_FRAME_TRACE, &m, &iov, 1, e);
	st->frames++;
	st->bytes += size;
out:
	qhb_meta_release(&m);
	return rc;
}

int qhb_trace_record(struct qhb_ring *r, struct qhb_writer *w,
    qhb_trace_alive_fn *alive, void *arg, const volatile int *stop,
    struct qhb_trace_stats *st, struct qhb_err *e)
{
	struct qhb_ring_hdr *h = qhb_ring_hdr(r);
	uint32_t ns = h->nslots, i;
	struct slotbuf *b = calloc(ns, sizeof(*b));
	int rc = -1, last = 0;
	long n;

	memset(st, 0, sizeof(*st));
	if (b == NULL)
		return qhb_err_set(e, "out of memory");
	while (!__atomic_load_n(&h->attached, __ATOMIC_ACQUIRE)) {
		struct timespec ts = { 0, 1000000 };
		__atomic_store_n(&h->consumer_alive, trace_now(),
		    __ATOMIC_RELEASE);
		if (!alive(arg)) {
			qhb_err_set(e, "QEMU exited without loading the plugin");
			goto out;
		}
		if (*stop) {
			qhb_err_set(e, "interrupted before QEMU loaded the plugin");
			goto out;
		}
		nanosleep(&ts, NULL);
	}
	for (;;) {
		size_t got = 0;
		int closed = __atomic_load_n(&h->closed, __ATOMIC_ACQUIRE);
		int gone = closed || *stop || !alive(arg);

		__atomic_store_n(&h->consumer_alive, trace_now(),
		    __ATOMIC_RELEASE);
		for (i = 0; i < ns; i++) {
			struct qhb_ring_slot *s = qhb_ring_slot(r->base, i);
			struct slotbuf *sb = &b[i];

			if (__atomic_load_n(&s->head, __ATOMIC_ACQUIRE) == s->tail &&
			    !(last && sb->fill))
				continue;
			if (sb->data == NULL) {
				sb->cap = FRAME_FLUSH + h->slot_size / 2;
				if ((sb->data = malloc(sb->cap)) == NULL) {
					qhb_err_set(e, "out of memory");
					goto out;
				}
			}
			do {
				n = qhb_ring_drain(r, i, sb->data + sb->fill,
				    sb->cap - sb->fill, e);
				if (n < 0)
					goto out;
				sb->fill += (size_t)n;
				got += (size_t)n;
				if (sb->fill >= FRAME_FLUSH || (last && sb->fill)) {
					if (put_frame(w, h, i, sb->data, sb->fill,
					    st, e) < 0)
						goto out;
					sb->fill = 0;
				}
			} while (n > 0);
		}
		if (last)
			break;
		/* One more pass after the producer is gone, flushing all:
		 * what it published before closing is visible by now. */
		if (gone && got == 0) {
			last = 1;
			st->closed = closed;
			continue;
		}
		if (got == 0) {
			struct timespec ts = { 0, 200000 };
			nanosleep(&ts, NULL);
		}
	}
	/* The losses, per slot, as records of their own. */
	{
		struct qhb_rec_drop d[QHB_RING_MAX_SLOTS];
		size_t nd = 0;

		for (i = 0; i < ns; i++) {
			struct qhb_ring_slot *s = qhb_ring_slot(r->base, i);
			uint64_t dr = __atomic_load_n(&s->dropped_records,
			    __ATOMIC_ACQUIRE);

			st->waits += s->waits;
			st->records += s->records;
			if (dr == 0)
				continue;
			memset(&d[nd], 0, sizeof(d[nd]));
			d[nd].h.type = QHB_REC_DROP;
			d[nd].h.len = sizeof(d[nd]);
			d[nd].slot = i;
			d[nd].records = dr;
			d[nd].bytes = s->dropped_bytes;
			st->dropped += dr;
			st->dropped_bytes += s->dropped_bytes;
			nd++;
		}
		if (nd && put_frame(w, h, 0, d, nd * sizeof(d[0]), st, e) < 0)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < ns; i++)
		free(b[i].data);
	free(b);
	return rc;
}
