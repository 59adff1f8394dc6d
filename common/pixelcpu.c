/*
 * pixelcpu.c -- the Pixel CPU reference interpreter and its text form.
 * shaders/pixelcpu.comp and synth.c's Z3 encoding follow this file op by op.
 */
#include "pixelcpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[QHB_PCPU_NOPS] = {
	"mov", "add", "adc", "sub", "sbb", "and", "or", "xor", "not", "neg",
	"shl", "shr", "sar", "rol", "ror", "mul", "sext", "ins", "ext",
	"bswap", "cc", "sel", "ld", "st", "divu", "remu", "nop",
	"padd", "psll", "psrl", "pcmpeq", "pshufb", "pmskb",
	"ctz", "clz", "popcnt", "mulhu", "mulhs", "divs", "rems",
};

const char *qhb_pcpu_opname(unsigned op)
{
	return op < QHB_PCPU_NOPS ? op_names[op] : "?";
}

uint64_t qhb_pcpu_fmask_bits(unsigned fmask)
{
	static const uint64_t pos[6] = { 0, 2, 4, 6, 7, 11 };
	uint64_t b = 0;

	for (unsigned i = 0; i < 6; i++)
		if (fmask & (1u << i))
			b |= 1ULL << pos[i];
	return b;
}

int qhb_pcpu_cond(unsigned cc, uint64_t f)
{
	int cf = f & 1, pf = (f >> 2) & 1, zf = (f >> 6) & 1;
	int sf = (f >> 7) & 1, of = (f >> 11) & 1, r;

	switch ((cc & 15) >> 1) {
	case 0: r = of; break;
	case 1: r = cf; break;
	case 2: r = zf; break;
	case 3: r = cf | zf; break;
	case 4: r = sf; break;
	case 5: r = pf; break;
	case 6: r = sf != of; break;
	default: r = zf | (sf != of); break;
	}
	return (cc & 1) ? !r : r;
}

static int parity(uint64_t v)
{
	return !(__builtin_popcount((unsigned)(v & 0xff)) & 1);
}

static uint64_t sext(uint64_t v, unsigned bits)
{
	if (bits >= 64)
		return v;
	return (uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits));
}

static uint8_t *mem_byte(struct qhb_pcpu_mem *m, uint64_t addr)
{
	if (m != NULL && m->bytes != NULL && addr - m->base < m->size)
		return &m->bytes[addr - m->base];
	if (m != NULL)
		m->fault = 1;
	return NULL;
}

/* The vector ops: lanes of W bits in 64 (see pixelcpu.h). */
static uint64_t lanes(unsigned op, unsigned W, uint64_t x, uint64_t y)
{
	uint64_t M = W == 64 ? ~0ULL : (1ULL << W) - 1, r = 0, l, v;

	for (unsigned i = 0; i < 64; i += W) {
		l = (x >> i) & M;
		v = (y >> i) & M;
		switch (op) {
		case QHB_PCPU_PADD: l = (l + v) & M; break;
		case QHB_PCPU_PSLL: l = y >= W ? 0 : (l << y) & M; break;
		case QHB_PCPU_PSRL: l = y >= W ? 0 : l >> y; break;
		default: l = l == v ? M : 0; break;
		}
		r |= l << i;
	}
	return r;
}

static uint64_t pshufb(unsigned W, uint64_t x, uint64_t lo, uint64_t hi)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < W / 8; i++) {
		unsigned k = (unsigned)(x >> (8 * i)) & 0xff;
		uint64_t src = (k & 8) ? hi : lo;

		if (!(k & 0x80))
			r |= ((src >> (8 * (k & 7))) & 0xff) << (8 * i);
	}
	return r;
}

static uint64_t pmskb(unsigned W, uint64_t x)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < W / 8; i++)
		r |= ((x >> (8 * i + 7)) & 1) << i;
	return r;
}

/* CTZ, CLZ, POPCNT, MULHU, MULHS of W-bit x and y: the result, its flags
 * in *f (fmask bits). */
