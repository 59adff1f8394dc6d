/*
 * x86sem.c -- x86-64 register forms as Z3 formulas (see x86sem.h).
 */
#include "x86sem.h"

#include <stdio.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "pixelcpu.h"
#include "z3bv.h"

enum { F_CF, F_PF, F_AF, F_ZF, F_SF, F_OF };

struct opnd {
	int kind;               /* 0 reg, 1 imm, 2 address (lea) */
	unsigned gpr, lo, bits;
	uint64_t imm;
	const ZydisDecodedOperand *z;
	Z3_ast param;           /* an immediate that is a parameter: its term */
};

static int decode(const void *code, size_t n, ZydisDecodedInstruction *in,
    ZydisDecodedOperand *ops)
{
	ZydisDecoder d;

	if (!ZYAN_SUCCESS(ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64,
	    ZYDIS_STACK_WIDTH_64)) ||
	    !ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, code, n, in, ops)))
		return -1;
	return 0;
}

static int reg_gpr(ZydisRegister r, unsigned *gpr, unsigned *lo,
    unsigned *bits)
{
	ZydisRegisterClass k = ZydisRegisterGetClass(r);
	ZydisRegister big;

	if (k != ZYDIS_REGCLASS_GPR8 && k != ZYDIS_REGCLASS_GPR16 &&
	    k != ZYDIS_REGCLASS_GPR32 && k != ZYDIS_REGCLASS_GPR64)
		return -1;
	big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
	*gpr = (unsigned)ZydisRegisterGetId(big);
	*bits = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, r);
	*lo = (r == ZYDIS_REGISTER_AH || r == ZYDIS_REGISTER_CH ||
	    r == ZYDIS_REGISTER_DH || r == ZYDIS_REGISTER_BH) ? 8 : 0;
	return *gpr < 16 ? 0 : -1;
}

/* x86 condition code of a cmovcc/setcc mnemonic, -1 if none. */
static int cond_code(ZydisMnemonic m)
{
	static const struct { ZydisMnemonic cmov, set; int cc; } t[] = {
		{ ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_SETO, 0 },
		{ ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_SETNO, 1 },
		{ ZYDIS_MNEMONIC_CMOVB, ZYDIS_MNEMONIC_SETB, 2 },
		{ ZYDIS_MNEMONIC_CMOVNB, ZYDIS_MNEMONIC_SETNB, 3 },
		{ ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_SETZ, 4 },
		{ ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_SETNZ, 5 },
		{ ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_SETBE, 6 },
		{ ZYDIS_MNEMONIC_CMOVNBE, ZYDIS_MNEMONIC_SETNBE, 7 },
		{ ZYDIS_MNEMONIC_CMOVS, ZYDIS_MNEMONIC_SETS, 8 },
		{ ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_SETNS, 9 },
		{ ZYDIS_MNEMONIC_CMOVP, ZYDIS_MNEMONIC_SETP, 10 },
		{ ZYDIS_MNEMONIC_CMOVNP, ZYDIS_MNEMONIC_SETNP, 11 },
		{ ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_SETL, 12 },
		{ ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_SETNL, 13 },
		{ ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_SETLE, 14 },
		{ ZYDIS_MNEMONIC_CMOVNLE, ZYDIS_MNEMONIC_SETNLE, 15 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (m == t[i].cmov || m == t[i].set)
			return t[i].cc;
	return -1;
}

/* cbw cwde cdqe (rax from its lower half), cwd cdq cqo (rdx from rax's
 * sign) */
static int is_sign_fill(ZydisMnemonic m)
{
	return m == ZYDIS_MNEMONIC_CBW || m == ZYDIS_MNEMONIC_CWDE ||
	    m == ZYDIS_MNEMONIC_CDQE || m == ZYDIS_MNEMONIC_CWD ||
	    m == ZYDIS_MNEMONIC_CDQ || m == ZYDIS_MNEMONIC_CQO;
}

static int is_cmov(ZydisMnemonic m)
{
	return m >= ZYDIS_MNEMONIC_CMOVB && m <= ZYDIS_MNEMONIC_CMOVZ;
}

/* Flags each mnemonic may write, as a Pixel fmask; -1: not modelled. */
static int mnemonic_flags(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_MOV: case ZYDIS_MNEMONIC_MOVZX:
	case ZYDIS_MNEMONIC_MOVSX: case ZYDIS_MNEMONIC_MOVSXD:
	case ZYDIS_MNEMONIC_LEA: case ZYDIS_MNEMONIC_NOT:
	case ZYDIS_MNEMONIC_BSWAP: case ZYDIS_MNEMONIC_XCHG:
	case ZYDIS_MNEMONIC_NOP:
	case ZYDIS_MNEMONIC_CBW: case ZYDIS_MNEMONIC_CWDE:
	case ZYDIS_MNEMONIC_CDQE: case ZYDIS_MNEMONIC_CWD:
	case ZYDIS_MNEMONIC_CDQ: case ZYDIS_MNEMONIC_CQO:
	case ZYDIS_MNEMONIC_PUSH: case ZYDIS_MNEMONIC_POP:
	case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW:
	case ZYDIS_MNEMONIC_STOSD: case ZYDIS_MNEMONIC_STOSQ:
	case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW:
	case ZYDIS_MNEMONIC_MOVSD: case ZYDIS_MNEMONIC_MOVSQ:
		return 0;
	case ZYDIS_MNEMONIC_PAUSE:
	case ZYDIS_MNEMONIC_PREFETCH: case ZYDIS_MNEMONIC_PREFETCHNTA:
	case ZYDIS_MNEMONIC_PREFETCHT0: case ZYDIS_MNEMONIC_PREFETCHT1:
	case ZYDIS_MNEMONIC_PREFETCHT2: case ZYDIS_MNEMONIC_PREFETCHW:
		return 0x100;   /* hints: no architectural effect, as nop */
	case ZYDIS_MNEMONIC_INC: case ZYDIS_MNEMONIC_DEC:
		return QHB_PCPU_ALLF & ~QHB_PCPU_CF;
	case ZYDIS_MNEMONIC_ROL: case ZYDIS_MNEMONIC_ROR:
		return QHB_PCPU_CF | QHB_PCPU_OF;
	case ZYDIS_MNEMONIC_BT:
	case ZYDIS_MNEMONIC_BTS: case ZYDIS_MNEMONIC_BTR:
	case ZYDIS_MNEMONIC_BTC:
		return QHB_PCPU_ALLF & ~QHB_PCPU_ZF;
	case ZYDIS_MNEMONIC_LEAVE:
		return 0;
	case ZYDIS_MNEMONIC_CMPXCHG16B:
		return QHB_PCPU_ZF;
	case ZYDIS_MNEMONIC_XADD:
	case ZYDIS_MNEMONIC_TZCNT: case ZYDIS_MNEMONIC_LZCNT:
	case ZYDIS_MNEMONIC_POPCNT:
	case ZYDIS_MNEMONIC_BSF: case ZYDIS_MNEMONIC_BSR:
		return QHB_PCPU_ALLF;
	case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_ADC:
	case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_SBB:
	case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_OR:
	case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_CMP:
	case ZYDIS_MNEMONIC_TEST: case ZYDIS_MNEMONIC_NEG:
	case ZYDIS_MNEMONIC_SHL: case ZYDIS_MNEMONIC_SHR:
	case ZYDIS_MNEMONIC_SAR: case ZYDIS_MNEMONIC_IMUL:
	case ZYDIS_MNEMONIC_CMPXCHG: case ZYDIS_MNEMONIC_DIV:
		return QHB_PCPU_ALLF;
	default:
		if (is_cmov(m) || cond_code(m) >= 0)
			return 0;
		return -1;
	}
}

static int unsupported(struct qhb_x86sem_form *f, const char *why)
{
	f->ok = 0;
	snprintf(f->reason, sizeof(f->reason), "%s", why);
	return 0;
}

static unsigned width_bit(unsigned bits)
{
	return 1u << (bits == 8 ? 0 : bits == 16 ? 1 : bits == 32 ? 2 : 3);
}

/* rep stos, rep movs: one iteration. */
static int decode_string(struct qhb_x86sem_form *f,
    const ZydisDecodedInstruction *in)
{
	int movs = in->mnemonic >= ZYDIS_MNEMONIC_MOVSB &&
	    in->mnemonic <= ZYDIS_MNEMONIC_MOVSW;
	unsigned w = in->operand_width;

	if (!(in->attributes & ZYDIS_ATTRIB_HAS_REP) ||
	    (in->attributes & (ZYDIS_ATTRIB_HAS_LOCK | ZYDIS_ATTRIB_HAS_REPNE)))
		return unsupported(f, "string operation without rep not "
		    "modelled");
	if (in->address_width != 64)
		return unsupported(f, "32-bit address");
	if (w != 8 && w != 16 && w != 32 && w != 64)
		return unsupported(f, "operand width not modelled");
	f->mem.kind = movs ? QHB_X86SEM_MOVS : QHB_X86SEM_STOS;
	f->mem.read = movs;
	f->mem.write = 1;
	f->mem.base = 7;
	f->mem.bits = w;
	f->regs = 1u << 1 | 1u << 7 | (movs ? 1u << 6 : 1u << 0);
	f->wregs = 1u << 1 | 1u << 7 | (movs ? 1u << 6 : 0);
	f->widths = width_bit(w) | 8;
	return 0;
}

static int decode_memop(struct qhb_x86sem_form *f,
    const ZydisDecodedInstruction *in, const ZydisDecodedOperand *o);

/* push m64 / pop m64: the explicit operand in f->mem, the stack slot
 * implied by rsp. */
static int decode_stack_mem(struct qhb_x86sem_form *f,
    const ZydisDecodedInstruction *in, const ZydisDecodedOperand *o,
    int push)
{
	if (decode_memop(f, in, o) < 0 || !f->ok)
		return 0;
	if (f->mem.bits != 64)
		return unsupported(f, "push/pop of other than 64 bits");
	f->mem.kind = push ? QHB_X86SEM_PUSHM : QHB_X86SEM_POPM;
	f->mem.read = push;
	f->mem.write = !push;
	f->regs |= 1u << 4;
	f->wregs |= 1u << 4;
	return 0;
}

/* push r64 / imm, pop r64 */
static int decode_stack(struct qhb_x86sem_form *f,
    const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops)
{
	int push = in->mnemonic == ZYDIS_MNEMONIC_PUSH;
	unsigned g, lo, bits;

	if (in->operand_width != 64 || in->operand_count_visible != 1)
		return unsupported(f, "push/pop of other than 64 bits");
	if (ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER) {
		if (reg_gpr(ops[0].reg.value, &g, &lo, &bits) < 0 || bits != 64)
			return unsupported(f, "push/pop of a non-GPR register");
		f->regs |= 1u << g;
		if (!push)
			f->wregs |= 1u << g;
	} else if (ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && push) {
		f->imm[f->nimm++] = ops[0].imm.value.s;
	} else {
		return decode_stack_mem(f, in, &ops[0], push);
	}
	f->mem.kind = push ? QHB_X86SEM_PUSH : QHB_X86SEM_POP;
	f->mem.read = !push;
	f->mem.write = push;
	f->mem.base = 4;
	f->mem.disp = push ? -8 : 0;
	f->mem.bits = 64;
	f->regs |= 1u << 4;
	f->wregs |= 1u << 4;
	f->widths |= 8;
	return 0;
}

/* An explicit memory operand (not lea's). */
static int decode_memop(struct qhb_x86sem_form *f,
    const ZydisDecodedInstruction *in, const ZydisDecodedOperand *o)
{
	unsigned g, lo, bits;

	if (f->mem.kind != QHB_X86SEM_REG)
		return unsupported(f, "two memory operands");
	if (in->address_width != 64)
		return unsupported(f, "32-bit address");
	if (o->size != 8 && o->size != 16 && o->size != 32 && o->size != 64 &&
	    !(o->size == 128 && f->vec != QHB_X86SEM_VNONE))
		return unsupported(f, "memory operand width not modelled");
	f->mem.seg = f->mem.base = f->mem.index = QHB_X86SEM_NOREG;
	if (o->mem.segment == ZYDIS_REGISTER_FS)
		f->mem.seg = QHB_PCPU_FSBASE;
	else if (o->mem.segment == ZYDIS_REGISTER_GS)
		f->mem.seg = QHB_PCPU_GSBASE;
	if (o->mem.base == ZYDIS_REGISTER_RIP) {
		f->mem.base = QHB_PCPU_RIP;
	} else if (o->mem.base == ZYDIS_REGISTER_EIP) {
		return unsupported(f, "32-bit address");
	} else if (o->mem.base != ZYDIS_REGISTER_NONE) {
		if (reg_gpr(o->mem.base, &g, &lo, &bits) < 0 || bits != 64)
			return unsupported(f, "odd base register");
		f->mem.base = g;
	}
	if (o->mem.index != ZYDIS_REGISTER_NONE) {
		if (reg_gpr(o->mem.index, &g, &lo, &bits) < 0 || bits != 64)
			return unsupported(f, "odd index register");
		f->mem.index = g;
		f->mem.shift = o->mem.scale == 8 ? 3 : o->mem.scale == 4 ? 2 :
		    o->mem.scale == 2 ? 1 : 0;
	}
	f->mem.kind = QHB_X86SEM_MEMOP;
	f->mem.disp = o->mem.disp.value;
	f->mem.bits = o->size;
	f->mem.read = (o->actions & ZYDIS_OPERAND_ACTION_MASK_READ) != 0;
	f->mem.write = (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) != 0;
	f->widths |= width_bit(o->size);
	return 0;
}

/* rip-relative operands as [rip+disp], never as the address they would
 * have at 0, which an absolute operand could share.  Returns 0, or -1. */
static int format(const ZydisDecodedInstruction *in,
    const ZydisDecodedOperand *ops, char *buf, size_t size)
{
	ZydisFormatter fmt;

	if (!ZYAN_SUCCESS(ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL)) ||
	    !ZYAN_SUCCESS(ZydisFormatterSetProperty(&fmt,
	    ZYDIS_FORMATTER_PROP_FORCE_RELATIVE_RIPREL, ZYAN_TRUE)) ||
	    !ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&fmt, in, ops,
	    in->operand_count_visible, buf, size, 0, NULL)))
		return -1;
	return 0;
}

