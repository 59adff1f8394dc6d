/* Unit tests of common/x86sem, common/synth and common/learn: a handful of
 * forms synthesized and proven (flags, partial registers, conditions), a
 * wrong program refuted, fallbacks with reasons, and the library's round
 * trip and parse errors. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "learn.h"
#include "synth.h"
#include "unit.h"
#include "x86sem.h"

static int learn(const char *text, const uint8_t *b, size_t n,
    struct qhb_synth_result *r)
{
	struct qhb_x86sem_form f;
	struct qhb_synth_opts o;
	struct qhb_err e = { 0 };

	if (qhb_x86sem_decode(b, n, &f, &e) < 0 || strcmp(f.text, text) != 0)
		return -1;
	qhb_synth_opts_init(&o);
	o.budget = 20000000;
	return qhb_synth_form(&f, &o, r, &e);
}

static void test_forms(void)
{
	static const struct { const char *text; uint8_t b[16]; size_t n; } t[] = {
		{ "add eax, ebx", { 0x01, 0xd8 }, 2 },
		{ "add ax, bx", { 0x66, 0x01, 0xd8 }, 3 },
		{ "inc eax", { 0xff, 0xc0 }, 2 },
		{ "cmp rax, rbx", { 0x48, 0x39, 0xd8 }, 3 },
		{ "setz al", { 0x0f, 0x94, 0xc0 }, 3 },
		{ "sar eax, cl", { 0xd3, 0xf8 }, 2 },
		{ "nop", { 0x90 }, 1 },
		{ "mov rax, [rbx]", { 0x48, 0x8b, 0x03 }, 3 },
		{ "add [rax], rbx", { 0x48, 0x01, 0x18 }, 3 },
		{ "mov rcx, [rbx+rax*8]", { 0x48, 0x8b, 0x0c, 0xc3 }, 4 },
		{ "push rbx", { 0x53 }, 1 },
		{ "pop rbx", { 0x5b }, 1 },
		{ "rep stosb", { 0xf3, 0xaa }, 2 },
		{ "rep movsq", { 0xf3, 0x48, 0xa5 }, 3 },
		{ "mov rax, gs:[0x0000000000000010]", { 0x65, 0x48, 0x8b, 0x04,
		    0x25, 0x10, 0x00, 0x00, 0x00 }, 9 },
		{ "cdqe", { 0x48, 0x98 }, 2 },
		{ "pause", { 0xf3, 0x90 }, 2 },
		{ "div rcx", { 0x48, 0xf7, 0xf1 }, 3 },
		{ "div cl", { 0xf6, 0xf1 }, 2 },
		{ "div [rsp+0x20]", { 0x48, 0xf7, 0x74, 0x24, 0x20 }, 5 },
	};
	struct qhb_synth_result r;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECKF(learn(t[i].text, t[i].b, t[i].n, &r) == 0, "%s", t[i].text);
		CHECKF(r.status == QHB_SYNTH_PROVEN, "%s: %s", t[i].text,
		    r.reason);
	}
	/* cpuid's answers are not in the state: a fallback, with the
	 * reason; so is a signed divide of 8 bits */
	CHECK(learn("cpuid", (const uint8_t *)"\x0f\xa2", 2, &r) == 0);
	CHECK(r.status == QHB_SYNTH_FAILED && strstr(r.reason, "not modelled"));
	CHECK(learn("idiv cl", (const uint8_t *)"\xf6\xf9", 2, &r) == 0);
	CHECK(r.status == QHB_SYNTH_FAILED && strstr(r.reason, "divide"));
}