static uint64_t bit_count_mul(unsigned op, uint64_t x, uint64_t y, unsigned W,
    unsigned *f)
{
	uint64_t M = W == 64 ? ~0ULL : (1ULL << W) - 1, r;
	__int128 p;

	switch (op) {
	case QHB_PCPU_CTZ:
		r = x == 0 ? W : (uint64_t)__builtin_ctzll(x);
		break;
	case QHB_PCPU_CLZ:
		r = x == 0 ? W : (uint64_t)__builtin_clzll(x) - (64 - W);
		break;
	case QHB_PCPU_POPCNT:
		*f = x == 0 ? QHB_PCPU_ZF : 0;
		return (uint64_t)__builtin_popcountll(x);
	case QHB_PCPU_MULHU:
		r = (uint64_t)(((unsigned __int128)x * y) >> W) & M;
		*f = r != 0 ? QHB_PCPU_CF | QHB_PCPU_OF : 0;
		return r;
	default:        /* MULHS */
		p = (__int128)(int64_t)sext(x, W) * (int64_t)sext(y, W);
		if (p != (__int128)(int64_t)sext((uint64_t)p & M, W))
			*f = QHB_PCPU_CF | QHB_PCPU_OF;
		return (uint64_t)(p >> W) & M;
	}
	*f = (x == 0 ? QHB_PCPU_CF : 0) | (r == 0 ? QHB_PCPU_ZF : 0);
	return r;
}

/* DIVS, REMS: hi:lo (W bits each) by d, signed, into *r (W bits).
 * Returns 0, or -1 for x86's #DE: d is 0 or the quotient does not fit W
 * bits signed (the one 128-bit quotient C cannot form, of -2^127 by -1,
 * among them). */
static int signed_divide(unsigned op, uint64_t hi, uint64_t lo, uint64_t d,
    unsigned W, uint64_t *r)
{
	unsigned __int128 u = ((unsigned __int128)hi << W) | lo;
	__int128 n = W == 64 ? (__int128)u :
	    (__int128)((int64_t)((uint64_t)u << (64 - 2 * W)) >> (64 - 2 * W));
	__int128 dv = (int64_t)sext(d, W), q, lim = (__int128)1 << (W - 1);

	if (dv == 0 || (dv == -1 && (unsigned __int128)n ==
	    (unsigned __int128)1 << 127))
		return -1;
	q = n / dv;
	if (q < -lim || q >= lim)
		return -1;
	*r = (uint64_t)(op == QHB_PCPU_DIVS ? q : n % dv) &
	    (W == 64 ? ~0ULL : (1ULL << W) - 1);
	return 0;
}

void qhb_pcpu_step(const struct qhb_pcpu_insn *in, struct qhb_pcpu_state *s)
{
	qhb_pcpu_step_mem(in, s, NULL);
}

int qhb_pcpu_uses_mem(const struct qhb_pcpu_insn *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].op == QHB_PCPU_LD || p[i].op == QHB_PCPU_ST)
			return 1;
	return 0;
}

void qhb_pcpu_step_mem(const struct qhb_pcpu_insn *in,
    struct qhb_pcpu_state *s, struct qhb_pcpu_mem *m)
{
	unsigned W = 8u << in->w, c, f = 0;
	uint64_t M = W == 64 ? ~0ULL : (1ULL << W) - 1, S = 1ULL << (W - 1);
	uint64_t x = s->r[in->a], y = in->bimm ? (uint64_t)in->imm : s->r[in->b];
	uint64_t r = 0, xm = x & M, ym = y & M, cin = s->r[QHB_PCPU_FLAGS] & 1;
	unsigned fm = in->fmask;
	int logic = 1;            /* flags: CF = OF = AF = 0, ZSP of r */
	unsigned __int128 wide;