/* The kernel half below its top 16 MiB: see x86sem.h. */
static int is_kaddr(int64_t v)
{
	return (uint64_t)v >= 0xffff800000000000ULL &&
	    (uint64_t)v < 0xffffffffff000000ULL;
}

/* What parameter k is printed as while the key text is made: a value no
 * real operand of a form holds next to it, positive so that its sign is
 * the same for every instance. */
#define SENTINEL(k) (0x7a5e7a5e7a5e7a50LL + (k))

/* Finds f's parameters (x86sem.h's rule) and makes its key text.  A form
 * whose key text would not name each parameter once keeps its constants.
 * Returns 0, or -1 when the instruction cannot be formatted. */
static int find_params(struct qhb_x86sem_form *f,
    const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops)
{
	ZydisDecodedOperand po[ZYDIS_MAX_OPERAND_COUNT];
	char key[sizeof(f->key)], tok[24], *at;
	unsigned np = 0;

	memcpy(po, ops, sizeof(po));
	f->disp_param = f->imm_param = -1;
	snprintf(f->key, sizeof(f->key), "%s", f->text);
	for (unsigned i = 0; i < in->operand_count_visible; i++) {
		ZydisDecodedOperand *o = &po[i];

		if (o->type == ZYDIS_OPERAND_TYPE_MEMORY && f->disp_param < 0 &&
		    o->mem.disp.has_displacement && in->raw.disp.size >= 32 &&
		    (o->mem.base == ZYDIS_REGISTER_RIP ||
		    is_kaddr(o->mem.disp.value))) {
			f->disp_param = (int)np;
			f->poff[np] = in->raw.disp.offset;
			f->psize[np] = in->raw.disp.size / 8;
			f->param[np] = o->mem.disp.value;
			o->mem.disp.value = SENTINEL(np);
			np++;
		} else if (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
		    f->imm_param < 0 && in->operand_width == 64 &&
		    !o->imm.is_relative && in->raw.imm[0].size >= 32 &&
		    is_kaddr(o->imm.value.s)) {
			f->imm_param = (int)np;
			f->imm_op = i;
			f->poff[np] = in->raw.imm[0].offset;
			f->psize[np] = in->raw.imm[0].size / 8;
			f->param[np] = o->imm.value.s;
			o->imm.value.s = SENTINEL(np);
			np++;
		}
	}
	if (np == 0)
		return 0;
	if (format(in, po, key, sizeof(key)) < 0)
		return -1;
	for (unsigned k = 0; k < np; k++) {
		snprintf(tok, sizeof(tok), "0x%llX", (long long)SENTINEL(k));
		if ((at = strstr(key, tok)) == NULL ||
		    strstr(at + 1, tok) != NULL) {
			f->disp_param = f->imm_param = -1;
			return 0;
		}
		at[0] = 'P';
		at[1] = (char)('0' + k);
		memmove(at + 2, at + strlen(tok), strlen(at + strlen(tok)) + 1);
	}
	snprintf(f->key, sizeof(f->key), "%s", key);
	f->nparam = np;
	return 0;
}

int qhb_x86sem_set_params(const struct qhb_x86sem_form *f,
    const int64_t *param, uint8_t out[16], struct qhb_err *e)
{
	memcpy(out, f->bytes, sizeof(f->bytes));
	for (unsigned k = 0; k < f->nparam; k++) {
		unsigned n = f->psize[k];
		int64_t v = param[k];

		if (n < 8 && (v < -(1LL << (8 * n - 1)) ||
		    v >= (1LL << (8 * n - 1))))
			return qhb_err_set(e, "%s: parameter P%u: %#llx does not "
			    "fit its %u bytes", f->key, k, (unsigned long long)v,
			    n);
		for (unsigned i = 0; i < n; i++)
			out[f->poff[k] + i] = (uint8_t)((uint64_t)v >> (8 * i));
	}
	return 0;
}

/* The vector forms (x86sem.h): operation, lane bits of each mnemonic. */
static const struct { ZydisMnemonic m; unsigned vec, lane; } vec_forms[] = {
	{ ZYDIS_MNEMONIC_MOVD, QHB_X86SEM_VMOV, 32 },
	{ ZYDIS_MNEMONIC_MOVQ, QHB_X86SEM_VMOV, 64 },
	{ ZYDIS_MNEMONIC_MOVDQA, QHB_X86SEM_VMOV, 128 },
	{ ZYDIS_MNEMONIC_MOVDQU, QHB_X86SEM_VMOV, 128 },
	{ ZYDIS_MNEMONIC_MOVAPS, QHB_X86SEM_VMOV, 128 },
	{ ZYDIS_MNEMONIC_MOVUPS, QHB_X86SEM_VMOV, 128 },
	{ ZYDIS_MNEMONIC_PADDB, QHB_X86SEM_VPADD, 8 },
	{ ZYDIS_MNEMONIC_PADDW, QHB_X86SEM_VPADD, 16 },
	{ ZYDIS_MNEMONIC_PADDD, QHB_X86SEM_VPADD, 32 },
	{ ZYDIS_MNEMONIC_PADDQ, QHB_X86SEM_VPADD, 64 },
	{ ZYDIS_MNEMONIC_PXOR, QHB_X86SEM_VPXOR, 64 },
	{ ZYDIS_MNEMONIC_POR, QHB_X86SEM_VPOR, 64 },
	{ ZYDIS_MNEMONIC_PAND, QHB_X86SEM_VPAND, 64 },
	{ ZYDIS_MNEMONIC_PCMPEQB, QHB_X86SEM_VPCMPEQ, 8 },
	{ ZYDIS_MNEMONIC_PCMPEQW, QHB_X86SEM_VPCMPEQ, 16 },
	{ ZYDIS_MNEMONIC_PCMPEQD, QHB_X86SEM_VPCMPEQ, 32 },
	{ ZYDIS_MNEMONIC_PSHUFB, QHB_X86SEM_VPSHUFB, 8 },
	{ ZYDIS_MNEMONIC_PSHUFD, QHB_X86SEM_VPSHUFD, 32 },
	{ ZYDIS_MNEMONIC_PUNPCKLDQ, QHB_X86SEM_VPUNPCKL, 32 },
	{ ZYDIS_MNEMONIC_PUNPCKLQDQ, QHB_X86SEM_VPUNPCKL, 64 },
	{ ZYDIS_MNEMONIC_PSLLW, QHB_X86SEM_VPSLL, 16 },
	{ ZYDIS_MNEMONIC_PSLLD, QHB_X86SEM_VPSLL, 32 },
	{ ZYDIS_MNEMONIC_PSLLQ, QHB_X86SEM_VPSLL, 64 },
	{ ZYDIS_MNEMONIC_PSRLW, QHB_X86SEM_VPSRL, 16 },
	{ ZYDIS_MNEMONIC_PSRLD, QHB_X86SEM_VPSRL, 32 },
	{ ZYDIS_MNEMONIC_PSRLQ, QHB_X86SEM_VPSRL, 64 },
	{ ZYDIS_MNEMONIC_PMOVMSKB, QHB_X86SEM_VPMOVMSKB, 8 },
};

static int is_vreg(const ZydisDecodedOperand *o)
{
	ZydisRegisterClass k;

	if (o->type != ZYDIS_OPERAND_TYPE_REGISTER)
		return 0;
	k = ZydisRegisterGetClass(o->reg.value);
	return k == ZYDIS_REGCLASS_XMM || k == ZYDIS_REGCLASS_YMM ||
	    k == ZYDIS_REGCLASS_ZMM || k == ZYDIS_REGCLASS_MMX;
}

/* One operand of a vector form as a Pixel CPU register: an xmm's low
 * lane, a GPR of 32 or 64 bits (*gpr set), the memory operand
 * (QHB_X86SEM_MEMREG), an immediate (vimm; NOREG).  -1: not modelled. */
static int vec_opnd(struct qhb_x86sem_form *f,
    const ZydisDecodedInstruction *in, const ZydisDecodedOperand *o,
    unsigned *reg, int *gpr)
{
	unsigned g, lo, bits;

	*gpr = 0;
	if (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		f->vimm = (unsigned)(o->imm.value.u & 0xff);
		*reg = QHB_X86SEM_NOREG;
		return 0;
	}
	if (o->type == ZYDIS_OPERAND_TYPE_MEMORY) {
		if (o->size != 32 && o->size != 64 && o->size != 128)
			return -1;
		*reg = QHB_X86SEM_MEMREG;
		return decode_memop(f, in, o) < 0 || !f->ok ? -1 : 0;
	}
	if (o->type != ZYDIS_OPERAND_TYPE_REGISTER)
		return -1;
	if (ZydisRegisterGetClass(o->reg.value) == ZYDIS_REGCLASS_XMM) {
		*reg = QHB_PCPU_XMM + 2 * (unsigned)ZydisRegisterGetId(
		    o->reg.value);
		return *reg + 1 < QHB_PCPU_NREG ? 0 : -1;
	}
	if (reg_gpr(o->reg.value, &g, &lo, &bits) < 0 || bits < 32)
		return -1;
	*gpr = 1;
	*reg = g;
	f->regs |= 1u << g;
	if (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)
		f->wregs |= 1u << g;
	return 0;
}

