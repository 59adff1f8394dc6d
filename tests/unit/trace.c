/* Unit tests of common/ring, common/trace and common/x86: the ring under a
 * concurrent producer and consumer (block policy loses nothing and keeps
 * order; drop counts exactly what it lost), the trace records' parsing and
 * sums, and the Zydis wrapper. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ring.h"
#include "trace.h"
#include "unit.h"
#include "x86.h"
#include "../../plugin/x86-nofault.h"

#define NREC 300000

struct prod {
	void *base;
	int drop;
	uint64_t sent;
};

/* Records of 16..64 bytes: a header and a sequence number repeated. */
static uint32_t rec_len(uint64_t seq)
{
	return 16 + (uint32_t)(seq % 7) * 8;
}

static void *producer(void *arg)
{
	struct prod *p = arg;

	for (uint64_t seq = 0; seq < NREC; seq++) {
		uint32_t len = rec_len(seq);
		uint8_t *r;
		unsigned spin = 0;

		while ((r = qhb_ring_try(p->base, 1, len)) == NULL) {
			if (p->drop) {
				qhb_ring_dropped(p->base, 1, len);
				break;
			}
			qhb_ring_backoff(p->base, 1, spin++);
		}
		if (r == NULL)
			continue;
		struct qhb_rec h = { 7, 0, len };
		memcpy(r, &h, sizeof(h));
		for (uint32_t o = 8; o < len; o += 8)
			memcpy(r + o, &seq, 8);
		qhb_ring_commit(p->base, 1, len);
		p->sent++;
	}
	__atomic_store_n(&((struct qhb_ring_hdr *)p->base)->closed, 1,
	    __ATOMIC_RELEASE);
	return NULL;
}

/* Drains slot 1 until closed; checks every record; returns the count. */
static int drain_all(struct qhb_ring *r, int in_order, uint64_t *got)
{
	static uint8_t buf[1 << 16];
	uint64_t last = 0, n = 0;
	int closed = 0;
	struct qhb_err e = { 0 };

	for (;;) {
		long len;

		closed = __atomic_load_n(&qhb_ring_hdr(r)->closed,
		    __ATOMIC_ACQUIRE);
		len = qhb_ring_drain(r, 1, buf, sizeof(buf), &e);
		if (len < 0)
			return -1;
		for (long off = 0; off < len;) {
			struct qhb_rec h;
			uint64_t seq;

			memcpy(&h, buf + off, 8);
			memcpy(&seq, buf + off + 8, 8);
			if (h.type != 7 || h.len != rec_len(seq))
				return -1;
			for (uint32_t o = 16; o < h.len; o += 8)
				if (memcmp(buf + off + o, &seq, 8))
					return -1;
			if (in_order && seq != n)
				return -1;
			if (n && seq <= last)
				return -1;
			last = seq;
			n++;
			off += h.len;
		}
		if (len == 0 && closed)
			break;
		if (len == 0)
			usleep(100);
	}
	*got = n;
	return 0;
}

static void ring_test(int drop)
{
	struct qhb_err e = { 0 };
	struct qhb_ring r;
	struct prod p = { 0 };
	pthread_t th;
	char path[64];
	uint64_t got = 0;
	struct qhb_ring_slot *s;

	snprintf(path, sizeof(path), "/dev/shm/qhb-unit-ring-%d", (int)getpid());
	CHECKF(qhb_ring_create(&r, path, 2, 65536, drop ? QHB_RING_DROP :
	    QHB_RING_BLOCK, &e) == 0, "%s", e.msg);
	p.base = r.base;
	p.drop = drop;
	CHECK(pthread_create(&th, NULL, producer, &p) == 0);
	int rc = drain_all(&r, !drop, &got);
	pthread_join(th, NULL);
	s = qhb_ring_slot(r.base, 1);
	qhb_ring_close(&r, 1);
	CHECK(rc == 0);
	CHECK(got == p.sent);
	CHECK(s != NULL);
	if (!drop) {
		CHECK(got == NREC);
	}
}

static void test_ring_block(void)
{
	ring_test(0);
}

static void test_ring_drop(void)
{
	struct qhb_err e = { 0 };
	struct qhb_ring r;
	char path[64];
	uint64_t sent = 0, got = 0;
	static uint8_t buf[1 << 17];

	/* Without a consumer: exactly what does not fit is dropped. */
	snprintf(path, sizeof(path), "/dev/shm/qhb-unit-drop-%d", (int)getpid());
	CHECKF(qhb_ring_create(&r, path, 2, 65536, QHB_RING_DROP, &e) == 0,
	    "%s", e.msg);
	for (int i = 0; i < 10000; i++) {
		uint8_t *p = qhb_ring_try(r.base, 1, 24);
		if (p == NULL) {
			qhb_ring_dropped(r.base, 1, 24);
			continue;
		}
		struct qhb_rec h = { 7, 0, 24 };
		memcpy(p, &h, 8);
		qhb_ring_commit(r.base, 1, 24);
		sent++;
	}
	long n = qhb_ring_drain(&r, 1, buf, sizeof(buf), &e);
	got = (uint64_t)n / 24;
	CHECK(sent == 65536 / 24);
	CHECK(got == sent);
	CHECK(qhb_ring_slot(r.base, 1)->dropped_records == 10000 - sent);
	CHECK(qhb_ring_slot(r.base, 1)->dropped_bytes == (10000 - sent) * 24);
	qhb_ring_close(&r, 1);
	/* With a consumer racing the producer. */
	ring_test(1);
}

