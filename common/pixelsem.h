/*
 * pixelsem -- the semantics of Pixel CPU programs as Z3 bit-vector
 * formulas: what each instruction computes, op by op the reference
 * interpreter's (pixelcpu.c), flags and the fault register r28 included.
 * synth proves programs against x86sem with it.
 *
 * A state is QHB_PCPU_NREG terms of 64 bits, as in pixelcpu.h.  Memory
 * is a z3bv array (qhb_z3bv_mem_sort), read and written little endian.  Terms
 * are built in the caller's context; nothing here fails (Z3 reports its
 * errors through the context's error handler).  DIVU and REMU build the
 * same terms as x86sem's div, so that Z3 sees the two equal.
 */
#ifndef QHB_PIXELSEM_H
#define QHB_PIXELSEM_H

#include <stddef.h>

#include <z3.h>

#include "pixelcpu.h"

/*
 * Functions used to run a program symbolically.  p must be valid
 * (qhb_pcpu_check).
 */
/* Runs p on st[0..QHB_PCPU_NREG - 1] in place; loads read 0 and stores
 * write nothing. */
void qhb_pixelsem_run(Z3_context c, const struct qhb_pcpu_insn *p,
    size_t n, Z3_ast st[QHB_PCPU_NREG]);
/* The same against the memory *mem, in place, with parameter Pk of a
 * template (pixelcpu.h) the 64-bit term param[k]: a free variable, so that
 * what is proven holds for every value (param NULL: none named). */
void qhb_pixelsem_run_mem(Z3_context c, const struct qhb_pcpu_insn *p,
    size_t n, Z3_ast st[QHB_PCPU_NREG], Z3_ast *mem,
    const Z3_ast param[QHB_PCPU_NPARAM]);

#endif