/* A legacy SSE form on xmm (x86sem.h); 0 with f->vec 0 when m is none. */
static int decode_vec(struct qhb_x86sem_form *f,
    const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops)
{
	unsigned k, n = in->operand_count_visible;
	int g0 = 0, g1 = 0;

	for (k = 0; k < sizeof(vec_forms) / sizeof(vec_forms[0]); k++)
		if (vec_forms[k].m == in->mnemonic)
			break;
	if (k == sizeof(vec_forms) / sizeof(vec_forms[0]))
		return 0;
	f->vec = vec_forms[k].vec;
	f->vlane = f->vbits = vec_forms[k].lane;
	f->vdst = f->vsrc = QHB_X86SEM_NOREG;
	if (in->encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY || n < 2 ||
	    n > 3 || (ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
	    ZydisRegisterGetClass(ops[0].reg.value) == ZYDIS_REGCLASS_MMX) ||
	    (ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
	    ZydisRegisterGetClass(ops[1].reg.value) == ZYDIS_REGCLASS_MMX))
		return unsupported(f, "MMX form not modelled");
	if (vec_opnd(f, in, &ops[0], &f->vdst, &g0) < 0 ||
	    vec_opnd(f, in, &ops[1], &f->vsrc, &g1) < 0 ||
	    (n == 3 && (ops[2].type != ZYDIS_OPERAND_TYPE_IMMEDIATE ||
	    vec_opnd(f, in, &ops[2], &k, &g1) < 0)))
		return unsupported(f, "vector operand not modelled");
	if (f->vec == QHB_X86SEM_VMOV) {
		/* one side an xmm, the other an xmm, a GPR or memory */
		if (f->vdst < QHB_PCPU_XMM && f->vsrc < QHB_PCPU_XMM)
			return unsupported(f, "vector operand not modelled");
		if ((g0 || g1) && f->vbits == 128)
			return unsupported(f, "vector operand not modelled");
	} else if (f->vec == QHB_X86SEM_VPMOVMSKB) {
		if (!g0 || f->vsrc < QHB_PCPU_XMM)
			return unsupported(f, "vector operand not modelled");
	} else if (f->vdst < QHB_PCPU_XMM || g1 ||
	    (f->vsrc == QHB_X86SEM_MEMREG && f->mem.bits != 128)) {
		return unsupported(f, "vector operand not modelled");
	}
	if (f->vec == QHB_X86SEM_VPSHUFD && f->vsrc == QHB_X86SEM_MEMREG)
		return unsupported(f, "pshufd of memory not modelled (its "
		    "program does not fit)");
	f->valign = f->mem.kind == QHB_X86SEM_MEMOP && f->mem.bits == 128 &&
	    in->mnemonic != ZYDIS_MNEMONIC_MOVDQU &&
	    in->mnemonic != ZYDIS_MNEMONIC_MOVUPS;
	f->fwrite = 0;
	return 0;
}

/* The mnemonics with decoders of their own: the system forms
 * (decode_system) and the forms of synth.c's fixed programs
 * (decode_special). */
static const struct {
	ZydisMnemonic m;
	int sys;                /* enum qhb_x86sem_sys */
	unsigned sp;            /* enum qhb_x86sem_special */
} own_mnemonics[] = {
	{ ZYDIS_MNEMONIC_CLI, QHB_X86SEM_CLI, QHB_X86SEM_SP_NONE },
	{ ZYDIS_MNEMONIC_STI, QHB_X86SEM_STI, QHB_X86SEM_SP_NONE },
	{ ZYDIS_MNEMONIC_CLAC, QHB_X86SEM_CLAC, QHB_X86SEM_SP_NONE },
	{ ZYDIS_MNEMONIC_STAC, QHB_X86SEM_STAC, QHB_X86SEM_SP_NONE },
	{ ZYDIS_MNEMONIC_CLD, QHB_X86SEM_CLD, QHB_X86SEM_SP_NONE },
	{ ZYDIS_MNEMONIC_STD, QHB_X86SEM_STD, QHB_X86SEM_SP_NONE },
	{ ZYDIS_MNEMONIC_PUSHFQ, QHB_X86SEM_PUSHF, QHB_X86SEM_SP_NONE },
	{ ZYDIS_MNEMONIC_POPFQ, QHB_X86SEM_POPF, QHB_X86SEM_SP_NONE },
	{ ZYDIS_MNEMONIC_SWAPGS, QHB_X86SEM_SWAPGS, QHB_X86SEM_SP_NONE },
	{ ZYDIS_MNEMONIC_RDTSC, QHB_X86SEM_RDTSC, QHB_X86SEM_SP_NONE },
	{ ZYDIS_MNEMONIC_IN, QHB_X86SEM_IN, QHB_X86SEM_SP_NONE },
	{ ZYDIS_MNEMONIC_XADD, QHB_X86SEM_SYS_NONE, QHB_X86SEM_SP_XADD },
	{ ZYDIS_MNEMONIC_BTS, QHB_X86SEM_SYS_NONE, QHB_X86SEM_SP_BTS },
	{ ZYDIS_MNEMONIC_BTR, QHB_X86SEM_SYS_NONE, QHB_X86SEM_SP_BTR },
	{ ZYDIS_MNEMONIC_BTC, QHB_X86SEM_SYS_NONE, QHB_X86SEM_SP_BTC },
	{ ZYDIS_MNEMONIC_BT, QHB_X86SEM_SYS_NONE, QHB_X86SEM_SP_BT },
	{ ZYDIS_MNEMONIC_LEAVE, QHB_X86SEM_SYS_NONE, QHB_X86SEM_SP_LEAVE },
	{ ZYDIS_MNEMONIC_TZCNT, QHB_X86SEM_SYS_NONE, QHB_X86SEM_SP_TZCNT },
	{ ZYDIS_MNEMONIC_LZCNT, QHB_X86SEM_SYS_NONE, QHB_X86SEM_SP_LZCNT },
	{ ZYDIS_MNEMONIC_POPCNT, QHB_X86SEM_SYS_NONE, QHB_X86SEM_SP_POPCNT },
	{ ZYDIS_MNEMONIC_BSF, QHB_X86SEM_SYS_NONE, QHB_X86SEM_SP_BSF },
	{ ZYDIS_MNEMONIC_BSR, QHB_X86SEM_SYS_NONE, QHB_X86SEM_SP_BSR },
};

/* m's system form and special kind (NONE, NONE when it has neither). */
static void own_mnemonic(ZydisMnemonic m, int *sys, unsigned *sp)
{
	*sys = QHB_X86SEM_SYS_NONE;
	*sp = QHB_X86SEM_SP_NONE;
	for (size_t i = 0; i < sizeof(own_mnemonics) / sizeof(own_mnemonics[0]);
	    i++)
		if (own_mnemonics[i].m == m) {
			*sys = own_mnemonics[i].sys;
			*sp = own_mnemonics[i].sp;
		}
}

/* The system forms (x86sem.h): 1 when in is one (f filled in, or marked
 * unsupported), 0 when not. */
static int decode_system(struct qhb_x86sem_form *f,
    const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops)
{
	unsigned g, lo, bits, sp;
	int sys;

	own_mnemonic(in->mnemonic, &sys, &sp);
	/* the state has one environment input, the TSC; rdtscp's ecx
	 * (IA32_TSC_AUX) would be a second */
	if (in->mnemonic == ZYDIS_MNEMONIC_RDTSCP ||
	    in->mnemonic == ZYDIS_MNEMONIC_RDPID)
		return unsupported(f, "IA32_TSC_AUX is not in the state"), 1;
	if (in->mnemonic == ZYDIS_MNEMONIC_MOV &&
	    in->operand_count_visible == 2 &&
	    ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
	    ZydisRegisterGetClass(ops[1].reg.value) == ZYDIS_REGCLASS_SEGMENT) {
		if (ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
		    reg_gpr(ops[0].reg.value, &g, &lo, &bits) < 0 || lo != 0)
			return unsupported(f, "mov of a selector to memory not "
			    "modelled"), 1;
		f->sys = QHB_X86SEM_MOVSEG;
		f->sys_reg = g;
		f->sys_bits = bits;
		/* Zydis numbers es cs ss ds fs gs as x86 encodes them */
		f->sys_seg = QHB_PCPU_SEG + (unsigned)(ops[1].reg.value -
		    ZYDIS_REGISTER_ES);
		f->regs = f->wregs = 1u << g;
		return 1;
	}
	if (sys == 0)
		return 0;
	if (in->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
	    ZYDIS_ATTRIB_HAS_REPNE | ZYDIS_ATTRIB_HAS_LOCK))
		return unsupported(f, "prefix not modelled"), 1;
	f->sys = sys;
	if (sys == QHB_X86SEM_PUSHF || sys == QHB_X86SEM_POPF) {
		f->mem.kind = sys == QHB_X86SEM_PUSHF ? QHB_X86SEM_PUSH :
		    QHB_X86SEM_POP;
		f->mem.read = sys == QHB_X86SEM_POPF;
		f->mem.write = sys == QHB_X86SEM_PUSHF;
		f->mem.base = 4;
		f->mem.disp = sys == QHB_X86SEM_PUSHF ? -8 : 0;
		f->mem.bits = 64;
		f->regs = f->wregs = 1u << 4;
	} else if (sys == QHB_X86SEM_RDTSC) {
		f->wregs = 1u << 0 | 1u << 2;
	} else if (sys == QHB_X86SEM_IN) {
		if (ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
		    reg_gpr(ops[0].reg.value, &g, &lo, &bits) < 0)
			return unsupported(f, "odd in"), 1;
		f->sys_bits = bits;
		f->regs = f->wregs = 1u << 0;
	}
	return 1;
}

/* xadd, bts/btr/btc, bt of memory by a register, leave and cmpxchg16b:
 * what the generic operand loop of decode_form does not see.  Returns 0
 * when f is decoded (or marked unsupported), 1 when the loop is still to
 * run. */
static int decode_special(struct qhb_x86sem_form *f,
    const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops)
{
	unsigned sp, w = in->operand_width;
	int sys, mem0 = ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY;

	if (in->mnemonic == ZYDIS_MNEMONIC_CMPXCHG16B) {
		if (!mem0 || decode_memop(f, in, &(ZydisDecodedOperand){
		    .type = ops[0].type, .size = 64, .mem = ops[0].mem,
		    .actions = ops[0].actions }) < 0 || !f->ok)
			return unsupported(f, "cmpxchg16b operand not modelled");
		f->mem.kind = QHB_X86SEM_CMPX16;
		f->mem.bits = 128;
		f->regs |= 0xf;
		f->wregs |= 1u << 0 | 1u << 2;
		return 0;
	}
	own_mnemonic(in->mnemonic, &sys, &sp);
	/* bt of a register, or by an immediate: the generic forms */
	if (sp == QHB_X86SEM_SP_NONE || (sp == QHB_X86SEM_SP_BT && (!mem0 ||
	    ops[1].type != ZYDIS_OPERAND_TYPE_REGISTER)))
		return 1;
	f->special = sp;
	f->opbits = w;
	f->opreg[0] = f->opreg[1] = QHB_X86SEM_NOREG;
	if (sp == QHB_X86SEM_SP_LEAVE) {
		if (w != 64)
			return unsupported(f, "leave of other than 64 bits");
		f->mem.kind = QHB_X86SEM_POP;
		f->mem.read = 1;
		f->mem.base = 5;
		f->mem.bits = 64;
		f->regs = f->wregs = 1u << 4 | 1u << 5;
		f->widths = 8;
		return 0;
	}
	for (unsigned i = 0; i < 2; i++) {
		unsigned g, lo, bits;

		if (ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER)
			continue;
		if (reg_gpr(ops[i].reg.value, &g, &lo, &bits) < 0 || lo != 0)
			return unsupported(f, "a high byte or non-GPR operand "
			    "not modelled");
		f->opreg[i] = g;
	}
	if (sp >= QHB_X86SEM_SP_TZCNT)
		return 1;
	if (sp != QHB_X86SEM_SP_XADD && (w < (mem0 ? 16 : 32) ||
	    (mem0 && ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER && w < 32)))
		return unsupported(f, "bit operation of this width not "
		    "modelled");
	if (sp != QHB_X86SEM_SP_XADD && mem0 &&
	    ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER) {
		if (decode_memop(f, in, &ops[0]) < 0 || !f->ok)
			return 0;
		f->mem.kind = QHB_X86SEM_BTM;
		f->mem.write = sp != QHB_X86SEM_SP_BT;
		f->regs |= 1u << f->opreg[1];
		return 0;
	}
	return 1;
}

/* mul r/m, imul r/m: rax times the operand into rdx:rax; idiv r/m:
 * rdx:rax by it, the quotient into rax, the remainder into rdx. */
static int decode_mul(struct qhb_x86sem_form *f,
    const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops)
{
	unsigned g, lo, bits, w = in->operand_width;

	if (w != 16 && w != 32 && w != 64)
		return unsupported(f, in->mnemonic == ZYDIS_MNEMONIC_IDIV ?
		    "signed divide of 8 bits not modelled" :
		    "one-operand multiply of 8 bits not modelled");
	f->special = in->mnemonic == ZYDIS_MNEMONIC_MUL ? QHB_X86SEM_SP_MUL :
	    in->mnemonic == ZYDIS_MNEMONIC_IDIV ? QHB_X86SEM_SP_IDIV :
	    QHB_X86SEM_SP_IMUL1;
	f->opbits = w;
	f->opreg[0] = f->opreg[1] = QHB_X86SEM_NOREG;
	f->fwrite = QHB_PCPU_ALLF;
	/* rax (idiv: rdx:rax) read, rdx:rax written: operands Zydis does
	 * not show */
	f->regs = 1u << 0 | (f->special == QHB_X86SEM_SP_IDIV ? 1u << 2 : 0);
	f->wregs = 1u << 0 | 1u << 2;
	f->widths = width_bit(w);
	if (ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY)
		return decode_memop(f, in, &ops[0]);
	if (reg_gpr(ops[0].reg.value, &g, &lo, &bits) < 0)
		return unsupported(f, "non-GPR register operand");
	f->opreg[0] = g;
	f->regs |= 1u << g;
	return 0;
}

