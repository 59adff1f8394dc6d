/*
 * synth -- synthesis of Pixel CPU microcode for one x86-64 instruction form
 * with Z3, and its proof.
 *
 * Counterexample-guided: an enumerative search, shortest programs first,
 * over sequences of Pixel CPU instructions whose operands come from the
 * form (its registers, a scratch register, its constants and widths, the
 * flags it may write), pruned by observational equivalence on the test
 * states; a sequence that matches the x86 semantics on every test state
 * goes to Z3, which either proves that it matches for all inputs (the
 * negation is unsat: all 16 registers, rflags outside the six arithmetic
 * flags, and each of those flags wherever x86 defines it) or returns an
 * input where it does not, which becomes a new test state.  Each length
 * is searched on its own, its last instruction only among those that
 * write the one register still wrong; within a length the candidates
 * whose op does what the form's mnemonic does come first; the form's
 * high-byte registers (ah..bh) are extracted into registers of their own
 * before the search, and the plain search follows when that finds
 * nothing.
 *
 * Templates: a form of the same shape as a proven one (qhb_synth_shape)
 * is first tried with that one's program, its registers and constants
 * mapped; Z3 proves the result as it proves what the search finds, or
 * refutes it.
 *
 * A form with a memory operand is searched with the operand seen as the
 * register QHB_X86SEM_MEMREG; the sequence found is then wrapped in the
 * address computation, a load and a store, and that whole program is
 * proven against the form with memory as an array (registers, flags and
 * every byte of memory).  The string operations' programs are fixed ones,
 * proven the same way.
 *
 * The two sides of each proof are x86sem's formulas for the form and
 * pixelsem's for the program; this module is the search and the proof.
 */
#ifndef QHB_SYNTH_H
#define QHB_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "pixelcpu.h"
#include "x86sem.h"

#define QHB_SYNTH_MAXLEN 4

struct qhb_synth_opts {
	unsigned max_len;         /* longest sequence tried (default 3) */
	uint64_t budget;          /* instruction evaluations before giving up */
	unsigned timeout_ms;      /* per Z3 query (default 60000: a proof of a
	                           * memory form may take seconds, more on a
	                           * busy machine) */
};

enum qhb_synth_status { QHB_SYNTH_PROVEN, QHB_SYNTH_FAILED };

struct qhb_synth_result {
	enum qhb_synth_status status;
	struct qhb_pcpu_insn prog[QHB_PCPU_MAXPROG];
	unsigned n;
	double seconds;           /* wall time of search and proofs */
	double solver_seconds;    /* of which in Z3 */
	unsigned iterations;      /* candidates sent to Z3 */
	unsigned tests;           /* test states at the end */
	uint64_t evals;           /* instruction evaluations in the search */
	char reason[128];         /* FAILED: why */
	/* PROVEN by qhb_synth_template: the form the template came from
	 * (else empty); templates tried that Z3 refuted */
	char tmpl_from[96];
	unsigned tmpl_refuted;
};

/* A proven program of a form, to be tried as a template for other forms
 * of its shape. */
struct qhb_synth_tmpl {
	struct qhb_x86sem_form from;
	struct qhb_pcpu_insn p[QHB_PCPU_MAXPROG];
	unsigned n;
};

/* The longest shape text (qhb_synth_shape). */
#define QHB_SYNTH_SHAPE 160

/*
 * Functions used to synthesize and prove.  Each returns 0 (the result says
 * whether a program was found and proven), or -1 with e on an internal
 * failure (Z3 error, out of memory).
 */
void qhb_synth_opts_init(struct qhb_synth_opts *o);
int qhb_synth_form(const struct qhb_x86sem_form *f,
    const struct qhb_synth_opts *o, struct qhb_synth_result *r,
    struct qhb_err *e);
/* Proves again that p equals the form: *proven is 1 when the negation is
 * unsat, 0 when Z3 finds a counterexample, -1 when it gives up (its
 * timeout). */
int qhb_synth_prove(const struct qhb_x86sem_form *f,
    const struct qhb_pcpu_insn *p, size_t n, unsigned timeout_ms,
    int *proven, double *seconds, struct qhb_err *e);
/*
 * Functions used for templates.  The shape of a form is its key text with
 * each register named by its kind (r64, r32, r16, r8, r8h: a high byte)
 * and a letter for which distinct register it is (a register named twice
 * keeps its letter), and each constant as "#" (a scale stays a number,
 * a parameter "P0"): forms of one shape differ only in which registers
 * and which constants.  "shr ecx, 0x10" is "shr r32a, #".
 */
void qhb_synth_shape(const struct qhb_x86sem_form *f, char *buf,
    size_t size);
/* Maps t's program onto f, a form of t's shape (registers by their
 * letters, t's constants to f's: an immediate of the program equal to
 * one of t's constants becomes f's, any other stays), and proves the
 * result as qhb_synth_prove does; when Z3 refutes it, once more with the
 * immediates of ins and ext (bit positions) left as they were.  Returns
 * 0 with r->status PROVEN and r->prog, r->tmpl_from filled, or FAILED
 * (r->reason says why: not of the shape, or refuted); r->tmpl_refuted
 * counts the mappings refuted.  -1 with e on a Z3 failure. */
int qhb_synth_template(const struct qhb_x86sem_form *f,
    const struct qhb_synth_tmpl *t, const struct qhb_synth_opts *o,
    struct qhb_synth_result *r, struct qhb_err *e);

/* "4.8.12.0" */
const char *qhb_synth_z3_version(char *buf, size_t size);

#endif
