/*
 * learn-native -- runs every proven form of a microcode library natively
 * on this machine's x86-64 CPU (its bytes in an executable page, between a
 * load and a store of all 16 registers and rflags) on random and
 * edge-case states, and requires the Pixel CPU interpreter to give the
 * same registers, the same flags wherever x86 defines them, and the same
 * memory (and the Z3 model of x86sem to agree with the CPU as well).
 *
 * Memory forms get their address registers pointed into a window of a
 * buffer filled with random bytes (the Pixel CPU gets the same window);
 * rip-relative forms get their code page mapped where the operand lands
 * in the window (not when that is the window itself: small displacements
 * are skipped); lea rip reads the page's own rip; gs-relative ones the
 * gs base (arch_prctl).  fs-relative forms are skipped: fs is this
 * process's thread pointer.  div gets a divisor and a high half that
 * raise no #DE, idiv a nonzero divisor and rdx the sign of rax, bsf and
 * bsr a nonzero source (the proofs cover those faults).  rep stos/movs
 * run natively with rcx from 0 to 17 against the one-iteration microcode
 * run as many times (QEMU runs the instruction once per iteration).
 *
 * The system forms (cli, popfq, rdtsc, ...) are checked on their own, see
 * check_system.
 *
 * The vector forms (movdqa, pshufb, ...) too, see check_vec_form.
 *
 * push/pop m64 get rsp in the window too; bt m, r bit offsets of up to
 * +-1024 (beyond the operand both ways); cmpxchg16b aligned operands,
 * equal to rdx:rax every fourth state, and misaligned ones every fifth,
 * where only the Pixel CPU and the model run (#GP: r28 and the model's
 * fault).  These forms have no register view: their model is checked on
 * a Z3 memory holding the window's bytes around the accesses.
 *
 * usage: learn-native LIBRARY [STATES [break-params|break-system|
 * break-vector|break-new]] prints one summary line (and one of the
 * vector forms when there are any); exit 1 on any mismatch.  With
 * break-params, each parameterized form's template is bound to its
 * parameter plus 8 while the bytes keep the parameter: the check must
 * then find mismatches, which shows it is not blind to a wrong address
 * (on the demo's library at --hot 1000, 4 states a form: 0 mismatches,
 * 4575 with break-params).  With break-new, the microcode of each form
 * modelled by a fixed program of its own (push/pop m64, leave, xadd, bt
 * m, r, bts/btr/btc, cmpxchg16b) runs without its last instruction:
 * mismatches again.  Built by tests/integration/learn.sh.
 */
#include <asm/prctl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>
#include <z3.h>

#include "learn.h"
#include "pixelcpu.h"
#include "x86sem.h"
#include "z3bv.h"

#define BUFSIZE 65536
#define WINOFF 32768
#define WINSIZE 8192
#define RESERVE (8ULL << 30)    /* rip +- 2 GiB around buf */

static const unsigned flag_pos[6] = { 0, 2, 4, 6, 7, 11 };

/* What the harness keeps at fixed addresses while the instruction runs. */
static struct {
	uint64_t rsp, state, rax, flags, rflags;
} g;