static int decode_form(const void *code, size_t n, struct qhb_x86sem_form *f,
    ZydisDecodedInstruction *inp, ZydisDecodedOperand *ops,
    struct qhb_err *e)
{
	ZydisDecodedInstruction in;
	int fl;

	memset(f, 0, sizeof(*f));
	f->cmpxchg_src = 16;
	f->div_src = QHB_X86SEM_NOREG;
	f->disp_param = f->imm_param = -1;
	if (decode(code, n, &in, ops) < 0)
		return qhb_err_set(e, "expected an x86-64 instruction, got "
		    "undecodable bytes");
	*inp = in;
	f->len = in.length;
	memcpy(f->bytes, code, in.length);
	if (format(&in, ops, f->text, sizeof(f->text)) < 0)
		return qhb_err_set(e, "cannot format the instruction");
	snprintf(f->key, sizeof(f->key), "%s", f->text);
	f->ok = 1;
	f->mem.seg = f->mem.base = f->mem.index = QHB_X86SEM_NOREG;
	if ((in.encoding == ZYDIS_INSTRUCTION_ENCODING_VEX ||
	    in.encoding == ZYDIS_INSTRUCTION_ENCODING_EVEX) &&
	    (in.mnemonic == ZYDIS_MNEMONIC_VZEROUPPER || (in.operand_count_visible
	    > 0 && is_vreg(&ops[0])) || (in.operand_count_visible > 1 &&
	    is_vreg(&ops[1]))))
		return unsupported(f, "VEX form: it zeroes the ymm upper half, "
		    "which the state does not hold");
	if (decode_vec(f, &in, ops) < 0 || f->vec != QHB_X86SEM_VNONE)
		return 0;
	if (decode_system(f, &in, ops))
		return 0;
	if (in.mnemonic == ZYDIS_MNEMONIC_IDIV)
		return decode_mul(f, &in, ops);
	if (in.mnemonic == ZYDIS_MNEMONIC_MUL || (in.mnemonic ==
	    ZYDIS_MNEMONIC_IMUL && in.operand_count_visible == 1))
		return decode_mul(f, &in, ops);
	if ((fl = mnemonic_flags(in.mnemonic)) < 0)
		return unsupported(f, "mnemonic not modelled");
	f->fwrite = (unsigned)fl & QHB_PCPU_ALLF;
	if (in.meta.category == ZYDIS_CATEGORY_STRINGOP)
		return decode_string(f, &in);
	if (in.mnemonic == ZYDIS_MNEMONIC_MOVSD)
		return unsupported(f, "mnemonic not modelled");
	/* lock: one CPU's view of a locked access is the access */
	if (in.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
	    ZYDIS_ATTRIB_HAS_REPNE))
		return unsupported(f, "prefix not modelled");
	if (in.mnemonic == ZYDIS_MNEMONIC_NOP || fl == 0x100)
		return 0;
	if (is_sign_fill(in.mnemonic)) {
		unsigned w = in.operand_width;

		f->regs = 1u << 0 | 1u << 2;
		f->wregs = in.mnemonic == ZYDIS_MNEMONIC_CWD ||
		    in.mnemonic == ZYDIS_MNEMONIC_CDQ ||
		    in.mnemonic == ZYDIS_MNEMONIC_CQO ? 1u << 2 : 1u << 0;
		f->widths = width_bit(w) | width_bit(w / 2);
		return 0;
	}
	if (in.mnemonic == ZYDIS_MNEMONIC_CMPXCHG) {
		unsigned g, lo, bits;

		if (ops[0].type != ZYDIS_OPERAND_TYPE_MEMORY ||
		    reg_gpr(ops[1].reg.value, &g, &lo, &bits) < 0 || lo != 0)
			return unsupported(f, "cmpxchg of a register or a high "
			    "byte not modelled");
		/* the accumulator, an operand Zydis does not show */
		f->regs |= 1u << 0;
		f->wregs |= 1u << 0;
		f->cmpxchg_src = g;
	}
	if (in.mnemonic == ZYDIS_MNEMONIC_DIV) {
		unsigned g, lo, bits;

		if (ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY) {
			f->div_src = QHB_X86SEM_MEMREG;
		} else if (reg_gpr(ops[0].reg.value, &g, &lo, &bits) < 0 ||
		    lo != 0) {
			return unsupported(f, "div by a high byte not modelled");
		} else {
			f->div_src = g;
		}
		f->div_bits = in.operand_width;
		/* rdx:rax (ax for 8 bits), operands Zydis does not show */
		f->regs |= 1u << 0 | (in.operand_width > 8 ? 1u << 2 : 0);
		f->wregs |= 1u << 0 | (in.operand_width > 8 ? 1u << 2 : 0);
	}
	if ((fl = decode_special(f, &in, ops)) != 1)
		return fl;
	if (in.mnemonic == ZYDIS_MNEMONIC_BT &&
	    ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY &&
	    ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER)
		return unsupported(f, "bt of memory by a register (its offset "
		    "reaches beyond the operand)");
	if (in.mnemonic == ZYDIS_MNEMONIC_PUSH ||
	    in.mnemonic == ZYDIS_MNEMONIC_POP)
		return decode_stack(f, &in, ops);
	if (in.mnemonic == ZYDIS_MNEMONIC_BSWAP && in.operand_width == 16)
		return unsupported(f, "bswap of 16 bits is undefined");
	for (unsigned i = 0; i < in.operand_count_visible; i++) {
		const ZydisDecodedOperand *o = &ops[i];
		unsigned g, lo, bits;

		if (o->type == ZYDIS_OPERAND_TYPE_REGISTER) {
			if (reg_gpr(o->reg.value, &g, &lo, &bits) < 0)
				return unsupported(f, "non-GPR register operand");
			f->regs |= 1u << g;
			if (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)
				f->wregs |= 1u << g;
			f->widths |= 1u << (bits == 8 ? 0 : bits == 16 ? 1 :
			    bits == 32 ? 2 : 3);
		} else if (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
			if (f->nimm < QHB_X86SEM_NIMM)
				f->imm[f->nimm++] = o->imm.is_signed ?
				    o->imm.value.s : (int64_t)o->imm.value.u;
		} else if (o->type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    in.mnemonic == ZYDIS_MNEMONIC_LEA) {
			if (o->mem.base == ZYDIS_REGISTER_EIP)
				return unsupported(f, "32-bit address");
			if (o->mem.base == ZYDIS_REGISTER_RIP) {
				f->rip = 1;
				f->mem.base = QHB_PCPU_RIP;
			} else if (o->mem.base != ZYDIS_REGISTER_NONE) {
				if (reg_gpr(o->mem.base, &g, &lo, &bits) < 0)
					return unsupported(f, "odd base register");
				f->regs |= 1u << g;
				f->mem.base = g;
			}
			if (o->mem.index != ZYDIS_REGISTER_NONE) {
				if (reg_gpr(o->mem.index, &g, &lo, &bits) < 0)
					return unsupported(f, "odd index register");
				f->regs |= 1u << g;
				f->mem.index = g;
				f->mem.shift = o->mem.scale == 8 ? 3 :
				    o->mem.scale == 4 ? 2 : o->mem.scale == 2 ? 1 : 0;
			}
			f->mem.disp = o->mem.disp.value;
			if (in.address_width == 64 && reg_gpr(ops[0].reg.value, &g,
			    &lo, &bits) == 0 && (bits == 64 || bits == 32)) {
				f->lea_bits = bits;
				f->lea_dst = g;
			}
			if (f->nimm < QHB_X86SEM_NIMM)
				f->imm[f->nimm++] = o->mem.disp.value;
			if (f->nimm < QHB_X86SEM_NIMM && o->mem.scale > 1)
				f->imm[f->nimm++] = o->mem.scale == 2 ? 1 :
				    o->mem.scale == 4 ? 2 : 3;
		} else if (o->type == ZYDIS_OPERAND_TYPE_MEMORY) {
			if (decode_memop(f, &in, o) < 0 || !f->ok)
				return 0;
		} else {
			return unsupported(f, "operand type not modelled");
		}
	}
	return 0;
}

int qhb_x86sem_decode(const void *code, size_t n, struct qhb_x86sem_form *f,
    struct qhb_err *e)
{
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];

	if (decode_form(code, n, f, &in, ops, e) < 0)
		return -1;
	/* only a modelled form has parameters: what falls back keeps its
	 * constants in its key */
	if (f->ok && find_params(f, &in, ops) < 0)
		return qhb_err_set(e, "cannot format the instruction");
	return 0;
}

int qhb_x86sem_is_exit(const void *code, size_t n)
{
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];

	if (decode(code, n, &in, ops) < 0)
		return -1;
	switch (in.meta.category) {
	case ZYDIS_CATEGORY_COND_BR: case ZYDIS_CATEGORY_UNCOND_BR:
	case ZYDIS_CATEGORY_CALL: case ZYDIS_CATEGORY_RET:
	case ZYDIS_CATEGORY_SYSCALL: case ZYDIS_CATEGORY_SYSRET:
		return 1;
	default:
		return 0;
	}
}

int qhb_x86sem_is_indirect_exit(const void *code, size_t n)
{
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];

	if (decode(code, n, &in, ops) < 0)
		return -1;
	if (in.meta.category == ZYDIS_CATEGORY_RET)
		return 1;
	if (in.meta.category != ZYDIS_CATEGORY_UNCOND_BR &&
	    in.meta.category != ZYDIS_CATEGORY_CALL)
		return 0;
	return in.operand_count_visible > 0 &&
	    ops[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE;
}

/* Z3 helpers for widths and partial registers (the shared ones: z3bv). */
static Z3_ast zext_to(Z3_context c, Z3_ast a, unsigned from, unsigned to)
{
	return to > from ? Z3_mk_zero_ext(c, to - from, a) : a;
}

static Z3_ast sext_to(Z3_context c, Z3_ast a, unsigned from, unsigned to)
{
	return to > from ? Z3_mk_sign_ext(c, to - from, a) : a;
}

/* old with bits [lo, lo + n) replaced by v (n bits). */
static Z3_ast insert(Z3_context c, Z3_ast old, Z3_ast v, unsigned lo,
    unsigned n)
{
	Z3_ast r = v;

	if (lo > 0)
		r = Z3_mk_concat(c, r, EXT(lo - 1, 0, old));
	if (lo + n < 64)
		r = Z3_mk_concat(c, EXT(63, lo + n, old), r);
	return r;
}

/* r29..r79 unchanged, whole rflags not written (see x86sem.h) */
static void keep_sys(Z3_ast *in, struct qhb_x86sem_out *o)
{
	for (int i = 0; i < QHB_PCPU_FSBASE; i++)
		o->sys[i] = NULL;
	for (int i = QHB_PCPU_FSBASE; i < QHB_PCPU_NREG; i++)
		o->sys[i] = in[i];
	o->rflags = NULL;
}

struct sem {
	Z3_context c;
	Z3_ast *in;
	struct qhb_x86sem_out *o;
};

static void setf(struct sem *s, int i, Z3_ast v)
{
	s->o->flag[i] = v;
	s->o->def[i] = Z3_mk_true(s->c);
}

static void undef(struct sem *s, int i)
{
	Z3_context c = s->c;

	s->o->flag[i] = BV(0, 1);
	s->o->def[i] = Z3_mk_false(s->c);
}

/* flag i is v when cond holds, unchanged otherwise */
static void setf_if(struct sem *s, int i, Z3_ast cond, Z3_ast v)
{
	Z3_context c = s->c;

	s->o->flag[i] = Z3_mk_ite(c, cond, v, s->o->flag[i]);
}

static void zsp(struct sem *s, Z3_ast r, unsigned w)
{
	Z3_context c = s->c;

	setf(s, F_ZF, B2BV(Z3_mk_eq(c, r, BV(0, w))));
	setf(s, F_SF, BIT(r, w - 1));
	setf(s, F_PF, qhb_z3bv_parity(c, r));
}

