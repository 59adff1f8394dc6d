/*
 * x86sem -- the semantics of x86-64 instruction forms as Z3 bit-vector
 * formulas: the 16 general registers and the six arithmetic flags after one
 * instruction, as functions of the registers and rflags before it.  A flag
 * the manual leaves undefined has no value here, only a condition under
 * which it is defined (Intel SDM vol. 2; "undefined" is never guessed).
 *
 * Instructions are decoded with Zydis.  The forms modelled are register
 * forms and forms with one memory operand: mov, movzx, movsx, movsxd, lea, add, adc, sub,
 * sbb, and, or, xor, not, neg, inc, dec, cmp, test, shl/sal, shr, sar, rol,
 * ror, imul (two and three operands), div, bswap, xchg, cmovcc, setcc, nop, in
 * 8, 16, 32 and 64 bits with the partial-register rules (8 and 16-bit
 * writes merge, 32-bit writes zero-extend, ah..bh); push and pop of a
 * 64-bit register or memory operand, and leave; xadd; bts, btr and btc
 * of a register or memory operand by a register or an immediate, and bt
 * of memory by a register (whose bit offset reaches beyond the operand:
 * the SDM's address, base + (offset >> log2 W) * W / 8); cmpxchg16b (ZF,
 * and #GP when the operand is not 16-byte aligned, a fault); one-operand
 * mul and imul of 16, 32 and 64 bits (the product in rdx:rax); idiv of
 * 16, 32 and 64 bits (#DE, a fault, for a zero divisor and a quotient
 * that does not fit); tzcnt,
 * lzcnt and popcnt (the SDM's flags, a zero source included); bsf and bsr
 * for a source that is not 0 (ZF 0, the other flags undefined): the SDM
 * leaves the destination undefined for a zero source (CPUs keep it), so
 * that case is a fault here, the machine runs the instruction; and one
 * iteration of rep stos and rep movs (what QEMU
 * runs each time it executes the instruction: nothing when rcx is 0, else
 * one element, rcx decremented, rdi and rsi stepped by DF).  Any other
 * form is decoded but marked unsupported, with the reason.
 *
 * Vector forms (legacy SSE on xmm, integer: they read no MXCSR): movd,
 * movq, movdqa, movdqu, movaps, movups, paddb/w/d/q, pxor, por, pand,
 * pcmpeqb/w/d, pshufb, pshufd, punpckldq, punpcklqdq, psllw/d/q and
 * psrlw/d/q (by imm8 or by an xmm), pmovmskb.  xmm i is the 128 bits
 * in[QHB_PCPU_XMM + 2i + 1]:in[QHB_PCPU_XMM + 2i] (the Pixel CPU's
 * lanes, pixelcpu.h), written to o->sys; a memory operand is 32, 64 or
 * 128 bits, and a 128-bit one of any but movdqu and movups faults (#GP)
 * when it is not 16-byte aligned.  Their memory forms have only the view
 * against memory (qhb_x86sem_build_mem), as the string operations.  VEX
 * and EVEX forms are not modelled: a VEX.128 write zeroes the upper half
 * of the ymm register, which the state does not hold.
 *
 * The system forms (enum qhb_x86sem_sys) read and write the state beyond
 * the general registers: rflags whole (o->rflags), the selectors, the
 * bases and IA32_KERNEL_GS_BASE (o->sys), and the environment input r39
 * (pixelcpu.h), what the machine gives them: rdtsc the TSC, in the
 * port's value, clac and stac CR4.  Where x86 raises an exception, or
 * where the state cannot tell whether it does (CR4.TSD for rdtsc at
 * CPL > 0, the I/O permission bitmap for in and CR4.PVI for cli and sti
 * at CPL > IOPL), o->fault holds: the machine runs the instruction, so
 * what the state does not hold never makes a wrong answer.
 *
 * Memory is an array from 64-bit address to byte (z3bv's, the same the
 * Pixel CPU's semantics read and write).  A memory operand is seen two
 * ways: by qhb_x86sem_build as a register (its value before the
 * instruction in in[QHB_X86SEM_MEMREG], its value after in memval), which
 * is what the synthesis searches over; and by qhb_x86sem_build_mem as
 * loads and stores against the array, which is what the proofs use.
 *
 * Parameters.  A displacement or immediate that is an address is a
 * parameter of the form, not a constant of it, so that forms the same up
 * to an address (KASLR moves the kernel between boots) are one form with
 * one proof.  The rule: a memory operand's (or lea's) displacement is a
 * parameter when the operand is rip-relative or the displacement's 64-bit
 * value lies in the kernel half below its top 16 MiB
 * (0xffff800000000000 <= v < 0xffffffffff000000, where the kernel's text,
 * data, modules and direct map live; small negative offsets stay
 * constants); an immediate of a 64-bit operation is one when its
 * sign-extended value lies there too.  The form's key text names them
 * P0, P1, ... in place of their values ("mov rax, [rip+P0]"); the
 * semantics read parameter k as the free input in[QHB_X86SEM_PARAM0 + k],
 * so one proof holds for every value, and qhb_x86sem_decode takes an
 * instance's values from its bytes (f->param).
 */
