/*
 * pixelsem.c -- the Pixel CPU as Z3 formulas (see pixelsem.h).
 */
#include "pixelsem.h"

#include "z3bv.h"

/* The vector ops (pixelcpu.h): lanes of W bits side by side in 64. */
static Z3_ast lanes(Z3_context c, unsigned op, unsigned W, Z3_ast x,
    Z3_ast y)
{
	Z3_ast r = NULL, l, v, big = Z3_mk_bvuge(c, y, BV(W, 64));

	for (unsigned i = 0; i < 64; i += W) {
		l = EXT(i + W - 1, i, x);
		v = EXT(i + W - 1, i, y);
		if (op == QHB_PCPU_PADD)
			l = Z3_mk_bvadd(c, l, v);
		else if (op == QHB_PCPU_PSLL)
			l = Z3_mk_ite(c, big, BV(0, W), Z3_mk_bvshl(c, l,
			    EXT(W - 1, 0, y)));
		else if (op == QHB_PCPU_PSRL)
			l = Z3_mk_ite(c, big, BV(0, W), Z3_mk_bvlshr(c, l,
			    EXT(W - 1, 0, y)));
		else
			l = Z3_mk_ite(c, Z3_mk_eq(c, l, v), BV(W == 64 ?
			    ~0ULL : (1ULL << W) - 1, W), BV(0, W));
		r = r == NULL ? l : Z3_mk_concat(c, l, r);
	}
	return r;
}

/* pshufb: W/8 bytes chosen from the 16 of hi:lo by x's bytes */
static Z3_ast pshufb(Z3_context c, unsigned W, Z3_ast x, Z3_ast lo,
    Z3_ast hi)
{
	Z3_ast t = Z3_mk_concat(c, hi, lo), r = NULL, k, b;

	for (unsigned i = 0; i < W / 8; i++) {
		k = EXT(8 * i + 7, 8 * i, x);
		b = EXT(7, 0, Z3_mk_bvlshr(c, t, Z3_mk_zero_ext(c, 120,
		    Z3_mk_bvmul(c, Z3_mk_bvand(c, k, BV(15, 8)), BV(8, 8)))));
		b = Z3_mk_ite(c, ISONE(BIT(k, 7)), BV(0, 8), b);
		r = r == NULL ? b : Z3_mk_concat(c, b, r);
	}
	return r;
}

/* pmskb: bit i of the result is bit 7 of x's byte i */
static Z3_ast pmskb(Z3_context c, unsigned W, Z3_ast x)
{
	Z3_ast r = BIT(x, 7);

	for (unsigned i = 1; i < W / 8; i++)
		r = Z3_mk_concat(c, BIT(x, 8 * i + 7), r);
	return Z3_mk_zero_ext(c, 64 - W / 8, r);
}

/* The number of one bits of the W-bit v, as W bits. */
static Z3_ast ones(Z3_context c, Z3_ast v, unsigned W)
{
	Z3_ast n = BV(0, W);

	for (unsigned i = 0; i < W; i++)
		n = Z3_mk_bvadd(c, n, Z3_mk_zero_ext(c, W - 1, BIT(v, i)));
	return n;
}

/* CTZ, CLZ, POPCNT, MULHU, MULHS (pixelcpu.c's bit_count_mul): the
 * result; f[] the flags.  ctz counts the ones of ~x & (x - 1) (the bits
 * below the lowest one), clz those of ~x smeared right (the bits above
 * the highest one). */
static Z3_ast count_mul(Z3_context c, unsigned op, Z3_ast x, Z3_ast y,
    unsigned W, Z3_ast *f)
{
	Z3_ast r, p, z = B2BV(Z3_mk_eq(c, x, BV(0, W)));

	switch (op) {
	case QHB_PCPU_CTZ:
		r = ones(c, Z3_mk_bvand(c, Z3_mk_bvnot(c, x),
		    Z3_mk_bvsub(c, x, BV(1, W))), W);
		break;
	case QHB_PCPU_CLZ:
		r = x;
		for (unsigned k = 1; k < W; k *= 2)
			r = Z3_mk_bvor(c, r, Z3_mk_bvlshr(c, r, BV(k, W)));
		r = ones(c, Z3_mk_bvnot(c, r), W);
		break;
	case QHB_PCPU_POPCNT:
		f[3] = z;
		return ones(c, x, W);
	case QHB_PCPU_MULHU:
		p = Z3_mk_bvmul(c, Z3_mk_zero_ext(c, W, x), Z3_mk_zero_ext(c, W, y));
		r = EXT(2 * W - 1, W, p);
		f[0] = f[5] = B2BV(Z3_mk_not(c, Z3_mk_eq(c, r, BV(0, W))));
		return r;
	default:        /* MULHS */
		p = Z3_mk_bvmul(c, Z3_mk_sign_ext(c, W, x), Z3_mk_sign_ext(c, W, y));
		f[0] = f[5] = B2BV(Z3_mk_not(c, Z3_mk_eq(c, p,
		    Z3_mk_sign_ext(c, W, EXT(W - 1, 0, p)))));
		return EXT(2 * W - 1, W, p);
	}
	f[0] = z;
	f[3] = B2BV(Z3_mk_eq(c, r, BV(0, W)));
	return r;
}