static Z3_ast rd(struct sem *s, const struct opnd *op)
{
	Z3_context c = s->c;

	if (op->kind == 1 && op->param != NULL)
		return op->bits == 64 ? op->param : EXT(op->bits - 1, 0,
		    op->param);
	if (op->kind == 1)
		return BV(op->imm, op->bits);
	return EXT(op->lo + op->bits - 1, op->lo, s->in[op->gpr]);
}

static void wr(struct sem *s, const struct opnd *op, Z3_ast v)
{
	Z3_context c = s->c;
	Z3_ast *r = &s->o->reg[op->gpr & 15];

	if (op->kind == 3)
		s->o->memval = v;
	else if (op->bits == 64)
		*r = v;
	else if (op->bits == 32)
		*r = Z3_mk_zero_ext(c, 32, v);
	else
		*r = insert(c, *r, v, op->lo, op->bits);
}

/* add/sub with carry in cin (1 bit); sub when sub != 0. */
static Z3_ast arith(struct sem *s, Z3_ast a, Z3_ast b, Z3_ast cin, int sub,
    unsigned w, int set_cf)
{
	Z3_context c = s->c;
	Z3_ast aw = Z3_mk_zero_ext(c, 1, a), bw = Z3_mk_zero_ext(c, 1, b);
	Z3_ast cw = zext_to(c, cin, 1, w + 1), r, wide, x;

	if (sub) {
		wide = Z3_mk_bvsub(c, Z3_mk_bvsub(c, aw, bw), cw);
		r = EXT(w - 1, 0, wide);
		x = Z3_mk_bvand(c, Z3_mk_bvxor(c, a, b), Z3_mk_bvxor(c, a, r));
	} else {
		wide = Z3_mk_bvadd(c, Z3_mk_bvadd(c, aw, bw), cw);
		r = EXT(w - 1, 0, wide);
		x = Z3_mk_bvand(c, Z3_mk_bvxor(c, a, r), Z3_mk_bvxor(c, b, r));
	}
	if (set_cf)
		setf(s, F_CF, BIT(wide, w));
	setf(s, F_OF, BIT(x, w - 1));
	setf(s, F_AF, BIT(Z3_mk_bvxor(c, Z3_mk_bvxor(c, a, b), r), 4));
	zsp(s, r, w);
	return r;
}

static void logic_flags(struct sem *s, Z3_ast r, unsigned w)
{
	Z3_context c = s->c;

	setf(s, F_CF, BV(0, 1));
	setf(s, F_OF, BV(0, 1));
	undef(s, F_AF);
	zsp(s, r, w);
}

static int get_opnd(const ZydisDecodedOperand *z, unsigned width,
    struct opnd *op)
{
	memset(op, 0, sizeof(*op));
	op->z = z;
	if (z->type == ZYDIS_OPERAND_TYPE_REGISTER)
		return reg_gpr(z->reg.value, &op->gpr, &op->lo, &op->bits);
	if (z->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		op->kind = 1;
		op->bits = width;
		op->imm = z->imm.is_signed ? (uint64_t)z->imm.value.s :
		    z->imm.value.u;
		if (width < 64)
			op->imm &= (1ULL << width) - 1;
		return 0;
	}
	if (z->type == ZYDIS_OPERAND_TYPE_MEMORY) {
		/* lea's address (2), or a memory operand, seen as a register */
		op->kind = 2;
		if (z->mem.type != ZYDIS_MEMOP_TYPE_AGEN) {
			op->kind = 3;
			op->gpr = QHB_X86SEM_MEMREG;
			op->bits = z->size;
		}
		return 0;
	}
	return -1;
}

/* The displacement of the form's memory access (or lea's): a constant,
 * or its parameter's term. */
static Z3_ast disp_term(Z3_context c, const struct qhb_x86sem_form *f,
    Z3_ast *in)
{
	return f->disp_param >= 0 ? in[QHB_X86SEM_PARAM0 + f->disp_param] :
	    BV((uint64_t)f->mem.disp, 64);
}

/* The address of the form's memory access, from the registers in. */
static Z3_ast address(Z3_context c, const struct qhb_x86sem_form *f,
    Z3_ast *in)
{
	const struct qhb_x86sem_mem *m = &f->mem;
	Z3_ast a = disp_term(c, f, in);

	if (m->seg != QHB_X86SEM_NOREG)
		a = Z3_mk_bvadd(c, in[m->seg], a);
	if (m->base != QHB_X86SEM_NOREG)
		a = Z3_mk_bvadd(c, in[m->base], a);
	if (m->index != QHB_X86SEM_NOREG)
		a = Z3_mk_bvadd(c, a, Z3_mk_bvshl(c, in[m->index],
		    BV(m->shift, 64)));
	return a;
}

static void shift(struct sem *s, ZydisMnemonic m, const struct opnd *dst,
    Z3_ast a, Z3_ast cnt8, unsigned w)
{
	Z3_context c = s->c;
	Z3_ast cm = Z3_mk_bvand(c, cnt8, BV(w == 64 ? 63 : 31, 8));
	Z3_ast nz = Z3_mk_not(c, Z3_mk_eq(c, cm, BV(0, 8)));
	Z3_ast one = Z3_mk_eq(c, cm, BV(1, 8));
	Z3_ast cw = zext_to(c, cm, 8, w), r, cf, of, a2[2];
	Z3_ast old[6];
	int rot = m == ZYDIS_MNEMONIC_ROL || m == ZYDIS_MNEMONIC_ROR;

	for (int i = 0; i < 6; i++)
		old[i] = s->o->flag[i];
	if (w == 8)
		cw = Z3_mk_extract(c, 7, 0, cm);
	if (rot) {
		Z3_ast k = Z3_mk_bvurem(c, cw, BV(w, w));

		if (m == ZYDIS_MNEMONIC_ROL) {
			r = Z3_mk_ext_rotate_left(c, a, k);
			cf = BIT(r, 0);
			of = Z3_mk_bvxor(c, BIT(r, w - 1), cf);
		} else {
			r = Z3_mk_ext_rotate_right(c, a, k);
			cf = BIT(r, w - 1);
			of = Z3_mk_bvxor(c, BIT(r, w - 1), BIT(r, w - 2));
		}
		setf_if(s, F_CF, nz, cf);
		s->o->flag[F_OF] = Z3_mk_ite(c, nz, of, old[F_OF]);
		a2[0] = Z3_mk_not(c, nz);
		a2[1] = one;
		s->o->def[F_OF] = Z3_mk_or(c, 2, a2);
		wr(s, dst, r);
		return;
	}
	if (m == ZYDIS_MNEMONIC_SHL) {
		r = Z3_mk_bvshl(c, a, cw);
		/* last bit out: bit w - count of a, for 0 < count < w */
		cf = BIT(Z3_mk_bvlshr(c, a, Z3_mk_bvsub(c, BV(w, w), cw)), 0);
		of = Z3_mk_bvxor(c, BIT(r, w - 1), cf);
	} else if (m == ZYDIS_MNEMONIC_SHR) {
		r = Z3_mk_bvlshr(c, a, cw);
		cf = BIT(Z3_mk_bvlshr(c, a, Z3_mk_bvsub(c, cw, BV(1, w))), 0);
		of = BIT(a, w - 1);
	} else {
		r = Z3_mk_bvashr(c, a, cw);
		cf = BIT(Z3_mk_bvashr(c, a, Z3_mk_bvsub(c, cw, BV(1, w))), 0);
		of = BV(0, 1);
	}
	/* new values when count != 0, else unchanged */
	zsp(s, r, w);
	for (int i = F_PF; i <= F_SF; i++)
		if (i != F_AF)
			s->o->flag[i] = Z3_mk_ite(c, nz, s->o->flag[i], old[i]);
	s->o->flag[F_CF] = Z3_mk_ite(c, nz, cf, old[F_CF]);
	s->o->flag[F_OF] = Z3_mk_ite(c, nz, of, old[F_OF]);
	s->o->flag[F_AF] = old[F_AF];
	a2[0] = Z3_mk_not(c, nz);
	/* CF: undefined for shl/shr with count >= width */
	if (m != ZYDIS_MNEMONIC_SAR && w < 32) {
		a2[1] = Z3_mk_bvult(c, cm, BV(w, 8));
		s->o->def[F_CF] = Z3_mk_or(c, 2, a2);
	}
	a2[1] = one;
	s->o->def[F_OF] = Z3_mk_or(c, 2, a2);
	s->o->def[F_AF] = Z3_mk_not(c, nz);
	wr(s, dst, Z3_mk_ite(c, nz, r, a));
}

/* xmm whose low lane is register x, as 128 bits */
static Z3_ast xmm(Z3_context c, Z3_ast *in, unsigned x)
{
	return Z3_mk_concat(c, in[x + 1], in[x]);
}

/* Lane i (of l bits) of the 128-bit v. */
static Z3_ast lane(Z3_context c, Z3_ast v, unsigned l, unsigned i)
{
	return EXT(l * i + l - 1, l * i, v);
}

/* d and s's lanes of l bits combined by op, lowest lane first. */
static Z3_ast vec_lanes(Z3_context c, const struct qhb_x86sem_form *f,
    Z3_ast d, Z3_ast s)
{
	unsigned l = f->vlane;
	Z3_ast r = NULL, a, b;

	for (unsigned i = 0; i < 128 / l; i++) {
		a = lane(c, d, l, i);
		b = lane(c, s, l, i);
		switch (f->vec) {
		case QHB_X86SEM_VPADD: a = Z3_mk_bvadd(c, a, b); break;
		case QHB_X86SEM_VPXOR: a = Z3_mk_bvxor(c, a, b); break;
		case QHB_X86SEM_VPOR: a = Z3_mk_bvor(c, a, b); break;
		case QHB_X86SEM_VPAND: a = Z3_mk_bvand(c, a, b); break;
		default:
			a = Z3_mk_ite(c, Z3_mk_eq(c, a, b), Z3_mk_bvnot(c,
			    BV(0, l)), BV(0, l));
			break;
		}
		r = r == NULL ? a : Z3_mk_concat(c, a, r);
	}
	return r;
}

/* psll/psrl: each lane of d shifted by cnt (64 bits, unsigned); a count
 * of the lane's width or more clears it (SDM vol. 2, PSLLW/D/Q). */
static Z3_ast vec_shift(Z3_context c, const struct qhb_x86sem_form *f,
    Z3_ast d, Z3_ast cnt)
{
	unsigned l = f->vlane;
	Z3_ast r = NULL, a, big = Z3_mk_bvuge(c, cnt, BV(l, 64));
	Z3_ast k = l == 64 ? cnt : EXT(l - 1, 0, cnt);

	for (unsigned i = 0; i < 128 / l; i++) {
		a = lane(c, d, l, i);
		a = f->vec == QHB_X86SEM_VPSLL ? Z3_mk_bvshl(c, a, k) :
		    Z3_mk_bvlshr(c, a, k);
		a = Z3_mk_ite(c, big, BV(0, l), a);
		r = r == NULL ? a : Z3_mk_concat(c, a, r);
	}
	return r;
}

/* The 128-bit result of a vector form on its destination's value d and
 * its source's s. */
