/*
 * synth.c -- CEGIS over Pixel CPU sequences, proofs with Z3 (see synth.h).
 */
#include "synth.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#include "pixelsem.h"
#include "z3bv.h"

/* a template names what a form has */
_Static_assert(QHB_PCPU_NPARAM == QHB_X86SEM_NPARAM, "parameter counts");

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

const char *qhb_synth_z3_version(char *buf, size_t size)
{
	unsigned a, b, c, d;

	Z3_get_version(&a, &b, &c, &d);
	snprintf(buf, size, "%u.%u.%u.%u", a, b, c, d);
	return buf;
}

void qhb_synth_opts_init(struct qhb_synth_opts *o)
{
	o->max_len = 3;
	o->budget = 400000000;
	o->timeout_ms = 60000;
}

/*
 * The proof.
 */
struct z {
	Z3_context c;
	const struct qhb_x86sem_form *f;
	Z3_ast in[QHB_X86SEM_NIN];      /* free inputs: r0..r79, then the
	                                 * form's parameters */
	struct qhb_x86sem_out x;        /* the register view (not strings) */
	Z3_ast mem, probe;              /* memory before, an address */
	struct qhb_x86sem_out xm;       /* against memory (memory forms) */
	int err;
	char msg[256];
};

static int has_mem(const struct qhb_x86sem_form *f)
{
	return f->mem.kind != QHB_X86SEM_REG;
}

static int is_string(const struct qhb_x86sem_form *f)
{
	return f->mem.kind == QHB_X86SEM_STOS || f->mem.kind == QHB_X86SEM_MOVS;
}

static void z_error(Z3_context c, Z3_error_code code)
{
	(void)c;
	(void)code;
}

static int z_open(struct z *z, const struct qhb_x86sem_form *f,
    struct qhb_err *e)
{
	Z3_config cfg = Z3_mk_config();
	char name[8];

	memset(z, 0, sizeof(*z));
	z->c = Z3_mk_context(cfg);
	Z3_del_config(cfg);
	if (z->c == NULL)
		return qhb_err_set(e, "cannot create a Z3 context");
	Z3_set_error_handler(z->c, z_error);
	for (int i = 0; i < QHB_PCPU_NREG; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		z->in[i] = Z3_mk_const(z->c, Z3_mk_string_symbol(z->c, name),
		    Z3_mk_bv_sort(z->c, 64));
	}
	for (int i = 0; i < QHB_X86SEM_NPARAM; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		z->in[QHB_X86SEM_PARAM0 + i] = Z3_mk_const(z->c,
		    Z3_mk_string_symbol(z->c, name), Z3_mk_bv_sort(z->c, 64));
	}
	z->f = f;
	z->mem = Z3_mk_const(z->c, Z3_mk_string_symbol(z->c, "mem"),
	    qhb_z3bv_mem_sort(z->c));
	z->probe = Z3_mk_const(z->c, Z3_mk_string_symbol(z->c, "probe"),
	    Z3_mk_bv_sort(z->c, 64));
	if ((!qhb_x86sem_mem_only(f) &&
	    !(f->vec != QHB_X86SEM_VNONE && has_mem(f)) &&
	    qhb_x86sem_build(z->c, f, z->in, &z->x, e) < 0) ||
	    (has_mem(f) && qhb_x86sem_build_mem(z->c, f, z->in, z->mem, &z->xm,
	    e) < 0)) {
		Z3_del_context(z->c);
		z->c = NULL;
		return -1;
	}
	return 0;
}

static void z_close(struct z *z)
{
	if (z->c != NULL)
		Z3_del_context(z->c);
	z->c = NULL;
}

/* Checks p against the form: in the register view, or (full) the whole
 * program against memory; for every value of the form's parameters, or
 * (inst) for this instance's only (what the search's tests see).  Returns
 * 1 proven, 0 counterexample (in cex, when not NULL), -1 unknown (reason
 * in why). */
static int z_check(struct z *z, const struct qhb_pcpu_insn *p, size_t n,
    int full, int inst, unsigned timeout_ms, struct qhb_pcpu_state *cex,
    double *secs, char *why, size_t whysize)
{
	Z3_context c = z->c;
	Z3_ast st[QHB_PCPU_NREG], a2[2], mem = z->mem;
	Z3_ast diff[16 + QHB_PCPU_NREG - QHB_PCPU_FSBASE + 1 + 1 + 6];
	const struct qhb_x86sem_out *xo = full ? &z->xm : &z->x;
	Z3_solver s;
	Z3_params prm;
	Z3_lbool res;
	unsigned nd = 0;
	uint64_t other = ~QHB_RFLAGS_ARITH;
	double t0 = now();
	int rv;

	memcpy(st, z->in, sizeof(st));
	qhb_pixelsem_run_mem(c, p, n, st, &mem, z->in + QHB_X86SEM_PARAM0);
	for (int i = 0; i < 16; i++)
		diff[nd++] = Z3_mk_not(c, Z3_mk_eq(c, st[i], xo->reg[i]));
	/* every architectural register beyond the GPRs: the bases, rip,
	 * the selectors, the environment input, the vector lanes */
	for (int i = QHB_PCPU_FSBASE; i < QHB_PCPU_NREG; i++)
		diff[nd++] = Z3_mk_not(c, Z3_mk_eq(c, st[i], xo->sys[i]));
	if (full)
		diff[nd++] = Z3_mk_not(c, Z3_mk_eq(c, Z3_mk_select(c, mem,
		    z->probe), Z3_mk_select(c, xo->mem, z->probe)));
	else if (has_mem(z->f) && z->f->mem.write)
		diff[nd++] = Z3_mk_not(c, Z3_mk_eq(c, EXT(z->f->mem.bits - 1, 0,
		    st[QHB_X86SEM_MEMREG]), xo->memval));
	if (xo->rflags != NULL)
		/* a system form: all of rflags as x86 leaves it */
		diff[nd++] = Z3_mk_not(c, Z3_mk_eq(c, st[QHB_PCPU_FLAGS],
		    xo->rflags));
	else
		diff[nd++] = Z3_mk_not(c, Z3_mk_eq(c,
		    Z3_mk_bvand(c, st[QHB_PCPU_FLAGS], BV(other, 64)),
		    Z3_mk_bvand(c, z->in[QHB_PCPU_FLAGS], BV(other, 64))));
	for (int i = 0; xo->rflags == NULL && i < 6; i++) {
		a2[0] = xo->def[i];
		a2[1] = Z3_mk_not(c, Z3_mk_eq(c, BIT(st[QHB_PCPU_FLAGS],
		    qhb_z3bv_flag_pos[i]), xo->flag[i]));
		diff[nd++] = Z3_mk_and(c, 2, a2);
	}
	/* a fault (div's #DE) must set r28 and then defines nothing else */
	a2[0] = Z3_mk_not(c, xo->fault);
	a2[1] = Z3_mk_or(c, nd, diff);
	diff[0] = Z3_mk_and(c, 2, a2);
	diff[1] = Z3_mk_not(c, Z3_mk_eq(c, st[QHB_PCPU_FAULT], Z3_mk_ite(c,
	    xo->fault, BV(1, 64), z->in[QHB_PCPU_FAULT])));
	nd = 2;
	s = Z3_mk_solver_for_logic(c, Z3_mk_string_symbol(c, full ? "QF_ABV" :
	    "QF_BV"));
	Z3_solver_inc_ref(c, s);
	prm = Z3_mk_params(c);
	Z3_params_inc_ref(c, prm);
	Z3_params_set_uint(c, prm, Z3_mk_string_symbol(c, "timeout"), timeout_ms);
	Z3_solver_set_params(c, s, prm);
	Z3_solver_assert(c, s, Z3_mk_or(c, nd, diff));
	for (unsigned k = 0; inst && k < z->f->nparam; k++)
		Z3_solver_assert(c, s, Z3_mk_eq(c, z->in[QHB_X86SEM_PARAM0 + k],
		    BV((uint64_t)z->f->param[k], 64)));
	res = Z3_solver_check(c, s);
	if (res == Z3_L_FALSE) {
		rv = 1;
	} else if (res == Z3_L_TRUE) {
		Z3_model m = Z3_solver_get_model(c, s);

		Z3_model_inc_ref(c, m);
		for (int i = 0; cex != NULL && i < QHB_PCPU_NREG; i++) {
			Z3_ast v;
			uint64_t u = 0;

			if (Z3_model_eval(c, m, z->in[i], 1, &v))
				Z3_get_numeral_uint64(c, v, &u);
			cex->r[i] = u;
		}
		Z3_model_dec_ref(c, m);
		rv = 0;
	} else {
		snprintf(why, whysize, "Z3: %s",
		    Z3_solver_get_reason_unknown(c, s));
		rv = -1;
	}
	Z3_params_dec_ref(c, prm);
	Z3_solver_dec_ref(c, s);
	*secs += now() - t0;
	return rv;
}

int qhb_synth_prove(const struct qhb_x86sem_form *f,
    const struct qhb_pcpu_insn *p, size_t n, unsigned timeout_ms,
    int *proven, double *seconds, struct qhb_err *e)
{
	struct z z;
	char why[128];
	int rv;

	*seconds = 0;
	if (qhb_pcpu_check(p, n, e) < 0 || z_open(&z, f, e) < 0)
		return -1;
	rv = z_check(&z, p, n, has_mem(f), 0, timeout_ms, NULL, seconds, why,
	    sizeof(why));
	*proven = rv == 1 ? 1 : rv == 0 ? 0 : -1;
	z_close(&z);
	return 0;
}

/*
 * The search.
 */
#define MAXTEST 64
#define MAXLIVE 12

struct test {
	struct qhb_pcpu_state s;        /* input */
	uint64_t want[16];              /* expected registers */
	uint64_t wflags, defmask;       /* expected rflags bits, defined ones */
	uint64_t wmem, memmask;         /* expected memory operand, its bits */
};

struct node {
	int parent;
	struct qhb_pcpu_insn in;
};

struct search {
	const struct qhb_x86sem_form *f;
	struct z *z;
	struct test t[MAXTEST];
	unsigned nt;
	unsigned live[MAXLIVE], nlive;  /* registers the pool touches */
	struct qhb_pcpu_insn *pool;
	size_t npool;
	struct node *nodes;
	size_t nnodes, capnodes;
	uint64_t *vec;                  /* per node: nt * nlive values */
	uint64_t *seen;                 /* open-addressing set of hashes */
	size_t seencap, nseen;
	uint64_t evals, budget;
	/* run before every candidate: each high-byte operand extracted to
	 * a register of its own (hi_prefix), which the pool reads */
	struct qhb_pcpu_insn pre[2];
	unsigned npre;
};

