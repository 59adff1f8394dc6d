/*
 * pixelcpu -- the Pixel CPU: a small register machine that models the x86-64
 * integer state, made to run one program over many independent states (one
 * per GPU thread, or per loop iteration in C).  See man/pixel-cpu.7.
 *
 * A state is 80 registers of 64 bits: r0..r15 are the x86 general
 * registers in encoding order (rax rcx rdx rbx rsp rbp rsi rdi r8..r15),
 * r16 is rflags (all of it: microcode may write any bit), r17..r27 are
 * scratch, r28 the fault register, r29 r30 r31 hold the fs base, the gs
 * base and rip (the address of the next instruction, as x86's
 * rip-relative operands see it), r32..r37 the segment selectors es cs ss
 * ds fs gs (x86's encoding order, 16 bits zero-extended; CPL is cs & 3),
 * r38 IA32_KERNEL_GS_BASE, r39 the environment input, r40..r47 are
 * reserved (0) and r48..r79 hold xmm0..xmm15 as 64-bit lanes (xmm i: bits
 * 0..63 in r(48 + 2i), 64..127 in r(49 + 2i)).  One layout for every
 * interpreter and every runner, so that a state means the same thing to
 * all of them.
 *
 * The environment input is what the machine gives an instruction that
 * reads what the state does not model (rdtsc: the time stamp counter;
 * in: the port's value): whoever runs the microcode sets r39 before the
 * instruction, as a load's value comes from memory, and the proof holds
 * for every value of it.  The fault register r28 is set to 1 when x86
 * raises (or, where the state cannot tell, may raise) an exception: #DE,
 * #GP, #UD; the state's other values are then not x86's, and the runner
 * lets the machine execute the instruction.
 *
 * DIVU and REMU divide the 2W-bit r[d]:x (r[d]'s low W bits high) by y's
 * low W bits, unsigned (DIVS and REMS signed, the quotient within W bits
 * signed).  When y is 0 or the quotient needs more than W
 * bits (x86's #DE), the result is 0 and r28 is set to 1: the state
 * faulted, and what x86 would do is not computed.  An instruction is 16 bytes (struct qhb_pcpu_insn, little
 * endian, the bytecode as it is stored and as the shader reads it):
 *
 *   byte 0 op, 1 d, 2 a, 3 b, 4 w (width 8 << w bits), 5 fmask (flags the
 *   instruction writes), 6 bimm (the second operand is imm, not r[b]),
 *   7 zero, 8..15 imm (two's complement).
 *
 * bimm 2 makes the instruction name a parameter: its second operand is
 * parameter P[imm] of the x86 form (a displacement or immediate that is an
 * address, see x86sem.h), not a constant.  A program that names
 * parameters is a template, proven for every value of them; an instance
 * runs it bound to its own values (qhb_pcpu_bind), so the interpreters
 * only ever see constants (an unbound parameter reads as its number in
 * all of them alike).
 *
 * Every op reads x = r[a] and y = (bimm ? imm : r[b]), computes at width
 * W = 8 << w bits and writes the result, cut to W bits and zero-extended,
 * to r[d] (SEXT and INS write 64 bits, see the man page).  Flag-producing
 * forms (fmask != 0) update the flags of fmask in r16 as x86 would for the
 * same operation; the others leave r16 alone.
 *
 * Memory: LD and ST move W / 8 bytes, little endian, between a register
 * and a memory model.  In Z3 (pixelsem.c) the memory is all of it, an array
 * from 64-bit address to byte; the interpreters give each state a window
 * (struct qhb_pcpu_mem: bytes at addresses base .. base + size - 1).  A
 * byte outside the window reads as 0, is not written, and sets the
 * window's fault, so a state that leaves its window is seen, never
 * silently wrong.
 */