	switch (in->op) {
	case QHB_PCPU_MOV: r = xm; break;
	case QHB_PCPU_ADD: case QHB_PCPU_ADC:
		if (in->op == QHB_PCPU_ADD)
			cin = 0;
		wide = (unsigned __int128)xm + ym + cin;
		r = (uint64_t)wide & M;
		f = (unsigned)(wide >> W) & 1;
		f |= ((x ^ r) & (y ^ r) & S) ? QHB_PCPU_OF : 0;
		f |= ((x ^ y ^ r) & 0x10) ? QHB_PCPU_AF : 0;
		logic = 0;
		break;
	case QHB_PCPU_NEG:
		ym = xm;
		xm = 0;
		y = x;
		x = 0;
		cin = 0;
		/* fall through */
	case QHB_PCPU_SUB: case QHB_PCPU_SBB:
		if (in->op == QHB_PCPU_SUB)
			cin = 0;
		r = (xm - ym - cin) & M;
		f = (unsigned __int128)xm < (unsigned __int128)ym + cin;
		f |= ((x ^ y) & (x ^ r) & S) ? QHB_PCPU_OF : 0;
		f |= ((x ^ y ^ r) & 0x10) ? QHB_PCPU_AF : 0;
		logic = 0;
		break;
	case QHB_PCPU_AND: r = xm & ym; break;
	case QHB_PCPU_OR: r = xm | ym; break;
	case QHB_PCPU_XOR: r = xm ^ ym; break;
	case QHB_PCPU_NOT: r = ~xm & M; break;
	case QHB_PCPU_SHL: case QHB_PCPU_SHR: case QHB_PCPU_SAR:
		c = (unsigned)(y & (W == 64 ? 63 : 31));
		logic = 0;
		if (c == 0) {
			r = xm;
			fm = 0;
			break;
		}
		if (in->op == QHB_PCPU_SHL) {
			r = c >= W ? 0 : (xm << c) & M;
			f = c <= W ? (unsigned)(xm >> (W - c)) & 1 : 0;
			f |= (((r & S) != 0) ^ (f & 1)) ? QHB_PCPU_OF : 0;
		} else if (in->op == QHB_PCPU_SHR) {
			r = c >= W ? 0 : xm >> c;
			f = c <= W ? (unsigned)(xm >> (c - 1)) & 1 : 0;
			f |= (xm & S) ? QHB_PCPU_OF : 0;
		} else {
			int64_t sx = (int64_t)sext(xm, W);
			r = (uint64_t)(sx >> (c > 63 ? 63 : c)) & M;
			f = (unsigned)(sx >> (c - 1 > 63 ? 63 : c - 1)) & 1;
		}
		f |= ((r & M) == 0 ? QHB_PCPU_ZF : 0) | ((r & S) ? QHB_PCPU_SF : 0) |
		    (parity(r) ? QHB_PCPU_PF : 0);
		break;
	case QHB_PCPU_ROL: case QHB_PCPU_ROR:
		c = (unsigned)(y & (W == 64 ? 63 : 31));
		logic = 0;
		fm &= QHB_PCPU_CF | QHB_PCPU_OF;
		if (c == 0) {
			r = xm;
			fm = 0;
			break;
		}
		c %= W;
		if (in->op == QHB_PCPU_ROL) {
			r = c ? ((xm << c) | (xm >> (W - c))) & M : xm;
			f = r & 1;
			f |= (((r & S) != 0) ^ (f & 1)) ? QHB_PCPU_OF : 0;
		} else {
			r = c ? ((xm >> c) | (xm << (W - c))) & M : xm;
			f = (r & S) != 0;
			f |= (((r & S) != 0) ^ ((r & (S >> 1)) != 0)) ? QHB_PCPU_OF : 0;
		}
		break;
	case QHB_PCPU_MUL: {
		__int128 p = (__int128)(int64_t)sext(xm, W) * (int64_t)sext(ym, W);
		r = (uint64_t)p & M;
		if (p != (__int128)(int64_t)sext(r, W))
			f = QHB_PCPU_CF | QHB_PCPU_OF;
		f |= (r == 0 ? QHB_PCPU_ZF : 0) | ((r & S) ? QHB_PCPU_SF : 0) |
		    (parity(r) ? QHB_PCPU_PF : 0);
		logic = 0;
		break;
	}
	case QHB_PCPU_SEXT: r = sext(xm, W); break;
	case QHB_PCPU_INS: {
		unsigned pos = (unsigned)(y & 63);
		uint64_t m = M << pos;
		r = (s->r[in->d] & ~m) | ((xm << pos) & m);
		break;
	}
	case QHB_PCPU_EXT: r = (x >> (y & 63)) & M; break;
	case QHB_PCPU_BSWAP:
		r = __builtin_bswap64(xm) >> (64 - W);
		break;
	case QHB_PCPU_CC:
		r = (uint64_t)qhb_pcpu_cond((unsigned)in->imm,
		    s->r[QHB_PCPU_FLAGS]);
		break;
	case QHB_PCPU_SEL: r = (y ? x : s->r[in->d]) & M; break;
	case QHB_PCPU_LD:
		fm = 0;
		for (unsigned i = 0; i < W / 8; i++) {
			uint8_t *b = mem_byte(m, x + y + i);

			r |= (uint64_t)(b ? *b : 0) << (8 * i);
		}
		break;
	case QHB_PCPU_DIVU: case QHB_PCPU_REMU: {
		unsigned __int128 n = ((unsigned __int128)(s->r[in->d] & M) << W) |
		    xm, q;

		fm = 0;
		if (ym == 0 || (q = n / ym) >> W != 0) {
			s->r[QHB_PCPU_FAULT] = 1;
			r = 0;
			break;
		}
		r = in->op == QHB_PCPU_DIVU ? (uint64_t)q : (uint64_t)(n % ym);
		break;
	}
	case QHB_PCPU_ST:
		for (unsigned i = 0; i < W / 8; i++) {
			uint8_t *b = mem_byte(m, s->r[in->d] + y + i);

			if (b != NULL)
				*b = (uint8_t)(x >> (8 * i));
		}
		return;
	case QHB_PCPU_PADD: case QHB_PCPU_PSLL: case QHB_PCPU_PSRL:
	case QHB_PCPU_PCMPEQ:
		fm = 0;
		r = lanes(in->op, W, x, y);
		break;
	case QHB_PCPU_PSHUFB:
		fm = 0;
		r = pshufb(W, x, s->r[in->b], s->r[in->b + 1]);
		break;
	case QHB_PCPU_PMSKB:
		fm = 0;
		r = pmskb(W, x);
		break;
	case QHB_PCPU_CTZ: case QHB_PCPU_CLZ: case QHB_PCPU_POPCNT:
	case QHB_PCPU_MULHU: case QHB_PCPU_MULHS:
		r = bit_count_mul(in->op, xm, ym, W, &f);
		logic = 0;
		break;
	case QHB_PCPU_DIVS: case QHB_PCPU_REMS:
		fm = 0;
		if (signed_divide(in->op, s->r[in->d] & M, xm, ym, W, &r) < 0) {
			s->r[QHB_PCPU_FAULT] = 1;
			r = 0;
		}
		break;
	default: /* NOP */
		return;
	}
	if (logic)
		f = 0;
	if (logic || in->op <= QHB_PCPU_SBB || in->op == QHB_PCPU_NEG)
		f |= ((r & M) == 0 ? QHB_PCPU_ZF : 0) |
		    ((r & S) ? QHB_PCPU_SF : 0) | (parity(r) ? QHB_PCPU_PF : 0);
	s->r[in->d] = r;
	if (fm) {
		uint64_t b = qhb_pcpu_fmask_bits(fm);
		s->r[QHB_PCPU_FLAGS] = (s->r[QHB_PCPU_FLAGS] & ~b) |
		    (qhb_pcpu_fmask_bits(f) & b);
	}
}

