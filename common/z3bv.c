/*
 * z3bv.c -- Z3 bit-vector terms shared by x86sem and pixelsem (see z3bv.h).
 */
#include "z3bv.h"

const unsigned qhb_z3bv_flag_pos[6] = { 0, 2, 4, 6, 7, 11 };

Z3_ast qhb_z3bv_parity(Z3_context c, Z3_ast r)
{
	Z3_ast p = BIT(r, 0);

	for (unsigned i = 1; i < 8; i++)
		p = Z3_mk_bvxor(c, p, BIT(r, i));
	return Z3_mk_bvnot(c, p);
}

Z3_ast qhb_z3bv_cond(Z3_context c, unsigned cc, Z3_ast fl)
{
	Z3_ast cf = ISONE(BIT(fl, 0)), pf = ISONE(BIT(fl, 2));
	Z3_ast zf = ISONE(BIT(fl, 6)), sf = ISONE(BIT(fl, 7));
	Z3_ast of = ISONE(BIT(fl, 11)), r, a[2];

	switch ((cc & 15) >> 1) {
	case 0: r = of; break;
	case 1: r = cf; break;
	case 2: r = zf; break;
	case 3: a[0] = cf; a[1] = zf; r = Z3_mk_or(c, 2, a); break;
	case 4: r = sf; break;
	case 5: r = pf; break;
	case 6: r = Z3_mk_not(c, Z3_mk_eq(c, sf, of)); break;
	default:
		a[0] = zf;
		a[1] = Z3_mk_not(c, Z3_mk_eq(c, sf, of));
		r = Z3_mk_or(c, 2, a);
		break;
	}
	return (cc & 1) ? Z3_mk_not(c, r) : r;
}

Z3_sort qhb_z3bv_mem_sort(Z3_context c)
{
	return Z3_mk_array_sort(c, Z3_mk_bv_sort(c, 64), Z3_mk_bv_sort(c, 8));
}

Z3_ast qhb_z3bv_load(Z3_context c, Z3_ast mem, Z3_ast addr, unsigned n)
{
	Z3_ast r = NULL, b;

	for (unsigned i = 0; i < n; i++) {
		b = Z3_mk_select(c, mem, i ? Z3_mk_bvadd(c, addr, BV(i, 64)) :
		    addr);
		r = r ? Z3_mk_concat(c, b, r) : b;
	}
	return r;
}

Z3_ast qhb_z3bv_store(Z3_context c, Z3_ast mem, Z3_ast addr, Z3_ast v,
    unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		mem = Z3_mk_store(c, mem, i ? Z3_mk_bvadd(c, addr, BV(i, 64)) :
		    addr, EXT(8 * i + 7, 8 * i, v));
	return mem;
}
