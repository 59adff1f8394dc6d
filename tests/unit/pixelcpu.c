/* Unit tests of common/pixelcpu: flag results against known x86 values,
 * the text form round trip, program checks, and the Z3 encoding of
 * common/pixelsem against the reference interpreter on random instructions. */
#include <stdlib.h>
#include <string.h>

#include "learnvk.h"
#include "pixelcpu.h"
#include "pixelsem.h"
#include "unit.h"

static struct qhb_pcpu_insn mk(unsigned op, unsigned w, unsigned fm,
    unsigned d, unsigned a, unsigned b)
{
	struct qhb_pcpu_insn in = { .op = (uint8_t)op, .w = (uint8_t)w,
	    .fmask = (uint8_t)(op == QHB_PCPU_LD || op == QHB_PCPU_ST ||
	    (op >= QHB_PCPU_PADD && op <= QHB_PCPU_PMSKB) ? 0 : fm),
	    .d = (uint8_t)d, .a = (uint8_t)a,
	    .b = (uint8_t)b };

	return in;
}

static void test_flags(void)
{
	struct qhb_pcpu_state s = { { 0 } };
	struct qhb_pcpu_insn in = mk(QHB_PCPU_ADD, 2, QHB_PCPU_ALLF, 0, 0, 3);

	/* add eax, ebx: 0xffffffff + 1 = 0, CF PF AF ZF */
	s.r[0] = 0xffffffff;
	s.r[3] = 1;
	s.r[16] = 2;
	qhb_pcpu_step(&in, &s);
	CHECK(s.r[0] == 0);
	CHECK(s.r[16] == (2 | 0x55));
	/* 0x7f + 1 in 8 bits: OF SF AF, no CF */
	in.w = 0;
	s.r[0] = 0xab7f;
	s.r[16] = 2;
	qhb_pcpu_step(&in, &s);
	CHECK(s.r[0] == 0x80);
	CHECK(s.r[16] == (2 | 0x800 | 0x80 | 0x10));
	/* sub 1 - 2 in 64 bits: CF SF AF PF */
	in = mk(QHB_PCPU_SUB, 3, QHB_PCPU_ALLF, 0, 0, 3);
	s.r[0] = 1;
	s.r[3] = 2;
	s.r[16] = 2;
	qhb_pcpu_step(&in, &s);
	CHECK(s.r[0] == ~0ULL);
	CHECK(s.r[16] == (2 | 0x1 | 0x4 | 0x10 | 0x80));
	/* shift by 0 leaves the flags */
	in = mk(QHB_PCPU_SHL, 2, QHB_PCPU_ALLF, 0, 0, 1);
	s.r[1] = 32;
	s.r[16] = 0x8d7;
	qhb_pcpu_step(&in, &s);
	CHECK(s.r[16] == 0x8d7);
	CHECK(s.r[0] == 0xffffffff);
	/* ins merges 16 bits */
	in = mk(QHB_PCPU_INS, 1, 0, 0, 3, 0);
	in.bimm = 1;
	in.imm = 8;
	s.r[0] = 0x1111111111111111ULL;
	s.r[3] = 0xabcd;
	qhb_pcpu_step(&in, &s);
	CHECK(s.r[0] == 0x1111111111abcd11ULL);
	/* conditions */
	CHECK(qhb_pcpu_cond(4, 0x40) == 1);
	CHECK(qhb_pcpu_cond(12, 0x80) == 1);
	CHECK(qhb_pcpu_cond(12, 0x880) == 0);
	CHECK(qhb_pcpu_cond(15, 0) == 1);
}