static uint64_t rng(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static size_t put64(uint8_t *p, size_t n, uint64_t v)
{
	memcpy(p + n, &v, 8);
	return n + 8;
}

/*
 * Machine code: void run(uint64_t st[17]).  Saves the callee-saved
 * registers, rsp and st in g, loads rflags and the 16 registers from st
 * (rsp included), runs the instruction at p + *at, then saves rax, the
 * flags (lahf, seto: no stack needed) and the other registers, restores
 * rsp and returns.  Returns the length; *at is the instruction's offset.
 */
static size_t emit(uint8_t *p, const uint8_t *insn, unsigned len, size_t *at)
{
	static const uint8_t pushes[] = { 0x53, 0x55, 0x41, 0x54, 0x41, 0x55,
	    0x41, 0x56, 0x41, 0x57 };
	static const uint8_t pops[] = { 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d,
	    0x41, 0x5c, 0x5d, 0x5b };
	size_t n = 0;

	memcpy(p, pushes, sizeof(pushes));
	n += sizeof(pushes);
	memcpy(p + n, (const uint8_t[]){ 0x48, 0x89, 0xe0, 0x48, 0xa3 }, 5);
	n = put64(p, n + 5, (uint64_t)(uintptr_t)&g.rsp);     /* rsp */
	memcpy(p + n, (const uint8_t[]){ 0x48, 0x89, 0xf8, 0x48, 0xa3 }, 5);
	n = put64(p, n + 5, (uint64_t)(uintptr_t)&g.state);   /* st */
	/* push qword [rdi+128]; popfq */
	memcpy(p + n, (const uint8_t[]){ 0xff, 0xb7, 0x80, 0, 0, 0, 0x9d }, 7);
	n += 7;
	for (unsigned i = 0; i < 16; i++) {
		if (i == 7)
			continue;
		p[n++] = i >= 8 ? 0x4c : 0x48;
		p[n++] = 0x8b;
		p[n++] = (uint8_t)(0x47 | (i & 7) << 3);
		p[n++] = (uint8_t)(8 * i);
	}
	memcpy(p + n, (const uint8_t[]){ 0x48, 0x8b, 0x7f, 0x38 }, 4);
	n += 4;
	*at = n;
	memcpy(p + n, insn, len);
	n += len;
	p[n++] = 0x48;                                  /* mov [g.rax], rax */
	p[n++] = 0xa3;
	n = put64(p, n, (uint64_t)(uintptr_t)&g.rax);
	memcpy(p + n, (const uint8_t[]){ 0x9f, 0x0f, 0x90, 0xc0, 0x66, 0xa3 },
	    6);                                         /* lahf; seto al */
	n = put64(p, n + 6, (uint64_t)(uintptr_t)&g.flags);
	p[n++] = 0x48;                                  /* mov rax, [g.state] */
	p[n++] = 0xa1;
	n = put64(p, n, (uint64_t)(uintptr_t)&g.state);
	for (unsigned i = 1; i < 16; i++) {
		p[n++] = i >= 8 ? 0x4c : 0x48;
		p[n++] = 0x89;
		p[n++] = (uint8_t)(0x40 | (i & 7) << 3);
		p[n++] = (uint8_t)(8 * i);
	}
	p[n++] = 0x48;                                  /* mov rax, [g.rsp] */
	p[n++] = 0xa1;
	n = put64(p, n, (uint64_t)(uintptr_t)&g.rsp);
	memcpy(p + n, (const uint8_t[]){ 0x48, 0x89, 0xc4, 0x9c, 0x58 }, 5);
	n += 5;                                 /* mov rsp, rax; pushfq; pop rax */
	p[n++] = 0x48;                          /* mov [g.rflags], rax */
	p[n++] = 0xa3;
	n = put64(p, n, (uint64_t)(uintptr_t)&g.rflags);
	/* push 2; popfq: DF and AC clear again for C */
	memcpy(p + n, (const uint8_t[]){ 0x6a, 0x02, 0x9d }, 3);
	n += 3;
	memcpy(p + n, pops, sizeof(pops));
	n += sizeof(pops);
	p[n++] = 0xc3;
	return n;
}

static const uint64_t edge[] = { 0, 1, 2, 7, 8, 9, 15, 16, 31, 32, 33, 63,
	64, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
	0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL,
	0x8000000000000000ULL, ~0ULL, 0x8080808080808080ULL };

struct counts {
	unsigned forms, memforms, skipped, mism, semmism, instances;
	unsigned sysforms, syscaught;
	unsigned vforms, caught;        /* vector forms, broken ones caught */
	unsigned vfaults;               /* states where the CPU raised #GP */
	uint64_t states;
};

/* Points the form's memory access at target t (a window address) by
 * choosing one of its address terms; 0, or -1 when it cannot. */
static int place(const struct qhb_x86sem_mem *m, uint64_t *r, uint64_t t)
{
	uint64_t rest = (uint64_t)m->disp;
	unsigned sh = m->shift;

	if (m->seg != QHB_X86SEM_NOREG)
		rest += r[m->seg];
	if (m->base != QHB_X86SEM_NOREG && m->base != QHB_PCPU_RIP &&
	    m->base != m->index) {
		if (m->index != QHB_X86SEM_NOREG) {
			r[m->index] &= 0xfff;
			rest += r[m->index] << sh;
		}
		r[m->base] = t - rest;
		return 0;
	}
	if (m->base == m->index && m->index != QHB_X86SEM_NOREG) {
		r[m->index] = (t - rest) / (1 + (1ULL << sh));
		return 0;
	}
	if (m->base == QHB_PCPU_RIP)
		rest += r[QHB_PCPU_RIP];
	if (m->index != QHB_X86SEM_NOREG) {
		r[m->index] = (t - rest) >> sh;
		return 0;
	}
	if (m->base == QHB_PCPU_RIP) {
		/* the code page is placed for rip; a gs base stays small */
		if (m->seg == QHB_PCPU_GSBASE)
			r[QHB_PCPU_GSBASE] &= 0x7ff;
		return 0;
	}
	if (m->seg == QHB_PCPU_GSBASE) {
		r[QHB_PCPU_GSBASE] = t - (rest - r[QHB_PCPU_GSBASE]);
		return 0;
	}
	return -1;
}

static uint64_t addr_of(const struct qhb_x86sem_mem *m, const uint64_t *r)
{
	uint64_t a = (uint64_t)m->disp;

	if (m->seg != QHB_X86SEM_NOREG)
		a += r[m->seg];
	if (m->base != QHB_X86SEM_NOREG)
		a += r[m->base];
	if (m->index != QHB_X86SEM_NOREG)
		a += r[m->index] << m->shift;
	return a;
}

/* div: a divisor of at least 1 and a high half below it, so that the
 * CPU raises no #DE (the proofs cover that case: r28 is set). */
static void no_divide_error(const struct qhb_x86sem_form *f, uint64_t *r,
    uint8_t *operand)
{
	unsigned w = f->div_bits;
	uint64_t mask = w == 64 ? ~0ULL : (1ULL << w) - 1, d = 0, hi;

	if (f->div_src == QHB_X86SEM_MEMREG)
		memcpy(&d, operand, w / 8);
	else
		d = r[f->div_src] & mask;
	if (d == 0) {
		d = 1;
		if (f->div_src == QHB_X86SEM_MEMREG)
			operand[0] = 1;
		else
			r[f->div_src] |= 1;
	}
	if (w == 8) {
		hi = (r[0] >> 8 & 0xff) % d;
		r[0] = (r[0] & ~0xff00ULL) | hi << 8;
	} else {
		hi = (r[2] & mask) % d;
		r[2] = (r[2] & ~mask) | hi;
	}
}

/* The free inputs of the x86 model: r0..r79, then the parameters (free
 * in the model, this instance's when run). */
static void z3_inputs(Z3_context c, Z3_ast *in)
{
	for (int i = 0; i < QHB_PCPU_NREG; i++) {
		char nm[8];

		snprintf(nm, sizeof(nm), "r%d", i);
		in[i] = Z3_mk_const(c, Z3_mk_string_symbol(c, nm),
		    Z3_mk_bv_sort(c, 64));
	}
	for (int i = 0; i < QHB_X86SEM_NPARAM; i++)
		in[QHB_X86SEM_PARAM0 + i] = Z3_mk_const(c,
		    Z3_mk_string_symbol(c, i ? "p1" : "p0"), Z3_mk_bv_sort(c, 64));
}

/* A Z3 context and the model's inputs in it. */
static Z3_context z3_open(Z3_ast *in)
{
	Z3_config cfg = Z3_mk_config();
	Z3_context c = Z3_mk_context(cfg);

	Z3_del_config(cfg);
	z3_inputs(c, in);
	return c;
}

/* This process's selectors es cs ss ds fs gs, as r32..r37 hold them. */
static uint64_t sel[6];

static void read_selectors(void)
{
	uint16_t v[6];

	__asm__ volatile("mov %%es, %0" : "=rm"(v[0]));
	__asm__ volatile("mov %%cs, %0" : "=rm"(v[1]));
	__asm__ volatile("mov %%ss, %0" : "=rm"(v[2]));
	__asm__ volatile("mov %%ds, %0" : "=rm"(v[3]));
	__asm__ volatile("mov %%fs, %0" : "=rm"(v[4]));
	__asm__ volatile("mov %%gs, %0" : "=rm"(v[5]));
	for (int i = 0; i < 6; i++)
		sel[i] = v[i];
}

/* Register i's value in vector state s: random, an edge value (shift
 * counts at and past a lane's width among them), a random number of low
 * bits, or for a lane bytes that are pshufb indices, half of them with
 * bit 7 set. */
static uint64_t vec_value(uint64_t *seed, unsigned s, int i)
{
	uint64_t x = rng(seed);

	switch (s % 4) {
	case 1: return edge[x % (sizeof(edge) / 8)];
	case 2: return x & ((1ULL << (x % 64)) - 1);
	case 3: return i >= QHB_PCPU_XMM ? x & 0x8f8f8f8f8f8f8f8fULL : x;
	default: return x;
	}
}

/* The harness's two pages at codeaddr (0: anywhere), writable until
 * mprotect; NULL when they cannot be mapped there. */
static uint8_t *code_page(uint8_t *buf, uint64_t codeaddr)
{
	uint8_t *code;

	if (codeaddr == 0)
		codeaddr = (uint64_t)(uintptr_t)buf + BUFSIZE + 65536;
	/* inside the reservation around buf, never over buf */
	if (codeaddr < (uint64_t)(uintptr_t)buf - RESERVE / 2 + 4096 ||
	    codeaddr > (uint64_t)(uintptr_t)buf + RESERVE / 2 - 65536 ||
	    (codeaddr + 8192 > (uint64_t)(uintptr_t)buf &&
	    codeaddr < (uint64_t)(uintptr_t)buf + BUFSIZE))
		return NULL;
	code = mmap((void *)(uintptr_t)codeaddr, 8192, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	return code == MAP_FAILED ? NULL : code;
}

static int check_vec_form(const struct qhb_x86sem_form *f,
    const struct qhb_learn_entry *en, uint8_t *buf, unsigned nstates,
    uint64_t *seed, struct counts *k);
/*
 * The forms without a register view (push/pop m64, bt m, r, cmpxchg16b):
 * both their accesses in the window, and their Z3 model
 * (qhb_x86sem_build_mem) checked against the CPU on a memory that holds
 * the window's bytes around them.
 */
static int break_new;   /* run their microcode without its last
                         * instruction: the check must see it */

/* Places the operand at a window address (16-byte aligned for
 * cmpxchg16b, except every fifth state: *misaligned, which raises #GP
 * and is not run natively), rsp in the window for push and pop, and bt's
 * offset register in -1024..1023 (every third state inside the operand).
 * Returns 0, or -1 when the form cannot be placed. */
static int place_mem_only(const struct qhb_x86sem_form *f, uint64_t *r,
    uint64_t win, unsigned s, uint64_t *seed, uint64_t *ea, int *misaligned)
{
	const struct qhb_x86sem_mem *m = &f->mem;
	uint64_t t = win + 2048 + rng(seed) % 2048;
	unsigned src = f->opreg[1];

	*misaligned = 0;
	if (m->kind == QHB_X86SEM_BTM && (src == m->base || src == m->index))
		return -1;
	if (m->kind == QHB_X86SEM_CMPX16) {
		t &= ~15ULL;
		if (s % 5 == 4) {
			t += 1 + rng(seed) % 15;
			*misaligned = 1;
		}
	}
	if (place(m, r, t) < 0)
		return -1;
	*ea = addr_of(m, r);
	if (m->kind == QHB_X86SEM_BTM) {
		/* negative offsets only where the window reaches (a
		 * rip-relative operand lands where its page allows) */
		uint64_t off = s % 3 == 0 ? rng(seed) % f->opbits :
		    *ea - win < 160 ? rng(seed) % 1024 :
		    (uint64_t)((int64_t)(rng(seed) % 2048) - 1024);

		r[src] = f->opbits == 64 ? off :
		    (r[src] & ~0xffffffffULL) | (off & 0xffffffff);
	}
	if ((m->kind == QHB_X86SEM_PUSHM || m->kind == QHB_X86SEM_POPM) &&
	    m->base != 4 && m->index != 4)
		r[4] = win + 6144 + rng(seed) % 128 * 8;
	return *ea - win > WINSIZE - 160 ? -1 : 0;
}

/* The flags a form without a register view defines (constants there). */
static uint64_t defined_flags(Z3_context c, const struct qhb_x86sem_out *o)
{
	uint64_t def = 0;

	for (int i = 0; i < 6; i++)
		if (Z3_get_bool_value(c, Z3_simplify(c, o->def[i])) == Z3_L_TRUE)
			def |= 1ULL << flag_pos[i];
	return def;
}

/* cmpxchg16b: every fourth state, rdx:rax equal to the operand. */
static void same_operand(const struct qhb_x86sem_form *f, const uint64_t *r,
    uint8_t *operand, unsigned s)
{
	if (f->mem.kind != QHB_X86SEM_CMPX16 || s % 4 != 3)
		return;
	memcpy(operand, &r[0], 8);
	memcpy(operand + 8, &r[2], 8);
}

/* The window bytes the model sees and is checked on: around the operand,
 * the address the model accesses (bt's) and rsp; 0 outside all three. */
static int modelled(uint64_t a, const uint64_t *near, uint64_t win)
{
	if (a - win >= WINSIZE)
		return 0;
	for (int i = 0; i < 3; i++)
		if (a - (near[i] - 16) < 40)
			return 1;
	return 0;
}

/* The model on the state r (in the window's bytes before), against the
 * CPU's registers nat and window after.  fault: the model must say #GP
 * (nothing else is compared).  Returns the number of disagreements. */
static unsigned sem_mem_check(Z3_context c, const struct qhb_x86sem_form *f,
    const struct qhb_x86sem_out *o, Z3_ast *in, Z3_ast memv,
    const uint64_t *r, const uint8_t *before, const uint64_t *nat,
    const uint8_t *after, uint64_t win, uint64_t ea, int fault)
{
	Z3_ast from[QHB_X86SEM_NIN + 1], to[QHB_X86SEM_NIN + 1], arr, v;
	Z3_sort b8 = Z3_mk_bv_sort(c, 8), a64 = Z3_mk_bv_sort(c, 64);
	unsigned bad = 0;
	uint64_t u, near[3] = { ea, r[4], ea };

	memcpy(from, in, QHB_X86SEM_NIN * sizeof(Z3_ast));
	for (int i = 0; i < QHB_PCPU_NREG; i++)
		to[i] = Z3_mk_unsigned_int64(c, r[i], a64);
	for (int i = 0; i < QHB_X86SEM_NPARAM; i++)
		to[QHB_X86SEM_PARAM0 + i] = Z3_mk_unsigned_int64(c,
		    (uint64_t)f->param[i], a64);
#define EVAL(t) Z3_simplify(c, Z3_substitute(c, (t), QHB_X86SEM_NIN + 1, \
	    from, to))
	from[QHB_X86SEM_NIN] = memv;
	to[QHB_X86SEM_NIN] = memv;
	/* the address the model accesses: the registers decide it */
	if (o->addr != NULL && !Z3_get_numeral_uint64(c, EVAL(o->addr),
	    &near[2]))
		bad++;
	arr = Z3_mk_const_array(c, a64, Z3_mk_unsigned_int64(c, 0, b8));
	for (uint64_t a = win; a < win + WINSIZE; a++)
		if (modelled(a, near, win))
			arr = Z3_mk_store(c, arr, Z3_mk_unsigned_int64(c, a, a64),
			    Z3_mk_unsigned_int64(c, before[a - win], b8));
	to[QHB_X86SEM_NIN] = arr;
	if (fault)
		return Z3_get_bool_value(c, EVAL(o->fault)) != Z3_L_TRUE;
	if (Z3_get_bool_value(c, EVAL(o->fault)) != Z3_L_FALSE)
		bad++;
	for (int i = 0; i < 16; i++)
		if (!Z3_get_numeral_uint64(c, EVAL(o->reg[i]), &u) ||
		    u != nat[i])
			bad++;
	for (int i = 0; i < 6; i++) {
		if (Z3_get_bool_value(c, EVAL(o->def[i])) != Z3_L_TRUE)
			continue;
		if (!Z3_get_numeral_uint64(c, EVAL(o->flag[i]), &u) ||
		    u != (nat[16] >> flag_pos[i] & 1))
			bad++;
	}
	for (uint64_t a = win; a < win + WINSIZE; a++) {
		if (!modelled(a, near, win))
			continue;
		v = EVAL(Z3_mk_select(c, o->mem, Z3_mk_unsigned_int64(c, a,
		    a64)));
		if (!Z3_get_numeral_uint64(c, v, &u) || u != after[a - win])
			bad++;
	}
#undef EVAL
	return bad;
}

