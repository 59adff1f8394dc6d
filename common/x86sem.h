/*
 * x86sem -- the semantics of x86-64 instruction forms as Z3 bit-vector
 * formulas: the 16 general registers and the six arithmetic flags after one
 * instruction, as functions of the registers and rflags before it.  A flag
 * the manual leaves undefined has no value here, only a condition under
 * which it is defined (Intel SDM vol. 2; "undefined" is never guessed).
 *
 * Instructions are decoded with Zydis.  The forms modelled are register
 * forms (no memory access): mov, movzx, movsx, movsxd, lea, add, adc, sub,
 * sbb, and, or, xor, not, neg, inc, dec, cmp, test, shl/sal, shr, sar, rol,
 * ror, imul (two and three operands), bswap, xchg, cmovcc, setcc, nop, in
 * 8, 16, 32 and 64 bits with the partial-register rules (8 and 16-bit
 * writes merge, 32-bit writes zero-extend, ah..bh).  Any other form is
 * decoded but marked unsupported, with the reason.
 */
#ifndef QHB_X86SEM_H
#define QHB_X86SEM_H

#include <stddef.h>
#include <stdint.h>

#include <z3.h>

#include "err.h"

#define QHB_X86SEM_NIMM 4

struct qhb_x86sem_form {
	uint8_t bytes[16];
	unsigned len;
	char text[96];          /* normalized form: Intel syntax at address 0 */
	int ok;                 /* modelled; when 0, reason says why not */
	char reason[96];
	unsigned regs;          /* GPRs the form names (bit i = register i) */
	unsigned wregs;         /* GPRs it may write */
	unsigned fwrite;        /* Pixel CPU fmask of the flags it may write */
	unsigned widths;        /* bit w set: operands of 8 << w bits occur */
	int64_t imm[QHB_X86SEM_NIMM];   /* constants of the form */
	unsigned nimm;
};

struct qhb_x86sem_out {
	Z3_ast reg[16];         /* 64-bit values after the instruction */
	Z3_ast flag[6];         /* 1-bit CF PF AF ZF SF OF */
	Z3_ast def[6];          /* Bool: the flag is defined */
};

/* Decodes the 64-bit mode instruction at code (at most n bytes) into f.
 * Returns 0 (f->ok 0 with f->reason when the form is not modelled), or -1
 * with e when the bytes are not one valid instruction. */
int qhb_x86sem_decode(const void *code, size_t n, struct qhb_x86sem_form *f,
    struct qhb_err *e);
/* 1 when the instruction at code is a block exit (jcc, jmp, call, ret and
 * the other branches), 0 when not, -1 when undecodable. */
int qhb_x86sem_is_exit(const void *code, size_t n);
/* Builds the semantics of a modelled form: in[0..15] are the 64-bit
 * registers, in[16] rflags.  Returns 0, or -1 with e. */
int qhb_x86sem_build(Z3_context c, const struct qhb_x86sem_form *f,
    Z3_ast in[17], struct qhb_x86sem_out *o, struct qhb_err *e);

#endif