static void test_ring_errors(void)
{
	struct qhb_err e = { 0 };
	struct qhb_ring r;

	CHECK(qhb_ring_create(&r, "/dev/shm/qhb-unit-x", 2, 1000,
	    QHB_RING_DROP, &e) < 0);
	CHECK(strstr(e.msg, "power of two") != NULL);
	CHECK(qhb_ring_open(&r, "/etc/passwd", &e) < 0);
	CHECK(strstr(e.msg, "not a qhb ring") != NULL);
}

/* A block record of n instructions of 2 bytes each at vaddr. */
static size_t put_tb(uint8_t *p, uint32_t id, uint64_t vaddr, unsigned n)
{
	struct qhb_rec_tb t = { 0 };
	size_t len = (sizeof(t) + n + 2 * n + 7) & ~(size_t)7;

	memset(p, 0, len);
	t.h.type = QHB_REC_TB;
	t.h.len = (uint32_t)len;
	t.id = id;
	t.ninsns = (uint16_t)n;
	t.nbytes = (uint16_t)(2 * n);
	t.vaddr = vaddr;
	memcpy(p, &t, sizeof(t));
	for (unsigned i = 0; i < n; i++) {
		p[sizeof(t) + i] = 2 | QHB_TB_COUNTED;
		p[sizeof(t) + n + 2 * i] = 0x89;     /* mov eax, eax... */
		p[sizeof(t) + n + 2 * i + 1] = 0xc0;
	}
	return len;
}

static size_t put_count(uint8_t *p, uint32_t id, unsigned n,
    const uint64_t *c)
{
	struct qhb_rec_count r = { { QHB_REC_COUNT, 0, 0 }, id, n };

	r.h.len = (uint32_t)(sizeof(r) + 8 * n);
	memcpy(p, &r, sizeof(r));
	memcpy(p + sizeof(r), c, 8 * n);
	return r.h.len;
}

static void test_trace_sums(void)
{
	struct qhb_trace t = { 0 };
	struct qhb_err e = { 0 };
	uint8_t buf[4096];
	size_t n = 0;
	uint64_t all[1] = { 10 }, part[4] = { 5, 5, 3, 3 };
	uint64_t phantom[3] = { 4, 4, 0 };

	n += put_tb(buf + n, 0, 0x1000, 4);
	n += put_tb(buf + n, 1, 0x2000, 4);
	/* Three instructions, the last at 0x3ffc..: QEMU 7.2's cross-page
	 * instruction that never runs. */
	n += put_tb(buf + n, 2, 0x3ff8, 3);
	n += put_count(buf + n, 0, 1, all);
	n += put_count(buf + n, 1, 4, part);
	n += put_count(buf + n, 2, 3, phantom);
	n += put_count(buf + n, 9, 1, all);       /* its block was dropped */
	{
		struct qhb_rec_mem m = { { QHB_REC_MEM, QHB_MEM_STORE | 3 << 1,
		    sizeof(m) }, 0x5008 };
		struct qhb_rec_drop d = { { QHB_REC_DROP, 0, sizeof(d) }, 1, 0,
		    7, 112 };
		memcpy(buf + n, &m, sizeof(m));
		n += sizeof(m);
		m.h.flags = 0;
		memcpy(buf + n, &m, sizeof(m));
		n += sizeof(m);
		memcpy(buf + n, &d, sizeof(d));
		n += sizeof(d);
	}
	CHECKF(qhb_trace_add(&t, buf, n, &e) == 0, "%s", e.msg);
	CHECK(t.mem_writes == 1 && t.mem_reads == 1 && t.npages == 1);
	CHECK(t.dropped == 7 && t.dropped_bytes == 112);
	CHECK(t.records == 9);
	CHECK(t.nblocks == 3);
	CHECK(t.instructions == 40 + 16 + 8);
	CHECK(t.executions == 10 + 5 + 4);
	CHECK(t.uncounted == 1);
	CHECK(t.phantoms == 1);
	CHECK(t.blocks[2].ninsns == 2 && t.blocks[2].listed == 3);
	CHECK(t.blocks[1].count[2] == 3);
	/* Twice the same id is an error naming the offset. */
	CHECK(qhb_trace_add(&t, buf, put_tb(buf, 1, 0, 1), &e) < 0);
	CHECK(strstr(e.msg, "seen before") != NULL && e.has_off);
	qhb_trace_release(&t);
	CHECK(t.nblocks == 0 && t.blocks == NULL);
}