#ifndef QHB_X86SEM_H
#define QHB_X86SEM_H

#include <stddef.h>
#include <stdint.h>

#include <z3.h>

#include "err.h"
#include "pixelcpu.h"

#define QHB_X86SEM_NIMM 4
#define QHB_X86SEM_NOREG 255    /* no segment, base or index register */
#define QHB_X86SEM_MEMREG 18    /* the memory operand seen as a register */
#define QHB_X86SEM_ADDRREG 19   /* microcode's address register */
#define QHB_X86SEM_NPARAM 2     /* a displacement and an immediate */
#define QHB_X86SEM_PARAM0 QHB_PCPU_NREG  /* in[PARAM0 + k]: parameter k */
#define QHB_X86SEM_NIN (QHB_X86SEM_PARAM0 + QHB_X86SEM_NPARAM)

/* The system forms: they read and write what the integer forms do not
 * (rflags beyond the six flags, the selectors, IA32_KERNEL_GS_BASE, the
 * environment input r39 of pixelcpu.h), each with its fault condition,
 * and their microcode is a fixed program. */
enum qhb_x86sem_sys {
	QHB_X86SEM_SYS_NONE,
	QHB_X86SEM_CLI,         /* IF := 0; #GP when CPL > IOPL */
	QHB_X86SEM_STI,         /* IF := 1; #GP when CPL > IOPL */
	QHB_X86SEM_CLAC,        /* AC := 0; #UD when CPL > 0 or CR4.SMAP
	                         * (bit 21 of r39: CR4) is 0 */
	QHB_X86SEM_STAC,        /* AC := 1; the same #UD */
	QHB_X86SEM_CLD,         /* DF := 0 */
	QHB_X86SEM_STD,         /* DF := 1 */
	QHB_X86SEM_PUSHF,       /* pushfq: rflags without VM and RF to
	                         * [rsp - 8] */
	QHB_X86SEM_POPF,        /* popfq: the bits CPL and IOPL let change */
	QHB_X86SEM_MOVSEG,      /* mov r16/r32/r64, sreg */
	QHB_X86SEM_SWAPGS,      /* gs base <-> IA32_KERNEL_GS_BASE; #UD when
	                         * CPL > 0 */
	QHB_X86SEM_RDTSC,       /* edx:eax := r39 (the TSC); a fault when
	                         * CPL > 0, where CR4.TSD may make it #GP */
	QHB_X86SEM_IN,          /* al/ax/eax := r39 (the port's value); a
	                         * fault when CPL > IOPL, where the I/O
	                         * permission bitmap decides */
};

enum qhb_x86sem_kind {
	QHB_X86SEM_REG,         /* no memory access */
	QHB_X86SEM_MEMOP,       /* one explicit memory operand */
	QHB_X86SEM_PUSH,        /* push r64: [rsp - 8] written */
	QHB_X86SEM_POP,         /* pop r64: [rsp] read */
	QHB_X86SEM_STOS,        /* rep stos, one iteration */
	QHB_X86SEM_MOVS,        /* rep movs, one iteration */
	/* forms of two memory accesses, or of an address that depends on
	 * a register's value: no register view (qhb_x86sem_mem_only) */
	QHB_X86SEM_PUSHM,       /* push m64: [m] read, [rsp - 8] written */
	QHB_X86SEM_POPM,        /* pop m64: [rsp] read, [m] written, its
	                         * address computed after rsp += 8 */
	QHB_X86SEM_BTM,         /* bt/bts/btr/btc m, r: the operand at m +
	                         * (r's signed bit offset / W) * W / 8 */
	QHB_X86SEM_CMPX16,      /* cmpxchg16b m128: #GP when misaligned */
};

