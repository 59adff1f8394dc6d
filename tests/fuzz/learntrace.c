/*
 * libFuzzer target for qhb-learn's work on traces (common/learntrace):
 * any bytes, read as a trace as qhb-trace's target reads them (a stream of
 * trace frames, or one frame's payload of records), must give their forms
 * and a coverage report by a library without a crash, a hang or a leak.
 * The forms are walked as --learn walks them (hot blocks, distinct forms,
 * exits left out), stopping early too; synthesis itself (Z3) is not run
 * here.  The report's library is the one below: demo-boot forms, most
 * proven, one a fallback, the rest of a trace not learned.  Seeds in
 * tests/fuzz/learntrace/: the TB and count records of the 24 and the 160
 * blocks a traced demo boot ran most, as payloads and as streams.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "learntrace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char library[] =
    "{\"qhb-microcode\":1,\"forms\":{\"027a21ded34479de\":{\"form\":\"mov [rdx"
    "-0x08], rsi\",\"bytes\":\"488972f8\",\"status\":\"proven\",\"microcode\":[\""
    "mov.64 r18, r6, r6\",\"st.64 r2, r18, #-8\"],\"model\":4},"
    "\"02866bda3cb2d182\":{\"form\":\"add rdx, 0x08\",\"bytes\":\"4883c208\",\"s"
    "tatus\":\"proven\",\"microcode\":[\"add.64f r2, r2, #8\"],\"model\":4},"
    "\"03675b8af2712721\":{\"form\":\"imul r13, r9\",\"bytes\":\"4d0fafe9\",\"st"
    "atus\":\"proven\",\"microcode\":[\"mul.64f r13, r9, r13\"],\"model\":4},"
    "\"0de9df1e8ac413e9\":{\"form\":\"imul rax, r8\",\"bytes\":\"490fafc0\",\"st"
    "atus\":\"proven\",\"microcode\":[\"mul.64f r0, r0, r8\"],\"model\":4},"
    "\"0e29d69be5e84d8a\":{\"form\":\"movsxd rax, r8d\",\"bytes\":\"4963c0\",\"s"
    "tatus\":\"proven\",\"microcode\":[\"sext.32 r0, r8, r8\"],\"model\":4},"
    "\"1276ec4a364d1462\":{\"form\":\"test byte ptr [rcx-0x568E6780], 0x07"
    "\",\"bytes\":\"f681809871a907\",\"status\":\"proven\",\"microcode\":[\"ld.8 "
    "r18, r1, #-1452173184\",\"and.8f r17, r18, #7\"],\"model\":4},"
    "\"1299298a57975f4f\":{\"form\":\"lea rdi, [rax*8]\",\"bytes\":\"488d3cc50"
    "0000000\",\"status\":\"proven\",\"microcode\":[\"shl.64 r7, r0, #3\"],\"mo"
    "del\":4},"
    "\"133ac7b4b4b32b0c\":{\"form\":\"mov [rdi], rax\",\"bytes\":\"488907\",\"st"
    "atus\":\"proven\",\"microcode\":[\"mov.64 r18, r0, r0\",\"st.64 r7, r18,"
    " #0\"],\"model\":4},"
    "\"13eb3f199098a6b4\":{\"form\":\"cmovnb rdx, r14\",\"bytes\":\"490f43d6\","
    "\"status\":\"proven\",\"microcode\":[\"cc.8 r17, r0, #3\",\"sel.64 r2, r1"
    "4, r17\"],\"model\":4},"
    "\"16434cc91f0c1a4e\":{\"form\":\"imul r13, r8\",\"bytes\":\"4d0fafe8\",\"st"
    "atus\":\"proven\",\"microcode\":[\"mul.64f r13, r8, r13\"],\"model\":4},"
    "\"19b70d3f7a316337\":{\"form\":\"mov [r9+rdi*8], r8\",\"bytes\":\"4d8904f"
    "9\",\"status\":\"proven\",\"microcode\":[\"shl.64 r19, r7, #3\",\"add.64 r"
    "19, r19, r9\",\"mov.64 r18, r8, r8\",\"st.64 r19, r18, #0\"],\"model\":"
    "4},"
    "\"1b1a3898547e0fdd\":{\"form\":\"imul rcx, r10\",\"bytes\":\"490fafca\",\"s"
    "tatus\":\"proven\",\"microcode\":[\"mul.64f r1, r1, r10\"],\"model\":4},"
    "\"006a4d3c27df757a\":{\"form\":\"stac\",\"bytes\":\"0f01cb\",\"status\":\"fal"
    "lback\",\"microcode\":[],\"model\":4,\"reason\":\"mnemonic not modelled\""
    "}}}";

struct walk {
	uint64_t forms, stop;
};

/* Counts a form; nonzero (which ends the walk) at the stop'th. */
static int count(const struct qhb_x86sem_form *f, void *arg)
{
	struct walk *w = arg;

	if (f->text[0] == '\0' || memchr(f->text, 0, sizeof(f->text)) == NULL)
		abort();
	return ++w->forms == w->stop;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct qhb_learntrace_opts o = { .hot = 1, .top = 5 };
	struct qhb_trace t = { 0 };
	struct qhb_learn_lib l;
	struct qhb_err e = { 0 };
	struct walk w = { 0 }, w2;
	uint64_t hot = 0;

	if (null == NULL && (null = fopen("/dev/null", "w")) == NULL)
		abort();
	memset(&l, 0, sizeof(l));
	/* a library that no longer parses (a stricter loader) leaves an
	 * empty one: every form is then "not learned" */
	if (qhb_learn_lib_parse(&l, library, sizeof(library) - 1, &e) < 0)
		memset(&l, 0, sizeof(l));
	fuzz_trace(data, size, &t);
	if (qhb_learntrace_forms(&t, 1, count, &w, &hot, &e) < 0 ||
	    hot > t.nblocks)
		abort();
	w2 = (struct walk){ .stop = w.forms / 2 + 1 };
	if (qhb_learntrace_forms(&t, 0, count, &w2, NULL, &e) !=
	    (w2.forms == w2.stop))
		abort();
	qhb_learntrace_report(&l, &t, &o, null, &e);
	o.top = 0;
	qhb_learntrace_report(&l, &t, &o, null, &e);
	qhb_learn_lib_close(&l);
	qhb_trace_release(&t);
	return 0;
}
