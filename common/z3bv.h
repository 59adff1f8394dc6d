/*
 * z3bv -- the Z3 bit-vector vocabulary that both machine semantics are
 * written in: x86sem (x86-64 forms) and pixelsem (Pixel CPU programs).
 * Terms the two build alike live here once, so that a proof compares like
 * with like: the shorthands for constants, extracts and bits, the parity
 * of a result's low byte, the x86 condition codes over an rflags value
 * (x86's setcc and cmovcc, the Pixel CPU's CC), and memory as a Z3 array
 * from 64-bit address to byte, little endian.
 *
 * Every term belongs to the caller's context; nothing here fails (Z3
 * reports its errors through the context's error handler).
 *
 * Include this header from .c files only: the shorthands below are short
 * names that expect the Z3_context in scope to be called c, as it is in
 * every function of the semantics.
 */
#ifndef QHB_Z3BV_H
#define QHB_Z3BV_H

#include <stdint.h>

#include <z3.h>

/* Shorthands: the n-bit constant v, bits hi..lo of a, bit i of a (1 bit),
 * a Bool as 1 bit, and "the 1-bit a is 1". */
#define BV(v, n) Z3_mk_unsigned_int64(c, (uint64_t)(v), Z3_mk_bv_sort(c, (n)))
#define EXT(hi, lo, a) Z3_mk_extract(c, (hi), (lo), (a))
#define BIT(a, i) EXT((i), (i), (a))
#define B2BV(b) Z3_mk_ite(c, (b), BV(1, 1), BV(0, 1))
#define ISONE(a) Z3_mk_eq(c, (a), BV(1, 1))

/* The rflags positions of CF PF AF ZF SF OF, in the order of the Pixel
 * CPU's fmask bits and of struct qhb_x86sem_out's flags. */
extern const unsigned qhb_z3bv_flag_pos[6];

/*
 * Functions used for flags.
 */
/* PF of a result: 1 when its low 8 bits have an even number of ones. */
Z3_ast qhb_z3bv_parity(Z3_context c, Z3_ast r);
/* x86 condition cc (its low 4 bits: the low nibble of jcc/setcc/cmovcc)
 * on the 64-bit rflags value fl, as a Bool. */
Z3_ast qhb_z3bv_cond(Z3_context c, unsigned cc, Z3_ast fl);

/*
 * Functions used for memory as a Z3 array.
 */
Z3_sort qhb_z3bv_mem_sort(Z3_context c);
/* n bytes at addr, as an 8n-bit vector */
Z3_ast qhb_z3bv_load(Z3_context c, Z3_ast mem, Z3_ast addr, unsigned n);
/* mem with the low n bytes of v at addr */
Z3_ast qhb_z3bv_store(Z3_context c, Z3_ast mem, Z3_ast addr, Z3_ast v,
    unsigned n);

#endif
