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
	static const struct { const char *text; uint8_t b[8]; size_t n; } t[] = {
		{ "add eax, ebx", { 0x01, 0xd8 }, 2 },
		{ "add ax, bx", { 0x66, 0x01, 0xd8 }, 3 },
		{ "inc eax", { 0xff, 0xc0 }, 2 },
		{ "cmp rax, rbx", { 0x48, 0x39, 0xd8 }, 3 },
		{ "setz al", { 0x0f, 0x94, 0xc0 }, 3 },
		{ "sar eax, cl", { 0xd3, 0xf8 }, 2 },
		{ "nop", { 0x90 }, 1 },
	};
	struct qhb_synth_result r;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECKF(learn(t[i].text, t[i].b, t[i].n, &r) == 0, "%s", t[i].text);
		CHECKF(r.status == QHB_SYNTH_PROVEN, "%s: %s", t[i].text,
		    r.reason);
	}
	/* memory forms fall back, with the reason */
	CHECK(learn("mov rax, [rbx]", (const uint8_t *)"\x48\x8b\x03", 3, &r) == 0);
	CHECK(r.status == QHB_SYNTH_FAILED && strstr(r.reason, "memory"));
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
	CHECK(!proven);
	CHECK(qhb_pcpu_parse("add.32f r0, r0, r3", &p, &e) == 0);
	CHECK(qhb_synth_prove(&f, &p, 1, 10000, &proven, &secs, &e) == 0);
	CHECK(proven);
	/* 64-bit add does not zero-extend like the 32-bit form */
	CHECK(qhb_pcpu_parse("add.64f r0, r0, r3", &p, &e) == 0);
	CHECK(qhb_synth_prove(&f, &p, 1, 10000, &proven, &secs, &e) == 0);
	CHECK(!proven);
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
	CHECK(qhb_learn_lib_parse(&l, BAD, strlen(BAD), &e) < 0);
	CHECK(strstr(e.msg, "unknown op") != NULL);
	qhb_learn_lib_close(&l);
}

void unit_main(void)
{
	UNIT_RUN(test_forms);
	UNIT_RUN(test_refute);
	UNIT_RUN(test_library);
}