void qhb_pcpu_run(const struct qhb_pcpu_insn *p, size_t n,
    struct qhb_pcpu_state *s)
{
	for (size_t i = 0; i < n; i++)
		qhb_pcpu_step_mem(&p[i], s, NULL);
}

void qhb_pcpu_run_mem(const struct qhb_pcpu_insn *p, size_t n,
    struct qhb_pcpu_state *s, struct qhb_pcpu_mem *m)
{
	for (size_t i = 0; i < n; i++)
		qhb_pcpu_step_mem(&p[i], s, m);
}

int qhb_pcpu_check(const struct qhb_pcpu_insn *p, size_t n, struct qhb_err *e)
{
	for (size_t i = 0; i < n; i++) {
		const struct qhb_pcpu_insn *in = &p[i];

		if (in->op >= QHB_PCPU_NOPS || in->d >= QHB_PCPU_NREG ||
		    in->a >= QHB_PCPU_NREG || in->b >= QHB_PCPU_NREG ||
		    in->w > 3 || in->fmask > QHB_PCPU_ALLF || in->bimm > 2 ||
		    in->zero != 0 || (in->bimm == 2 && (in->imm < 0 ||
		    in->imm >= QHB_PCPU_NPARAM)))
			return qhb_err_set(e, "instruction %zu: expected op < %d, "
			    "registers < %d, width 0..3, fmask < 64, parameters "
			    "< %d, got op %u d %u a %u b %u w %u fmask %u", i,
			    QHB_PCPU_NOPS, QHB_PCPU_NREG, QHB_PCPU_NPARAM, in->op,
			    in->d, in->a, in->b, in->w, in->fmask);
		if ((in->op == QHB_PCPU_LD || in->op == QHB_PCPU_ST) &&
		    in->fmask != 0)
			return qhb_err_set(e, "instruction %zu: expected no flags "
			    "on a load or store, got fmask %u", i, in->fmask);
		if (in->op >= QHB_PCPU_PADD && in->op <= QHB_PCPU_PMSKB &&
		    in->fmask != 0)
			return qhb_err_set(e, "instruction %zu: expected no flags "
			    "on a vector op, got fmask %u", i, in->fmask);
		/* pshufb's table is the register pair r[b + 1]:r[b] */
		if (in->op == QHB_PCPU_PSHUFB && (in->bimm != 0 ||
		    in->b + 1 >= QHB_PCPU_NREG))
			return qhb_err_set(e, "instruction %zu: expected pshufb's "
			    "table in registers rB, rB+1 below %d", i,
			    QHB_PCPU_NREG);
	}
	return 0;
}

