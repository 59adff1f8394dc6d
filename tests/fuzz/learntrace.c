/*
 * libFuzzer target for qhb-learn's work on traces (common/learntrace):
 * any bytes, read as a trace as qhb-trace's target reads them (a stream of
 * trace frames, or one frame's payload of records), must give their forms
 * and a coverage report by a library without a crash, a hang or a leak.
 * The forms are walked as --learn walks them (hot blocks, distinct forms,
 * exits left out), stopping early too; synthesis itself (Z3) is not run
 * here.  The report's library is the one below: demo-boot forms, most
 * proven (each entry's hash stamped by qhb-learn --verify, so that they
 * count as covered), one a fallback, the rest of a trace not learned.  Seeds in
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
    "{\"forms\":{\"006a4d3c27df757a\":{\"bytes\":\"0f01cb\",\"form\":\"st"
    "ac\",\"microcode\":[],\"model\":4,\"reason\":\"mnemonic not modelled"
    "\",\"status\":\"fallback\"},\"027a21ded34479de\":{\"bytes\":\"488972"
    "f8\",\"form\":\"mov [rdx-0x08], rsi\",\"hash\":\"287b23c1de44ea42\","
    "\"microcode\":[\"mov.64 r18, r6, r6\",\"st.64 r2, r18, #-8\"],\"mode"
    "l\":4,\"status\":\"proven\"},\"02866bda3cb2d182\":{\"bytes\":\"4883c"
    "208\",\"form\":\"add rdx, 0x08\",\"hash\":\"79eeb826eaad88c6\",\"mic"
    "rocode\":[\"add.64f r2, r2, #8\"],\"model\":4,\"status\":\"proven\"}"
    ",\"03675b8af2712721\":{\"bytes\":\"4d0fafe9\",\"form\":\"imul r13, r"
    "9\",\"hash\":\"c5e115fa911ef2bc\",\"microcode\":[\"mul.64f r13, r9, "
    "r13\"],\"model\":4,\"status\":\"proven\"},\"0de9df1e8ac413e9\":{\"by"
    "tes\":\"490fafc0\",\"form\":\"imul rax, r8\",\"hash\":\"2330881b4611"
    "1843\",\"microcode\":[\"mul.64f r0, r0, r8\"],\"model\":4,\"status\""
    ":\"proven\"},\"0e29d69be5e84d8a\":{\"bytes\":\"4963c0\",\"form\":\"m"
    "ovsxd rax, r8d\",\"hash\":\"e05f2767dd0322d4\",\"microcode\":[\"sext"
    ".32 r0, r8, r8\"],\"model\":4,\"status\":\"proven\"},\"1276ec4a364d1"
    "462\":{\"bytes\":\"f681809871a907\",\"form\":\"test byte ptr [rcx-0x"
    "568E6780], 0x07\",\"hash\":\"fa15d8afddad9b30\",\"microcode\":[\"ld."
    "8 r18, r1, #-1452173184\",\"and.8f r17, r18, #7\"],\"model\":4,\"sta"
    "tus\":\"proven\"},\"1299298a57975f4f\":{\"bytes\":\"488d3cc500000000"
    "\",\"form\":\"lea rdi, [rax*8]\",\"hash\":\"027f6274140ebf65\",\"mic"
    "rocode\":[\"shl.64 r7, r0, #3\"],\"model\":4,\"status\":\"proven\"},"
    "\"133ac7b4b4b32b0c\":{\"bytes\":\"488907\",\"form\":\"mov [rdi], rax"
    "\",\"hash\":\"7eaaa679954d1a05\",\"microcode\":[\"mov.64 r18, r0, r0"
    "\",\"st.64 r7, r18, #0\"],\"model\":4,\"status\":\"proven\"},\"13eb3"
    "f199098a6b4\":{\"bytes\":\"490f43d6\",\"form\":\"cmovnb rdx, r14\","
    "\"hash\":\"e8737a311a53d5df\",\"microcode\":[\"cc.8 r17, r0, #3\",\""
    "sel.64 r2, r14, r17\"],\"model\":4,\"status\":\"proven\"},\"16434cc9"
    "1f0c1a4e\":{\"bytes\":\"4d0fafe8\",\"form\":\"imul r13, r8\",\"hash"
    "\":\"98be8e7ee9e13889\",\"microcode\":[\"mul.64f r13, r8, r13\"],\"m"
    "odel\":4,\"status\":\"proven\"},\"19b70d3f7a316337\":{\"bytes\":\"4d"
    "8904f9\",\"form\":\"mov [r9+rdi*8], r8\",\"hash\":\"3744bac8fbd0c3a6"
    "\",\"microcode\":[\"shl.64 r19, r7, #3\",\"add.64 r19, r19, r9\",\"m"
    "ov.64 r18, r8, r8\",\"st.64 r19, r18, #0\"],\"model\":4,\"status\":"
    "\"proven\"},\"1b1a3898547e0fdd\":{\"bytes\":\"490fafca\",\"form\":\""
    "imul rcx, r10\",\"hash\":\"a3b45fe0aa1d0447\",\"microcode\":[\"mul.6"
    "4f r1, r1, r10\"],\"model\":4,\"status\":\"proven\"}},\"qhb-microcod"
    "e\":1}";

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