/* One instruction on st (and *mem, when not NULL), in place: the
 * interpreter's qhb_pcpu_step_mem, term for term; a parameter is the term
 * param[k] (when param is not NULL, else its number, as the interpreters
 * read an unbound one). */
static void step(Z3_context c, const struct qhb_pcpu_insn *in, Z3_ast *st,
    Z3_ast *mem, const Z3_ast *param)
{
	unsigned W = 8u << in->w, fm = in->fmask;
	Z3_ast x = st[in->a], y = in->bimm == 2 && param != NULL ?
	    param[in->imm] : in->bimm ? BV(in->imm, 64) : st[in->b];
	Z3_ast xm = EXT(W - 1, 0, x), ym = EXT(W - 1, 0, y);
	Z3_ast cin = BIT(st[QHB_PCPU_FLAGS], 0), r = NULL, r64 = NULL;
	Z3_ast f[6], upd = Z3_mk_true(c), wide, t, cnt, cw, cz;
	int logic = 1;

	for (int i = 0; i < 6; i++)
		f[i] = BV(0, 1);
	switch (in->op) {
	case QHB_PCPU_MOV: r = xm; break;
	case QHB_PCPU_ADD: case QHB_PCPU_ADC: case QHB_PCPU_SUB:
	case QHB_PCPU_SBB: case QHB_PCPU_NEG: {
		int sub = in->op != QHB_PCPU_ADD && in->op != QHB_PCPU_ADC;
		Z3_ast (*mk)(Z3_context, Z3_ast, Z3_ast) = sub ? Z3_mk_bvsub :
		    Z3_mk_bvadd;

		if (in->op == QHB_PCPU_NEG) {
			ym = xm;
			xm = BV(0, W);
		}
		if (in->op != QHB_PCPU_ADC && in->op != QHB_PCPU_SBB)
			cin = BV(0, 1);
		wide = mk(c, mk(c, Z3_mk_zero_ext(c, 1, xm),
		    Z3_mk_zero_ext(c, 1, ym)), Z3_mk_zero_ext(c, W, cin));
		r = EXT(W - 1, 0, wide);
		f[0] = BIT(wide, W);
		/* OF: add, x and y agree in sign and r does not; sub, x and
		 * y differ in sign and r's is not x's */
		f[5] = BIT(Z3_mk_bvand(c, sub ? Z3_mk_bvxor(c, xm, ym) :
		    Z3_mk_bvxor(c, xm, r), Z3_mk_bvxor(c, sub ? xm : ym, r)),
		    W - 1);
		f[2] = BIT(Z3_mk_bvxor(c, Z3_mk_bvxor(c, xm, ym), r), 4);
		logic = 0;
		break;
	}
	case QHB_PCPU_AND: r = Z3_mk_bvand(c, xm, ym); break;
	case QHB_PCPU_OR: r = Z3_mk_bvor(c, xm, ym); break;
	case QHB_PCPU_XOR: r = Z3_mk_bvxor(c, xm, ym); break;
	case QHB_PCPU_NOT: r = Z3_mk_bvnot(c, xm); break;
	case QHB_PCPU_SHL: case QHB_PCPU_SHR: case QHB_PCPU_SAR:
	case QHB_PCPU_ROL: case QHB_PCPU_ROR:
		cnt = Z3_mk_bvand(c, y, BV(W == 64 ? 63 : 31, 64));
		cz = Z3_mk_eq(c, cnt, BV(0, 64));
		upd = Z3_mk_not(c, cz);
		cw = EXT(W - 1, 0, cnt);
		logic = 0;
		if (in->op == QHB_PCPU_SHL) {
			r = Z3_mk_bvshl(c, xm, cw);
			t = BIT(Z3_mk_bvlshr(c, xm, Z3_mk_bvsub(c, BV(W, W), cw)), 0);
			f[0] = Z3_mk_ite(c, Z3_mk_bvule(c, cnt, BV(W, 64)), t, BV(0, 1));
			f[5] = Z3_mk_bvxor(c, BIT(r, W - 1), f[0]);
		} else if (in->op == QHB_PCPU_SHR) {
			r = Z3_mk_bvlshr(c, xm, cw);
			t = BIT(Z3_mk_bvlshr(c, xm, Z3_mk_bvsub(c, cw, BV(1, W))), 0);
			f[0] = Z3_mk_ite(c, Z3_mk_bvule(c, cnt, BV(W, 64)), t, BV(0, 1));
			f[5] = BIT(xm, W - 1);
		} else if (in->op == QHB_PCPU_SAR) {
			r = Z3_mk_bvashr(c, xm, cw);
			f[0] = BIT(Z3_mk_bvashr(c, xm, Z3_mk_bvsub(c, cw, BV(1, W))), 0);
		} else {
			Z3_ast k = Z3_mk_bvurem(c, cw, BV(W, W));

			fm &= QHB_PCPU_CF | QHB_PCPU_OF;
			if (in->op == QHB_PCPU_ROL) {
				r = Z3_mk_ext_rotate_left(c, xm, k);
				f[0] = BIT(r, 0);
				f[5] = Z3_mk_bvxor(c, BIT(r, W - 1), f[0]);
			} else {
				r = Z3_mk_ext_rotate_right(c, xm, k);
				f[0] = BIT(r, W - 1);
				f[5] = Z3_mk_bvxor(c, BIT(r, W - 1), BIT(r, W - 2));
			}
			break;
		}
		f[3] = B2BV(Z3_mk_eq(c, r, BV(0, W)));
		f[4] = BIT(r, W - 1);
		f[1] = qhb_z3bv_parity(c, r);
		break;
	case QHB_PCPU_MUL: {
		Z3_ast p = Z3_mk_bvmul(c, Z3_mk_sign_ext(c, W, xm),
		    Z3_mk_sign_ext(c, W, ym));

		r = EXT(W - 1, 0, p);
		f[0] = B2BV(Z3_mk_not(c, Z3_mk_eq(c, p, Z3_mk_sign_ext(c, W, r))));
		f[5] = f[0];
		f[3] = B2BV(Z3_mk_eq(c, r, BV(0, W)));
		f[4] = BIT(r, W - 1);
		f[1] = qhb_z3bv_parity(c, r);
		logic = 0;
		break;
	}
	case QHB_PCPU_SEXT:
		r64 = W == 64 ? xm : Z3_mk_sign_ext(c, 64 - W, xm);
		r = xm;
		break;
	case QHB_PCPU_INS: {
		Z3_ast pos = Z3_mk_bvand(c, y, BV(63, 64));
		Z3_ast m = Z3_mk_bvshl(c, BV(W == 64 ? ~0ULL : (1ULL << W) - 1,
		    64), pos);
		Z3_ast xz = W == 64 ? xm : Z3_mk_zero_ext(c, 64 - W, xm);

		r64 = Z3_mk_bvor(c, Z3_mk_bvand(c, st[in->d], Z3_mk_bvnot(c, m)),
		    Z3_mk_bvand(c, Z3_mk_bvshl(c, xz, pos), m));
		r = EXT(W - 1, 0, r64);
		break;
	}
	case QHB_PCPU_EXT:
		r = EXT(W - 1, 0, Z3_mk_bvlshr(c, x,
		    Z3_mk_bvand(c, y, BV(63, 64))));
		break;
	case QHB_PCPU_BSWAP:
		r = EXT(7, 0, xm);
		for (unsigned i = 1; i < W / 8; i++)
			r = Z3_mk_concat(c, r, EXT(8 * i + 7, 8 * i, xm));
		break;
	case QHB_PCPU_CC:
		r = Z3_mk_ite(c, qhb_z3bv_cond(c, (unsigned)in->imm,
		    st[QHB_PCPU_FLAGS]), BV(1, W), BV(0, W));
		break;
	case QHB_PCPU_SEL:
		r = EXT(W - 1, 0, Z3_mk_ite(c, Z3_mk_eq(c, y, BV(0, 64)),
		    st[in->d], x));
		break;
	case QHB_PCPU_LD:
		fm = 0;
		r = mem != NULL ? qhb_z3bv_load(c, *mem, Z3_mk_bvadd(c, x, y),
		    W / 8) : BV(0, W);
		break;
	case QHB_PCPU_DIVU: case QHB_PCPU_REMU:
	case QHB_PCPU_DIVS: case QHB_PCPU_REMS: {
		/* the same terms as x86sem's div and idiv, so that Z3 sees
		 * them equal; signed, the quotient must fit W bits signed */
		int sg = in->op == QHB_PCPU_DIVS || in->op == QHB_PCPU_REMS;
		Z3_ast n = Z3_mk_concat(c, EXT(W - 1, 0, st[in->d]), xm);
		Z3_ast dv = sg ? Z3_mk_sign_ext(c, W, ym) : Z3_mk_zero_ext(c, W, ym);
		Z3_ast q = sg ? Z3_mk_bvsdiv(c, n, dv) : Z3_mk_bvudiv(c, n, dv);
		Z3_ast a2[2], bad;

		fm = 0;
		a2[0] = Z3_mk_eq(c, ym, BV(0, W));
		a2[1] = Z3_mk_not(c, sg ? Z3_mk_eq(c, q, Z3_mk_sign_ext(c, W,
		    EXT(W - 1, 0, q))) : Z3_mk_eq(c, EXT(2 * W - 1, W, q),
		    BV(0, W)));
		bad = Z3_mk_or(c, 2, a2);
		r = Z3_mk_ite(c, bad, BV(0, W), EXT(W - 1, 0,
		    in->op == QHB_PCPU_DIVU || in->op == QHB_PCPU_DIVS ? q : sg ?
		    Z3_mk_bvsrem(c, n, dv) : Z3_mk_bvurem(c, n, dv)));
		st[QHB_PCPU_FAULT] = Z3_mk_ite(c, bad, BV(1, 64),
		    st[QHB_PCPU_FAULT]);
		break;
	}
	case QHB_PCPU_PADD: case QHB_PCPU_PSLL: case QHB_PCPU_PSRL:
	case QHB_PCPU_PCMPEQ: case QHB_PCPU_PSHUFB: case QHB_PCPU_PMSKB:
		fm = 0;
		r64 = in->op == QHB_PCPU_PSHUFB ? pshufb(c, W, x, st[in->b],
		    st[in->b + 1]) : in->op == QHB_PCPU_PMSKB ? pmskb(c, W, x) :
		    lanes(c, in->op, W, x, y);
		if (W < 64 && in->op == QHB_PCPU_PSHUFB)
			r64 = Z3_mk_zero_ext(c, 64 - W, r64);
		r = EXT(W - 1, 0, r64);
		break;
	case QHB_PCPU_CTZ: case QHB_PCPU_CLZ: case QHB_PCPU_POPCNT:
	case QHB_PCPU_MULHU: case QHB_PCPU_MULHS:
		r = count_mul(c, in->op, xm, ym, W, f);
		logic = 0;
		break;
	case QHB_PCPU_ST:
		if (mem != NULL)
			*mem = qhb_z3bv_store(c, *mem, Z3_mk_bvadd(c, st[in->d],
			    y), x, W / 8);
		return;
	default:
		return;
	}
	if (logic || in->op <= QHB_PCPU_SBB || in->op == QHB_PCPU_NEG) {
		if (logic)
			f[0] = f[2] = f[5] = BV(0, 1);
		f[3] = B2BV(Z3_mk_eq(c, r, BV(0, W)));
		f[4] = BIT(r, W - 1);
		f[1] = qhb_z3bv_parity(c, r);
	}
	if (r64 == NULL)
		r64 = W == 64 ? r : Z3_mk_zero_ext(c, 64 - W, r);
	st[in->d] = r64;
	for (int i = 0; i < 6; i++) {
		Z3_ast fl = st[QHB_PCPU_FLAGS], v, hi, lo;
		unsigned p = qhb_z3bv_flag_pos[i];

		if (!(fm & (1u << i)))
			continue;
		v = Z3_mk_ite(c, upd, f[i], BIT(fl, p));
		hi = EXT(63, p + 1, fl);
		lo = p > 0 ? EXT(p - 1, 0, fl) : NULL;
		v = Z3_mk_concat(c, hi, v);
		st[QHB_PCPU_FLAGS] = lo ? Z3_mk_concat(c, v, lo) : v;
	}
}

void qhb_pixelsem_run(Z3_context c, const struct qhb_pcpu_insn *p,
    size_t n, Z3_ast st[QHB_PCPU_NREG])
{
	for (size_t i = 0; i < n; i++)
		step(c, &p[i], st, NULL, NULL);
}

void qhb_pixelsem_run_mem(Z3_context c, const struct qhb_pcpu_insn *p,
    size_t n, Z3_ast st[QHB_PCPU_NREG], Z3_ast *mem,
    const Z3_ast param[QHB_PCPU_NPARAM])
{
	for (size_t i = 0; i < n; i++)
		step(c, &p[i], st, mem, param);
}