int qhb_pcpu_bind(const struct qhb_pcpu_insn *p, size_t n,
    const int64_t *param, unsigned nparam, struct qhb_pcpu_insn *out,
    struct qhb_err *e)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = p[i];
		if (p[i].bimm != 2)
			continue;
		if (p[i].imm < 0 || (uint64_t)p[i].imm >= nparam)
			return qhb_err_set(e, "instruction %zu: names parameter "
			    "P%lld, the form has %u", i, (long long)p[i].imm,
			    nparam);
		out[i].bimm = 1;
		out[i].imm = param[p[i].imm];
	}
	return 0;
}

int qhb_pcpu_has_param(const struct qhb_pcpu_insn *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].bimm == 2)
			return 1;
	return 0;
}

/* "add.32f r0, r0, r3" / "add.64 r17, r0, #-1" (f: all six flags; f:XX for
 * a subset, as two hex digits). */
void qhb_pcpu_format(const struct qhb_pcpu_insn *in, char *buf, size_t size)
{
	char fl[8] = "";

	if (in->fmask == QHB_PCPU_ALLF)
		strcpy(fl, "f");
	else if (in->fmask)
		snprintf(fl, sizeof(fl), "f:%02x", in->fmask);
	if (in->bimm == 2)
		snprintf(buf, size, "%s.%u%s r%u, r%u, #P%lld",
		    qhb_pcpu_opname(in->op), 8u << in->w, fl, in->d, in->a,
		    (long long)in->imm);
	else if (in->bimm)
		snprintf(buf, size, "%s.%u%s r%u, r%u, #%lld",
		    qhb_pcpu_opname(in->op), 8u << in->w, fl, in->d, in->a,
		    (long long)in->imm);
	else
		snprintf(buf, size, "%s.%u%s r%u, r%u, r%u",
		    qhb_pcpu_opname(in->op), 8u << in->w, fl, in->d, in->a,
		    in->b);
}

int qhb_pcpu_parse(const char *text, struct qhb_pcpu_insn *in,
    struct qhb_err *e)
{
	char name[16], fl[8] = "";
	unsigned bits, d, a, fm = 0;
	long long imm = 0;
	unsigned b = 0;
	int n = 0, op;

	memset(in, 0, sizeof(*in));
	if (sscanf(text, "%15[a-z].%u%7[f:0-9a-f] r%u, r%u, %n", name, &bits,
	    fl, &d, &a, &n) != 5 &&
	    (fl[0] = 0, sscanf(text, "%15[a-z].%u r%u, r%u, %n", name, &bits,
	    &d, &a, &n) != 4))
		return qhb_err_set(e, "\"%.64s\": expected OP.WIDTH[f] rD, rA, "
		    "rB|#IMM", text);
	for (op = 0; op < QHB_PCPU_NOPS; op++)
		if (strcmp(name, op_names[op]) == 0)
			break;
	if (op == QHB_PCPU_NOPS)
		return qhb_err_set(e, "\"%.64s\": unknown op \"%s\"", text, name);
	if (strcmp(fl, "f") == 0)
		fm = QHB_PCPU_ALLF;
	else if (fl[0] == 'f' && fl[1] == ':')
		fm = (unsigned)strtoul(fl + 2, NULL, 16);
	else if (fl[0] != 0)
		return qhb_err_set(e, "\"%.64s\": bad flag suffix", text);
	if (text[n] == '#') {
		char *end;
		int par = text[n + 1] == 'P';

		/* #Pk: parameter k, a plain number after the P */
		imm = strtoll(text + n + 1 + par, &end, 10);
		in->bimm = par ? 2 : 1;
		if (*end != 0 || (par && (imm < 0 || imm >= QHB_PCPU_NPARAM ||
		    text[n + 2] < '0' || text[n + 2] > '9')))
			return qhb_err_set(e, "\"%.64s\": bad immediate", text);
	} else if (sscanf(text + n, "r%u", &b) != 1) {
		return qhb_err_set(e, "\"%.64s\": expected rB or #IMM", text);
	}
	if ((bits != 8 && bits != 16 && bits != 32 && bits != 64) ||
	    d >= QHB_PCPU_NREG || a >= QHB_PCPU_NREG || fm > QHB_PCPU_ALLF ||
	    (!in->bimm && b >= QHB_PCPU_NREG))
		return qhb_err_set(e, "\"%.64s\": width or register out of range",
		    text);
	in->b = (uint8_t)b;
	in->op = (uint8_t)op;
	in->w = (uint8_t)(bits == 8 ? 0 : bits == 16 ? 1 : bits == 32 ? 2 : 3);
	in->d = (uint8_t)d;
	in->a = (uint8_t)a;
	in->fmask = (uint8_t)fm;
	in->imm = imm;
	return 0;
}