/* Expected outputs of a test, from the x86 formulas. */
static int expect(struct search *s, struct test *t)
{
	Z3_context c = s->z->c;
	Z3_ast to[QHB_X86SEM_NIN], v;
	uint64_t u;

	/* the parameters as this instance has them */
	for (int i = 0; i < QHB_PCPU_NREG; i++)
		to[i] = BV(t->s.r[i], 64);
	for (int i = 0; i < QHB_X86SEM_NPARAM; i++)
		to[QHB_X86SEM_PARAM0 + i] = BV((uint64_t)s->f->param[i], 64);
	for (int i = 0; i < 16; i++) {
		v = Z3_simplify(c, Z3_substitute(c, s->z->x.reg[i],
		    QHB_X86SEM_NIN, s->z->in, to));
		if (!Z3_get_numeral_uint64(c, v, &u))
			return -1;
		t->want[i] = u;
	}
	t->wflags = t->defmask = 0;
	for (int i = 0; i < 6; i++) {
		v = Z3_simplify(c, Z3_substitute(c, s->z->x.def[i],
		    QHB_X86SEM_NIN, s->z->in, to));
		if (Z3_get_bool_value(c, v) != Z3_L_TRUE)
			continue;
		t->defmask |= 1ULL << qhb_z3bv_flag_pos[i];
		v = Z3_simplify(c, Z3_substitute(c, s->z->x.flag[i],
		    QHB_X86SEM_NIN, s->z->in, to));
		if (!Z3_get_numeral_uint64(c, v, &u))
			return -1;
		t->wflags |= u << qhb_z3bv_flag_pos[i];
	}
	t->wmem = t->memmask = 0;
	if (has_mem(s->f) && s->f->mem.write) {
		v = Z3_simplify(c, Z3_substitute(c, s->z->x.memval,
		    QHB_X86SEM_NIN, s->z->in, to));
		if (!Z3_get_numeral_uint64(c, v, &u))
			return -1;
		t->wmem = u;
		t->memmask = s->f->mem.bits == 64 ? ~0ULL :
		    (1ULL << s->f->mem.bits) - 1;
	}
	return 0;
}

