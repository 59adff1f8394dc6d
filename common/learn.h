/*
 * learn -- the microcode library of qhb-learn: Pixel CPU programs proven
 * equal to x86-64 instruction forms, kept in a JSON file keyed by the xxh3
 * of the normalized form, and the JSON-lines state format of --eval.
 *
 * File format (see qhb-learn(1)):
 *   {"qhb-microcode": 1, "forms": {"<xxh3 hex>": {"form": "add eax, ebx",
 *    "bytes": "01d8", "status": "proven" | "fallback", "microcode":
 *    ["add.32f r0, r0, r3"], "reason": "...", "solver_seconds": 0.001,
 *    "synth_seconds": 0.01, "z3": "4.8.12.0", "model": 4,
 *    "template": "add ecx, edx", "hash": "<xxh3 hex>"}}}
 *
 * "template" names the proven form whose microcode, its registers and
 * constants mapped, was proven for this one (qhb_synth_template); absent
 * when the search found it.  "templates_refuted" counts the templates
 * Z3 refuted for the form before it was learned otherwise.
 *
 * "model" is QHB_LEARN_MODEL when the entry was learned (absent: 1, the
 * register forms only): a fallback of an older model is learned again.
 *
 * A library is data from outside, so a "proven" entry is run only when it
 * passes qhb_learn_entry_runnable: its "hash" (xxh3 of its key, form,
 * bytes, status, microcode and model) matches, its microcode parses and
 * is a valid Pixel CPU program, and it is empty only for a form without
 * effects.  The hash catches edits and corruption, not a forger (anyone
 * can compute it): --verify proves each entry again with Z3.  An entry
 * that fails is loaded "unverified": kept in the file, never run, and
 * counted in struct qhb_learn_lib for the caller to say so.  --verify
 * stamps an entry it proves and demotes one it cannot prove to a
 * fallback ("demoted": true, learned again when next met).
 *
 * struct qhb_learn_lib owns its JSON tree; qhb_learn_lib_close frees it.
 * Nothing here locks: a library (a jansson tree, not thread-safe) is used
 * by one thread at a time; learntrace's workers only synthesize, and the
 * thread that owns the library adds what they found.
 * The file is replaced atomically (a temporary file in the same directory,
 * then rename) by qhb_learn_lib_save.
 */
#ifndef QHB_LEARN_H
#define QHB_LEARN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "pixelcpu.h"
#include "synth.h"
#include "x86sem.h"

/* 2: memory operands, push/pop, rep stos/movs, rip, fs and gs bases;
 * 3: pause, prefetch, cbw..cqo, bt, cmpxchg, fixed lea and push imm;
 * 4: div; 5: addresses as parameters (x86sem.h), keyed without them;
 * 6: the system forms; 7: the vector forms (legacy SSE on xmm);
 * 8: push/pop m64, leave, xadd, bts/btr/btc, bt m by a register,
 * cmpxchg16b, one-operand mul/imul, idiv, tzcnt, lzcnt, popcnt, bsf, bsr.
 * A library of an earlier model tries its fallbacks again */
#define QHB_LEARN_MODEL 8

struct qhb_learn_lib {
	void *root;               /* json_t * */
	void *forms;              /* json_t *, borrowed from root */
	char path[4096];
	int dirty;
	/* "proven" entries that failed their checks on parse, and what the
	 * first of them was (form and reason) */
	size_t unverified;
	char unverified_first[256];
	/* json_t *: shape (qhb_synth_shape) -> keys of the proven entries of
	 * that shape, built when first asked (qhb_learn_templates) and kept
	 * up to date by qhb_learn_add; NULL until then */
	void *shapes;
};

/* The format versions this library reads ("qhb-microcode"). */
#define QHB_LEARN_FORMAT 1

struct qhb_learn_entry {
	int proven;               /* "proven" and passes every check: ask
	                           * qhb_learn_entry_runnable */
	int unverified;           /* "proven" in the file, but fails a check
	                           * (reason says which): never run */
	int demoted;              /* a fallback that --verify demoted */
	/* prog: the microcode for the form asked (qhb_learn_get binds the
	 * template to its parameters: what runs); tmpl: as the library
	 * holds it, naming parameters as #P0, #P1 */
	struct qhb_pcpu_insn prog[QHB_PCPU_MAXPROG];
	struct qhb_pcpu_insn tmpl[QHB_PCPU_MAXPROG];
	unsigned n;
	char form[96];
	char reason[128];
	char tmpl_from[96];       /* "template": the form its microcode was
	                           * mapped from (else empty) */
	double solver_seconds, synth_seconds;
};