/* Forms that keep their mnemonic for the fixed programs of synth.c. */
enum qhb_x86sem_special {
	QHB_X86SEM_SP_NONE,
	QHB_X86SEM_SP_XADD,     /* xadd m/r, r */
	QHB_X86SEM_SP_BTS,      /* bts, btr, btc: the bit set, cleared, */
	QHB_X86SEM_SP_BTR,      /* complemented (and bt of BTM) */
	QHB_X86SEM_SP_BTC,
	QHB_X86SEM_SP_BT,
	QHB_X86SEM_SP_LEAVE,    /* leave: rsp = rbp, pop rbp */
	QHB_X86SEM_SP_MUL,      /* mul r/m: rdx:rax = rax * r/m */
	QHB_X86SEM_SP_IMUL1,    /* imul r/m (one operand), signed */
	QHB_X86SEM_SP_TZCNT,    /* tzcnt, lzcnt, popcnt r, r/m */
	QHB_X86SEM_SP_LZCNT,
	QHB_X86SEM_SP_POPCNT,
	QHB_X86SEM_SP_IDIV,     /* idiv r/m: rdx:rax / r/m signed, #DE */
	QHB_X86SEM_SP_BSF,      /* bsf, bsr r, r/m: a zero source faults */
	QHB_X86SEM_SP_BSR,
};

/* The memory access of a form: address seg + base + (index << shift) +
 * disp, where seg is QHB_PCPU_FSBASE, QHB_PCPU_GSBASE or NOREG, and base
 * a GPR, QHB_PCPU_RIP or NOREG. */
struct qhb_x86sem_mem {
	int kind;
	int read, write;
	unsigned seg, base, index, shift;
	int64_t disp;
	unsigned bits;          /* of the access: 8, 16, 32 or 64 */
};

/* A vector form's operation (f->vec), 0 for every other form. */
enum qhb_x86sem_vec {
	QHB_X86SEM_VNONE,
	QHB_X86SEM_VMOV,        /* vbits of the source, zero-extended */
	QHB_X86SEM_VPADD,       /* lanes of vlane bits */
	QHB_X86SEM_VPXOR, QHB_X86SEM_VPOR, QHB_X86SEM_VPAND,
	QHB_X86SEM_VPCMPEQ,     /* lanes of vlane bits */
	QHB_X86SEM_VPSHUFB,
	QHB_X86SEM_VPSHUFD,     /* order vimm */
	QHB_X86SEM_VPUNPCKL,    /* the low halves interleaved, vlane bits */
	QHB_X86SEM_VPSLL, QHB_X86SEM_VPSRL,     /* by vimm, or by the source
	                                         * when vsrc is not NOREG */
	QHB_X86SEM_VPMOVMSKB,
};

struct qhb_x86sem_form {
	uint8_t bytes[16];
	unsigned len;
	char text[96];          /* normalized form: Intel syntax at address 0 */
	char key[96];           /* text with parameters as P0, P1 (else text) */
	int64_t param[QHB_X86SEM_NPARAM];  /* this instance's values */
	unsigned nparam;
	int disp_param, imm_param;      /* which parameter the displacement
	                                 * (mem.disp) and the immediate
	                                 * operand are, -1: a constant */
	unsigned imm_op;                /* the immediate's operand index */
	uint8_t poff[QHB_X86SEM_NPARAM], psize[QHB_X86SEM_NPARAM];
	                                /* each parameter's field in bytes */
	int ok;                 /* modelled; when 0, reason says why not */
	char reason[96];
	unsigned regs;          /* GPRs the form names (bit i = register i) */
	unsigned wregs;         /* GPRs it may write */
	unsigned fwrite;        /* Pixel CPU fmask of the flags it may write */
	unsigned widths;        /* bit w set: operands of 8 << w bits occur */
	int64_t imm[QHB_X86SEM_NIMM];   /* constants of the form */
	unsigned nimm;
	int rip;                /* lea reads rip (QHB_PCPU_RIP) */
	unsigned lea_bits, lea_dst;     /* lea: its register, whose address
	                                 * terms are in mem (kind REG) */
	unsigned cmpxchg_src;           /* cmpxchg [m], r: r (else 16) */
	unsigned div_src;               /* div: its divisor's register,
	                                 * QHB_X86SEM_MEMREG (else NOREG) */
	unsigned div_bits;              /* div: its operand width */
	int sys;                        /* enum qhb_x86sem_sys */
	unsigned sys_reg, sys_bits;     /* mov r, sreg: the GPR and its
	                                 * width, sys_seg the selector's
	                                 * register; in: the width */
	unsigned sys_seg;
	struct qhb_x86sem_mem mem;
	unsigned vec;                   /* enum qhb_x86sem_vec */
	unsigned vdst, vsrc;            /* vector form's operands: an xmm's
	                                 * low lane QHB_PCPU_XMM + 2i, a GPR,
	                                 * QHB_X86SEM_MEMREG or NOREG */
	unsigned vbits, vlane, vimm;    /* VMOV's width, the lanes, imm8 */
	int valign;                     /* a 128-bit operand that must be
	                                 * 16-byte aligned */
	unsigned special;               /* enum qhb_x86sem_special */
	unsigned opreg[2];              /* special: its first two operands'
	                                 * GPRs (NOREG: not a register) */
	unsigned opbits;                /* special: its operand width */
};