static void test_text(void)
{
	static const char *const t[] = { "add.32f r0, r0, r3",
	    "ins.16 r0, r17, #0", "add.32f:3e r0, r0, #1", "cc.8 r17, r0, #-4",
	    "sel.64 r0, r3, r17", "add.64 r0, r19, #P1" };
	struct qhb_pcpu_insn in, out;
	struct qhb_err e = { 0 };
	int64_t par[2] = { 5, -7 };
	char buf[96];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECKF(qhb_pcpu_parse(t[i], &in, &e) == 0, "%s: %s", t[i], e.msg);
		qhb_pcpu_format(&in, buf, sizeof(buf));
		CHECKF(strcmp(buf, t[i]) == 0, "%s -> %s", t[i], buf);
	}
	CHECK(qhb_pcpu_parse("frob.32 r0, r0, r0", &in, &e) < 0);
	CHECK(qhb_pcpu_parse("add.12 r0, r0, r0", &in, &e) < 0);
	CHECK(qhb_pcpu_parse("add.32 r80, r0, r0", &in, &e) < 0);
	CHECK(qhb_pcpu_parse("add.32 r0, r0, r84", &in, &e) < 0);
	CHECK(qhb_pcpu_parse("add.32 r79, r39, r48", &in, &e) == 0);
	CHECK(qhb_pcpu_parse("add.32 r0, r0, #1x", &in, &e) < 0);
	in = mk(QHB_PCPU_NOPS, 0, 0, 0, 0, 0);
	CHECK(qhb_pcpu_check(&in, 1, &e) < 0);
	in = mk(QHB_PCPU_ADD, 0, 64, 0, 0, 0);
	CHECK(qhb_pcpu_check(&in, 1, &e) < 0);
	/* parameters: in range only, bound to constants for running */
	CHECK(qhb_pcpu_parse("add.64 r0, r0, #P2", &in, &e) < 0);
	CHECK(qhb_pcpu_parse("add.64 r0, r0, #P", &in, &e) < 0);
	CHECK(qhb_pcpu_parse("add.64 r0, r0, #P-1", &in, &e) < 0);
	CHECK(qhb_pcpu_parse("add.64 r0, r19, #P1", &in, &e) == 0);
	CHECK(qhb_pcpu_check(&in, 1, &e) == 0 && qhb_pcpu_has_param(&in, 1));
	CHECK(qhb_pcpu_bind(&in, 1, par, 2, &out, &e) == 0);
	CHECK(out.bimm == 1 && out.imm == -7 && !qhb_pcpu_has_param(&out, 1));
	CHECK(qhb_pcpu_bind(&in, 1, par, 1, &out, &e) < 0);
	in.imm = 2;
	CHECK(qhb_pcpu_check(&in, 1, &e) < 0);
}