/*
 * Functions used to open, parse and save a library.  Each returns 0, or -1
 * with e (the library is then left as it was).
 */
/* Opens path; a missing file is an empty library. */
int qhb_learn_lib_open(struct qhb_learn_lib *l, const char *path,
    struct qhb_err *e);
/* Parses a library from memory (what open does after reading the file). */
int qhb_learn_lib_parse(struct qhb_learn_lib *l, const char *buf, size_t n,
    struct qhb_err *e);
int qhb_learn_lib_save(struct qhb_learn_lib *l, struct qhb_err *e);
void qhb_learn_lib_close(struct qhb_learn_lib *l);
size_t qhb_learn_lib_count(const struct qhb_learn_lib *l);

/*
 * Functions used to learn and look up forms.
 */
/* 1 when en's microcode may run (proven and passing the checks above);
 * 0 when not, with e (may be NULL) saying why.  Whatever runs microcode
 * asks this. */
int qhb_learn_entry_runnable(const struct qhb_learn_entry *en,
    struct qhb_err *e);
/* The library key of a form: 16 hex digits of xxh3_64 of its key text
 * (its text with its parameters as P0, P1: x86sem.h), so that one entry
 * serves every instance of a form. */
void qhb_learn_key(const struct qhb_x86sem_form *f, char key[17]);
/* Binds en's template to the parameters of f (an instance of en's form)
 * into en->prog.  Returns 0, or -1 with e when the template names a
 * parameter f lacks (en->prog then unspecified). */
int qhb_learn_entry_bind(struct qhb_learn_entry *en,
    const struct qhb_x86sem_form *f, struct qhb_err *e);
/* 1 and *out filled when the library holds f (out->prog bound to f's
 * parameters), 0 when not, -1 with e when the entry is malformed. */
int qhb_learn_get(struct qhb_learn_lib *l, const struct qhb_x86sem_form *f,
    struct qhb_learn_entry *out, struct qhb_err *e);
/* Looks f up, or synthesizes and adds it (*learned = 1); an unverified
 * entry is kept as it is, a demoted one learned again.  Returns 0 with
 * *out filled (proven, unverified or a fallback with its reason), or -1
 * with e.  The same as qhb_learn_wants, qhb_learn_templates,
 * qhb_learn_synth, qhb_learn_add. */
int qhb_learn_form(struct qhb_learn_lib *l, const struct qhb_x86sem_form *f,
    const struct qhb_synth_opts *o, struct qhb_learn_entry *out,
    int *learned, struct qhb_err *e);
/* What qhb_learn_form does around the synthesis, apart so that the
 * synthesis may run on another thread (qhb_synth_form touches no
 * library).  qhb_learn_wants: 1 when f is to be synthesized (not in the
 * library, a fallback of an older model, or demoted), 0 with *out filled
 * when the library's entry stands, -1 with e (malformed).  qhb_learn_add:
 * adds r, synthesized for f, as f's entry (replacing what was there).
 * Returns 0 with *out filled, or -1 with e when out of memory. */
int qhb_learn_wants(struct qhb_learn_lib *l, const struct qhb_x86sem_form *f,
    struct qhb_learn_entry *out, struct qhb_err *e);
int qhb_learn_add(struct qhb_learn_lib *l, const struct qhb_x86sem_form *f,
    const struct qhb_synth_result *r, struct qhb_learn_entry *out,
    struct qhb_err *e);
/* Templates for f (synth.h): up to max proven entries of l of f's shape,
 * f's own key left out, in the order they were added, into t[]; *n of
 * them.  The first call indexes the library by shape (one pass), so each
 * call after it is a hash lookup.  Returns 0, or -1 with e when out of
 * memory or an entry is malformed. */
int qhb_learn_templates(struct qhb_learn_lib *l,
    const struct qhb_x86sem_form *f, struct qhb_synth_tmpl *t, unsigned max,
    unsigned *n, struct qhb_err *e);