struct qhb_x86sem_out {
	Z3_ast reg[16];         /* 64-bit values after the instruction */
	Z3_ast flag[6];         /* 1-bit CF PF AF ZF SF OF */
	Z3_ast def[6];          /* Bool: the flag is defined */
	Z3_ast addr;            /* 64-bit address of the memory operand */
	Z3_ast memval;          /* its value after (mem.bits), when written */
	Z3_ast mem;             /* qhb_x86sem_build_mem: the memory after */
	Z3_ast fault;           /* Bool: the instruction faults (div's #DE,
	                         * cmpxchg16b's #GP on a misaligned operand;
	                         * bsf/bsr of 0, which x86 leaves undefined);
	                         * then nothing else is defined */
	Z3_ast rflags;          /* the whole rflags after, for a form that
	                         * writes bits beyond the six flags (else
	                         * NULL: those six, the rest unchanged) */
	Z3_ast sys[QHB_PCPU_NREG];  /* r29..r79 after (the entries below
	                         * QHB_PCPU_FSBASE are unused) */
};

/* Decodes the 64-bit mode instruction at code (at most n bytes) into f.
 * Returns 0 (f->ok 0 with f->reason when the form is not modelled), or -1
 * with e when the bytes are not one valid instruction. */
int qhb_x86sem_decode(const void *code, size_t n, struct qhb_x86sem_form *f,
    struct qhb_err *e);
/* f's bytes with its parameters set to param[0..f->nparam - 1] into out
 * (f->len bytes): the same form at another address.  Returns 0, or -1
 * with e when a value does not fit its field (a 32-bit one is
 * sign-extended). */
int qhb_x86sem_set_params(const struct qhb_x86sem_form *f,
    const int64_t *param, uint8_t out[16], struct qhb_err *e);
/* 1 when the instruction at code is a block exit (jcc, jmp, call, ret and
 * the other branches), 0 when not, -1 when undecodable. */
int qhb_x86sem_is_exit(const void *code, size_t n);
/* 1 when the instruction at code is an indirect exit: ret, or a jmp or
 * call through a register or memory (its target is data, not a constant
 * of the form); 0 when not, -1 when undecodable. */
int qhb_x86sem_is_indirect_exit(const void *code, size_t n);
/* Builds the semantics of a modelled form: in[0..15] are the 64-bit
 * registers, in[16] rflags, in[QHB_X86SEM_MEMREG] the memory operand's
 * value (in its low bits), in[QHB_X86SEM_PARAM0 + k] parameter k (64
 * bits; in[] needs QHB_X86SEM_PARAM0 + f->nparam terms).  The string
 * operations have no such view.
 * Every register of r29..r79 that the form does not write is its input
 * in o->sys.
 * Returns 0, or -1 with e. */
int qhb_x86sem_build(Z3_context c, const struct qhb_x86sem_form *f,
    Z3_ast in[], struct qhb_x86sem_out *o, struct qhb_err *e);
/* 1 when f has no register view, only qhb_x86sem_build_mem's: the string
 * operations and the kinds from QHB_X86SEM_PUSHM on. */
int qhb_x86sem_mem_only(const struct qhb_x86sem_form *f);
/* The same against memory mem (an array, qhb_z3bv_mem_sort): o->mem is
 * the memory after.  Returns 0, or -1 with e. */
int qhb_x86sem_build_mem(Z3_context c, const struct qhb_x86sem_form *f,
    Z3_ast in[], Z3_ast mem, struct qhb_x86sem_out *o, struct qhb_err *e);

#endif