static uint64_t rng(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* The Z3 encoding and the interpreter agree, op by op. */
static void test_z3_matches(void)
{
	Z3_config cfg = Z3_mk_config();
	Z3_context c = Z3_mk_context(cfg);
	Z3_ast in[QHB_PCPU_NREG], to[QHB_PCPU_NREG], st[QHB_PCPU_NREG];
	uint64_t seed = 42;
	int bad = 0;

	Z3_del_config(cfg);
	for (int i = 0; i < QHB_PCPU_NREG; i++) {
		char n[8];

		snprintf(n, sizeof(n), "r%d", i);
		in[i] = Z3_mk_const(c, Z3_mk_string_symbol(c, n),
		    Z3_mk_bv_sort(c, 64));
	}
	for (int k = 0; k < 1500 && !bad; k++) {
		struct qhb_pcpu_insn p = mk((unsigned)(k % QHB_PCPU_NOPS),
		    (unsigned)(rng(&seed) % 4), (unsigned)(rng(&seed) % 2 ?
		    QHB_PCPU_ALLF : rng(&seed) % 64), (unsigned)(rng(&seed) % 4),
		    (unsigned)(rng(&seed) % 4), (unsigned)(rng(&seed) % 4));
		struct qhb_pcpu_state s;

		if (rng(&seed) % 3 == 0) {
			p.bimm = 1;
			p.imm = (int64_t)(rng(&seed) % 3 == 0 ? rng(&seed) % 80 :
			    rng(&seed));
		}
		if (k % 7 == 0)
			p.d = QHB_PCPU_FLAGS;
		for (int i = 0; i < QHB_PCPU_NREG; i++) {
			s.r[i] = rng(&seed);
			if (rng(&seed) % 4 == 0)
				s.r[i] %= 70;
			to[i] = Z3_mk_unsigned_int64(c, s.r[i],
			    Z3_mk_bv_sort(c, 64));
		}
		memcpy(st, in, sizeof(st));
		qhb_pixelsem_run(c, &p, 1, st);
		qhb_pcpu_step(&p, &s);
		for (int i = 0; i < QHB_PCPU_NREG; i++) {
			uint64_t u = 0;
			Z3_ast v = Z3_simplify(c, Z3_substitute(c, st[i],
			    QHB_PCPU_NREG, in, to));

			Z3_get_numeral_uint64(c, v, &u);
			if (u != s.r[i]) {
				char t[96];

				qhb_pcpu_format(&p, t, sizeof(t));
				unit_fail(__FILE__, __LINE__, "%s: r%d: z3 %#llx "
				    "interpreter %#llx", t, i,
				    (unsigned long long)u,
				    (unsigned long long)s.r[i]);
				bad = 1;
				break;
			}
		}
	}
	Z3_del_context(c);
}

/* Loads and stores: little endian, W / 8 bytes, the window's bounds. */
static void test_memory(void)
{
	uint8_t bytes[16];
	struct qhb_pcpu_mem m = { 0x1000, sizeof(bytes), 0, bytes };
	struct qhb_pcpu_state s = { { 0 } };
	struct qhb_pcpu_insn p[2];
	struct qhb_err e;

	for (int i = 0; i < 16; i++)
		bytes[i] = (uint8_t)(0x10 + i);
	s.r[7] = 0x1000;
	s.r[0] = 0x1122334455667788ULL;
	CHECK(qhb_pcpu_parse("ld.32 r1, r7, #2", &p[0], &e) == 0);
	CHECK(qhb_pcpu_parse("st.16 r7, r0, #14", &p[1], &e) == 0);
	qhb_pcpu_run_mem(p, 2, &s, &m);
	CHECK(s.r[1] == 0x15141312);
	CHECK(bytes[14] == 0x88 && bytes[15] == 0x77 && m.fault == 0);
	/* one byte past the window: read as 0, not written, a fault */
	CHECK(qhb_pcpu_parse("ld.16 r2, r7, #15", &p[0], &e) == 0);
	CHECK(qhb_pcpu_parse("st.64 r7, r0, #-1", &p[1], &e) == 0);
	qhb_pcpu_run_mem(p, 2, &s, &m);
	CHECK(s.r[2] == 0x77 && m.fault == 1);
	CHECK(bytes[0] == 0x77 && bytes[5] == 0x22 && bytes[6] == 0x11 &&
	    bytes[7] == 0x17);
	/* divides: 2W by W bits; a zero divisor or a quotient too wide is
	 * a fault, in r28 */
	s.r[2] = 3;
	s.r[0] = 5;
	s.r[3] = 7;
	CHECK(qhb_pcpu_parse("divu.64 r2, r0, r3", &p[0], &e) == 0);
	qhb_pcpu_run(p, 1, &s);
	CHECK(s.r[2] == (uint64_t)((((unsigned __int128)3 << 64) | 5) / 7));
	CHECK(s.r[QHB_PCPU_FAULT] == 0);
	s.r[2] = 0x1234;
	s.r[3] = 0x15000;
	CHECK(qhb_pcpu_parse("remu.16 r2, r0, r3", &p[0], &e) == 0);
	qhb_pcpu_run(p, 1, &s);
	CHECK(s.r[2] == ((0x1234u << 16) | 5) % 0x5000 &&
	    s.r[QHB_PCPU_FAULT] == 0);
	s.r[2] = 0x5000;
	qhb_pcpu_run(p, 1, &s);
	CHECK(s.r[2] == 0 && s.r[QHB_PCPU_FAULT] == 1);
	CHECK(qhb_pcpu_parse("ld.8f r2, r7, #0", &p[0], &e) == 0);
	CHECK(qhb_pcpu_check(p, 1, &e) < 0 && strstr(e.msg, "no flags"));
}

/* The Vulkan driver (lavapipe) leaks a little at exit; this binary's
 * leaks are not what the sanitizer build should count. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

/* The Vulkan interpreter gives the reference interpreter's states: every
 * op, width, flag mask and operand kind, then random programs.  Skipped
 * (passes) without a Vulkan device. */
static void test_gpu_matches(void)
{
	struct qhb_err e = { 0 };
	struct qhb_vk *vk = qhb_vk_open(&e);
	enum { NS = 512 };
	struct qhb_pcpu_state *cpu = malloc(NS * sizeof(*cpu));
	struct qhb_pcpu_state *gpu = malloc(NS * sizeof(*gpu));
	/* windows of 40 bytes at 16: registers below 70 point in or near */
	static uint8_t cbytes[NS][40], gbytes[NS][40];
	static struct qhb_pcpu_mem cmem[NS], gmem[NS];
	struct qhb_pcpu_insn p[8];
	uint64_t seed = 7;
	int bad = 0;

	if (vk == NULL) {
		printf("# no Vulkan device: %s: skipped\n", e.msg);
		free(cpu);
		free(gpu);
		return;
	}
	for (int k = 0; k < 400 && !bad; k++) {
		size_t n = k < 300 ? 1 : 1 + rng(&seed) % 8;

		for (size_t j = 0; j < n; j++) {
			unsigned op = k < 300 ? (unsigned)(k % QHB_PCPU_NOPS) :
			    (unsigned)(rng(&seed) % QHB_PCPU_NOPS);

			p[j] = mk(op, (unsigned)((k / QHB_PCPU_NOPS + j) % 4),
			    (unsigned)(k % 3 == 0 ? 0 : k % 3 == 1 ? QHB_PCPU_ALLF :
			    rng(&seed) % 64), (unsigned)(rng(&seed) % 5 == 0 ?
			    QHB_PCPU_FLAGS : rng(&seed) % 4), (unsigned)(rng(&seed) % 4),
			    (unsigned)(rng(&seed) % 4));
			/* now and then the registers beyond r31: the
			 * selectors, the environment input, the lanes */
			if (rng(&seed) % 4 == 0)
				p[j].d = (uint8_t)(32 + rng(&seed) % 48);
			if (rng(&seed) % 4 == 0)
				p[j].a = (uint8_t)(32 + rng(&seed) % 48);
			/* pshufb's table is always a register pair */
			if (rng(&seed) % 3 == 0 && op != QHB_PCPU_PSHUFB) {
				p[j].bimm = 1;
				p[j].imm = (int64_t)(rng(&seed) % 2 ? rng(&seed) % 70 :
				    rng(&seed));
			}
		}
		for (int i = 0; i < NS; i++)
			for (int r = 0; r < QHB_PCPU_NREG; r++) {
				uint64_t x = rng(&seed);

				if (i % 4 == 1)
					x %= 70;
				else if (i % 4 == 2)
					x = (x & 1) ? 1ULL << (x % 64) : ~0ULL >> (x % 64);
				cpu[i].r[r] = x;
			}
		memcpy(gpu, cpu, NS * sizeof(*cpu));
		for (int i = 0; i < NS; i++) {
			for (int b = 0; b < 40; b++)
				cbytes[i][b] = (uint8_t)rng(&seed);
			cmem[i] = (struct qhb_pcpu_mem){ 16, i % 8 ? 40 : 36, 0,
			    cbytes[i] };
			gmem[i] = cmem[i];
			gmem[i].bytes = gbytes[i];
		}
		memcpy(gbytes, cbytes, sizeof(gbytes));
		for (int i = 0; i < NS; i++)
			qhb_pcpu_run_mem(p, n, &cpu[i], &cmem[i]);
		if (qhb_learnvk_run(vk, p, n, gpu, gmem, NS, NULL, &e) < 0) {
			unit_fail(__FILE__, __LINE__, "%s", e.msg);
			break;
		}
		for (int i = 0; i < NS && !bad; i++)
			for (int r = 0; r < QHB_PCPU_NREG; r++)
				if (cpu[i].r[r] != gpu[i].r[r]) {
					char t[96];

					qhb_pcpu_format(&p[n - 1], t, sizeof(t));
					unit_fail(__FILE__, __LINE__, "program %d (%zu "
					    "insns, last %s): state %d r%d: cpu %#llx "
					    "gpu %#llx", k, n, t, i, r,
					    (unsigned long long)cpu[i].r[r],
					    (unsigned long long)gpu[i].r[r]);
					bad = 1;
					break;
				}
		for (int i = 0; i < NS && !bad; i++)
			if (cmem[i].fault != gmem[i].fault ||
			    memcmp(cbytes[i], gbytes[i], 40) != 0) {
				unit_fail(__FILE__, __LINE__, "program %d: state %d: "
				    "memory or fault differs (cpu fault %u, gpu %u)",
				    k, i, cmem[i].fault, gmem[i].fault);
				bad = 1;
			}
	}
	free(cpu);
	free(gpu);
	qhb_vk_close(vk);
}

void unit_main(void)
{
	UNIT_RUN(test_flags);
	UNIT_RUN(test_text);
	UNIT_RUN(test_z3_matches);
	UNIT_RUN(test_memory);
	UNIT_RUN(test_gpu_matches);
}