/* A store one byte off is not mov [rdi], eax: memory is compared. */
static void test_refute_memory(void)
{
	struct qhb_x86sem_form f;
	struct qhb_pcpu_insn p[2];
	struct qhb_err e = { 0 };
	double secs;
	int proven;

	CHECK(qhb_x86sem_decode("\x89\x07", 2, &f, &e) == 0);
	CHECK(qhb_pcpu_parse("mov.32 r18, r0, r0", &p[0], &e) == 0);
	CHECK(qhb_pcpu_parse("st.32 r7, r18, #1", &p[1], &e) == 0);
	CHECK(qhb_synth_prove(&f, p, 2, 20000, &proven, &secs, &e) == 0);
	CHECK(proven == 0);
	CHECK(qhb_pcpu_parse("st.16 r7, r18, #0", &p[1], &e) == 0);
	CHECK(qhb_synth_prove(&f, p, 2, 20000, &proven, &secs, &e) == 0);
	CHECK(proven == 0);
	CHECK(qhb_pcpu_parse("st.32 r7, r18, #0", &p[1], &e) == 0);
	CHECK(qhb_synth_prove(&f, p, 2, 20000, &proven, &secs, &e) == 0);
	CHECK(proven == 1);
	/* div: its program proven; the quotient and the remainder swapped
	 * refuted, and so is a program that never flags #DE */
	{
		struct qhb_pcpu_insn q[6];
		static const char *const prog[6] = { "mov.64 r20, r2, r2",
		    "divu.64 r20, r0, r1", "mov.64 r21, r2, r2",
		    "remu.64 r21, r0, r1", "mov.64 r0, r20, r20",
		    "mov.64 r2, r21, r21" };

		CHECK(qhb_x86sem_decode("\x48\xf7\xf1", 3, &f, &e) == 0);
		for (int i = 0; i < 6; i++)
			CHECK(qhb_pcpu_parse(prog[i], &q[i], &e) == 0);
		CHECK(qhb_synth_prove(&f, q, 6, 20000, &proven, &secs, &e) == 0);
		CHECK(proven == 1);
		CHECK(qhb_pcpu_parse("mov.64 r0, r21, r21", &q[4], &e) == 0);
		CHECK(qhb_synth_prove(&f, q, 6, 20000, &proven, &secs, &e) == 0);
		CHECK(proven == 0);
		CHECK(qhb_pcpu_parse("mov.64 r0, r20, r20", &q[4], &e) == 0);
		/* no fault raised: the quotient taken as rax */
		CHECK(qhb_pcpu_parse("mov.64 r20, r0, r0", &q[1], &e) == 0);
		CHECK(qhb_synth_prove(&f, q, 6, 20000, &proven, &secs, &e) == 0);
		CHECK(proven == 0);
	}
	/* no empty program is a mov or a lea */
	CHECK(qhb_x86sem_decode("\x89\xd8", 2, &f, &e) == 0);
	CHECK(qhb_synth_prove(&f, p, 0, 20000, &proven, &secs, &e) == 0);
	CHECK(proven == 0);
	CHECK(qhb_x86sem_decode("\x48\x8d\x44\xcb\x10", 5, &f, &e) == 0);
	CHECK(qhb_synth_prove(&f, p, 0, 20000, &proven, &secs, &e) == 0);
	CHECK(proven == 0);
}

/* A program without the flags is not add eax, ebx; the right one is. */
static void test_refute(void)
{
	struct qhb_x86sem_form f;
	struct qhb_pcpu_insn p;
	struct qhb_err e = { 0 };
	double secs;
	int proven;

	CHECK(qhb_x86sem_decode("\x01\xd8", 2, &f, &e) == 0);
	CHECK(qhb_pcpu_parse("add.32 r0, r0, r3", &p, &e) == 0);
	CHECK(qhb_synth_prove(&f, &p, 1, 10000, &proven, &secs, &e) == 0);
	CHECK(proven == 0);
	CHECK(qhb_pcpu_parse("add.32f r0, r0, r3", &p, &e) == 0);
	CHECK(qhb_synth_prove(&f, &p, 1, 10000, &proven, &secs, &e) == 0);
	CHECK(proven == 1);
	/* 64-bit add does not zero-extend like the 32-bit form */
	CHECK(qhb_pcpu_parse("add.64f r0, r0, r3", &p, &e) == 0);
	CHECK(qhb_synth_prove(&f, &p, 1, 10000, &proven, &secs, &e) == 0);
	CHECK(proven == 0);
}

/* An address in a form is a parameter: instances meet in one key, the
 * template is proven for every value, and microcode that hard-codes one
 * instance's address is refuted (the proof is not blind to it). */
static void test_params(void)
{
	struct qhb_x86sem_form f, g;
	struct qhb_synth_result r;
	struct qhb_pcpu_insn p[2];
	struct qhb_err e = { 0 };
	int64_t v[QHB_X86SEM_NPARAM] = { -0x7e000000 };
	uint8_t b[16];
	double secs;
	int proven, named = 0;

	CHECK(qhb_x86sem_decode("\x48\x8b\x05\x78\xb4\x1b\x00", 7, &f,
	    &e) == 0);
	CHECK(strcmp(f.text, "mov rax, [rip+0x1BB478]") == 0);
	CHECK(strcmp(f.key, "mov rax, [rip+P0]") == 0);
	CHECK(f.nparam == 1 && f.disp_param == 0 && f.param[0] == 0x1bb478);
	CHECK(qhb_x86sem_set_params(&f, v, b, &e) == 0);
	CHECK(qhb_x86sem_decode(b, f.len, &g, &e) == 0);
	CHECK(strcmp(g.key, f.key) == 0 && g.param[0] == -0x7e000000);
	v[0] = 1LL << 40;
	CHECK(qhb_x86sem_set_params(&f, v, b, &e) < 0);
	/* a kernel address as a displacement and as a 64-bit immediate;
	 * a small negative offset stays a constant */
	CHECK(qhb_x86sem_decode("\xf6\x81\x7f\x98\x31\xb2\x07", 7, &g,
	    &e) == 0);
	CHECK(strcmp(g.key, "test byte ptr [rcx+P0], 0x07") == 0);
	CHECK(qhb_x86sem_decode("\x48\xc7\xc7\x00\xc0\xa3\x82", 7, &g,
	    &e) == 0);
	CHECK(strcmp(g.key, "mov rdi, P0") == 0 && g.imm_param == 0);
	CHECK(qhb_x86sem_decode("\x48\x8b\x45\xf8", 4, &g, &e) == 0);
	CHECK(g.nparam == 0 && strcmp(g.key, g.text) == 0);
	/* synthesized: a template that names P0 */
	CHECK(learn("mov rax, [rip+0x1BB478]", f.bytes, f.len, &r) == 0);
	CHECK(r.status == QHB_SYNTH_PROVEN);
	for (unsigned i = 0; i < r.n; i++)
		named |= r.prog[i].bimm == 2;
	CHECK(named);
	/* the template holds; the load right for this instance only is
	 * refuted */
	CHECK(qhb_pcpu_parse("mov.64 r0, r18, r18", &p[1], &e) == 0);
	for (int i = 0; i < 2; i++) {
		CHECK(qhb_pcpu_parse(i ? "ld.64 r18, r31, #1815672" :
		    "ld.64 r18, r31, #P0", &p[0], &e) == 0);
		CHECK(qhb_synth_prove(&f, p, 2, 20000, &proven, &secs,
		    &e) == 0 && proven == !i);
	}
}