/* idiv: a divisor not 0 and rdx the sign of rax (cqo), so that the
 * quotient fits (rax not the least value when the divisor is -1); the
 * proofs cover #DE. */
static void no_signed_divide_error(const struct qhb_x86sem_form *f,
    uint64_t *r, uint8_t *operand)
{
	unsigned w = f->opbits;
	uint64_t mask = w == 64 ? ~0ULL : (1ULL << w) - 1, d = 0, sign;

	if (f->opreg[0] == QHB_X86SEM_NOREG)
		memcpy(&d, operand, w / 8);
	else
		d = r[f->opreg[0]] & mask;
	if (d == 0) {
		if (f->opreg[0] == QHB_X86SEM_NOREG)
			operand[0] = 3;
		else
			r[f->opreg[0]] |= 3;
		d = 3;
	}
	sign = 1ULL << (w - 1);
	if (d == mask && (r[0] & mask) == sign)
		r[0] &= ~mask;
	r[2] = (r[2] & ~mask) | (r[0] & sign ? mask : 0);
}

/* bsf, bsr: a source that is not 0 (the SDM leaves the destination
 * undefined for 0; the microcode faults there, which the proofs cover). */
static void no_zero_source(const struct qhb_x86sem_form *f, uint64_t *r,
    uint8_t *operand)
{
	unsigned w = f->opbits, g = f->opreg[1];
	uint64_t mask = w == 64 ? ~0ULL : (1ULL << w) - 1, v = 0;

	if (g == QHB_X86SEM_NOREG)
		memcpy(&v, operand, w / 8);
	else
		v = r[g];
	if ((v & mask) != 0)
		return;
	if (g == QHB_X86SEM_NOREG)
		operand[w / 8 - 1] = 0x10;
	else
		r[g] |= 1ULL << (w - 4);
}