/* The templates qhb_learn_form tries for a form before the search. */
#define QHB_LEARN_TEMPLATES 2
/* What qhb_learn_form does for a form the library wants: each template
 * of t (n of them) until one is proven, else qhb_synth_form.  Touches no
 * library (a worker's).  Returns 0 with r filled, or -1 with e. */
int qhb_learn_synth(const struct qhb_x86sem_form *f,
    const struct qhb_synth_tmpl *t, unsigned n,
    const struct qhb_synth_opts *o, struct qhb_synth_result *r,
    struct qhb_err *e);
/* Writes what --learn prints of a form: one JSON line {"form", "key",
 * "status" ("proven", "fallback" or "unverified"), "learned",
 * "microcode", "solver_seconds", "synth_seconds" and, unless proven,
 * "reason"}, every string escaped.  Returns 0, or
 * -1 when out of memory or on a write error. */
int qhb_learn_entry_write(FILE *out, const struct qhb_x86sem_form *f,
    const struct qhb_learn_entry *en, int learned);
/* Proves every "proven" entry again, unverified ones included.  cb (may
 * be NULL) hears of each one: ok 1 proven again (and stamped with its
 * hash), 0 refuted, -1 Z3 gave up (its timeout); an entry not proven is
 * demoted to a fallback, reason "refuted by --verify" or "Z3 gave up in
 * --verify".  Counts into *total and *bad; l->dirty says whether the
 * library changed.  Returns 0, or -1 with e for a malformed entry or a
 * Z3 failure. */
int qhb_learn_verify(struct qhb_learn_lib *l, unsigned timeout_ms,
    void (*cb)(void *arg, const char *key, const char *form, int ok,
    double secs), void *arg, unsigned *total, unsigned *bad,
    struct qhb_err *e);

/*
 * Functions used for states as JSON lines: {"rax": "0x1", ..., "rflags":
 * "0x202"}; missing keys are 0.  Also "fs_base", "gs_base", "rip" (the
 * address of the next instruction), and a memory window: "mem_base" and
 * "mem", its bytes in hex (at most QHB_LEARN_MAXMEM); the output then
 * adds the window after the run and "fault": true when an access fell
 * outside it.  "exception": true says the fault register r28 is set
 * (x86's #DE, #GP or #UD, or a result x86 leaves undefined); the other
 * values are then not x86's.
 */
#define QHB_LEARN_MAXMEM 65536

/* Parses one line into s and m (m->bytes malloc'ed when the line has a
 * window, else NULL; the caller frees it).  Returns 0, or -1 with e and
 * nothing allocated. */
int qhb_learn_state_parse(const char *line, struct qhb_pcpu_state *s,
    struct qhb_pcpu_mem *m, struct qhb_err *e);
/* Writes a state (and m's window when m->bytes) as one JSON line.
 * Returns 0, or -1 when out of memory or on a write error. */
int qhb_learn_state_write(FILE *out, const struct qhb_pcpu_state *s,
    const struct qhb_pcpu_mem *m);
/* The same for n states (and their windows, when m is not NULL). */
int qhb_learn_states_write(FILE *out, const struct qhb_pcpu_state *s,
    const struct qhb_pcpu_mem *m, size_t n);
/* Runs en's microcode on every state line of in, writes the results to
 * out.  Returns 0, or -1 with e (the line number in e->off; nothing run
 * when en is not runnable). */
int qhb_learn_eval(FILE *in, FILE *out, const struct qhb_learn_entry *en,
    struct qhb_err *e);

/* Reads every state line of in into *states and *mems (malloc'ed, the
 * caller frees both and each window's bytes), *count of them.  Returns 0,
 * or -1 with e (nothing allocated). */
int qhb_learn_states_read(FILE *in, struct qhb_pcpu_state **states,
    struct qhb_pcpu_mem **mems, size_t *count, struct qhb_err *e);
/* Fills n states with pseudo-random registers (a fixed sequence). */
void qhb_learn_states_random(struct qhb_pcpu_state *s, size_t n);

/* Runs en's microcode on nstates pseudo-random states (in memory, one
 * core) and returns Pixel CPU instructions per second in *ips.  Returns
 * 0, or -1 with e when out of memory or en is not runnable. */
int qhb_learn_bench(const struct qhb_learn_entry *en, size_t nstates,
    double *ips, struct qhb_err *e);

#endif