static void test_library(void)
{
	char path[] = "/tmp/qhb-unit-lib.XXXXXX";
	struct qhb_learn_lib l;
	struct qhb_learn_entry en;
	struct qhb_x86sem_form f;
	struct qhb_synth_opts o;
	struct qhb_err e = { 0 };
	unsigned total, bad;
	int fd = mkstemp(path), learned;

	CHECK(fd >= 0);
	close(fd);
	unlink(path);
	qhb_synth_opts_init(&o);
	CHECK(qhb_learn_lib_open(&l, path, &e) == 0);
	CHECK(qhb_x86sem_decode("\x48\x01\xd8", 3, &f, &e) == 0);
	CHECK(qhb_learn_form(&l, &f, &o, &en, &learned, &e) == 0);
	CHECK(learned && en.proven && en.n == 1);
	CHECK(qhb_learn_lib_save(&l, &e) == 0);
	qhb_learn_lib_close(&l);
	CHECK(qhb_learn_lib_open(&l, path, &e) == 0);
	CHECK(qhb_learn_lib_count(&l) == 1);
	CHECK(qhb_learn_form(&l, &f, &o, &en, &learned, &e) == 0);
	CHECK(!learned && en.proven);
	CHECK(qhb_learn_verify(&l, 10000, NULL, NULL, &total, &bad, &e) == 0);
	CHECK(total == 1 && bad == 0);
	qhb_learn_lib_close(&l);
	unlink(path);
	memset(&l, 0, sizeof(l));
	CHECK(qhb_learn_lib_parse(&l, "{", 1, &e) < 0);
	CHECK(qhb_learn_lib_parse(&l, "[]", 2, &e) < 0);
#define BAD "{\"qhb-microcode\":1,\"forms\":{\"k\":{\"form\":\"x\"," \
	"\"status\":\"proven\",\"microcode\":[\"frob.8 r0, r0, r0\"]}}}"
	/* an entry without a hash is read, but not run (tests/unit/learn.c) */
	CHECK(qhb_learn_lib_parse(&l, BAD, strlen(BAD), &e) == 0);
	CHECK(l.unverified == 1);
	qhb_learn_lib_close(&l);
}

/* Exits, and which of them are indirect (their target is data). */
static void test_exits(void)
{
	static const struct { const char *hex; int exit, indirect; } t[] = {
		{ "c3", 1, 1 },                 /* ret */
		{ "ffe0", 1, 1 },               /* jmp rax */
		{ "ff2500000000", 1, 1 },       /* jmp [rip+0] */
		{ "ffd3", 1, 1 },               /* call rbx */
		{ "e800000000", 1, 0 },         /* call rel32 */
		{ "eb00", 1, 0 },               /* jmp rel8 */
		{ "7400", 1, 0 },               /* jz rel8 */
		{ "0f05", 1, 0 },               /* syscall */
		{ "01d8", 0, 0 },               /* add eax, ebx */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t b[16];
		size_t n = strlen(t[i].hex) / 2;

		for (size_t k = 0; k < n; k++)
			b[k] = (uint8_t)strtoul((char[]){ t[i].hex[2 * k],
			    t[i].hex[2 * k + 1], 0 }, NULL, 16);
		CHECK(qhb_x86sem_is_exit(b, n) == t[i].exit);
		CHECK(qhb_x86sem_is_indirect_exit(b, n) == t[i].indirect);
	}
	CHECK(qhb_x86sem_is_indirect_exit((const uint8_t *)"\xff", 1) == -1);
}

void unit_main(void)
{
	UNIT_RUN(test_exits);
	UNIT_RUN(test_forms);
	UNIT_RUN(test_refute);
	UNIT_RUN(test_refute_memory);
	UNIT_RUN(test_params);
	UNIT_RUN(test_library);
}