/* Checks one form on nstates states.  Returns 0, or -1 when it had to be
 * skipped. */
static int check_form(const struct qhb_x86sem_form *f,
    const struct qhb_learn_entry *en, uint8_t *buf, unsigned nstates,
    uint64_t *seed, struct counts *k)
{
	const struct qhb_x86sem_mem *m = &f->mem;
	int string = m->kind == QHB_X86SEM_STOS || m->kind == QHB_X86SEM_MOVS;
	int memonly = !string && qhb_x86sem_mem_only(f), misaligned = 0;
	size_t nprog = en->n;
	Z3_ast memv = NULL;
	uint64_t win = (uint64_t)(uintptr_t)buf + WINOFF;
	static uint8_t pwin[WINSIZE];
	uint8_t *code;
	size_t at, len, codeoff = 0;
	uint64_t codeaddr = 0, rip;
	void (*run)(uint64_t *);
	struct qhb_x86sem_out o;
	struct qhb_err e = { 0 };
	Z3_context c;
	Z3_ast in[QHB_X86SEM_NIN];
	int rv = -1;

	if (f->vec != QHB_X86SEM_VNONE)
		return check_vec_form(f, en, buf, nstates, seed, k);
	/* fs is this process's thread pointer; div rdx (edx, dx) always
	 * raises #DE: its high half is its divisor */
	if (m->seg == QHB_PCPU_FSBASE || (f->div_src == 2 && f->div_bits > 8))
		return -1;
	/* idiv rdx: its dividend's high half is its divisor */
	if (f->special == QHB_X86SEM_SP_IDIV && f->opreg[0] == 2)
		return -1;
	/* the code page: anywhere, or where a rip-relative operand lands
	 * in the window */
	if (m->kind != QHB_X86SEM_REG && m->base == QHB_PCPU_RIP) {
		size_t end;
		uint8_t tmp[512];

		len = emit(tmp, f->bytes, f->len, &at);
		end = at + f->len;
		codeaddr = (win + 4096 - (uint64_t)m->disp - end) & ~4095ULL;
	}
	if ((code = code_page(buf, codeaddr)) == NULL)
		return -1;
	len = emit(code + codeoff, f->bytes, f->len, &at);
	(void)len;
	rip = (uint64_t)(uintptr_t)code + at + f->len;
	mprotect(code, 8192, PROT_READ | PROT_EXEC);
	run = (void (*)(uint64_t *))(void *)code;
	c = z3_open(in);
	if (memonly) {
		memv = Z3_mk_const(c, Z3_mk_string_symbol(c, "mem"),
		    qhb_z3bv_mem_sort(c));
		if (qhb_x86sem_build_mem(c, f, in, memv, &o, &e) < 0) {
			fprintf(stderr, "%s: %s\n", f->text, e.msg);
			goto out;
		}
	}
	if ((memonly || f->special != QHB_X86SEM_SP_NONE) && break_new)
		nprog--;
	if (!string && !memonly && qhb_x86sem_build(c, f, in, &o, &e) < 0) {
		fprintf(stderr, "%s: %s\n", f->text, e.msg);
		goto out;
	}
	k->forms++;
	if (m->kind != QHB_X86SEM_REG)
		k->memforms++;
	for (unsigned s = 0; s < nstates; s++) {
		uint64_t nat[17], def = 0, semflags = 0, u, ea = 0, runs = 1;
		struct qhb_pcpu_state st;
		struct qhb_pcpu_mem pm = { win, WINSIZE, 0, pwin };
		static uint8_t before[WINSIZE];
		uint64_t st0[QHB_PCPU_NREG];
		Z3_ast to[QHB_X86SEM_NIN];
		int bad = 0;

		for (int i = 0; i < QHB_PCPU_NREG; i++) {
			uint64_t x = rng(seed);

			if (s % 3 == 1)
				x = edge[x % (sizeof(edge) / 8)];
			else if (s % 3 == 2)
				x &= (1ULL << (x % 64)) - 1;
			st.r[i] = x;
		}
		st.r[QHB_PCPU_FLAGS] = (rng(seed) & QHB_RFLAGS_ARITH) | 2 |
		    (string && rng(seed) % 2 ? 0x400 : 0);
		st.r[QHB_PCPU_RIP] = rip;
		st.r[QHB_PCPU_FSBASE] = 0;
		memcpy(&st.r[QHB_PCPU_SEG], sel, sizeof(sel));
		memset(&st.r[QHB_PCPU_RSVD], 0, 8 * 8);
		st.r[QHB_PCPU_GSBASE] = rng(seed) & 0xffff;
		for (int i = 0; i < WINSIZE; i++)
			pwin[i] = (uint8_t)rng(seed);
		if (string) {
			runs = st.r[1] = s % 7 == 6 ? 17 : s % 5;
			st.r[7] = win + 4096 + rng(seed) % 256;
			st.r[6] = win + 1024 + rng(seed) % 256;
			if (runs == 0)
				runs = 1;
		} else if (memonly) {
			if (place_mem_only(f, st.r, win, s, seed, &ea,
			    &misaligned) < 0)
				goto out;
		} else if (m->kind != QHB_X86SEM_REG) {
			if (place(m, st.r, win + 2048 + rng(seed) % 2048) < 0)
				goto out;
			ea = addr_of(m, st.r);
			if (ea - win > WINSIZE - 8) {
				fprintf(stderr, "%s: cannot place the operand "
				    "(%#" PRIx64 ")\n", f->text, ea);
				goto out;
			}
		}
		/* every fourth state: the operand equals rax (cmpxchg's
		 * success, cmp's equality) */
		if (!string && m->kind != QHB_X86SEM_REG && m->read &&
		    s % 4 == 3)
			memcpy(pwin + (ea - win), &st.r[0], m->bits / 8);
		if (memonly)
			same_operand(f, st.r, pwin + (ea - win), s);
		if (f->div_src < QHB_PCPU_NREG)
			no_divide_error(f, st.r, pwin + (ea - win));
		if (f->special == QHB_X86SEM_SP_IDIV)
			no_signed_divide_error(f, st.r, pwin + (ea - win));
		if (f->special == QHB_X86SEM_SP_BSF ||
		    f->special == QHB_X86SEM_SP_BSR)
			no_zero_source(f, st.r, pwin + (ea - win));
		if (m->seg == QHB_PCPU_GSBASE &&
		    syscall(SYS_arch_prctl, ARCH_SET_GS, st.r[QHB_PCPU_GSBASE]))
			goto out;
		memcpy(buf + WINOFF, pwin, WINSIZE);
		memcpy(nat, st.r, sizeof(nat));
		/* the Z3 model of x86 (register view; in[18] the operand
		 * as loaded) */
		memcpy(st0, st.r, sizeof(st0));
		memcpy(before, pwin, WINSIZE);
		if (misaligned) {
			/* #GP: only the fault register is defined */
			st.r[QHB_PCPU_FAULT] = 0;
			qhb_pcpu_run_mem(en->prog, nprog, &st, &pm);
			k->states++;
			if (st.r[QHB_PCPU_FAULT] != 1)
				k->mism++;
			st0[QHB_PCPU_FAULT] = 0;
			k->semmism += sem_mem_check(c, f, &o, in, memv, st0, before,
			    nat, before, win, ea, 1);
			continue;
		}
		if (!string && !memonly) {
			if (m->kind != QHB_X86SEM_REG && m->read) {
				u = 0;
				memcpy(&u, pwin + (ea - win), m->bits / 8);
				st.r[QHB_X86SEM_MEMREG] = u;
			}
			for (int i = 0; i < QHB_PCPU_NREG; i++)
				to[i] = Z3_mk_unsigned_int64(c, st.r[i],
				    Z3_mk_bv_sort(c, 64));
			for (int i = 0; i < QHB_X86SEM_NPARAM; i++)
				to[QHB_X86SEM_PARAM0 + i] = Z3_mk_unsigned_int64(c,
				    (uint64_t)f->param[i], Z3_mk_bv_sort(c, 64));
			for (int i = 0; i < 6; i++) {
				Z3_ast d = Z3_simplify(c, Z3_substitute(c,
				    o.def[i], QHB_X86SEM_NIN, in, to));

				if (Z3_get_bool_value(c, d) != Z3_L_TRUE)
					continue;
				def |= 1ULL << flag_pos[i];
				Z3_get_numeral_uint64(c, Z3_simplify(c,
				    Z3_substitute(c, o.flag[i], QHB_X86SEM_NIN,
				    in, to)), &u);
				semflags |= u << flag_pos[i];
			}
		} else {
			def = memonly ? defined_flags(c, &o) : QHB_RFLAGS_ARITH;
		}
		run(nat);
		nat[0] = g.rax;
		nat[16] = (g.flags >> 8 & 0xd5) | (g.flags & 1) << 11;
		for (uint64_t i = 0; i < runs; i++)
			qhb_pcpu_run_mem(en->prog, nprog, &st, &pm);
		k->states++;
		for (int i = 0; i < 16; i++)
			if (st.r[i] != nat[i])
				bad = 1;
		if ((st.r[QHB_PCPU_FLAGS] ^ nat[16]) & def)
			bad = 1;
		if (pm.fault || memcmp(pwin, buf + WINOFF, WINSIZE) != 0)
			bad = 1;
		if (memonly)
			k->semmism += sem_mem_check(c, f, &o, in, memv, st0, before,
			    nat, buf + WINOFF, win, ea, 0);
		if (!string && !memonly) {
			for (int i = 0; i < 16; i++) {
				Z3_get_numeral_uint64(c, Z3_simplify(c,
				    Z3_substitute(c, o.reg[i], QHB_X86SEM_NIN,
				    in, to)), &u);
				if (u != nat[i])
					k->semmism++;
			}
			if ((semflags ^ nat[16]) & def)
				k->semmism++;
			if (m->kind != QHB_X86SEM_REG && m->write) {
				uint64_t w = 0, mask = m->bits == 64 ? ~0ULL :
				    (1ULL << m->bits) - 1;

				Z3_get_numeral_uint64(c, Z3_simplify(c,
				    Z3_substitute(c, o.memval, QHB_X86SEM_NIN,
				    in, to)), &u);
				memcpy(&w, buf + WINOFF + (ea - win), m->bits / 8);
				if ((u & mask) != w)
					k->semmism++;
			}
		}
		if (bad) {
			if (k->mism < 10)
				fprintf(stderr, "mismatch: %s: state %u: rflags "
				    "native %#" PRIx64 " pixel %#" PRIx64
				    " defined %#" PRIx64 "%s\n", f->text, s,
				    nat[16], st.r[QHB_PCPU_FLAGS], def,
				    pm.fault ? ", outside the window" : "");
			k->mism++;
		}
	}
	rv = 0;
out:
	Z3_del_context(c);
	mmap(code, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
	    MAP_NORESERVE, -1, 0);
	if (rv < 0)
		k->forms--, k->memforms -= m->kind != QHB_X86SEM_REG;
	return rv;
}