static void test_trace_malformed(void)
{
	struct qhb_trace t = { 0 };
	struct qhb_err e = { 0 };
	uint8_t buf[256];
	size_t n = put_tb(buf, 0, 0x1000, 4);
	uint64_t c[2] = { 1, 1 };

	CHECK(qhb_trace_add(&t, buf, n - 8, &e) < 0);     /* cut short */
	buf[sizeof(struct qhb_rec_tb)] = 3 | QHB_TB_COUNTED; /* lengths != bytes */
	CHECK(qhb_trace_add(&t, buf, n, &e) < 0);
	CHECK(strstr(e.msg, "summing") != NULL);
	n = put_tb(buf, 0, 0x1000, 4);
	CHECK(qhb_trace_add(&t, buf, n, &e) == 0);
	n = put_count(buf, 0, 2, c);                       /* 2 of 4 */
	CHECK(qhb_trace_add(&t, buf, n, &e) < 0);
	CHECK(strstr(e.msg, "expected 1 or 4") != NULL);
	CHECK(qhb_trace_add(&t, buf, 3, &e) < 0);
	qhb_trace_release(&t);
}

static void test_x86(void)
{
	char s[128];

	CHECK(qhb_x86_length(QHB_X86_64, "\x48\x89\xe5", 3) == 3);
	CHECK(qhb_x86_length(QHB_X86_64, "\x48\xb8\x01\x02", 4) == -1);
	CHECK(qhb_x86_format(QHB_X86_64, "\x90", 1, 0x1000, s, sizeof(s)) == 1);
	CHECK(strcmp(s, "nop") == 0);
	CHECK(qhb_x86_format(QHB_X86_16, "\xea\x5b\xe0\x00\xf0", 5, 0xfff0,
	    s, sizeof(s)) == 5);
	CHECKF(strncmp(s, "jmp far", 7) == 0, "%s", s);
	CHECK(qhb_x86_format(QHB_X86_64, "\x0f", 1, 0, s, sizeof(s)) == -1);
	CHECK(strcmp(s, "(bad)") == 0);
}

/* The plugin's whitelist of instructions that cannot leave a block early:
 * a wrong 1 would cost exactness. */
static void test_nofault(void)
{
	static const struct { const char *b; size_t n; int want; } c[] = {
		{ "\x48\x89\xe5", 3, 1 },          /* mov rbp, rsp */
		{ "\x48\x8b\x18", 3, 0 },          /* mov rbx, [rax] */
		{ "\x48\xf7\xf1", 3, 0 },          /* div rcx */
		{ "\x48\xf7\xd9", 3, 1 },          /* neg rcx */
		{ "\x0f\xba\xe0\x05", 4, 1 },      /* bt eax, 5 */
		{ "\x0f\xba\xc0\x05", 4, 0 },      /* 0f ba /0: #UD */
		{ "\x8d\x04\x40", 3, 1 },          /* lea eax, [rax+rax*2] */
		{ "\x8d\xc0", 2, 0 },              /* lea, register form: #UD */
		{ "\xf3\x48\x0f\xbc\xc0", 5, 0 },  /* tzcnt: prefix, kept out */
		{ "\xf0\x01\xc0", 3, 0 },          /* lock add eax, eax: #UD */
		{ "\x0f\x0b", 2, 0 },              /* ud2 */
		{ "\xc3", 1, 0 },                  /* ret */
		{ "\x40", 1, 1 },                  /* inc eax (32-bit code) */
		{ "\xfa", 1, 0 },                  /* cli */
		{ "\x66\x0f\xef\xc0", 4, 0 },      /* pxor: SSE */
		{ "\x31\xc0", 2, 1 },              /* xor eax, eax */
		{ "\x83\xc1\x01", 3, 1 },          /* add ecx, 1 */
		{ "\x83\x01\x01", 3, 0 },          /* add [rcx], 1 */
		{ "\xc7\xc0\x01\x00\x00\x00", 6, 1 }, /* mov eax, 1 */
		{ "\xc7\xf8\x00\x00\x00\x00", 6, 0 }, /* xbegin */
		{ "\x0f\x1f\x44\x00\x00", 5, 1 },  /* nop dword [rax+rax] */
		{ "\x48", 1, 1 },                  /* dec eax (32-bit code) */
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		CHECKF(qhb_x86_nofault((const uint8_t *)c[i].b, c[i].n) ==
		    c[i].want, "case %zu", i);
}

void unit_main(void)
{
	UNIT_RUN(test_ring_block);
	UNIT_RUN(test_ring_drop);
	UNIT_RUN(test_ring_errors);
	UNIT_RUN(test_trace_sums);
	UNIT_RUN(test_trace_malformed);
	UNIT_RUN(test_x86);
	UNIT_RUN(test_nofault);
}