#ifndef QHB_PIXELCPU_H
#define QHB_PIXELCPU_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define QHB_PCPU_NREG 80
#define QHB_PCPU_FLAGS 16     /* the register holding rflags */
#define QHB_PCPU_SCRATCH 17   /* first scratch register */
#define QHB_PCPU_FAULT 28     /* 1 after an exception (#DE, #GP, #UD) */
#define QHB_PCPU_FSBASE 29
#define QHB_PCPU_GSBASE 30
#define QHB_PCPU_RIP 31
#define QHB_PCPU_SEG 32       /* es cs ss ds fs gs: r32..r37 */
#define QHB_PCPU_CS 33
#define QHB_PCPU_KGSBASE 38   /* IA32_KERNEL_GS_BASE */
#define QHB_PCPU_ENV 39       /* the environment input */
#define QHB_PCPU_RSVD 40      /* r40..r47: reserved, 0 */
#define QHB_PCPU_XMM 48       /* xmm i: r(48 + 2i) low, r(49 + 2i) high */

/* fmask bits, and their rflags positions */
enum {
	QHB_PCPU_CF = 1, QHB_PCPU_PF = 2, QHB_PCPU_AF = 4,
	QHB_PCPU_ZF = 8, QHB_PCPU_SF = 16, QHB_PCPU_OF = 32,
	QHB_PCPU_ALLF = 63,
};
#define QHB_RFLAGS_ARITH 0x8d5ULL   /* CF PF AF ZF SF OF in rflags */

enum qhb_pcpu_op {
	QHB_PCPU_MOV,     /* x */
	QHB_PCPU_ADD,     /* x + y */
	QHB_PCPU_ADC,     /* x + y + CF */
	QHB_PCPU_SUB,     /* x - y */
	QHB_PCPU_SBB,     /* x - y - CF */
	QHB_PCPU_AND,
	QHB_PCPU_OR,
	QHB_PCPU_XOR,
	QHB_PCPU_NOT,     /* ~x */
	QHB_PCPU_NEG,     /* 0 - x (flags of the subtraction) */
	QHB_PCPU_SHL,     /* count y & (W == 64 ? 63 : 31), x86 rules */
	QHB_PCPU_SHR,
	QHB_PCPU_SAR,
	QHB_PCPU_ROL,
	QHB_PCPU_ROR,
	QHB_PCPU_MUL,     /* low W bits of x * y; flags: CF = OF = signed overflow */
	QHB_PCPU_SEXT,    /* x's low W bits sign-extended to 64 */
	QHB_PCPU_INS,     /* r[d] with bits [y, y + W) replaced by x's low bits */
	QHB_PCPU_EXT,     /* (x >> (y & 63)) cut to W bits */
	QHB_PCPU_BSWAP,   /* bytes of the low W bits reversed */
	QHB_PCPU_CC,      /* 1 if x86 condition (imm & 15) holds on r16, else 0 */
	QHB_PCPU_SEL,     /* y != 0 ? x : r[d] */
	QHB_PCPU_LD,      /* the W bits at address x + y, zero-extended */
	QHB_PCPU_ST,      /* x's low W bits to address r[d] + y; no register */
	QHB_PCPU_DIVU,    /* (r[d]:x) / y, 2W by W bits; see below */
	QHB_PCPU_REMU,    /* (r[d]:x) % y */
	QHB_PCPU_NOP,
	/* vector lanes: W-bit lanes side by side in 64 bits, no flags
	 * (fmask 0), all 64 bits written (see man/pixel-cpu.7) */
	QHB_PCPU_PADD,    /* each lane x + y */
	QHB_PCPU_PSLL,    /* each lane of x << y (y unsigned; >= W: 0) */
	QHB_PCPU_PSRL,    /* each lane of x >> y, logical (>= W: 0) */
	QHB_PCPU_PCMPEQ,  /* each lane all ones where x's equals y's, else 0 */
	QHB_PCPU_PSHUFB,  /* byte i < W/8: 0 if x's byte i has bit 7 set, else
	                   * byte (x's byte i & 15) of r[b + 1]:r[b] */
	QHB_PCPU_PMSKB,   /* bit i < W/8: bit 7 of x's byte i */
	QHB_PCPU_CTZ,     /* trailing zero bits of x (W when x is 0); flags:
	                   * CF = (x == 0), ZF = (result == 0), the rest 0 */
	QHB_PCPU_CLZ,     /* leading zero bits of x, likewise */
	QHB_PCPU_POPCNT,  /* one bits of x; flags: ZF = (x == 0), the rest 0 */
	QHB_PCPU_MULHU,   /* high W bits of x * y, unsigned; flags: CF = OF =
	                   * (result != 0), ZF SF PF AF 0 */
	QHB_PCPU_MULHS,   /* high W bits of x * y, signed; flags: CF = OF =
	                   * signed overflow of the low W bits (as MUL) */
	QHB_PCPU_DIVS,    /* (r[d]:x) / y signed, truncated; as DIVU, r28 := 1
	                   * when y is 0 or the quotient does not fit W bits
	                   * signed (x86's #DE of idiv) */
	QHB_PCPU_REMS,    /* (r[d]:x) % y signed, the sign of the dividend */
	QHB_PCPU_NOPS
};