static Z3_ast vec_result(Z3_context c, const struct qhb_x86sem_form *f,
    Z3_ast d, Z3_ast s)
{
	Z3_ast r = NULL, b;
	unsigned l = f->vlane;

	switch (f->vec) {
	case QHB_X86SEM_VMOV:
		return Z3_mk_zero_ext(c, 128 - f->vbits, EXT(f->vbits - 1, 0, s));
	case QHB_X86SEM_VPSHUFB:
		/* byte i: 0 when s's byte i has bit 7 set, else d's byte
		 * (s's byte i & 15) */
		for (unsigned i = 0; i < 16; i++) {
			Z3_ast k = lane(c, s, 8, i);

			b = EXT(7, 0, Z3_mk_bvlshr(c, d, Z3_mk_zero_ext(c, 120,
			    Z3_mk_bvshl(c, Z3_mk_bvand(c, k, BV(15, 8)),
			    BV(3, 8)))));
			b = Z3_mk_ite(c, Z3_mk_eq(c, BIT(k, 7), BV(1, 1)), BV(0, 8),
			    b);
			r = r == NULL ? b : Z3_mk_concat(c, b, r);
		}
		return r;
	case QHB_X86SEM_VPSHUFD:
		for (unsigned i = 0; i < 4; i++) {
			b = lane(c, s, 32, (f->vimm >> (2 * i)) & 3);
			r = r == NULL ? b : Z3_mk_concat(c, b, r);
		}
		return r;
	case QHB_X86SEM_VPUNPCKL:
		/* d's and s's low halves, lane by lane: d0 s0 d1 s1 ... */
		for (unsigned i = 0; i < 64 / l; i++) {
			b = Z3_mk_concat(c, lane(c, s, l, i), lane(c, d, l, i));
			r = r == NULL ? b : Z3_mk_concat(c, b, r);
		}
		return r;
	case QHB_X86SEM_VPSLL: case QHB_X86SEM_VPSRL:
		return vec_shift(c, f, d, f->vsrc == QHB_X86SEM_NOREG ?
		    BV(f->vimm, 64) : EXT(63, 0, s));
	case QHB_X86SEM_VPMOVMSKB:
		r = BIT(s, 7);
		for (unsigned i = 1; i < 16; i++)
			r = Z3_mk_concat(c, BIT(s, 8 * i + 7), r);
		return Z3_mk_zero_ext(c, 112, r);
	default:
		return vec_lanes(c, f, d, s);
	}
}

/* A vector form (x86sem.h) against mem, or (mem NULL) a register form
 * in the register view. */
static void build_vec(Z3_context c, const struct qhb_x86sem_form *f,
    Z3_ast *in, Z3_ast mem, struct qhb_x86sem_out *o)
{
	unsigned d = f->vdst, s = f->vsrc, nb = f->mem.bits / 8;
	Z3_ast dv = NULL, sv = BV(0, 128), r;

	if (f->mem.kind == QHB_X86SEM_MEMOP) {
		o->addr = address(c, f, in);
		if (f->valign)
			o->fault = Z3_mk_not(c, Z3_mk_eq(c, EXT(3, 0, o->addr),
			    BV(0, 4)));
	}
	if (s == QHB_X86SEM_MEMREG && mem != NULL)
		sv = zext_to(c, qhb_z3bv_load(c, mem, o->addr, nb), 8 * nb, 128);
	else if (s >= QHB_PCPU_XMM && s < QHB_X86SEM_NOREG)
		sv = xmm(c, in, s);
	else if (s < 16)
		sv = Z3_mk_zero_ext(c, 64, in[s]);
	if (d >= QHB_PCPU_XMM)
		dv = xmm(c, in, d);
	r = vec_result(c, f, dv != NULL ? dv : sv, sv);
	if (d >= QHB_PCPU_XMM) {
		o->sys[d] = EXT(63, 0, r);
		o->sys[d + 1] = EXT(127, 64, r);
	} else if (d < 16) {
		/* a GPR: movd's 32 bits zero-extended, movq's 64 */
		o->reg[d] = f->vbits == 32 ? Z3_mk_zero_ext(c, 32, EXT(31, 0, r)) :
		    EXT(63, 0, r);
	} else if (mem != NULL) {
		o->memval = EXT(8 * nb - 1, 0, r);
		o->mem = qhb_z3bv_store(c, mem, o->addr, o->memval, nb);
	}
}

/*
 * The system forms.  CPL is cs & 3 (r33), IOPL rflags bits 12..13.
 */
#define RF_IF 0x200ULL
#define RF_DF 0x400ULL
#define RF_RF 0x10000ULL
#define RF_VM 0x20000ULL
#define RF_AC 0x40000ULL

/* The bits of rflags popfq (64-bit operand size) changes, from the SDM's
 * POPF pseudocode: at CPL 0 every flag but RF, VM, VIF and VIP (bits 16,
 * 17, 19, 20: RF is cleared, the others unaffected); at CPL > 0 not IOPL
 * either; at CPL > IOPL not IF either.  The reserved bits (1, 3, 5, 15,
 * 22..63) are unaffected: 1 reads 1, the others 0, in a real rflags. */
#define POPF_CPL0 0x247fd5ULL
#define POPF_IOPL (POPF_CPL0 & ~0x3000ULL)
#define POPF_USER (POPF_IOPL & ~RF_IF)

static Z3_ast set_bits(Z3_context c, Z3_ast v, uint64_t bits, int on)
{
	return on ? Z3_mk_bvor(c, v, BV(bits, 64)) :
	    Z3_mk_bvand(c, v, BV(~bits, 64));
}

/* The registers, rflags whole, memval and the fault of a system form
 * into s->o.  Returns 0, or -1 when f is not one. */
static int build_system(struct sem *s, const struct qhb_x86sem_form *f)
{
	Z3_context c = s->c;
	Z3_ast *in = s->in, fl = in[QHB_PCPU_FLAGS], r, a2[2];
	struct qhb_x86sem_out *o = s->o;
	Z3_ast cpl = EXT(1, 0, in[QHB_PCPU_CS]), iopl = EXT(13, 12, fl);
	Z3_ast user = Z3_mk_not(c, Z3_mk_eq(c, cpl, BV(0, 2)));
	Z3_ast above = Z3_mk_bvugt(c, cpl, iopl);
	Z3_ast env = in[QHB_PCPU_ENV];

	r = fl;
	switch (f->sys) {
	case QHB_X86SEM_CLI: case QHB_X86SEM_STI:
		/* at CPL > IOPL x86 raises #GP, or with CR4.PVI changes VIF:
		 * either way the machine's, not the microcode's */
		o->fault = above;
		r = set_bits(c, fl, RF_IF, f->sys == QHB_X86SEM_STI);
		break;
	case QHB_X86SEM_CLAC: case QHB_X86SEM_STAC:
		a2[0] = user;
		a2[1] = Z3_mk_eq(c, BIT(env, 21), BV(0, 1));
		o->fault = Z3_mk_or(c, 2, a2);
		r = set_bits(c, fl, RF_AC, f->sys == QHB_X86SEM_STAC);
		break;
	case QHB_X86SEM_CLD: case QHB_X86SEM_STD:
		r = set_bits(c, fl, RF_DF, f->sys == QHB_X86SEM_STD);
		break;
	case QHB_X86SEM_PUSHF:
		o->reg[4] = Z3_mk_bvsub(c, in[4], BV(8, 64));
		o->memval = set_bits(c, fl, RF_VM | RF_RF, 0);
		break;
	case QHB_X86SEM_POPF: {
		Z3_ast m = Z3_mk_ite(c, Z3_mk_not(c, user), BV(POPF_CPL0, 64),
		    Z3_mk_ite(c, above, BV(POPF_USER, 64), BV(POPF_IOPL, 64)));
		Z3_ast v = in[QHB_X86SEM_MEMREG];

		o->reg[4] = Z3_mk_bvadd(c, in[4], BV(8, 64));
		r = Z3_mk_bvor(c, Z3_mk_bvand(c, v, m),
		    Z3_mk_bvand(c, fl, Z3_mk_bvnot(c, m)));
		r = set_bits(c, r, RF_RF, 0);
		break;
	}
	case QHB_X86SEM_MOVSEG: {
		/* 16 bits merge; 32 and 64 zero-extend (the SDM leaves the
		 * upper bytes of a 32-bit destination implementation
		 * dependent: zeros since the P6, and learn-native checks it on
		 * this CPU) */
		Z3_ast v = EXT(15, 0, in[f->sys_seg]);
		unsigned g = f->sys_reg;

		o->reg[g] = f->sys_bits == 16 ? insert(c, in[g], v, 0, 16) :
		    Z3_mk_zero_ext(c, 48, v);
		break;
	}
	case QHB_X86SEM_SWAPGS:
		o->fault = user;
		o->sys[QHB_PCPU_GSBASE] = in[QHB_PCPU_KGSBASE];
		o->sys[QHB_PCPU_KGSBASE] = in[QHB_PCPU_GSBASE];
		break;
	case QHB_X86SEM_RDTSC:
		/* CR4.TSD is not in the state: at CPL > 0 it may #GP, so a
		 * fault there (the machine runs it), exact at CPL 0 */
		o->fault = user;
		o->reg[0] = Z3_mk_zero_ext(c, 32, EXT(31, 0, env));
		o->reg[2] = Z3_mk_zero_ext(c, 32, EXT(63, 32, env));
		break;
	case QHB_X86SEM_IN: {
		/* at CPL > IOPL the I/O permission bitmap, not in the state,
		 * decides whether it is #GP */
		unsigned w = f->sys_bits;
		Z3_ast v = EXT(w - 1, 0, env);

		o->fault = above;
		o->reg[0] = w == 32 ? Z3_mk_zero_ext(c, 32, v) :
		    insert(c, in[0], v, 0, w);
		break;
	}
	default:
		return -1;
	}
	o->rflags = r;
	for (int i = 0; i < 6; i++)
		setf(s, i, BIT(r, qhb_z3bv_flag_pos[i]));
	return 0;
}

/* bts, btr, btc of a register or of memory seen as one: CF the old bit
 * (offset mod W), ZF kept, OF SF AF PF undefined. */
static void bit_op(struct sem *s, ZydisMnemonic m, const struct opnd *dst,
    const struct opnd *src, unsigned w)
{
	Z3_context c = s->c;
	Z3_ast a = rd(s, dst), pos = src->kind == 1 ?
	    BV(src->imm & (w - 1), w) : Z3_mk_bvand(c, rd(s, src), BV(w - 1, w));
	Z3_ast bit = Z3_mk_bvshl(c, BV(1, w), pos);

	setf(s, F_CF, BIT(Z3_mk_bvlshr(c, a, pos), 0));
	undef(s, F_OF);
	undef(s, F_SF);
	undef(s, F_AF);
	undef(s, F_PF);
	wr(s, dst, m == ZYDIS_MNEMONIC_BTS ? Z3_mk_bvor(c, a, bit) :
	    m == ZYDIS_MNEMONIC_BTR ? Z3_mk_bvand(c, a, Z3_mk_bvnot(c, bit)) :
	    Z3_mk_bvxor(c, a, bit));
}

/* mul, imul of one operand: rdx:rax := rax * src, 2W bits; CF = OF = the
 * high half matters (mul: it is not 0; imul: the low half sign-extended
 * is not the product); SF ZF AF PF undefined. */
static void mul_wide(struct sem *s, ZydisMnemonic m, const struct opnd *src,
    unsigned w)
{
	Z3_context c = s->c;
	struct opnd ax = { 0, 0, 0, w, 0, NULL, NULL };
	struct opnd dx = { 0, 2, 0, w, 0, NULL, NULL };
	Z3_ast a = EXT(w - 1, 0, s->in[0]), b = rd(s, src), p, lo, hi, wide;
	int sg = m == ZYDIS_MNEMONIC_IMUL;

	p = Z3_mk_bvmul(c, sg ? sext_to(c, a, w, 2 * w) : zext_to(c, a, w,
	    2 * w), sg ? sext_to(c, b, w, 2 * w) : zext_to(c, b, w, 2 * w));
	lo = EXT(w - 1, 0, p);
	hi = EXT(2 * w - 1, w, p);
	wide = sg ? Z3_mk_not(c, Z3_mk_eq(c, p, sext_to(c, lo, w, 2 * w))) :
	    Z3_mk_not(c, Z3_mk_eq(c, hi, BV(0, w)));
	setf(s, F_CF, B2BV(wide));
	setf(s, F_OF, B2BV(wide));
	undef(s, F_SF);
	undef(s, F_ZF);
	undef(s, F_AF);
	undef(s, F_PF);
	wr(s, &ax, lo);
	wr(s, &dx, hi);
}

/* idiv: rdx:rax / src signed, truncated (the remainder has the
 * dividend's sign); #DE when src is 0 or the quotient does not fit W bits
 * signed; every flag undefined.  The terms of pixelsem.c's divs. */
static void idiv(struct sem *s, const struct opnd *src, unsigned w)
{
	Z3_context c = s->c;
	struct opnd ax = { 0, 0, 0, w, 0, NULL, NULL };
	struct opnd dx = { 0, 2, 0, w, 0, NULL, NULL };
	Z3_ast n = Z3_mk_concat(c, EXT(w - 1, 0, s->in[2]), EXT(w - 1, 0,
	    s->in[0])), b = rd(s, src), dv = Z3_mk_sign_ext(c, w, b), q, a2[2];

	q = Z3_mk_bvsdiv(c, n, dv);
	a2[0] = Z3_mk_eq(c, b, BV(0, w));
	a2[1] = Z3_mk_not(c, Z3_mk_eq(c, q, Z3_mk_sign_ext(c, w,
	    EXT(w - 1, 0, q))));
	s->o->fault = Z3_mk_or(c, 2, a2);
	wr(s, &ax, EXT(w - 1, 0, q));
	wr(s, &dx, EXT(w - 1, 0, Z3_mk_bvsrem(c, n, dv)));
	for (int i = 0; i < 6; i++)
		undef(s, i);
}