static uint64_t rng(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int add_pool(struct search *s, size_t *cap, struct qhb_pcpu_insn in)
{
	if (s->npool == *cap) {
		size_t n = *cap ? *cap * 2 : 1024;
		void *p = realloc(s->pool, n * sizeof(*s->pool));

		if (p == NULL)
			return -1;
		s->pool = p;
		*cap = n;
	}
	s->pool[s->npool++] = in;
	return 0;
}

/* The Pixel CPU ops that compute what an x86 mnemonic does, tried
 * before the others (a prefix of the mnemonic: "cmov" is every cmovcc). */
static const struct {
	const char *mn;
	uint8_t op[2];
	unsigned n;
} op_hints[] = {
	{ "add", { QHB_PCPU_ADD }, 1 }, { "inc", { QHB_PCPU_ADD }, 1 },
	{ "adc", { QHB_PCPU_ADC }, 1 }, { "sub", { QHB_PCPU_SUB }, 1 },
	{ "dec", { QHB_PCPU_SUB }, 1 }, { "cmp", { QHB_PCPU_SUB }, 1 },
	{ "sbb", { QHB_PCPU_SBB }, 1 }, { "and", { QHB_PCPU_AND }, 1 },
	{ "test", { QHB_PCPU_AND }, 1 }, { "or", { QHB_PCPU_OR }, 1 },
	{ "xor", { QHB_PCPU_XOR }, 1 }, { "not", { QHB_PCPU_NOT }, 1 },
	{ "neg", { QHB_PCPU_NEG }, 1 }, { "shl", { QHB_PCPU_SHL }, 1 },
	{ "sal", { QHB_PCPU_SHL }, 1 }, { "shr", { QHB_PCPU_SHR }, 1 },
	{ "sar", { QHB_PCPU_SAR }, 1 }, { "rol", { QHB_PCPU_ROL }, 1 },
	{ "ror", { QHB_PCPU_ROR }, 1 }, { "imul", { QHB_PCPU_MUL }, 1 },
	{ "movsx", { QHB_PCPU_SEXT }, 1 }, { "cbw", { QHB_PCPU_SEXT }, 1 },
	{ "cwde", { QHB_PCPU_SEXT }, 1 }, { "cdqe", { QHB_PCPU_SEXT }, 1 },
	{ "cwd", { QHB_PCPU_SAR }, 1 }, { "cdq", { QHB_PCPU_SAR }, 1 },
	{ "cqo", { QHB_PCPU_SAR }, 1 }, { "bswap", { QHB_PCPU_BSWAP }, 1 },
	{ "cmov", { QHB_PCPU_CC, QHB_PCPU_SEL }, 2 },
	{ "set", { QHB_PCPU_CC }, 1 }, { "bt", { QHB_PCPU_EXT }, 1 },
};

/* What a candidate costs the search, lowest tried first: 0 an op of
 * the form's mnemonic, 1 an op that moves bits (mov, ins, ext, sext),
 * 2 the rest.  Shortest programs still come first (the search goes by
 * length); within a length, this order finds the likely ones early,
 * before the budget is spent on the rest. */
static unsigned op_cost(const struct qhb_x86sem_form *f, unsigned op)
{
	size_t mlen = strcspn(f->text, " ");

	for (size_t i = 0; i < sizeof(op_hints) / sizeof(op_hints[0]); i++) {
		size_t hl = strlen(op_hints[i].mn);

		if (hl > mlen || strncmp(f->text, op_hints[i].mn, hl) != 0 ||
		    (hl < mlen && strcmp(op_hints[i].mn, "cmov") != 0 &&
		    strcmp(op_hints[i].mn, "set") != 0 &&
		    strcmp(op_hints[i].mn, "movsx") != 0))
			continue;
		for (unsigned k = 0; k < op_hints[i].n; k++)
			if (op_hints[i].op[k] == op)
				return 0;
		break;
	}
	return op == QHB_PCPU_MOV || op == QHB_PCPU_INS ||
	    op == QHB_PCPU_EXT || op == QHB_PCPU_SEXT ? 1 : 2;
}

/* Orders the pool by op_cost, stably.  Returns 0, or -1 when out of
 * memory. */
static int order_pool(struct search *s)
{
	struct qhb_pcpu_insn *t = malloc(s->npool * sizeof(*t) + 1);
	size_t k = 0;

	if (t == NULL)
		return -1;
	for (unsigned c = 0; c < 3; c++)
		for (size_t i = 0; i < s->npool; i++)
			if (op_cost(s->f, s->pool[i].op) == c)
				t[k++] = s->pool[i];
	memcpy(s->pool, t, s->npool * sizeof(*t));
	free(t);
	return 0;
}

/* The candidate instructions: operands drawn from the form. */
static int make_pool(struct search *s)
{
	const struct qhb_x86sem_form *f = s->f;
	unsigned dst[MAXLIVE], nd = 0, src[MAXLIVE], ns = 0, widths[4], nw = 0;
	int64_t imms[QHB_X86SEM_NIMM + 6];
	unsigned nimm = 0, fms[2], nfm = 1;
	size_t cap = 0;

	/* What x86 writes is its first operand, and read first: as the
	 * first source, the sequence found computes in x86's order, which
	 * Z3 proves at once (add r18, r2, r18 for add [m], rdx takes it a
	 * second or more to see as add r18, r18, r2 under memory). */
	if (has_mem(f) && f->mem.write)
		src[ns++] = QHB_X86SEM_MEMREG;
	for (unsigned i = 0; i < 16; i++)
		if (f->wregs & (1u << i))
			src[ns++] = i;
	for (unsigned i = 0; i < 16; i++) {
		if ((f->regs & (1u << i)) && !(f->wregs & (1u << i)))
			src[ns++] = i;
		if (f->wregs & (1u << i))
			dst[nd++] = i;
	}
	src[ns++] = QHB_PCPU_SCRATCH;
	dst[nd++] = QHB_PCPU_SCRATCH;
	if (f->rip)
		src[ns++] = QHB_PCPU_RIP;
	if (has_mem(f)) {
		if (!f->mem.write)
			src[ns++] = QHB_X86SEM_MEMREG;
		else
			dst[nd++] = QHB_X86SEM_MEMREG;
	}
	for (unsigned i = 0; i < s->npre; i++)
		src[ns++] = s->pre[i].d;
	s->nlive = 0;
	for (unsigned i = 0; i < ns; i++)
		s->live[s->nlive++] = src[i];
	s->live[s->nlive++] = QHB_PCPU_FLAGS;
	for (unsigned w = 0; w < 4; w++)
		if ((f->widths & (1u << w)) || w == 3)
			widths[nw++] = w;
	for (unsigned i = 0; i < f->nimm; i++)
		imms[nimm++] = f->imm[i];
	imms[nimm++] = 0;
	imms[nimm++] = 1;
	imms[nimm++] = 8;
	/* cwd, cdq, cqo: the sign bit spread, a shift by the width less 1 */
	if (op_cost(f, QHB_PCPU_SAR) == 0 && f->nimm == 0)
		for (unsigned w = 1; w < 4; w++)
			if (f->widths & (1u << w))
				imms[nimm++] = (8 << w) - 1;
	fms[0] = 0;
	if (f->fwrite)
		fms[nfm++] = f->fwrite;
	/* loads, stores and divides come from fixed programs only */
	for (unsigned op = 0; op < QHB_PCPU_LD; op++) {
		int flags_op = op <= QHB_PCPU_MUL && op != QHB_PCPU_NOT;
		int unary = op == QHB_PCPU_MOV || op == QHB_PCPU_NOT ||
		    op == QHB_PCPU_NEG || op == QHB_PCPU_SEXT ||
		    op == QHB_PCPU_BSWAP;

		for (unsigned di = 0; di < nd; di++)
		for (unsigned wi = 0; wi < nw; wi++)
		for (unsigned fi = 0; fi < (flags_op ? nfm : 1); fi++) {
			struct qhb_pcpu_insn in = { .op = (uint8_t)op,
			    .d = (uint8_t)dst[di], .w = (uint8_t)widths[wi],
			    .fmask = (uint8_t)fms[fi] };

			if (op == QHB_PCPU_CC) {
				if (fi || wi != 0)
					continue;
				in.w = 0;
				in.bimm = 1;
				for (int cc = 0; cc < 16; cc++) {
					in.imm = cc;
					if (add_pool(s, &cap, in) < 0)
						return -1;
				}
				continue;
			}
			for (unsigned ai = 0; ai < ns; ai++) {
				in.a = (uint8_t)src[ai];
				if (unary) {
					in.b = in.a;
					in.bimm = 0;
					if (add_pool(s, &cap, in) < 0)
						return -1;
					continue;
				}
				in.bimm = 0;
				for (unsigned bi = 0; bi < ns; bi++) {
					in.b = (uint8_t)src[bi];
					if (add_pool(s, &cap, in) < 0)
						return -1;
				}
				in.b = 0;
				in.bimm = 1;
				for (unsigned ii = 0; ii < nimm; ii++) {
					in.imm = imms[ii];
					if (add_pool(s, &cap, in) < 0)
						return -1;
				}
			}
		}
	}
	return order_pool(s);
}

static int add_test(struct search *s, const struct qhb_pcpu_state *in)
{
	if (s->nt == MAXTEST)
		return -1;
	s->t[s->nt].s = *in;
	if (expect(s, &s->t[s->nt]) < 0)
		return -1;
	s->nt++;
	return 0;
}

/* Inserts h; 0 if it was there already. */
static int seen_add(struct search *s, uint64_t h)
{
	size_t m = s->seencap - 1, i = (size_t)h & m;

	if (h == 0)
		h = 1;
	/* full: treat as seen (the node store is capped anyway) */
	if (s->nseen >= s->seencap / 4 * 3)
		return 0;
	while (s->seen[i] != 0) {
		if (s->seen[i] == h)
			return 0;
		i = (i + 1) & m;
	}
	s->seen[i] = h;
	s->nseen++;
	return 1;
}

static int node_add(struct search *s, int parent,
    const struct qhb_pcpu_insn *in, const uint64_t *vec)
{
	size_t vn = (size_t)s->nt * s->nlive;

	if (s->nnodes == s->capnodes) {
		size_t n = s->capnodes ? s->capnodes * 2 : 4096;
		void *a = realloc(s->nodes, n * sizeof(*s->nodes));
		void *b;

		if (a == NULL)
			return -1;
		s->nodes = a;
		b = realloc(s->vec, n * vn * sizeof(uint64_t));
		if (b == NULL)
			return -1;
		s->vec = b;
		s->capnodes = n;
	}
	s->nodes[s->nnodes].parent = parent;
	if (in != NULL)
		s->nodes[s->nnodes].in = *in;
	memcpy(s->vec + s->nnodes * vn, vec, vn * sizeof(uint64_t));
	s->nnodes++;
	return 0;
}

static int goal(const struct search *s, const uint64_t *vec,
    const struct qhb_pcpu_state *st_unused)
{
	(void)st_unused;
	for (unsigned t = 0; t < s->nt; t++) {
		const struct test *tt = &s->t[t];
		const uint64_t *v = vec + (size_t)t * s->nlive;

		for (unsigned k = 0; k < s->nlive; k++) {
			unsigned r = s->live[k];

			if (r < 16 && v[k] != tt->want[r])
				return 0;
			if (r == QHB_PCPU_FLAGS &&
			    ((v[k] ^ tt->wflags) & tt->defmask))
				return 0;
			if (r == QHB_X86SEM_MEMREG &&
			    ((v[k] ^ tt->wmem) & tt->memmask))
				return 0;
		}
	}
	return 1;
}

/* The registers a vector gets wrong (GPRs and the memory operand, not
 * the flags): 0, 1 (in *d) or 2 (two or more).  One instruction writes
 * one register, so a node with two wrong has no last instruction, and a
 * node with one only one whose destination it is. */
static unsigned wrong_regs(const struct search *s, const uint64_t *vec,
    unsigned *d)
{
	unsigned n = 0;

	for (unsigned t = 0; t < s->nt; t++) {
		const struct test *tt = &s->t[t];
		const uint64_t *v = vec + (size_t)t * s->nlive;

		for (unsigned k = 0; k < s->nlive; k++) {
			unsigned r = s->live[k];

			if (!((r < 16 && v[k] != tt->want[r]) ||
			    (r == QHB_X86SEM_MEMREG &&
			    ((v[k] ^ tt->wmem) & tt->memmask))))
				continue;
			if (n == 1 && *d == r)
				continue;
			if (n == 1)
				return 2;
			*d = r;
			n = 1;
		}
	}
	return n;
}

/* The program of a node: the prefix, less what no instruction after it
 * reads (its registers are the prefix's own), then the path. */
static unsigned prog_of(const struct search *s, int node,
    struct qhb_pcpu_insn *p)
{
	unsigned n = 0, m = 0;

	for (unsigned k = 0; k < s->npre; k++) {
		int used = 0;

		for (int i = node; s->nodes[i].parent >= 0;
		    i = s->nodes[i].parent) {
			const struct qhb_pcpu_insn *in = &s->nodes[i].in;

			used |= in->a == s->pre[k].d ||
			    (!in->bimm && in->b == s->pre[k].d);
		}
		if (used)
			p[m++] = s->pre[k];
	}
	for (int i = node; s->nodes[i].parent >= 0; i = s->nodes[i].parent)
		n++;
	for (int i = node, k = (int)(m + n) - 1; s->nodes[i].parent >= 0;
	    i = s->nodes[i].parent, k--)
		p[k] = s->nodes[i].in;
	return m + n;
}

static int search_once(struct search *s, unsigned max_len);

/* Searches programs of 1, 2, ... up to max_len instructions, each
 * length a search of its own, so that its last instruction is pruned
 * (wrong_regs).  Returns as search_once. */
static int search_deepening(struct search *s, unsigned max_len)
{
	int g = -1;

	for (unsigned len = 1; len <= max_len && g == -1; len++)
		g = search_once(s, len);
	return g;
}

/* The prefix of a form with high-byte operands (ah, ch, dh, bh): each
 * extracted into a register of its own (r20, r21), which the search
 * then reads as it reads a low register.  Returns how many. */
static unsigned hi_prefix(const struct qhb_x86sem_form *f,
    struct qhb_pcpu_insn *pre)
{
	static const char hi[4][3] = { "ah", "ch", "dh", "bh" };
	unsigned n = 0;

	for (unsigned r = 0; r < 4 && n < 2; r++) {
		const char *t = f->text;
		size_t ml = strcspn(t, " ");

		while ((t = strstr(t + 1, hi[r])) != NULL)
			if (t - f->text > (ptrdiff_t)ml &&
			    !((t[-1] >= 'a' && t[-1] <= 'z') ||
			    (t[2] >= 'a' && t[2] <= 'z')))
				break;
		if (t == NULL)
			continue;
		pre[n] = (struct qhb_pcpu_insn){ .op = QHB_PCPU_EXT,
		    .d = (uint8_t)(20 + n), .a = (uint8_t)r, .w = 0,
		    .bimm = 1, .imm = 8 };
		n++;
	}
	return n;
}

/* One search over the current tests.  Returns the goal node, -1 if none
 * within max_len, -2 past the budget, -3 out of memory. */
static int search_once(struct search *s, unsigned max_len)
{
	size_t vn = (size_t)s->nt * s->nlive, lo, hi;
	uint64_t *v = malloc(vn * sizeof(uint64_t));
	struct qhb_pcpu_state *st = malloc(s->nt * sizeof(*st));
	int rv = -1;

	/* vectors grow with the tests: start the node store afresh */
	free(s->nodes);
	free(s->vec);
	s->nodes = NULL;
	s->vec = NULL;
	s->nnodes = s->capnodes = 0;
	memset(s->seen, 0, s->seencap * sizeof(uint64_t));
	s->nseen = 0;
	if (v == NULL || st == NULL) {
		rv = -3;
		goto out;
	}
	for (unsigned t = 0; t < s->nt; t++) {
		st[t] = s->t[t].s;
		qhb_pcpu_run(s->pre, s->npre, &st[t]);
		for (unsigned k = 0; k < s->nlive; k++)
			v[t * s->nlive + k] = st[t].r[s->live[k]];
	}
	/* the empty program only for a form that writes nothing: a library
	 * runs an empty one for no other (learn.h), so movzx ax, ax gets
	 * an instruction that writes ax as it was */
	if (goal(s, v, NULL) && s->f->wregs == 0 && s->f->fwrite == 0 &&
	    !(has_mem(s->f) && s->f->mem.write)) {
		rv = 0;
		node_add(s, -1, NULL, v);
		goto out;
	}
	seen_add(s, XXH3_64bits(v, vn * 8));
	if (node_add(s, -1, NULL, v) < 0) {
		rv = -3;
		goto out;
	}
	lo = 0;
	hi = 1;
	for (unsigned len = 1; len <= max_len; len++) {
		for (size_t ni = lo; ni < hi; ni++) {
			unsigned wd = 0, nw = len < max_len ? 0 :
			    wrong_regs(s, s->vec + ni * vn, &wd);

			for (size_t pi = 0; pi < s->npool && nw < 2; pi++) {
				const struct qhb_pcpu_insn *in = &s->pool[pi];
				const uint64_t *pv = s->vec + ni * vn;

				/* the last instruction must write what is
				 * still wrong */
				if (nw == 1 && in->d != wd)
					continue;
				for (unsigned t = 0; t < s->nt; t++) {
					for (unsigned k = 0; k < s->nlive; k++)
						st[t].r[s->live[k]] =
						    pv[t * s->nlive + k];
					qhb_pcpu_step(in, &st[t]);
					for (unsigned k = 0; k < s->nlive; k++)
						v[t * s->nlive + k] =
						    st[t].r[s->live[k]];
				}
				s->evals += s->nt;
				if (goal(s, v, NULL)) {
					if (node_add(s, (int)ni, in, v) < 0) {
						rv = -3;
						goto out;
					}
					rv = (int)s->nnodes - 1;
					goto out;
				}
				if (len < max_len &&
				    seen_add(s, XXH3_64bits(v, vn * 8)) &&
				    s->nnodes < 300000 &&
				    node_add(s, (int)ni, in, v) < 0) {
					rv = -3;
					goto out;
				}
			}
			if (s->evals > s->budget) {
				rv = -2;
				goto out;
			}
		}
		lo = hi;
		hi = s->nnodes;
	}
out:
	free(v);
	free(st);
	return rv;
}

/* Appends one instruction, given as text, to p.  Returns 0, or -1 when
 * the program is full. */
static int emit(struct qhb_pcpu_insn *p, unsigned *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int emit(struct qhb_pcpu_insn *p, unsigned *n, const char *fmt, ...)
{
	char text[96];
	struct qhb_err e;
	va_list ap;

	if (*n >= QHB_PCPU_MAXPROG)
		return -1;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (qhb_pcpu_parse(text, &p[*n], &e) < 0)
		return -1;
	(*n)++;
	return 0;
}

/* One iteration of rep stos / rep movs: nothing when rcx is 0 (the old
 * bytes are stored back), else one element, rdi (and rsi) stepped by
 * +-size as DF says, rcx decremented. */
static unsigned string_program(const struct qhb_x86sem_form *f,
    struct qhb_pcpu_insn *p)
{
	unsigned W = f->mem.bits, b = W / 8, n = 0;
	int bad = 0;

	if (f->mem.kind == QHB_X86SEM_STOS) {
		bad |= emit(p, &n, "ld.%u r18, r7, #0", W);
		bad |= emit(p, &n, "sel.%u r18, r0, r1", W);
	} else {
		bad |= emit(p, &n, "ld.%u r20, r6, #0", W);
		bad |= emit(p, &n, "ld.%u r18, r7, #0", W);
		bad |= emit(p, &n, "sel.%u r18, r20, r1", W);
	}
	bad |= emit(p, &n, "st.%u r7, r18, #0", W);
	/* r19 = DF ? -size : size */
	bad |= emit(p, &n, "ext.8 r19, r16, #10");
	bad |= emit(p, &n, "and.64 r19, r19, #1");
	bad |= emit(p, &n, "shl.64 r19, r19, #%d", __builtin_ctz(2 * b));
	bad |= emit(p, &n, "neg.64 r19, r19, r19");
	bad |= emit(p, &n, "add.64 r19, r19, #%u", b);
	bad |= emit(p, &n, "add.64 r20, r7, r19");
	bad |= emit(p, &n, "sel.64 r7, r20, r1");
	if (f->mem.kind == QHB_X86SEM_MOVS) {
		bad |= emit(p, &n, "add.64 r20, r6, r19");
		bad |= emit(p, &n, "sel.64 r6, r20, r1");
	}
	bad |= emit(p, &n, "add.64 r20, r1, #-1");
	bad |= emit(p, &n, "sel.64 r1, r20, r1");
	return bad ? 0 : n;
}

/* r28 := 1 when CPL (cs & 3) > IOPL (rflags bits 12..13): the privilege
 * check of cli, sti and in.  Flags untouched. */
static int fault_above_iopl(struct qhb_pcpu_insn *p, unsigned *n)
{
	int bad = 0;

	bad |= emit(p, n, "and.64 r17, r%d, #3", QHB_PCPU_CS);
	bad |= emit(p, n, "ext.8 r20, r16, #12");
	bad |= emit(p, n, "and.64 r20, r20, #3");
	bad |= emit(p, n, "sub.64 r20, r20, r17");
	bad |= emit(p, n, "shr.64 r20, r20, #63");
	bad |= emit(p, n, "sel.64 r28, r20, r20");
	return bad;
}

/* r17 := 1 when CPL > 0, else 0; with r28 := 1 then when set. */
static int fault_user(struct qhb_pcpu_insn *p, unsigned *n, int set)
{
	int bad = 0;

	bad |= emit(p, n, "and.64 r17, r%d, #3", QHB_PCPU_CS);
	bad |= emit(p, n, "neg.64 r17, r17, r17");
	bad |= emit(p, n, "shr.64 r17, r17, #63");
	if (set)
		bad |= emit(p, n, "sel.64 r28, r17, r17");
	return bad;
}

/* The system forms' programs (x86sem.h), whole (pushfq and popfq with
 * their memory access): the effect first, the fault register last.
 * Returns the length, 0 when the form has none. */
static unsigned system_program(const struct qhb_x86sem_form *f,
    struct qhb_pcpu_insn *p)
{
	unsigned n = 0, env = QHB_PCPU_ENV;
	int bad = 0;

	switch (f->sys) {
	case QHB_X86SEM_CLI: case QHB_X86SEM_STI:
		bad |= emit(p, &n, f->sys == QHB_X86SEM_CLI ?
		    "and.64 r16, r16, #-513" : "or.64 r16, r16, #512");
		bad |= fault_above_iopl(p, &n);
		break;
	case QHB_X86SEM_CLAC: case QHB_X86SEM_STAC:
		/* #UD at CPL > 0 or with CR4.SMAP (r39 bit 21) clear */
		bad |= emit(p, &n, f->sys == QHB_X86SEM_CLAC ?
		    "and.64 r16, r16, #-262145" : "or.64 r16, r16, #262144");
		bad |= fault_user(p, &n, 0);
		bad |= emit(p, &n, "ext.8 r20, r%u, #21", env);
		bad |= emit(p, &n, "and.64 r20, r20, #1");
		bad |= emit(p, &n, "xor.64 r20, r20, #1");
		bad |= emit(p, &n, "or.64 r17, r17, r20");
		bad |= emit(p, &n, "sel.64 r28, r17, r17");
		break;
	case QHB_X86SEM_CLD: case QHB_X86SEM_STD:
		bad |= emit(p, &n, f->sys == QHB_X86SEM_CLD ?
		    "and.64 r16, r16, #-1025" : "or.64 r16, r16, #1024");
		break;
	case QHB_X86SEM_PUSHF:
		/* the image without VM and RF */
		bad |= emit(p, &n, "and.64 r18, r16, #-196609");
		bad |= emit(p, &n, "st.64 r4, r18, #-8");
		bad |= emit(p, &n, "sub.64 r4, r4, #8");
		break;
	case QHB_X86SEM_POPF:
		/* the bits that change: 0x247fd5 less IOPL (0x3000) at
		 * CPL > 0 and less IF (0x200) at CPL > IOPL; the arithmetic
		 * flags always change, so the comparisons may write them */
		bad |= emit(p, &n, "ld.64 r18, r4, #0");
		bad |= emit(p, &n, "and.64f r17, r%d, #3", QHB_PCPU_CS);
		bad |= emit(p, &n, "cc.8 r23, r0, #5");
		bad |= emit(p, &n, "ext.8 r20, r16, #12");
		bad |= emit(p, &n, "and.64 r20, r20, #3");
		bad |= emit(p, &n, "sub.8f r20, r20, r17");
		bad |= emit(p, &n, "cc.8 r21, r0, #2");
		bad |= emit(p, &n, "mul.16 r23, r23, #12288");
		bad |= emit(p, &n, "mul.16 r21, r21, #512");
		bad |= emit(p, &n, "or.64 r21, r21, r23");
		bad |= emit(p, &n, "xor.64 r21, r21, #2392021");
		/* rflags ^= (popped ^ rflags) & mask; RF cleared */
		bad |= emit(p, &n, "xor.64 r18, r18, r16");
		bad |= emit(p, &n, "and.64 r18, r18, r21");
		bad |= emit(p, &n, "xor.64 r16, r16, r18");
		bad |= emit(p, &n, "and.64 r16, r16, #-65537");
		bad |= emit(p, &n, "add.64 r4, r4, #8");
		break;
	case QHB_X86SEM_MOVSEG:
		if (f->sys_bits == 16)
			bad |= emit(p, &n, "ins.16 r%u, r%u, #0", f->sys_reg,
			    f->sys_seg);
		else
			bad |= emit(p, &n, "mov.16 r%u, r%u, r%u", f->sys_reg,
			    f->sys_seg, f->sys_seg);
		break;
	case QHB_X86SEM_SWAPGS:
		bad |= emit(p, &n, "mov.64 r17, r%d, r%d", QHB_PCPU_GSBASE,
		    QHB_PCPU_GSBASE);
		bad |= emit(p, &n, "mov.64 r%d, r%d, r%d", QHB_PCPU_GSBASE,
		    QHB_PCPU_KGSBASE, QHB_PCPU_KGSBASE);
		bad |= emit(p, &n, "mov.64 r%d, r17, r17", QHB_PCPU_KGSBASE);
		bad |= fault_user(p, &n, 1);
		break;
	case QHB_X86SEM_RDTSC:
		bad |= emit(p, &n, "mov.32 r0, r%u, r%u", env, env);
		bad |= emit(p, &n, "ext.32 r2, r%u, #32", env);
		bad |= fault_user(p, &n, 1);
		break;
	case QHB_X86SEM_IN:
		if (f->sys_bits == 32)
			bad |= emit(p, &n, "mov.32 r0, r%u, r%u", env, env);
		else
			bad |= emit(p, &n, "ins.%u r0, r%u, #0", f->sys_bits, env);
		bad |= fault_above_iopl(p, &n);
		break;
	default:
		return 0;
	}
	return bad ? 0 : n;
}

static unsigned vector_program(const struct qhb_x86sem_form *f,
    struct qhb_pcpu_insn *p);
static unsigned own_program(const struct qhb_x86sem_form *f,
    struct qhb_pcpu_insn *p);

/* A form whose program is fixed, not searched (the string operations,
 * the system forms, the vector forms, and the forms with a program of
 * their own: xadd, the bit operations, leave, the wide multiplies, idiv,
 * the bit counts, and the forms of two memory accesses): proven whole, as
 * written, for every value of its parameters, against memory when it has
 * a memory access.  Returns 1 when f is one (r says whether it was
 * proven), 0 when it is to be searched (a form of its own whose program
 * does not fit, that has a register view to search over), -1 with e when
 * the program of a string, system or vector form does not fit. */
static int prove_fixed(struct z *z, const struct qhb_x86sem_form *f,
    const struct qhb_synth_opts *o, struct qhb_synth_result *r,
    struct qhb_err *e)
{
	const char *what = f->sys ? "system" : f->vec != QHB_X86SEM_VNONE ?
	    "vector" : is_string(f) ? "string" : "fixed";
	char why[128] = "";
	int pr;

	r->n = f->sys ? system_program(f, r->prog) :
	    f->vec != QHB_X86SEM_VNONE ? vector_program(f, r->prog) :
	    is_string(f) ? string_program(f, r->prog) :
	    own_program(f, r->prog);
	if (r->n == 0) {
		if (f->sys || f->vec != QHB_X86SEM_VNONE || is_string(f))
			return qhb_err_set(e, "%s: the %s program does not fit",
			    f->text, what);
		if (!qhb_x86sem_mem_only(f))
			return 0;
		snprintf(r->reason, sizeof(r->reason), "its program does not "
		    "fit in %d instructions", QHB_PCPU_MAXPROG);
		return 1;
	}
	r->iterations = 1;
	pr = z_check(z, r->prog, r->n, has_mem(f), 0, o->timeout_ms, NULL,
	    &r->solver_seconds, why, sizeof(why));
	if (pr == 1) {
		r->status = QHB_SYNTH_PROVEN;
		return 1;
	}
	if (pr < 0)
		snprintf(r->reason, sizeof(r->reason), "%s", why);
	else
		snprintf(r->reason, sizeof(r->reason), "the %s program is not "
		    "equivalent", what);
	r->n = 0;
	return 1;
}

/* The text of an immediate operand of microcode: parameter k ("P0"), or
 * the constant v when k < 0. */
static void imm_text(int k, int64_t v, char *buf, size_t size)
{
	if (k >= 0)
		snprintf(buf, size, "P%d", k);
	else
		snprintf(buf, size, "%lld", (long long)v);
}

/* A sequence the search found with this instance's constants, made a
 * template: each immediate equal to a parameter's value names the
 * parameter instead.  Whether that holds for every value is the proof's
 * to say. */
static void lift(const struct qhb_x86sem_form *f, struct qhb_pcpu_insn *p,
    unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; p[i].bimm == 1 && k < f->nparam; k++)
			if (p[i].imm == f->param[k]) {
				p[i].bimm = 2;
				p[i].imm = k;
			}
}

/* The searched sequence q (over the register view) inside the memory
 * access: the address, a load into QHB_X86SEM_MEMREG, q, a store back.
 * Returns the length, 0 when it does not fit. */
static unsigned wrap_memory(const struct qhb_x86sem_form *f,
    const struct qhb_pcpu_insn *q, unsigned nq, struct qhb_pcpu_insn *p)
{
	const struct qhb_x86sem_mem *m = &f->mem;
	unsigned W = m->bits, n = 0, areg = QHB_X86SEM_ADDRREG, t[2], nt = 0;
	char disp[24];
	int bad = 0;

	imm_text(f->disp_param, m->disp, disp, sizeof(disp));
	/* the plain terms of the address: segment base, base register */
	if (m->seg != QHB_X86SEM_NOREG)
		t[nt++] = m->seg;
	if (m->base != QHB_X86SEM_NOREG)
		t[nt++] = m->base;
	if (m->index == QHB_X86SEM_NOREG && nt == 1 && (!m->write ||
	    t[0] >= 16 || !(f->wregs & (1u << t[0])))) {
		/* one register + disp: in the load and store themselves */
		areg = t[0];
	} else {
		if (m->index != QHB_X86SEM_NOREG)
			bad |= emit(p, &n, "shl.64 r%u, r%u, #%u", areg, m->index,
			    m->shift);
		else if (nt > 0)
			bad |= emit(p, &n, "mov.64 r%u, r%u, r%u", areg, t[--nt],
			    areg);
		else
			bad |= emit(p, &n, "and.64 r%u, r%u, #0", areg, areg);
		while (nt > 0)
			bad |= emit(p, &n, "add.64 r%u, r%u, r%u", areg, areg,
			    t[--nt]);
	}
	if (m->read)
		bad |= emit(p, &n, "ld.%u r%u, r%u, #%s", W, QHB_X86SEM_MEMREG,
		    areg, disp);
	for (unsigned i = 0; i < nq && !bad; i++) {
		if (n >= QHB_PCPU_MAXPROG)
			return 0;
		p[n++] = q[i];
	}
	if (m->write)
		bad |= emit(p, &n, "st.%u r%u, r%u, #%s", W, areg,
		    QHB_X86SEM_MEMREG, disp);
	return bad ? 0 : n;
}

/* Programs for forms the search may not reach in its budget, over the
 * register view: lea of a 64- or 32-bit register (the address in r19,
 * then its displacement added), push of an immediate.  Returns the
 * length, 0 when the form has none. */
static unsigned fixed_program(const struct qhb_x86sem_form *f,
    struct qhb_pcpu_insn *p)
{
	const struct qhb_x86sem_mem *m = &f->mem;
	unsigned n = 0, a = QHB_X86SEM_ADDRREG;
	char v[24];
	int bad = 0;

	if (f->lea_bits == 64 || f->lea_bits == 32) {
		if (m->index != QHB_X86SEM_NOREG)
			bad |= emit(p, &n, "shl.64 r%u, r%u, #%u", a, m->index,
			    m->shift);
		else
			bad |= emit(p, &n, "and.64 r%u, r%u, #0", a, a);
		if (m->base != QHB_X86SEM_NOREG)
			bad |= emit(p, &n, "add.64 r%u, r%u, r%u", a, a, m->base);
		imm_text(f->disp_param, m->disp, v, sizeof(v));
		bad |= emit(p, &n, "add.%u r%u, r%u, #%s", f->lea_bits,
		    f->lea_dst, a, v);
		return bad ? 0 : n;
	}
	if (f->div_src < QHB_PCPU_NREG) {
		/* rax, rdx (ah) := quotient, remainder of rdx:rax (ax) */
		unsigned W = f->div_bits, d = f->div_src;

		if (W == 8) {
			bad |= emit(p, &n, "ext.8 r20, r0, #8");
			bad |= emit(p, &n, "divu.8 r20, r0, r%u", d);
			bad |= emit(p, &n, "ext.8 r21, r0, #8");
			bad |= emit(p, &n, "remu.8 r21, r0, r%u", d);
			bad |= emit(p, &n, "ins.8 r0, r20, #0");
			bad |= emit(p, &n, "ins.8 r0, r21, #8");
			return bad ? 0 : n;
		}
		bad |= emit(p, &n, "mov.64 r20, r2, r2");
		bad |= emit(p, &n, "divu.%u r20, r0, r%u", W, d);
		bad |= emit(p, &n, "mov.64 r21, r2, r2");
		bad |= emit(p, &n, "remu.%u r21, r0, r%u", W, d);
		if (W == 16) {
			bad |= emit(p, &n, "ins.16 r0, r20, #0");
			bad |= emit(p, &n, "ins.16 r2, r21, #0");
		} else {
			bad |= emit(p, &n, "mov.%u r0, r20, r20", W);
			bad |= emit(p, &n, "mov.%u r2, r21, r21", W);
		}
		return bad ? 0 : n;
	}
	if (f->cmpxchg_src < 16 && m->kind == QHB_X86SEM_MEMOP) {
		/* flags of cmp acc, [m]; acc from [m] when they differ (a
		 * 32-bit write zero-extends, 8 and 16 merge); [m] from src
		 * when equal, else written back */
		unsigned W = m->bits;

		bad |= emit(p, &n, "sub.%uf r17, r0, r18", W);
		bad |= emit(p, &n, "cc.8 r20, r0, #4");
		bad |= emit(p, &n, "cc.8 r21, r0, #5");
		if (W == 64) {
			bad |= emit(p, &n, "sel.64 r0, r18, r21");
		} else {
			if (W == 32) {
				bad |= emit(p, &n, "mov.32 r22, r18, r18");
			} else {
				bad |= emit(p, &n, "mov.64 r22, r0, r0");
				bad |= emit(p, &n, "ins.%u r22, r18, #0", W);
			}
			bad |= emit(p, &n, "sel.64 r0, r22, r21");
		}
		bad |= emit(p, &n, "sel.%u r18, r%u, r20", W, f->cmpxchg_src);
		return bad ? 0 : n;
	}
	if (m->kind == QHB_X86SEM_PUSH && f->regs == 1u << 4 && f->nimm == 1) {
		bad |= emit(p, &n, "and.64 r18, r18, #0");
		imm_text(f->imm_param, f->imm[0], v, sizeof(v));
		bad |= emit(p, &n, "or.64 r18, r18, #%s", v);
		bad |= emit(p, &n, "sub.64 r4, r4, #8");
		return bad ? 0 : n;
	}
	return 0;
}

/* A vector form's address into r19 (segment base + base + (index <<
 * shift) + disp) and, for an aligned operand, r28 set when it is not
 * 16-byte aligned (#GP): r22 = (addr & 15) == 0 ? ~0 : 0, plus 1. */
static int vector_address(const struct qhb_x86sem_form *f,
    struct qhb_pcpu_insn *p, unsigned *n)
{
	const struct qhb_x86sem_mem *m = &f->mem;
	char v[24];
	int bad = 0;

	if (m->index != QHB_X86SEM_NOREG)
		bad |= emit(p, n, "shl.64 r19, r%u, #%u", m->index, m->shift);
	else
		bad |= emit(p, n, "xor.64 r19, r19, r19");
	if (m->seg != QHB_X86SEM_NOREG)
		bad |= emit(p, n, "add.64 r19, r19, r%u", m->seg);
	if (m->base != QHB_X86SEM_NOREG)
		bad |= emit(p, n, "add.64 r19, r19, r%u", m->base);
	imm_text(f->disp_param, m->disp, v, sizeof(v));
	if (f->disp_param >= 0 || m->disp != 0)
		bad |= emit(p, n, "add.64 r19, r19, #%s", v);
	if (f->valign) {
		bad |= emit(p, n, "and.64 r22, r19, #15");
		bad |= emit(p, n, "pcmpeq.64 r22, r22, #0");
		bad |= emit(p, n, "add.64 r22, r22, #1");
		bad |= emit(p, n, "sel.64 r28, r22, r22");
	}
	return bad;
}

/* The program of a vector form (x86sem.h): xmm i is the pair r(48 +
 * 2i), r(49 + 2i); a memory source is loaded into r20, r21 first (zero
 * above its width), a memory destination stored from the xmm.  Returns
 * the length, 0 when the form has none. */
static unsigned vector_program(const struct qhb_x86sem_form *f,
    struct qhb_pcpu_insn *p)
{
	unsigned n = 0, d = f->vdst, s = f->vsrc, l = f->vlane, mb = f->mem.bits;
	static const char *const lane_op[] = {
		[QHB_X86SEM_VPADD] = "padd", [QHB_X86SEM_VPXOR] = "xor",
		[QHB_X86SEM_VPOR] = "or", [QHB_X86SEM_VPAND] = "and",
		[QHB_X86SEM_VPCMPEQ] = "pcmpeq",
	};
	int bad = 0;

	if (f->mem.kind == QHB_X86SEM_MEMOP)
		bad |= vector_address(f, p, &n);
	if (s == QHB_X86SEM_MEMREG) {
		bad |= emit(p, &n, "ld.%u r20, r19, #0", mb > 64 ? 64 : mb);
		if (mb > 64)
			bad |= emit(p, &n, "ld.64 r21, r19, #8");
		else
			bad |= emit(p, &n, "xor.64 r21, r21, r21");
		s = 20;
	}
	switch (f->vec) {
	case QHB_X86SEM_VMOV:
		if (d == QHB_X86SEM_MEMREG) {
			bad |= emit(p, &n, "st.%u r19, r%u, #0", mb > 64 ? 64 : mb, s);
			if (mb > 64)
				bad |= emit(p, &n, "st.64 r19, r%u, #8", s + 1);
		} else if (d < 16) {
			bad |= emit(p, &n, "mov.%u r%u, r%u, r%u", f->vbits, d, s, s);
		} else if (f->vbits == 128) {
			bad |= emit(p, &n, "mov.64 r%u, r%u, r%u", d, s, s);
			bad |= emit(p, &n, "mov.64 r%u, r%u, r%u", d + 1, s + 1, s + 1);
		} else {
			bad |= emit(p, &n, "mov.%u r%u, r%u, r%u", f->vbits, d, s, s);
			bad |= emit(p, &n, "xor.64 r%u, r%u, r%u", d + 1, d + 1, d + 1);
		}
		break;
	case QHB_X86SEM_VPADD: case QHB_X86SEM_VPXOR: case QHB_X86SEM_VPOR:
	case QHB_X86SEM_VPAND: case QHB_X86SEM_VPCMPEQ:
		bad |= emit(p, &n, "%s.%u r%u, r%u, r%u", lane_op[f->vec], l, d, d,
		    s);
		bad |= emit(p, &n, "%s.%u r%u, r%u, r%u", lane_op[f->vec], l, d + 1,
		    d + 1, s + 1);
		break;
	case QHB_X86SEM_VPSHUFB:
		/* both halves from the old destination before either is
		 * written */
		bad |= emit(p, &n, "pshufb.64 r22, r%u, r%u", s, d);
		bad |= emit(p, &n, "pshufb.64 r23, r%u, r%u", s + 1, d);
		bad |= emit(p, &n, "mov.64 r%u, r22, r22", d);
		bad |= emit(p, &n, "mov.64 r%u, r23, r23", d + 1);
		break;
	case QHB_X86SEM_VPSHUFD:
		/* dword i of the result from dword (imm >> 2i) & 3 */
		for (unsigned i = 0; i < 4; i++) {
			unsigned k = (f->vimm >> (2 * i)) & 3;

			bad |= emit(p, &n, "ext.32 r%u, r%u, #%u", 22 + i, s + k / 2,
			    32 * (k & 1));
		}
		bad |= emit(p, &n, "ins.32 r22, r23, #32");
		bad |= emit(p, &n, "ins.32 r24, r25, #32");
		bad |= emit(p, &n, "mov.64 r%u, r22, r22", d);
		bad |= emit(p, &n, "mov.64 r%u, r24, r24", d + 1);
		break;
	case QHB_X86SEM_VPUNPCKL:
		if (l == 64) {
			bad |= emit(p, &n, "mov.64 r%u, r%u, r%u", d + 1, s, s);
			break;
		}
		/* d0 s0 d1 s1: the high dwords saved first */
		bad |= emit(p, &n, "ext.32 r22, r%u, #32", d);
		bad |= emit(p, &n, "ext.32 r23, r%u, #32", s);
		bad |= emit(p, &n, "ins.32 r%u, r%u, #32", d, s);
		bad |= emit(p, &n, "mov.64 r%u, r22, r22", d + 1);
		bad |= emit(p, &n, "ins.32 r%u, r23, #32", d + 1);
		break;
	case QHB_X86SEM_VPSLL: case QHB_X86SEM_VPSRL: {
		const char *op = f->vec == QHB_X86SEM_VPSLL ? "psll" : "psrl";

		if (s == QHB_X86SEM_NOREG) {
			bad |= emit(p, &n, "%s.%u r%u, r%u, #%u", op, l, d, d, f->vimm);
			bad |= emit(p, &n, "%s.%u r%u, r%u, #%u", op, l, d + 1, d + 1,
			    f->vimm);
			break;
		}
		/* the count (all 64 bits) kept: s may be d */
		bad |= emit(p, &n, "mov.64 r24, r%u, r%u", s, s);
		bad |= emit(p, &n, "%s.%u r%u, r%u, r24", op, l, d, d);
		bad |= emit(p, &n, "%s.%u r%u, r%u, r24", op, l, d + 1, d + 1);
		break;
	}
	case QHB_X86SEM_VPMOVMSKB:
		bad |= emit(p, &n, "pmskb.64 r%u, r%u, r%u", d, s, s);
		bad |= emit(p, &n, "pmskb.64 r22, r%u, r%u", s + 1, s + 1);
		bad |= emit(p, &n, "ins.8 r%u, r22, #8", d);
		break;
	default:
		return 0;
	}
	return bad ? 0 : n;
}

/* r19 := the whole address of f's memory operand (segment base, base,
 * index << shift, displacement or its parameter). */
static int address_r19(const struct qhb_x86sem_form *f,
    struct qhb_pcpu_insn *p, unsigned *n)
{
	const struct qhb_x86sem_mem *m = &f->mem;
	unsigned t[2], nt = 0, i = 0;
	int bad = 0, folded = 0;
	char d[24];

	imm_text(f->disp_param, m->disp, d, sizeof(d));
	if (m->seg != QHB_X86SEM_NOREG)
		t[nt++] = m->seg;
	if (m->base != QHB_X86SEM_NOREG)
		t[nt++] = m->base;
	/* the first instruction takes two terms, or one and the
	 * displacement */
	if (m->index != QHB_X86SEM_NOREG) {
		bad |= emit(p, n, "shl.64 r19, r%u, #%u", m->index, m->shift);
	} else if (nt == 2) {
		bad |= emit(p, n, "add.64 r19, r%u, r%u", t[0], t[1]);
		i = 2;
	} else if (nt == 1) {
		bad |= emit(p, n, "add.64 r19, r%u, #%s", t[0], d);
		i = folded = 1;
	} else {
		bad |= emit(p, n, "and.64 r19, r19, #0");
	}
	for (; i < nt; i++)
		bad |= emit(p, n, "add.64 r19, r19, r%u", t[i]);
	if (!folded && (m->disp != 0 || f->disp_param >= 0))
		bad |= emit(p, n, "add.64 r19, r19, #%s", d);
	return bad;
}

/* The middle of bt/bts/btr/btc on x, the bit's position pos ("#k" or
 * "rN"): r22 := x shifted (masked) or rotated right by pos, CF := its bit
 * 0 (neg sets CF when its operand is not 0); then the bit set, cleared or
 * complemented: masked, in x through the mask 1 << pos in r24 (the SDM's
 * terms, which Z3 proves equal in milliseconds where rotations take
 * seconds), else in r22, and x := r22 rotated back (for an immediate, and
 * where the mask does not fit).  bt writes nothing back. */
static int bit_middle(const struct qhb_x86sem_form *f, unsigned x,
    const char *pos, int masked, struct qhb_pcpu_insn *p, unsigned *n)
{
	static const char *const change[] = {
		[QHB_X86SEM_SP_BTS] = "or", [QHB_X86SEM_SP_BTR] = "and",
		[QHB_X86SEM_SP_BTC] = "xor",
	};
	unsigned W = f->opbits;
	int bad = 0;

	bad |= emit(p, n, "%s.%u r22, r%u, %s", masked ? "shr" : "ror", W, x,
	    pos);
	bad |= emit(p, n, "and.64 r23, r22, #1");
	bad |= emit(p, n, "neg.64f:%02x r23, r23, r23", QHB_PCPU_CF);
	if (f->special == QHB_X86SEM_SP_BT)
		return bad;
	if (!masked) {
		bad |= emit(p, n, "%s.%u r22, r22, #%d", change[f->special], W,
		    f->special == QHB_X86SEM_SP_BTR ? -2 : 1);
		bad |= emit(p, n, "rol.%u r%u, r22, %s", W, x, pos);
		return bad;
	}
	bad |= emit(p, n, "and.64 r24, r24, #0");
	bad |= emit(p, n, "or.64 r24, r24, #1");
	bad |= emit(p, n, "shl.%u r24, r24, %s", W, pos);
	if (f->special == QHB_X86SEM_SP_BTR)
		bad |= emit(p, n, "not.%u r24, r24, r24", W);
	bad |= emit(p, n, "%s.%u r%u, r%u, r24", change[f->special], W, x, x);
	return bad;
}

/* A register's write of width W from r[v]: 64 and 32 bits replace (32
 * zero-extends), 16 and 8 merge. */
static int write_width(unsigned d, unsigned v, unsigned W,
    struct qhb_pcpu_insn *p, unsigned *n)
{
	if (W >= 32 || d == QHB_X86SEM_MEMREG)
		return emit(p, n, "mov.%u r%u, r%u, r%u", W, d, v, v);
	return emit(p, n, "ins.%u r%u, r%u, #0", W, d, v);
}

/* cmpxchg16b after its address in r19: #GP when it is not 16-byte
 * aligned (r28 := 1); ZF := rdx:rax == [m] (f:08 writes ZF alone);
 * rdx:rax := [m] (the same when equal); [m] := equal ? rcx:rbx :
 * itself. */
static const char *const cmpx16[] = {
	"and.64f:08 r20, r19, #15", "cc.8 r21, r0, #5", "sel.64 r28, r21, r21",
	"ld.64 r22, r19, #0", "ld.64 r23, r19, #8",
	"xor.64 r24, r22, r0", "xor.64 r25, r23, r2",
	"or.64f:08 r24, r24, r25", "cc.8 r25, r0, #4",
	"mov.64 r0, r22, r22", "mov.64 r2, r23, r23",
	"sel.64 r22, r3, r25", "sel.64 r23, r1, r25",
	"st.64 r19, r22, #0", "st.64 r19, r23, #8",
};

/* bt/bts/btr/btc m, r: the operand the bit lies in (the offset >> log2 W
 * with its sign, in operands of W / 8 bytes), then the bit in it, through
 * the mask (masked) or rotations.  Returns the length, 0 when it does
 * not fit. */
static unsigned bt_memory(const struct qhb_x86sem_form *f, const char *pos,
    int masked, struct qhb_pcpu_insn *p)
{
	unsigned W = f->opbits, n = 0, src = f->opreg[1];
	int bad = address_r19(f, p, &n);

	if (W == 32) {
		bad |= emit(p, &n, "sext.32 r20, r%u, r%u", src, src);
		bad |= emit(p, &n, "sar.64 r20, r20, #5");
	} else {
		bad |= emit(p, &n, "sar.64 r20, r%u, #6", src);
	}
	bad |= emit(p, &n, "shl.64 r20, r20, #%u", W == 64 ? 3 : 2);
	bad |= emit(p, &n, "add.64 r19, r19, r20");
	bad |= emit(p, &n, "ld.%u r18, r19, #0", W);
	bad |= bit_middle(f, QHB_X86SEM_MEMREG, pos, masked, p, &n);
	if (f->mem.write)
		bad |= emit(p, &n, "st.%u r19, r18, #0", W);
	return bad ? 0 : n;
}

/* Programs of forms past the search: xadd, bts/btr/btc, leave over the
 * register view (the memory access wrapped around them), and the forms
 * without one (push/pop m64, bt m, r, cmpxchg16b) whole.  Returns the
 * length, 0 when f has none or it does not fit. */
static unsigned own_program(const struct qhb_x86sem_form *f,
    struct qhb_pcpu_insn *p)
{
	struct qhb_pcpu_insn q[QHB_PCPU_MAXPROG];
	const struct qhb_x86sem_mem *m = &f->mem;
	unsigned n = 0, W = f->opbits, x = f->opreg[0];
	unsigned src = f->opreg[1] == QHB_X86SEM_NOREG ? QHB_X86SEM_MEMREG :
	    f->opreg[1];
	char pos[24];
	int bad = 0;

	if (x == QHB_X86SEM_NOREG)
		x = QHB_X86SEM_MEMREG;
	if (f->opreg[1] != QHB_X86SEM_NOREG)
		snprintf(pos, sizeof(pos), "r%u", f->opreg[1]);
	else
		snprintf(pos, sizeof(pos), "#%lld",
		    (long long)(f->imm[0] & (W - 1)));
	switch (m->kind) {
	case QHB_X86SEM_PUSHM:
		bad |= address_r19(f, p, &n);
		bad |= emit(p, &n, "ld.64 r18, r19, #0");
		bad |= emit(p, &n, "st.64 r4, r18, #-8");
		bad |= emit(p, &n, "sub.64 r4, r4, #8");
		return bad ? 0 : n;
	case QHB_X86SEM_POPM:
		/* the address from rsp after the pop, as x86 computes it */
		bad |= emit(p, &n, "ld.64 r18, r4, #0");
		bad |= emit(p, &n, "add.64 r4, r4, #8");
		bad |= address_r19(f, p, &n);
		bad |= emit(p, &n, "st.64 r19, r18, #0");
		return bad ? 0 : n;
	case QHB_X86SEM_BTM:
		if ((n = bt_memory(f, pos, 1, p)) == 0)
			n = bt_memory(f, pos, 0, p);
		return n;
	case QHB_X86SEM_CMPX16:
		bad |= address_r19(f, p, &n);
		for (size_t i = 0; i < sizeof(cmpx16) / sizeof(cmpx16[0]); i++)
			bad |= emit(p, &n, "%s", cmpx16[i]);
		return bad ? 0 : n;
	default:
		break;
	}
	switch (f->special) {
	case QHB_X86SEM_SP_XADD:
		/* the sum and its flags; the source := the destination,
		 * then the destination := the sum */
		bad |= emit(q, &n, "add.%uf r17, r%u, r%u", W, x, f->opreg[1]);
		bad |= write_width(f->opreg[1], x, W, q, &n);
		bad |= write_width(x, 17, W, q, &n);
		break;
	case QHB_X86SEM_SP_BTS: case QHB_X86SEM_SP_BTR:
	case QHB_X86SEM_SP_BTC:
		bad |= bit_middle(f, x, pos, f->opreg[1] != QHB_X86SEM_NOREG, q,
		    &n);
		break;
	case QHB_X86SEM_SP_MUL: case QHB_X86SEM_SP_IMUL1:
		/* rdx := the high half (its flags), rax := the low half */
		bad |= emit(q, &n, "%s.%uf:%02x r20, r0, r%u", f->special ==
		    QHB_X86SEM_SP_MUL ? "mulhu" : "mulhs", W,
		    QHB_PCPU_CF | QHB_PCPU_OF, x);
		bad |= emit(q, &n, "mul.%u r21, r0, r%u", W, x);
		bad |= write_width(0, 21, W, q, &n);
		bad |= write_width(2, 20, W, q, &n);
		break;
	case QHB_X86SEM_SP_IDIV:
		/* rax, rdx := quotient, remainder of rdx:rax (divs and rems
		 * set r28 on #DE) */
		bad |= emit(q, &n, "mov.64 r20, r2, r2");
		bad |= emit(q, &n, "divs.%u r20, r0, r%u", W, x);
		bad |= emit(q, &n, "mov.64 r21, r2, r2");
		bad |= emit(q, &n, "rems.%u r21, r0, r%u", W, x);
		bad |= write_width(0, 20, W, q, &n);
		bad |= write_width(2, 21, W, q, &n);
		break;
	case QHB_X86SEM_SP_BSF: case QHB_X86SEM_SP_BSR:
		/* ZF := the source is 0 (0 where it is defined), then r28 := 1
		 * for a zero source; the index: bsr's is W - 1 - clz */
		bad |= emit(q, &n, "and.%uf:%02x r20, r%u, r%u", W, QHB_PCPU_ZF,
		    src, src);
		bad |= emit(q, &n, "cc.8 r21, r0, #4");
		bad |= emit(q, &n, "sel.64 r28, r21, r21");
		bad |= emit(q, &n, "%s.%u r17, r%u, r%u", f->special ==
		    QHB_X86SEM_SP_BSF ? "ctz" : "clz", W, src, src);
		if (f->special == QHB_X86SEM_SP_BSR)
			bad |= emit(q, &n, "xor.%u r17, r17, #%u", W, W - 1);
		bad |= write_width(f->opreg[0], 17, W, q, &n);
		break;
	case QHB_X86SEM_SP_TZCNT: case QHB_X86SEM_SP_LZCNT:
	case QHB_X86SEM_SP_POPCNT:
		bad |= emit(q, &n, "%s.%uf r17, r%u, r%u", f->special ==
		    QHB_X86SEM_SP_TZCNT ? "ctz" : f->special ==
		    QHB_X86SEM_SP_LZCNT ? "clz" : "popcnt", W, src, src);
		bad |= write_width(f->opreg[0], 17, W, q, &n);
		break;
	case QHB_X86SEM_SP_LEAVE:
		bad |= emit(q, &n, "add.64 r4, r5, #8");
		bad |= emit(q, &n, "mov.64 r5, r18, r18");
		break;
	default:
		return 0;
	}
	if (bad)
		return 0;
	if (m->kind == QHB_X86SEM_REG) {
		memcpy(p, q, n * sizeof(*q));
		return n;
	}
	return wrap_memory(f, q, n, p);
}

int qhb_synth_form(const struct qhb_x86sem_form *f,
    const struct qhb_synth_opts *o, struct qhb_synth_result *r,
    struct qhb_err *e)
{
	struct search *s = calloc(1, sizeof(*s));
	struct z z;
	uint64_t seed = 0x9e3779b97f4a7c15ULL ^ XXH3_64bits(f->text,
	    strlen(f->text));
	struct qhb_pcpu_state in;
	double t0 = now();
	unsigned max_len = o->max_len > QHB_SYNTH_MAXLEN ? QHB_SYNTH_MAXLEN :
	    o->max_len;
	int rv = -1, zopen = 0, tried = 0, fixed;

	memset(r, 0, sizeof(*r));
	r->status = QHB_SYNTH_FAILED;
	if (s == NULL)
		return qhb_err_set(e, "out of memory");
	if (!f->ok) {
		snprintf(r->reason, sizeof(r->reason), "%s", f->reason);
		rv = 0;
		goto out;
	}
	if (z_open(&z, f, e) < 0) {
		/* a form the decoder took but the semantics cannot build
		 * falls back, with the reason, rather than end the run */
		if (strstr(e->msg, "Z3") != NULL)
			goto out;
		snprintf(r->reason, sizeof(r->reason), "%.120s", e->msg);
		rv = 0;
		goto out;
	}
	zopen = 1;
	s->f = f;
	s->z = &z;
	s->budget = o->budget;
	if ((fixed = prove_fixed(&z, f, o, r, e)) != 0) {
		rv = fixed < 0 ? -1 : 0;
		goto out;
	}
	s->seencap = 1u << 20;
	s->npre = hi_prefix(f, s->pre);
	if ((s->seen = malloc(s->seencap * sizeof(uint64_t))) == NULL ||
	    make_pool(s) < 0) {
		qhb_err_set(e, "out of memory");
		goto out;
	}
	/* Seed tests: zero, all ones, random states. */
	for (int k = 0; k < 4; k++) {
		for (int i = 0; i < QHB_PCPU_NREG; i++)
			in.r[i] = k == 0 ? 0 : k == 1 ? ~0ULL : rng(&seed);
		/* selectors of 16 bits, the reserved registers 0 */
		for (int i = QHB_PCPU_SEG; i < QHB_PCPU_KGSBASE; i++)
			in.r[i] &= 0xffff;
		for (int i = QHB_PCPU_RSVD; i < QHB_PCPU_XMM; i++)
			in.r[i] = 0;
		in.r[QHB_PCPU_FLAGS] = (in.r[QHB_PCPU_FLAGS] &
		    QHB_RFLAGS_ARITH) | 2;
		if (add_test(s, &in) < 0) {
			qhb_err_set(e, "%s: Z3 did not evaluate a test state",
			    f->text);
			goto out;
		}
	}
	for (;;) {
		struct qhb_pcpu_insn p[QHB_PCPU_MAXPROG];
		/* cmpxchg and div are past any search: their fixed
		 * programs first */
		int g = !tried && (f->cmpxchg_src < 16 ||
		    f->div_src < QHB_PCPU_NREG) ? -2 :
		    search_deepening(s, max_len), pr;
		unsigned n;
		char why[128] = "";

		if (g < 0 && g != -3 && s->npre > 0) {
			/* the high bytes apart found nothing: the plain
			 * search, with a budget of its own */
			s->npre = 0;
			s->npool = 0;
			s->budget = s->evals + o->budget;
			g = make_pool(s) < 0 ? -3 : search_deepening(s, max_len);
		}

		if (g == -3) {
			qhb_err_set(e, "out of memory");
			goto out;
		}
		if (g < 0 && !tried && (n = fixed_program(f, p)) > 0) {
			/* the search gave up: a fixed program, proven the same */
			tried = 1;
		} else if (g < 0) {
			snprintf(r->reason, sizeof(r->reason), g == -1 ?
			    "no sequence of up to %u Pixel CPU instructions" :
			    "search budget spent (sequences of up to %u)",
			    max_len);
			break;
		} else {
			n = prog_of(s, g, p);
		}
		r->iterations++;
		pr = z_check(&z, p, n, 0, 1, o->timeout_ms, &in,
		    &r->solver_seconds, why, sizeof(why));
		if (pr == 1 && f->nparam > 0) {
			/* right for this instance: now as a template, for
			 * every value of the parameters (the memory forms'
			 * whole program is proven that way below) */
			lift(f, p, n);
			if (!has_mem(f) && (pr = z_check(&z, p, n, 0, 0,
			    o->timeout_ms, NULL, &r->solver_seconds, why,
			    sizeof(why))) != 1) {
				snprintf(r->reason, sizeof(r->reason), "%s", pr < 0 ?
				    why : "proven for this instance's address "
				    "only, not for every value of its parameters");
				break;
			}
		}
		if (pr == 1 && has_mem(f)) {
			/* the register view holds: now the whole program */
			if ((r->n = wrap_memory(f, p, n, r->prog)) == 0) {
				snprintf(r->reason, sizeof(r->reason), "the memory "
				    "access does not fit in %d instructions",
				    QHB_PCPU_MAXPROG);
				break;
			}
			pr = z_check(&z, r->prog, r->n, 1, 0, o->timeout_ms, NULL,
			    &r->solver_seconds, why, sizeof(why));
			if (pr == 1) {
				r->status = QHB_SYNTH_PROVEN;
			} else {
				snprintf(r->reason, sizeof(r->reason), "%s",
				    pr < 0 ? why : "the program with its memory "
				    "access is not equivalent");
				r->n = 0;
			}
			break;
		}
		if (pr == 1) {
			r->status = QHB_SYNTH_PROVEN;
			memcpy(r->prog, p, n * sizeof(*p));
			r->n = n;
			break;
		}
		if (pr < 0) {
			snprintf(r->reason, sizeof(r->reason), "%s", why);
			break;
		}
		if (add_test(s, &in) < 0) {
			snprintf(r->reason, sizeof(r->reason),
			    "more than %d counterexamples", MAXTEST);
			break;
		}
	}
	rv = 0;
out:
	r->tests = s->nt;
	r->evals = s->evals;
	r->seconds = now() - t0;
	if (zopen)
		z_close(&z);
	free(s->pool);
	free(s->nodes);
	free(s->vec);
	free(s->seen);
	free(s);
	return rv;
}

/*
 * Templates.
 */
static const char *const gpr_names[5][16] = {
	{ "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" },
	{ "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
	  "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" },
	{ "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
	  "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" },
	{ "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
	  "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" },
	{ "ah", "ch", "dh", "bh" },
};
static const char *const gpr_kinds[5] = { "r64", "r32", "r16", "r8", "r8h" };

/* The general register a word names: its number, and its kind in *kind;
 * -1 when it is none. */
static int gpr_of(const char *w, size_t n, unsigned *kind)
{
	for (unsigned k = 0; k < 5; k++)
		for (unsigned r = 0; r < 16 && gpr_names[k][r] != NULL; r++)
			if (strlen(gpr_names[k][r]) == n &&
			    strncmp(gpr_names[k][r], w, n) == 0) {
				*kind = k;
				return (int)r;
			}
	return -1;
}

/* Writes f's shape into buf and, when order is not NULL, the registers
 * of its letters in order (order[i]: the register of letter i, *nreg of
 * them). */
static void shape_of(const struct qhb_x86sem_form *f, char *buf, size_t size,
    int *order, unsigned *nreg)
{
	const char *t = f->key;
	int regs[16];
	unsigned nr = 0;
	size_t o = 0;

	buf[0] = '\0';
	while (*t != '\0' && o + 8 < size) {
		size_t n = 0;
		unsigned kind;
		int g;

		while ((t[n] >= 'a' && t[n] <= 'z') || (t[n] >= 'A' &&
		    t[n] <= 'Z') || (t[n] >= '0' && t[n] <= '9'))
			n++;
		if (n == 0) {
			buf[o++] = *t++;
			continue;
		}
		if ((g = gpr_of(t, n, &kind)) >= 0) {
			unsigned i = 0;

			while (i < nr && regs[i] != g)
				i++;
			if (i == nr && nr < 16)
				regs[nr++] = g;
			o += (size_t)snprintf(buf + o, size - o, "%s%c",
			    gpr_kinds[kind], 'a' + (int)i);
		} else if (t[0] >= '0' && t[0] <= '9' && (t == f->key ||
		    t[-1] != '*')) {
			buf[o++] = '#';
		} else {
			o += (size_t)snprintf(buf + o, size - o, "%.*s", (int)n,
			    t);
		}
		if (o >= size)
			o = size - 1;
		t += n;
	}
	buf[o < size ? o : size - 1] = '\0';
	if (order != NULL) {
		memcpy(order, regs, nr * sizeof(*regs));
		*nreg = nr;
	}
}

void qhb_synth_shape(const struct qhb_x86sem_form *f, char *buf, size_t size)
{
	shape_of(f, buf, size, NULL, NULL);
}

/* The constants of a form a template maps: its immediates, and its
 * displacement when that is not a parameter.  Returns how many. */
static unsigned consts_of(const struct qhb_x86sem_form *f, int64_t *c)
{
	unsigned n = 0;

	for (unsigned i = 0; i < f->nimm; i++)
		c[n++] = f->imm[i];
	if (has_mem(f) && f->disp_param < 0)
		c[n++] = f->mem.disp;
	return n;
}

/* t's program for f, its registers and constants mapped, into p; with
 * bits, the immediates of ins and ext (bit positions, as often as not:
 * the 8 of ah) stay.  Returns 0, or -1 with why when f is not of t's
 * shape or a constant of t stands for two of f's. */
static int map_template(const struct qhb_x86sem_form *f,
    const struct qhb_synth_tmpl *t, int bits, struct qhb_pcpu_insn *p,
    char *why, size_t whysize)
{
	char sf[QHB_SYNTH_SHAPE], st[QHB_SYNTH_SHAPE];
	int rf[16], rt[16], map[QHB_PCPU_NREG];
	int64_t cf[QHB_X86SEM_NIMM + 1], ct[QHB_X86SEM_NIMM + 1];
	unsigned nf, nt, kf = consts_of(f, cf), kt = consts_of(&t->from, ct);

	shape_of(f, sf, sizeof(sf), rf, &nf);
	shape_of(&t->from, st, sizeof(st), rt, &nt);
	if (strcmp(sf, st) != 0 || nf != nt || kf != kt) {
		snprintf(why, whysize, "the template is not of the form's "
		    "shape");
		return -1;
	}
	for (unsigned i = 0; i < kt; i++)
		for (unsigned j = 0; j < i; j++)
			if (ct[i] == ct[j] && cf[i] != cf[j]) {
				snprintf(why, whysize, "the template's constant "
				    "%lld stands for two", (long long)ct[i]);
				return -1;
			}
	for (int i = 0; i < QHB_PCPU_NREG; i++)
		map[i] = i;
	for (unsigned i = 0; i < nt; i++)
		map[rt[i]] = rf[i];
	for (unsigned i = 0; i < t->n; i++) {
		p[i] = t->p[i];
		p[i].d = (uint8_t)map[p[i].d % QHB_PCPU_NREG];
		p[i].a = (uint8_t)map[p[i].a % QHB_PCPU_NREG];
		if (p[i].bimm == 0)
			p[i].b = (uint8_t)map[p[i].b % QHB_PCPU_NREG];
		if (bits && (p[i].op == QHB_PCPU_INS || p[i].op == QHB_PCPU_EXT))
			continue;
		for (unsigned k = 0; p[i].bimm == 1 && k < kt; k++)
			if (p[i].imm == ct[k]) {
				p[i].imm = cf[k];
				break;
			}
	}
	return 0;
}

int qhb_synth_template(const struct qhb_x86sem_form *f,
    const struct qhb_synth_tmpl *t, const struct qhb_synth_opts *o,
    struct qhb_synth_result *r, struct qhb_err *e)
{
	struct z z;
	struct qhb_pcpu_insn alt[QHB_PCPU_MAXPROG];
	double t0 = now();
	char why[128] = "";
	int pr;

	memset(r, 0, sizeof(*r));
	r->status = QHB_SYNTH_FAILED;
	if (!f->ok || t->n > QHB_PCPU_MAXPROG ||
	    map_template(f, t, 0, r->prog, r->reason, sizeof(r->reason)) < 0) {
		if (!f->ok)
			snprintf(r->reason, sizeof(r->reason), "%s", f->reason);
		r->seconds = now() - t0;
		return 0;
	}
	if (qhb_pcpu_check(r->prog, t->n, e) < 0 || z_open(&z, f, e) < 0)
		return -1;
	r->iterations = 1;
	pr = z_check(&z, r->prog, t->n, has_mem(f), 0, o->timeout_ms, NULL,
	    &r->solver_seconds, why, sizeof(why));
	/* refuted: the same with the bit positions left as they were, when
	 * that is another program */
	if (pr == 0 && map_template(f, t, 1, alt, why, sizeof(why)) == 0 &&
	    memcmp(alt, r->prog, t->n * sizeof(*alt)) != 0) {
		r->tmpl_refuted++;
		r->iterations++;
		memcpy(r->prog, alt, t->n * sizeof(*alt));
		pr = z_check(&z, r->prog, t->n, has_mem(f), 0, o->timeout_ms,
		    NULL, &r->solver_seconds, why, sizeof(why));
	}
	z_close(&z);
	if (pr == 1) {
		r->status = QHB_SYNTH_PROVEN;
		r->n = t->n;
		snprintf(r->tmpl_from, sizeof(r->tmpl_from), "%s",
		    t->from.text);
	} else {
		r->tmpl_refuted++;
		snprintf(r->reason, sizeof(r->reason), "the template of %.60s "
		    "%s", t->from.text, pr == 0 ? "is refuted" : why);
	}
	r->seconds = now() - t0;
	return 0;
}