/* Parameters a program may name (bimm 2): QHB_X86SEM_NPARAM. */
#define QHB_PCPU_NPARAM 2

struct qhb_pcpu_insn {
	uint8_t op, d, a, b, w, fmask, bimm, zero;
	int64_t imm;
};

struct qhb_pcpu_state {
	uint64_t r[QHB_PCPU_NREG];
};

/* The longest program a library holds (memory forms and the string
 * operations need more than the search's sequences). */
#define QHB_PCPU_MAXPROG 16

/* A state's memory window; the caller owns bytes. */
struct qhb_pcpu_mem {
	uint64_t base;
	uint32_t size;
	uint32_t fault;           /* set to 1 by an access outside the window */
	uint8_t *bytes;
};

/*
 * Functions used to run programs (the reference interpreter).
 */
/* Runs n instructions on s.  The program must be valid
 * (qhb_pcpu_check); never fails. */
void qhb_pcpu_run(const struct qhb_pcpu_insn *p, size_t n,
    struct qhb_pcpu_state *s);
/* Runs one instruction. */
void qhb_pcpu_step(const struct qhb_pcpu_insn *in, struct qhb_pcpu_state *s);
/* The same with a memory window (NULL: every access is outside one). */
void qhb_pcpu_run_mem(const struct qhb_pcpu_insn *p, size_t n,
    struct qhb_pcpu_state *s, struct qhb_pcpu_mem *m);
void qhb_pcpu_step_mem(const struct qhb_pcpu_insn *in,
    struct qhb_pcpu_state *s, struct qhb_pcpu_mem *m);
/* 1 when p holds a load or a store. */
int qhb_pcpu_uses_mem(const struct qhb_pcpu_insn *p, size_t n);
/* 0 if every field of every instruction is in range (a parameter's
 * number below QHB_PCPU_NPARAM), else -1 with e naming the first bad
 * instruction. */
int qhb_pcpu_check(const struct qhb_pcpu_insn *p, size_t n,
    struct qhb_err *e);
/* Copies the template p to out with each parameter Pk replaced by the
 * constant param[k].  Returns 0, or -1 with e (out then unspecified) when
 * p names a parameter k >= nparam. */
int qhb_pcpu_bind(const struct qhb_pcpu_insn *p, size_t n,
    const int64_t *param, unsigned nparam, struct qhb_pcpu_insn *out,
    struct qhb_err *e);
/* 1 when p names a parameter. */
int qhb_pcpu_has_param(const struct qhb_pcpu_insn *p, size_t n);

/*
 * Functions used for text: "add.32f r0, r0, r3", "ins.16 r0, r17, #0",
 * "add.64 r0, r19, #P0" (a parameter).
 */
const char *qhb_pcpu_opname(unsigned op);
/* Writes the text of one instruction into buf (NUL-terminated). */
void qhb_pcpu_format(const struct qhb_pcpu_insn *in, char *buf, size_t size);
/* Parses the text qhb_pcpu_format writes.  Returns 0, or -1 with e. */
int qhb_pcpu_parse(const char *text, struct qhb_pcpu_insn *in,
    struct qhb_err *e);
/* x86 condition cc (0..15, the low nibble of jcc/setcc/cmovcc) on rflags. */
int qhb_pcpu_cond(unsigned cc, uint64_t rflags);
/* The rflags bits of an fmask. */
uint64_t qhb_pcpu_fmask_bits(unsigned fmask);

#endif