/* tzcnt, lzcnt (the SDM's loop: the count, W for a zero source; CF = the
 * source is 0, ZF = the count is 0, OF SF PF AF undefined), popcnt (ZF =
 * the source is 0, the other five cleared), bsf and bsr (the index of the
 * lowest or highest one bit, ZF 0, the rest undefined; a zero source is
 * a fault: the SDM leaves the destination undefined). */
static void bit_count(struct sem *s, ZydisMnemonic m, const struct opnd *dst,
    Z3_ast v, unsigned w)
{
	Z3_context c = s->c;
	Z3_ast r = BV(m == ZYDIS_MNEMONIC_POPCNT ? 0 : w, w);
	Z3_ast zero = B2BV(Z3_mk_eq(c, v, BV(0, w)));

	int low = m == ZYDIS_MNEMONIC_TZCNT || m == ZYDIS_MNEMONIC_BSF;
	int index = m == ZYDIS_MNEMONIC_BSF || m == ZYDIS_MNEMONIC_BSR;

	for (unsigned k = 0; k < w; k++) {
		/* tzcnt, bsf: the lowest one bit decides, lzcnt, bsr the
		 * highest */
		unsigned i = low ? w - 1 - k : k;
		Z3_ast one = ISONE(BIT(v, i));

		/* popcnt: the sum of the bits, the terms pixelsem.c's
		 * popcnt has (Z3 sees them equal at once) */
		if (m == ZYDIS_MNEMONIC_POPCNT)
			r = Z3_mk_bvadd(c, r, Z3_mk_zero_ext(c, w - 1, BIT(v, k)));
		else
			r = Z3_mk_ite(c, one, BV(low || index ? i : w - 1 - i, w),
			    r);
	}
	if (index) {
		s->o->fault = ISONE(zero);
		for (int i = 0; i < 6; i++)
			undef(s, i);
		setf(s, F_ZF, BV(0, 1));
		wr(s, dst, r);
		return;
	}
	if (m == ZYDIS_MNEMONIC_POPCNT) {
		logic_flags(s, r, w);
		setf(s, F_AF, BV(0, 1));
		setf(s, F_PF, BV(0, 1));
		setf(s, F_SF, BV(0, 1));
		setf(s, F_ZF, zero);
	} else {
		setf(s, F_CF, zero);
		setf(s, F_ZF, B2BV(Z3_mk_eq(c, r, BV(0, w))));
		undef(s, F_OF);
		undef(s, F_SF);
		undef(s, F_PF);
		undef(s, F_AF);
	}
	wr(s, dst, r);
}

int qhb_x86sem_mem_only(const struct qhb_x86sem_form *f)
{
	return f->mem.kind == QHB_X86SEM_STOS ||
	    f->mem.kind == QHB_X86SEM_MOVS || f->mem.kind >= QHB_X86SEM_PUSHM;
}

int qhb_x86sem_build(Z3_context c, const struct qhb_x86sem_form *f,
    Z3_ast in[], struct qhb_x86sem_out *o, struct qhb_err *e)
{
	ZydisDecodedInstruction in_;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	struct sem s = { c, in, o };
	struct opnd op[3];
	unsigned w, n;
	Z3_ast a, b, r;
	ZydisMnemonic m;

	if (!f->ok)
		return qhb_err_set(e, "%s: not modelled: %s", f->text, f->reason);
	if (decode(f->bytes, f->len, &in_, ops) < 0)
		return qhb_err_set(e, "%s: cannot decode", f->text);
	m = in_.mnemonic;
	w = in_.operand_width;
	n = in_.operand_count_visible;
	for (int i = 0; i < 16; i++)
		o->reg[i] = in[i];
	for (int i = 0; i < 6; i++)
		setf(&s, i, BIT(in[16], qhb_z3bv_flag_pos[i]));
	o->addr = o->memval = o->mem = NULL;
	o->fault = Z3_mk_false(c);
	keep_sys(in, o);
	if (qhb_x86sem_mem_only(f))
		return qhb_err_set(e, "%s: a string operation has no register "
		    "view", f->text);
	if (f->vec != QHB_X86SEM_VNONE && f->mem.kind != QHB_X86SEM_REG)
		return qhb_err_set(e, "%s: a vector form of memory has no "
		    "register view", f->text);
	if (f->vec != QHB_X86SEM_VNONE) {
		build_vec(c, f, in, NULL, o);
		return 0;
	}
	if (f->mem.kind != QHB_X86SEM_REG) {
		o->addr = address(c, f, in);
		o->memval = EXT(f->mem.bits - 1, 0, in[QHB_X86SEM_MEMREG]);
	}
	if (f->sys && build_system(&s, f) < 0)
		return qhb_err_set(e, "%s: not modelled", f->text);
	if (f->sys)
		return 0;
	for (unsigned i = 0; i < n && i < 3; i++) {
		if (get_opnd(&ops[i], w, &op[i]) < 0)
			return qhb_err_set(e, "%s: operand %u not modelled",
			    f->text, i);
		if (op[i].kind == 1 && f->imm_param >= 0 && i == f->imm_op)
			op[i].param = in[QHB_X86SEM_PARAM0 + f->imm_param];
	}
	if (mnemonic_flags(m) == 0x100)
		return 0;
	switch (m) {
	case ZYDIS_MNEMONIC_NOP:
		break;
	case ZYDIS_MNEMONIC_CBW: case ZYDIS_MNEMONIC_CWDE:
	case ZYDIS_MNEMONIC_CDQE: {
		struct opnd d = { 0, 0, 0, w, 0, NULL, NULL };

		wr(&s, &d, sext_to(c, EXT(w / 2 - 1, 0, in[0]), w / 2, w));
		break;
	}
	case ZYDIS_MNEMONIC_CWD: case ZYDIS_MNEMONIC_CDQ:
	case ZYDIS_MNEMONIC_CQO: {
		struct opnd d = { 0, 2, 0, w, 0, NULL, NULL };

		wr(&s, &d, Z3_mk_bvashr(c, EXT(w - 1, 0, in[0]), BV(w - 1, w)));
		break;
	}
	case ZYDIS_MNEMONIC_DIV: {
		struct opnd ra = { 0, 0, 0, w, 0, NULL, NULL };
		struct opnd rdx = { 0, 2, 0, w, 0, NULL, NULL };
		Z3_ast hi = w == 8 ? EXT(15, 8, in[0]) : EXT(w - 1, 0, in[2]);
		Z3_ast n = Z3_mk_concat(c, hi, EXT(w - 1, 0, in[0]));
		Z3_ast dv = Z3_mk_zero_ext(c, w, rd(&s, &op[0]));
		Z3_ast q = Z3_mk_bvudiv(c, n, dv), a2[2];

		a2[0] = Z3_mk_eq(c, EXT(w - 1, 0, dv), BV(0, w));
		a2[1] = Z3_mk_not(c, Z3_mk_eq(c, EXT(2 * w - 1, w, q), BV(0, w)));
		o->fault = Z3_mk_or(c, 2, a2);
		if (w == 8) {
			rdx.gpr = 0;
			rdx.lo = 8;
		}
		wr(&s, &ra, EXT(w - 1, 0, q));
		wr(&s, &rdx, EXT(w - 1, 0, Z3_mk_bvurem(c, n, dv)));
		for (int i = 0; i < 6; i++)
			undef(&s, i);
		break;
	}
	case ZYDIS_MNEMONIC_CMPXCHG: {
		struct opnd acc = { 0, 0, 0, w, 0, NULL, NULL };
		Z3_ast d = rd(&s, &op[0]), x = EXT(w - 1, 0, in[0]), keep;
		Z3_ast eq = Z3_mk_eq(c, x, d);

		arith(&s, x, d, BV(0, 1), 1, w, 1);
		wr(&s, &op[0], Z3_mk_ite(c, eq, rd(&s, &op[1]), d));
		keep = o->reg[0];
		wr(&s, &acc, d);
		o->reg[0] = Z3_mk_ite(c, eq, keep, o->reg[0]);
		break;
	}
	case ZYDIS_MNEMONIC_BT: {
		Z3_ast pos = op[1].kind == 1 ? BV(op[1].imm & (w - 1), w) :
		    Z3_mk_bvand(c, rd(&s, &op[1]), BV(w - 1, w));

		setf(&s, F_CF, BIT(Z3_mk_bvlshr(c, rd(&s, &op[0]), pos), 0));
		undef(&s, F_OF);
		undef(&s, F_SF);
		undef(&s, F_AF);
		undef(&s, F_PF);
		break;
	}
	case ZYDIS_MNEMONIC_BTS: case ZYDIS_MNEMONIC_BTR:
	case ZYDIS_MNEMONIC_BTC:
		bit_op(&s, m, &op[0], &op[1], w);
		break;
	case ZYDIS_MNEMONIC_XADD:
		r = arith(&s, rd(&s, &op[0]), rd(&s, &op[1]), BV(0, 1), 0, w, 1);
		/* the source gets the old destination, then the destination
		 * the sum (xadd r, r of one register: the sum) */
		wr(&s, &op[1], rd(&s, &op[0]));
		wr(&s, &op[0], r);
		break;
	case ZYDIS_MNEMONIC_MUL:
		mul_wide(&s, m, &op[0], w);
		break;
	case ZYDIS_MNEMONIC_IDIV:
		idiv(&s, &op[0], w);
		break;
	case ZYDIS_MNEMONIC_TZCNT: case ZYDIS_MNEMONIC_LZCNT:
	case ZYDIS_MNEMONIC_POPCNT:
	case ZYDIS_MNEMONIC_BSF: case ZYDIS_MNEMONIC_BSR:
		bit_count(&s, m, &op[0], rd(&s, &op[1]), w);
		break;
	case ZYDIS_MNEMONIC_LEAVE:
		o->reg[4] = Z3_mk_bvadd(c, in[5], BV(8, 64));
		o->reg[5] = in[QHB_X86SEM_MEMREG];
		break;
	case ZYDIS_MNEMONIC_PUSH:
		o->reg[4] = Z3_mk_bvsub(c, in[4], BV(8, 64));
		o->memval = op[0].kind == 1 ? rd(&s, &op[0]) : in[op[0].gpr];
		break;
	case ZYDIS_MNEMONIC_POP:
		o->reg[4] = Z3_mk_bvadd(c, in[4], BV(8, 64));
		o->reg[op[0].gpr] = in[QHB_X86SEM_MEMREG];
		break;
	case ZYDIS_MNEMONIC_MOV:
		wr(&s, &op[0], rd(&s, &op[1]));
		break;
	case ZYDIS_MNEMONIC_MOVZX: case ZYDIS_MNEMONIC_MOVSX:
	case ZYDIS_MNEMONIC_MOVSXD:
		a = rd(&s, &op[1]);
		wr(&s, &op[0], m == ZYDIS_MNEMONIC_MOVZX ?
		    zext_to(c, a, op[1].bits, op[0].bits) :
		    sext_to(c, a, op[1].bits, op[0].bits));
		break;
	case ZYDIS_MNEMONIC_LEA: {
		const ZydisDecodedOperand *z = &ops[1];
		unsigned g, lo, bits, sh = z->mem.scale == 8 ? 3 :
		    z->mem.scale == 4 ? 2 : z->mem.scale == 2 ? 1 : 0;
		Z3_ast ad = disp_term(c, f, in);

		if (z->mem.base == ZYDIS_REGISTER_RIP) {
			ad = Z3_mk_bvadd(c, ad, in[QHB_PCPU_RIP]);
		} else if (z->mem.base != ZYDIS_REGISTER_NONE) {
			reg_gpr(z->mem.base, &g, &lo, &bits);
			ad = Z3_mk_bvadd(c, ad, zext_to(c,
			    EXT(bits - 1, 0, in[g]), bits, 64));
		}
		if (z->mem.index != ZYDIS_REGISTER_NONE) {
			reg_gpr(z->mem.index, &g, &lo, &bits);
			ad = Z3_mk_bvadd(c, ad, Z3_mk_bvshl(c, zext_to(c,
			    EXT(bits - 1, 0, in[g]), bits, 64), BV(sh, 64)));
		}
		if (in_.address_width == 32)
			ad = Z3_mk_zero_ext(c, 32, EXT(31, 0, ad));
		wr(&s, &op[0], EXT(op[0].bits - 1, 0, ad));
		break;
	}
	case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_ADC:
	case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_SBB:
	case ZYDIS_MNEMONIC_CMP:
		r = arith(&s, rd(&s, &op[0]), rd(&s, &op[1]),
		    (m == ZYDIS_MNEMONIC_ADC || m == ZYDIS_MNEMONIC_SBB) ?
		    BIT(in[16], 0) : BV(0, 1), m != ZYDIS_MNEMONIC_ADD &&
		    m != ZYDIS_MNEMONIC_ADC, w, 1);
		if (m != ZYDIS_MNEMONIC_CMP)
			wr(&s, &op[0], r);
		break;
	case ZYDIS_MNEMONIC_INC: case ZYDIS_MNEMONIC_DEC:
		r = arith(&s, rd(&s, &op[0]), BV(1, w), BV(0, 1),
		    m == ZYDIS_MNEMONIC_DEC, w, 0);
		wr(&s, &op[0], r);
		break;
	case ZYDIS_MNEMONIC_NEG:
		a = rd(&s, &op[0]);
		r = arith(&s, BV(0, w), a, BV(0, 1), 1, w, 1);
		wr(&s, &op[0], r);
		break;
	case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_OR:
	case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_TEST:
		a = rd(&s, &op[0]);
		b = rd(&s, &op[1]);
		r = m == ZYDIS_MNEMONIC_OR ? Z3_mk_bvor(c, a, b) :
		    m == ZYDIS_MNEMONIC_XOR ? Z3_mk_bvxor(c, a, b) :
		    Z3_mk_bvand(c, a, b);
		logic_flags(&s, r, w);
		if (m != ZYDIS_MNEMONIC_TEST)
			wr(&s, &op[0], r);
		break;
	case ZYDIS_MNEMONIC_NOT:
		wr(&s, &op[0], Z3_mk_bvnot(c, rd(&s, &op[0])));
		break;
	case ZYDIS_MNEMONIC_SHL: case ZYDIS_MNEMONIC_SHR:
	case ZYDIS_MNEMONIC_SAR: case ZYDIS_MNEMONIC_ROL:
	case ZYDIS_MNEMONIC_ROR: {
		struct opnd cnt = op[1];

		if (n < 2)
			return qhb_err_set(e, "%s: shift without count", f->text);
		if (cnt.kind == 1) {
			cnt.bits = 8;
			cnt.imm &= 0xff;
		}
		shift(&s, m, &op[0], rd(&s, &op[0]), cnt.kind == 1 ?
		    BV(cnt.imm, 8) : EXT(7, 0, in[cnt.gpr]), w);
		break;
	}
	case ZYDIS_MNEMONIC_IMUL: {
		Z3_ast p, ok;

		if (n < 2) {
			mul_wide(&s, m, &op[0], w);
			break;
		}
		a = rd(&s, &op[n == 3 ? 1 : 0]);
		b = rd(&s, &op[n == 3 ? 2 : 1]);
		p = Z3_mk_bvmul(c, sext_to(c, a, w, 2 * w), sext_to(c, b, w, 2 * w));
		r = EXT(w - 1, 0, p);
		ok = Z3_mk_eq(c, p, sext_to(c, r, w, 2 * w));
		setf(&s, F_CF, B2BV(Z3_mk_not(c, ok)));
		setf(&s, F_OF, B2BV(Z3_mk_not(c, ok)));
		undef(&s, F_SF);
		undef(&s, F_ZF);
		undef(&s, F_AF);
		undef(&s, F_PF);
		wr(&s, &op[0], r);
		break;
	}
	case ZYDIS_MNEMONIC_BSWAP: {
		a = rd(&s, &op[0]);
		r = EXT(7, 0, a);
		for (unsigned i = 1; i < w / 8; i++)
			r = Z3_mk_concat(c, r, EXT(8 * i + 7, 8 * i, a));
		wr(&s, &op[0], r);
		break;
	}
	case ZYDIS_MNEMONIC_XCHG:
		a = rd(&s, &op[0]);
		b = rd(&s, &op[1]);
		wr(&s, &op[0], b);
		wr(&s, &op[1], a);
		break;
	default: {
		int cc = cond_code(m);

		if (cc < 0)
			return qhb_err_set(e, "%s: not modelled", f->text);
		if (is_cmov(m)) {
			a = rd(&s, &op[0]);
			wr(&s, &op[0], Z3_mk_ite(c, qhb_z3bv_cond(c,
			    (unsigned)cc, in[16]), rd(&s, &op[1]), a));
		} else {
			wr(&s, &op[0], Z3_mk_ite(c, qhb_z3bv_cond(c,
			    (unsigned)cc, in[16]), BV(1, 8), BV(0, 8)));
		}
		break;
	}
	}
	return 0;
}