/*
 * The system forms (x86sem.h), at CPL 3 as this test runs: cli, sti,
 * clac, stac, swapgs and in fault natively (SIGSEGV for #GP, SIGILL for
 * #UD, caught on an alternate stack) and their microcode must set r28;
 * the others must give the CPU's registers, all of its rflags and its
 * memory, with random arithmetic flags, DF and AC (popfq pops random
 * bits but TF and NT, which would trap).  rdtsc runs natively and its
 * microcode then runs with r39 set from that edx:eax and cs at ring 0
 * (0x10): it must give the CPU's registers; with this process's cs
 * (ring 3) it must fault, as CR4.TSD is not in the state.  The x86 model
 * is checked against the CPU as well.  With break-system each program
 * runs without its last instruction, and every form must then be caught.
 */
static int break_system;
static sigjmp_buf fault_jmp;
static volatile sig_atomic_t armed;

static void on_fault(int sig)
{
	if (armed)
		siglongjmp(fault_jmp, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void fault_handlers(void)
{
	static uint8_t alt[65536];
	stack_t ss = { .ss_sp = alt, .ss_size = sizeof(alt) };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sa.sa_flags = SA_ONSTACK | SA_NODEFER;
	sigaltstack(&ss, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

static uint64_t z3_value(Z3_context c, Z3_ast t, Z3_ast *in, Z3_ast *to)
{
	uint64_t u = 0;

	Z3_get_numeral_uint64(c, Z3_simplify(c, Z3_substitute(c, t,
	    QHB_X86SEM_NIN, in, to)), &u);
	return u;
}

/* The x86 model against what the CPU did: 1 when it disagrees. */
static int model_differs(Z3_context c, const struct qhb_x86sem_out *o,
    Z3_ast *in, const struct qhb_pcpu_state *st, int faulted,
    const uint64_t *nat, uint64_t rflags, const uint8_t *pushed)
{
	Z3_ast to[QHB_X86SEM_NIN], f;
	uint64_t u;

	for (int i = 0; i < QHB_PCPU_NREG; i++)
		to[i] = Z3_mk_unsigned_int64(c, st->r[i], Z3_mk_bv_sort(c, 64));
	for (int i = 0; i < QHB_X86SEM_NPARAM; i++)
		to[QHB_X86SEM_PARAM0 + i] = to[0];
	f = Z3_simplify(c, Z3_substitute(c, o->fault, QHB_X86SEM_NIN, in, to));
	if ((Z3_get_bool_value(c, f) == Z3_L_TRUE) != faulted)
		return 1;
	if (faulted)
		return 0;
	for (int i = 0; i < 16; i++)
		if (z3_value(c, o->reg[i], in, to) != nat[i])
			return 1;
	if (z3_value(c, o->rflags, in, to) != rflags)
		return 1;
	if (pushed != NULL) {
		memcpy(&u, pushed, 8);
		if (z3_value(c, o->memval, in, to) != u)
			return 1;
	}
	return 0;
}

static int check_system(const struct qhb_x86sem_form *f,
    const struct qhb_learn_entry *en, uint8_t *buf, unsigned nstates,
    uint64_t *seed, struct counts *k)
{
	uint64_t win = (uint64_t)(uintptr_t)buf + WINOFF;
	uint64_t codeaddr = (uint64_t)(uintptr_t)buf + BUFSIZE + 65536;
	int faults = f->sys == QHB_X86SEM_CLI || f->sys == QHB_X86SEM_STI ||
	    f->sys == QHB_X86SEM_CLAC || f->sys == QHB_X86SEM_STAC ||
	    f->sys == QHB_X86SEM_SWAPGS || f->sys == QHB_X86SEM_IN;
	size_t n = break_system && en->n > 0 ? en->n - 1 : en->n, at;
	static uint8_t pwin[WINSIZE];
	struct qhb_x86sem_out o;
	struct qhb_err e = { 0 };
	Z3_ast in[QHB_X86SEM_NIN];
	Z3_context c;
	void (*run)(uint64_t *);
	uint8_t *code;
	unsigned mism = k->mism;

	code = mmap((void *)(uintptr_t)codeaddr, 8192, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (code == MAP_FAILED)
		return -1;
	emit(code, f->bytes, f->len, &at);
	mprotect(code, 8192, PROT_READ | PROT_EXEC);
	run = (void (*)(uint64_t *))(void *)code;
	c = z3_open(in);
	if (qhb_x86sem_build(c, f, in, &o, &e) < 0) {
		fprintf(stderr, "%s: %s\n", f->text, e.msg);
		Z3_del_context(c);
		return -1;
	}
	k->forms++;
	k->memforms += f->mem.kind != QHB_X86SEM_REG;
	k->sysforms++;
	for (unsigned s = 0; s < nstates; s++) {
		struct qhb_pcpu_state st, in0;
		struct qhb_pcpu_mem pm = { win, WINSIZE, 0, pwin };
		uint64_t nat[17], rsp, pop;
		volatile int faulted = 0;
		int bad = 0;

		for (int i = 0; i < QHB_PCPU_NREG; i++) {
			uint64_t x = rng(seed);

			st.r[i] = s % 3 == 1 ? edge[x % (sizeof(edge) / 8)] : x;
		}
		st.r[QHB_PCPU_FLAGS] = (rng(seed) & (QHB_RFLAGS_ARITH | 0x400 |
		    (faults ? 0 : 0x240000))) | 0x202;
		st.r[QHB_PCPU_FAULT] = 0;
		memcpy(&st.r[QHB_PCPU_SEG], sel, sizeof(sel));
		memset(&st.r[QHB_PCPU_RSVD], 0, 8 * 8);
		/* an 8-aligned stack in the window (AC may be set) */
		rsp = win + 2048 + (rng(seed) % 2048 & ~7ULL);
		st.r[4] = rsp;
		for (int i = 0; i < WINSIZE; i++)
			pwin[i] = (uint8_t)rng(seed);
		pop = rng(seed) & ~0x4100ULL;
		if (f->sys == QHB_X86SEM_POPF)
			memcpy(pwin + (rsp - win), &pop, 8);
		memcpy(buf + WINOFF, pwin, WINSIZE);
		memcpy(nat, st.r, sizeof(nat));
		armed = 1;
		if (sigsetjmp(fault_jmp, 1) == 0)
			run(nat);
		else
			faulted = 1;
		armed = 0;
		nat[0] = g.rax;
		if (f->sys == QHB_X86SEM_RDTSC && !faulted) {
			/* the machine's TSC, as the runner gives it */
			st.r[QHB_PCPU_ENV] = (nat[2] & 0xffffffff) << 32 |
			    (nat[0] & 0xffffffff);
			in0 = st;
			qhb_pcpu_run_mem(en->prog, n, &in0, NULL);
			if (in0.r[QHB_PCPU_FAULT] != 1)
				bad = 1;
			st.r[QHB_PCPU_CS] = 0x10;
		}
		if (f->sys == QHB_X86SEM_POPF)
			st.r[QHB_X86SEM_MEMREG] = pop;
		in0 = st;
		k->semmism += model_differs(c, &o, in, &st, faulted, nat,
		    g.rflags, f->sys == QHB_X86SEM_PUSHF ? buf + WINOFF +
		    (rsp - 8 - win) : NULL);
		qhb_pcpu_run_mem(en->prog, n, &st, &pm);
		k->states++;
		if (faulted) {
			bad |= st.r[QHB_PCPU_FAULT] != 1;
		} else {
			bad |= st.r[QHB_PCPU_FAULT] != 0;
			bad |= st.r[QHB_PCPU_FLAGS] != g.rflags;
			for (int i = 0; i < 16; i++)
				bad |= st.r[i] != nat[i];
			for (int i = QHB_PCPU_FSBASE; i < QHB_PCPU_NREG; i++)
				bad |= st.r[i] != in0.r[i];
			bad |= pm.fault || memcmp(pwin, buf + WINOFF, WINSIZE) != 0;
		}
		if (bad) {
			if (k->mism < 10)
				fprintf(stderr, "mismatch: %s: state %u: %s, r28 "
				    "%" PRIu64 ", rflags native %#" PRIx64 " pixel "
				    "%#" PRIx64 "\n", f->text, s, faulted ?
				    "faults natively" : "runs natively",
				    st.r[QHB_PCPU_FAULT], g.rflags,
				    st.r[QHB_PCPU_FLAGS]);
			k->mism++;
		}
	}
	k->syscaught += k->mism > mism;
	Z3_del_context(c);
	mmap(code, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
	    MAP_NORESERVE, -1, 0);
	return 0;
}

/*
 * Vector forms: the harness above with xmm0..xmm15 loaded from the state
 * (nat[32..63], the Pixel CPU's r48..r79) before the general registers
 * and saved after them; a #GP (movdqa of a misaligned address) comes
 * back as SIGSEGV, caught as the system forms' faults are
 * (fault_handlers), and must be the Pixel CPU's r28 and x86sem's fault.
 */
#define VEC_NAT 64

/* Runs the harness on nat; 1 when the instruction faulted (the flags
 * then as they were: DF cleared again for the C code). */
static int vec_run(void (*run)(uint64_t *), uint64_t *nat)
{
	armed = 1;
	if (sigsetjmp(fault_jmp, 1) != 0) {
		armed = 0;
		__asm__ volatile("cld");
		return 1;
	}
	run(nat);
	armed = 0;
	nat[0] = g.rax;
	nat[16] = (g.flags >> 8 & 0xd5) | (g.flags & 1) << 11;
	return 0;
}

/* n bytes of movdqu xmm0..15 between the state (base register rm, the
 * area at +256) and the registers; op 0x6f loads, 0x7f stores. */
static size_t vec_moves(uint8_t *p, uint8_t op, unsigned rm)
{
	size_t n = 0;

	for (unsigned i = 0; i < 16; i++) {
		p[n++] = 0xf3;
		if (i >= 8)
			p[n++] = 0x44;
		p[n++] = 0x0f;
		p[n++] = op;
		p[n++] = (uint8_t)(0x80 | (i & 7) << 3 | rm);
		n = put64(p, n, 256 + 16 * i) - 4;      /* disp32 */
	}
	return n;
}

/* emit()'s harness with the xmm moves spliced in: the loads after popfq
 * (rdi is the state), the saves after rax is the state again.  The
 * harness has no relative jumps, so the splice moves nothing it
 * addresses.  Returns the length; *at as emit's. */
static size_t emit_vec(uint8_t *p, const uint8_t *insn, unsigned len,
    size_t *at)
{
	static const uint8_t popf[] = { 0xff, 0xb7, 0x80, 0, 0, 0, 0x9d };
	uint8_t tmp[1024], st[10] = { 0x48, 0xa1 };
	size_t n = emit(tmp, insn, len, at), i, j, o = 0;
	uint64_t a = (uint64_t)(uintptr_t)&g.state;

	memcpy(st + 2, &a, 8);
	for (i = 0; i + sizeof(popf) <= n && memcmp(tmp + i, popf,
	    sizeof(popf)); i++)
		;
	i += sizeof(popf);
	for (j = *at + len; j + 10 <= n && memcmp(tmp + j, st, 10); j++)
		;
	j += 10;
	memcpy(p, tmp, i);
	o = i + vec_moves(p + i, 0x6f, 7);
	memcpy(p + o, tmp + i, j - i);
	*at += o - i;
	o += j - i;
	o += vec_moves(p + o, 0x7f, 0);
	memcpy(p + o, tmp + j, n - j);
	return o + n - j;
}

static int break_vector;

/* x86sem's view of one state: registers, lanes, memory value, fault.
 * A memory operand's bytes (at most 16) are all the memory it reads. */
static int vec_sem(Z3_context c, const struct qhb_x86sem_form *f,
    const uint64_t *r, uint64_t ea, const uint8_t *bytes, uint64_t *out,
    uint8_t memval[16], int *fault)
{
	Z3_ast in[QHB_X86SEM_NIN], to[QHB_X86SEM_NIN], mem, mem0, v;
	Z3_sort bv64 = Z3_mk_bv_sort(c, 64), s8 = Z3_mk_bv_sort(c, 8);
	struct qhb_x86sem_out o;
	struct qhb_err e = { 0 };
	uint64_t u;

	for (int i = 0; i < QHB_X86SEM_NIN; i++) {
		char nm[8];

		snprintf(nm, sizeof(nm), "v%d", i);
		in[i] = Z3_mk_const(c, Z3_mk_string_symbol(c, nm), bv64);
		to[i] = Z3_mk_unsigned_int64(c, i < QHB_PCPU_NREG ? r[i] :
		    (uint64_t)f->param[i - QHB_X86SEM_PARAM0], bv64);
	}
	mem = Z3_mk_const(c, Z3_mk_string_symbol(c, "vmem"),
	    Z3_mk_array_sort(c, bv64, s8));
	mem0 = Z3_mk_const_array(c, bv64, Z3_mk_unsigned_int64(c, 0, s8));
	for (unsigned i = 0; f->mem.kind != QHB_X86SEM_REG && i < 16; i++)
		mem0 = Z3_mk_store(c, mem0, Z3_mk_unsigned_int64(c, ea + i, bv64),
		    Z3_mk_unsigned_int64(c, bytes[i], s8));
	if (qhb_x86sem_build_mem(c, f, in, mem, &o, &e) < 0) {
		fprintf(stderr, "%s: %s\n", f->text, e.msg);
		return -1;
	}
	for (int i = 0; i < QHB_PCPU_NREG; i++) {
		Z3_ast t = i < 16 ? o.reg[i] : i >= QHB_PCPU_XMM ? o.sys[i] : NULL;

		if (t == NULL)
			continue;
		v = Z3_simplify(c, Z3_substitute(c, Z3_substitute(c, t,
		    QHB_X86SEM_NIN, in, to), 1, &mem, &mem0));
		if (!Z3_get_numeral_uint64(c, v, &u))
			return -1;
		out[i] = u;
	}
	v = Z3_simplify(c, Z3_substitute(c, Z3_substitute(c, o.fault,
	    QHB_X86SEM_NIN, in, to), 1, &mem, &mem0));
	*fault = Z3_get_bool_value(c, v) == Z3_L_TRUE;
	for (unsigned i = 0; o.memval != NULL && i < f->mem.bits / 8; i++) {
		v = Z3_simplify(c, Z3_substitute(c, Z3_substitute(c, EXT(8 * i +
		    7, 8 * i, o.memval), QHB_X86SEM_NIN, in, to), 1, &mem,
		    &mem0));
		if (!Z3_get_numeral_uint64(c, v, &u))
			return -1;
		memval[i] = (uint8_t)u;
	}
	return 0;
}

/* One vector form on nstates states: random and edge lanes (pshufb
 * indices with bit 7 set, shift counts past the lane), and for an
 * aligned operand every fourth address misaligned.  Returns 0, or -1
 * when it had to be skipped. */
static int check_vec_form(const struct qhb_x86sem_form *f,
    const struct qhb_learn_entry *en, uint8_t *buf, unsigned nstates,
    uint64_t *seed, struct counts *k)
{
	const struct qhb_x86sem_mem *m = &f->mem;
	uint64_t win = (uint64_t)(uintptr_t)buf + WINOFF, codeaddr = 0, rip;
	static uint8_t pwin[WINSIZE];
	struct qhb_pcpu_insn prog[QHB_PCPU_MAXPROG];
	unsigned np = en->n, mism = 0;
	void (*run)(uint64_t *);
	Z3_config cfg;
	Z3_context c;
	uint8_t *code;
	size_t at = 0, off;
	int rv = -1;

	if (m->seg != QHB_X86SEM_NOREG)
		return -1;
	memcpy(prog, en->prog, np * sizeof(prog[0]));
	if (break_vector && np > 0)
		np--;           /* the last instruction left out */
	if (m->kind != QHB_X86SEM_REG && m->base == QHB_PCPU_RIP) {
		uint8_t tmp[1024];

		emit_vec(tmp, f->bytes, f->len, &at);
		codeaddr = (win + 4096 - (uint64_t)m->disp - (at + f->len)) &
		    ~4095ULL;
	}
	if ((code = code_page(buf, codeaddr)) == NULL)
		return -1;
	codeaddr = (uint64_t)(uintptr_t)code;
	/* a rip-relative operand aligned by where the harness starts */
	off = (16 - ((codeaddr + at + f->len + (uint64_t)m->disp) & 15)) & 15;
	if (m->kind == QHB_X86SEM_REG || m->base != QHB_PCPU_RIP)
		off = 0;
	emit_vec(code + off, f->bytes, f->len, &at);
	rip = (uint64_t)(uintptr_t)code + off + at + f->len;
	run = (void (*)(uint64_t *))(void *)(code + off);
	mprotect(code, 8192, PROT_READ | PROT_EXEC);
	cfg = Z3_mk_config();
	c = Z3_mk_context(cfg);
	Z3_del_config(cfg);
	k->forms++;
	if (m->kind != QHB_X86SEM_REG)
		k->memforms++;
	for (unsigned s = 0; s < nstates; s++) {
		uint64_t nat[VEC_NAT] = { 0 }, sem[QHB_PCPU_NREG] = { 0 }, ea = 0;
		struct qhb_pcpu_state st;
		struct qhb_pcpu_mem pm = { win, WINSIZE, 0, pwin };
		uint8_t memval[16] = { 0 }, opnd[16] = { 0 };
		int sfault = 0, bad = 0, nfault;

		for (int i = 0; i < QHB_PCPU_NREG; i++)
			st.r[i] = i >= QHB_PCPU_SCRATCH && i < QHB_PCPU_XMM ? 0 :
			    vec_value(seed, s, i);
		st.r[QHB_PCPU_FLAGS] = (rng(seed) & QHB_RFLAGS_ARITH) | 2;
		st.r[QHB_PCPU_RIP] = rip;
		for (int i = 0; i < WINSIZE; i++)
			pwin[i] = (uint8_t)rng(seed);
		if (m->kind != QHB_X86SEM_REG) {
			uint64_t t = win + 2048 + rng(seed) % 2048;

			/* an aligned operand: aligned but every fourth */
			if (f->valign)
				t = (t & ~15ULL) | (s % 4 == 3 ? 1 + rng(seed) % 15 : 0);
			if (place(m, st.r, t) < 0 ||
			    (ea = addr_of(m, st.r)) - win > WINSIZE - 16) {
				fprintf(stderr, "%s: no room for the operand in "
				    "the window\n", f->text);
				goto out;
			}
			memcpy(opnd, pwin + (ea - win), 16);
		}
		memcpy(buf + WINOFF, pwin, WINSIZE);
		memcpy(nat, st.r, 17 * sizeof(uint64_t));
		memcpy(nat + 32, st.r + QHB_PCPU_XMM, 32 * sizeof(uint64_t));
		if (vec_sem(c, f, st.r, ea, opnd, sem, memval, &sfault) < 0) {
			k->semmism++;
			continue;
		}
		nfault = vec_run(run, nat);
		k->vfaults += nfault;
		qhb_pcpu_run_mem(prog, np, &st, &pm);
		k->states++;
		if ((st.r[QHB_PCPU_FAULT] != 0) != nfault)
			bad = 1;
		if (sfault != nfault)
			k->semmism++;
		if (!nfault) {
			for (int i = 0; i < 16; i++) {
				bad |= st.r[i] != nat[i];
				k->semmism += sem[i] != nat[i];
			}
			for (int i = 0; i < 32; i++) {
				bad |= st.r[QHB_PCPU_XMM + i] != nat[32 + i];
				k->semmism += sem[QHB_PCPU_XMM + i] != nat[32 + i];
			}
			bad |= ((st.r[QHB_PCPU_FLAGS] ^ nat[16]) &
			    QHB_RFLAGS_ARITH) != 0;
			bad |= pm.fault || memcmp(pwin, buf + WINOFF, WINSIZE) != 0;
			if (m->kind != QHB_X86SEM_REG && m->write)
				k->semmism += memcmp(memval, buf + WINOFF + (ea - win),
				    m->bits / 8) != 0;
		}
		if (bad) {
			if (k->mism < 10 && !break_vector)
				fprintf(stderr, "mismatch: %s: state %u%s\n", f->text,
				    s, nfault ? " (#GP natively)" : "");
			k->mism++;
			mism++;
		}
	}
	if (break_vector && mism > 0)
		k->caught++;
	else if (break_vector)
		fprintf(stderr, "not caught: %s\n", f->text);
	rv = 0;
out:
	/* the pages given back, the form counted as a vector form or not
	 * at all */
	mmap(code, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
	    MAP_NORESERVE, -1, 0);
	Z3_del_context(c);
	if (rv == 0)
		k->vforms++;
	else
		k->forms--, k->memforms -= m->kind != QHB_X86SEM_REG;
	return rv;
}

/* A parameterized form at other addresses: its bytes with each parameter
 * set to 0, -1, a kernel address and random values (what fits its field),
 * run natively against the library's template bound to those values.
 * Instances that cannot be placed (an absolute address) are not run. */
static int break_params;

static void check_params(const struct qhb_x86sem_form *f,
    const struct qhb_learn_entry *en, uint8_t *buf, unsigned nstates,
    uint64_t *seed, struct counts *k)
{
	struct qhb_x86sem_form g;
	struct qhb_learn_entry en2;
	struct qhb_err e = { 0 };
	uint8_t b[16];
	unsigned forms = k->forms, memforms = k->memforms;

	for (unsigned v = 0; f->nparam > 0 && v < 6; v++) {
		int64_t p[QHB_X86SEM_NPARAM], bound[QHB_X86SEM_NPARAM];

		for (unsigned i = 0; i < f->nparam; i++) {
			uint64_t r = rng(seed);
			int wide = f->psize[i] == 8;

			p[i] = v == 0 ? 0 : v == 1 ? -1 : v == 2 ?
			    (int64_t)(0xffffffff81000000ULL + (r & 0x3ffffff)) :
			    v == 3 && wide ? (int64_t)(0xffff888000000000ULL +
			    (r & 0xfffffffffULL)) : wide ? (int64_t)r :
			    (int64_t)(int32_t)r;
		}
		memcpy(bound, p, sizeof(bound));
		if (break_params)
			bound[0] += 8;
		en2 = *en;
		if (qhb_x86sem_set_params(f, p, b, &e) < 0 ||
		    qhb_x86sem_decode(b, f->len, &g, &e) < 0 || !g.ok ||
		    qhb_pcpu_bind(en->tmpl, en->n, bound, f->nparam, en2.prog,
		    &e) < 0)
			continue;
		if (check_form(&g, &en2, buf, nstates, seed, k) == 0)
			k->instances++;
	}
	k->forms = forms;
	k->memforms = memforms;
}

int main(int argc, char **argv)
{
	struct qhb_learn_lib lib;
	struct qhb_err e = { 0 };
	unsigned nstates = argc > 2 ? (unsigned)atoi(argv[2]) : 500;
	struct counts k = { 0 };
	uint64_t seed = 0x1234567887654321ULL;
	uint8_t *buf, *res;
	const char *key;
	json_t *v;

	if (argc < 2) {
		fprintf(stderr, "usage: learn-native LIBRARY [STATES "
		    "[break-params|break-system|break-vector|break-new]]\n");
		return 1;
	}
	break_params = argc > 3 && strcmp(argv[3], "break-params") == 0;
	break_system = argc > 3 && strcmp(argv[3], "break-system") == 0;
	break_vector = argc > 3 && strcmp(argv[3], "break-vector") == 0;
	break_new = argc > 3 && strcmp(argv[3], "break-new") == 0;
	read_selectors();
	fault_handlers();
	if (qhb_learn_lib_open(&lib, argv[1], &e) < 0) {
		fprintf(stderr, "learn-native: %s: %s\n", argv[1], e.msg);
		return 1;
	}
	res = mmap(NULL, RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return 1;
	buf = mmap(res + RESERVE / 2, BUFSIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (buf == MAP_FAILED)
		return 1;
	json_object_foreach((json_t *)lib.forms, key, v) {
		struct qhb_learn_entry en;
		struct qhb_x86sem_form f;
		uint8_t bytes[16];
		const char *hex = json_string_value(json_object_get(v, "bytes"));
		unsigned n = 0;

		if (hex == NULL)
			continue;
		for (; hex[2 * n] && n < 15; n++)
			sscanf(hex + 2 * n, "%2hhx", &bytes[n]);
		if (qhb_x86sem_decode(bytes, n, &f, &e) < 0 ||
		    json_object_get(v, "microcode") == NULL)
			continue;
		if (qhb_learn_get(&lib, &f, &en, &e) != 1 || !en.proven)
			continue;
		if (f.sys) {
			if (check_system(&f, &en, buf, nstates, &seed, &k) < 0)
				k.skipped++;
			continue;
		}
		if (check_form(&f, &en, buf, nstates, &seed, &k) < 0) {
			if (getenv("LEARN_NATIVE_VERBOSE"))
				fprintf(stderr, "skipped: %s\n", f.text);
			k.skipped++;
		}
		check_params(&f, &en, buf, nstates, &seed, &k);
	}
	printf("forms %u memory %u skipped %u states %" PRIu64 " mismatches %u "
	    "x86sem-mismatches %u instances %u system %u caught %u\n", k.forms,
	    k.memforms, k.skipped, k.states, k.mism, k.semmism, k.instances,
	    k.sysforms, k.syscaught);
	if (k.vforms > 0)
		printf("vector forms %u faults %u broken %u caught %u\n",
		    k.vforms, k.vfaults, break_vector ? k.vforms : 0, k.caught);
	qhb_learn_lib_close(&lib);
	munmap(res, RESERVE);
	return k.mism || k.semmism ? 1 : 0;
}