/* One iteration of rep stos / rep movs. */
static void build_string(Z3_context c, const struct qhb_x86sem_form *f,
    Z3_ast *in, Z3_ast mem, struct qhb_x86sem_out *o)
{
	unsigned n = f->mem.bits / 8;
	Z3_ast go = Z3_mk_not(c, Z3_mk_eq(c, in[1], BV(0, 64)));
	Z3_ast step = Z3_mk_ite(c, ISONE(BIT(in[16], 10)), BV(-(int64_t)n, 64),
	    BV(n, 64)), v;

	if (f->mem.kind == QHB_X86SEM_STOS)
		v = EXT(f->mem.bits - 1, 0, in[0]);
	else
		v = qhb_z3bv_load(c, mem, in[6], n);
	o->addr = in[7];
	o->memval = v;
	o->mem = Z3_mk_ite(c, go, qhb_z3bv_store(c, mem, in[7], v, n), mem);
	o->reg[7] = Z3_mk_ite(c, go, Z3_mk_bvadd(c, in[7], step), in[7]);
	if (f->mem.kind == QHB_X86SEM_MOVS)
		o->reg[6] = Z3_mk_ite(c, go, Z3_mk_bvadd(c, in[6], step), in[6]);
	o->reg[1] = Z3_mk_ite(c, go, Z3_mk_bvsub(c, in[1], BV(1, 64)), in[1]);
}

/* push m64, pop m64, bt/bts/btr/btc m, r and cmpxchg16b against memory
 * (o holds the registers and flags before). */
static void build_two_access(Z3_context c, const struct qhb_x86sem_form *f,
    Z3_ast *in, Z3_ast mem, struct qhb_x86sem_out *o)
{
	Z3_ast in2[QHB_X86SEM_NIN], v, a, eq;

	switch (f->mem.kind) {
	case QHB_X86SEM_PUSHM:
		/* the operand's address from rsp before the push */
		v = qhb_z3bv_load(c, mem, address(c, f, in), 8);
		o->reg[4] = Z3_mk_bvsub(c, in[4], BV(8, 64));
		o->addr = o->reg[4];
		o->memval = v;
		o->mem = qhb_z3bv_store(c, mem, o->reg[4], v, 8);
		break;
	case QHB_X86SEM_POPM:
		/* the SDM: the address is computed after rsp is incremented */
		v = qhb_z3bv_load(c, mem, in[4], 8);
		o->reg[4] = Z3_mk_bvadd(c, in[4], BV(8, 64));
		/* in[] holds the registers and f's parameters only */
		memcpy(in2, in, (QHB_X86SEM_PARAM0 + f->nparam) * sizeof(in2[0]));
		in2[4] = o->reg[4];
		o->addr = address(c, f, in2);
		o->memval = v;
		o->mem = qhb_z3bv_store(c, mem, o->addr, v, 8);
		break;
	case QHB_X86SEM_BTM: {
		unsigned w = f->opbits, lw = w == 64 ? 6 : 5, n = w / 8;
		Z3_ast off = sext_to(c, EXT(w - 1, 0, in[f->opreg[1]]), w, 64);
		Z3_ast pos = Z3_mk_bvand(c, EXT(w - 1, 0, off), BV(w - 1, w));
		Z3_ast bit = Z3_mk_bvshl(c, BV(1, w), pos);

		/* the operand the bit lies in: offset >> log2 W (with the
		 * sign) operands of W / 8 bytes away */
		a = Z3_mk_bvadd(c, address(c, f, in), Z3_mk_bvshl(c,
		    Z3_mk_bvashr(c, off, BV(lw, 64)), BV(lw - 3, 64)));
		v = qhb_z3bv_load(c, mem, a, n);
		o->flag[F_CF] = BIT(Z3_mk_bvlshr(c, v, pos), 0);
		o->def[F_OF] = o->def[F_SF] = o->def[F_AF] = o->def[F_PF] =
		    Z3_mk_false(c);
		o->addr = a;
		o->memval = f->special == QHB_X86SEM_SP_BTS ?
		    Z3_mk_bvor(c, v, bit) : f->special == QHB_X86SEM_SP_BTR ?
		    Z3_mk_bvand(c, v, Z3_mk_bvnot(c, bit)) :
		    Z3_mk_bvxor(c, v, bit);
		o->mem = f->mem.write ? qhb_z3bv_store(c, mem, a, o->memval, n) :
		    mem;
		break;
	}
	default:        /* QHB_X86SEM_CMPX16 */
		a = address(c, f, in);
		v = qhb_z3bv_load(c, mem, a, 16);
		eq = Z3_mk_eq(c, v, Z3_mk_concat(c, in[2], in[0]));
		o->fault = Z3_mk_not(c, Z3_mk_eq(c, EXT(3, 0, a), BV(0, 4)));
		o->flag[F_ZF] = B2BV(eq);
		/* the destination written in either case: rcx:rbx when
		 * equal, else itself, its value loaded into rdx:rax */
		o->reg[0] = Z3_mk_ite(c, eq, in[0], EXT(63, 0, v));
		o->reg[2] = Z3_mk_ite(c, eq, in[2], EXT(127, 64, v));
		o->addr = a;
		o->memval = Z3_mk_ite(c, eq, Z3_mk_concat(c, in[1], in[3]), v);
		o->mem = qhb_z3bv_store(c, mem, a, o->memval, 16);
		break;
	}
}

int qhb_x86sem_build_mem(Z3_context c, const struct qhb_x86sem_form *f,
    Z3_ast in[], Z3_ast mem, struct qhb_x86sem_out *o, struct qhb_err *e)
{
	Z3_ast in2[QHB_X86SEM_NIN];
	unsigned n = f->mem.bits / 8;

	if (!f->ok)
		return qhb_err_set(e, "%s: not modelled: %s", f->text, f->reason);
	if (qhb_x86sem_mem_only(f) || f->vec != QHB_X86SEM_VNONE) {
		for (int i = 0; i < 16; i++)
			o->reg[i] = in[i];
		for (int i = 0; i < 6; i++) {
			o->flag[i] = BIT(in[16], qhb_z3bv_flag_pos[i]);
			o->def[i] = Z3_mk_true(c);
		}
		o->fault = Z3_mk_false(c);
		keep_sys(in, o);
		if (f->vec != QHB_X86SEM_VNONE) {
			/* no flags written: the vector forms' own view */
			o->addr = o->memval = NULL;
			o->mem = mem;
			build_vec(c, f, in, mem, o);
			return 0;
		}
		if (f->mem.kind == QHB_X86SEM_STOS ||
		    f->mem.kind == QHB_X86SEM_MOVS)
			build_string(c, f, in, mem, o);
		else
			build_two_access(c, f, in, mem, o);
		return 0;
	}
	memcpy(in2, in, (QHB_X86SEM_PARAM0 + f->nparam) * sizeof(in2[0]));
	if (f->mem.kind != QHB_X86SEM_REG && f->mem.read) {
		Z3_ast v = qhb_z3bv_load(c, mem, address(c, f, in), n);

		in2[QHB_X86SEM_MEMREG] = zext_to(c, v, f->mem.bits, 64);
	}
	if (qhb_x86sem_build(c, f, in2, o, e) < 0)
		return -1;
	o->mem = mem;
	if (f->mem.kind != QHB_X86SEM_REG && f->mem.write)
		o->mem = qhb_z3bv_store(c, mem, o->addr, o->memval, n);
	return 0;
}
