/*
 * x86-nofault -- which x86 instructions cannot leave a block early.
 *
 * The plugin needs an exact count for every instruction but a counter only
 * where the count can differ from the previous instruction's: after an
 * instruction that may fault.  This is a deliberately small whitelist of
 * register-only integer instructions that raise no exception in any CPU
 * mode (real, protected, long) and at any privilege level; everything else
 * -- any memory operand, any prefix but operand size, REX and segment, x87,
 * SSE, AVX, division, privileged and system instructions -- "may fault".
 * A wrong "may fault" costs a counter; a wrong "cannot fault" would cost
 * exactness, so when in doubt an opcode stays off the list.
 *
 * Header-only: the plugin links nothing.
 */
#ifndef QHB_X86_NOFAULT_H
#define QHB_X86_NOFAULT_H

#include <stddef.h>
#include <stdint.h>

/* 1 when the size bytes at p are an instruction that cannot fault. */
static inline int qhb_x86_nofault(const uint8_t *p, size_t size)
{
	size_t i = 0;
	unsigned op, modrm, mod, reg;

	/* Operand size, segment overrides (no memory operand can follow
	 * below, so they change nothing) and REX (in 32- and 16-bit code
	 * 40..4f are inc/dec, single-byte, which cannot fault either). */
	while (i < size && (p[i] == 0x66 || p[i] == 0x26 || p[i] == 0x2e ||
	    p[i] == 0x36 || p[i] == 0x3e || p[i] == 0x64 || p[i] == 0x65 ||
	    (p[i] & 0xf0) == 0x40))
		i++;
	if (i == size)
		return size == 1 && (p[0] & 0xf0) == 0x40;   /* inc/dec */
	op = p[i++];
	modrm = i < size ? p[i] : 0x100;
	mod = modrm >> 6;
	reg = (modrm >> 3) & 7;
	if (op == 0x0f) {
		if (i == size)
			return 0;
		op = p[i++];
		modrm = i < size ? p[i] : 0x100;
		mod = modrm >> 6;
		if (op >= 0xc8 && op <= 0xcf)                /* bswap */
			return 1;
		if (op == 0x1f)                              /* nop r/m */
			return modrm < 0x100;
		if (modrm > 0xff || mod != 3)
			return 0;
		if (op == 0xba)                              /* bt group: */
			return ((modrm >> 3) & 7) >= 4;      /* /0../3 #UD */
		return (op >= 0x40 && op <= 0x4f) ||         /* cmovcc */
		    (op >= 0x90 && op <= 0x9f) ||            /* setcc */
		    op == 0xa3 || op == 0xab || op == 0xb3 || op == 0xbb ||
		    op == 0xa4 || op == 0xa5 || op == 0xac || op == 0xad ||
		    op == 0xaf || op == 0xb6 || op == 0xb7 || op == 0xbe ||
		    op == 0xbf || op == 0xbc || op == 0xbd;
	}
	/* add, or, adc, sbb, and, sub, xor, cmp: r/m forms, imm to al/ax */
	if (op < 0x40 && (op & 7) <= 5) {
		if ((op & 7) >= 4)
			return 1;
		return modrm < 0x100 && mod == 3;
	}
	if ((op >= 0x90 && op <= 0x99) ||   /* xchg, nop, cbw, cwd */
	    (op >= 0xb0 && op <= 0xbf) ||   /* mov imm */
	    op == 0xa8 || op == 0xa9 ||     /* test imm */
	    op == 0xf5 || op == 0xf8 || op == 0xf9 || op == 0xfc || op == 0xfd)
		return 1;
	if (modrm > 0xff)
		return 0;
	if (op == 0x8d)                     /* lea: no access; reg form #UD */
		return mod != 3;
	if (mod != 3)
		return 0;
	switch (op) {
	case 0x80: case 0x81: case 0x83:    /* group 1 */
	case 0x84: case 0x85: case 0x86: case 0x87:
	case 0x88: case 0x89: case 0x8a: case 0x8b: case 0x8c:
	case 0x69: case 0x6b:
	case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3:
		return 1;
	case 0xc6: case 0xc7:               /* mov imm, /0 only */
		return reg == 0;
	case 0xf6: case 0xf7:               /* not div, idiv */
		return reg != 1 && reg < 6;
	case 0xfe: case 0xff:               /* inc, dec */
		return reg <= 1;
	}
	return 0;
}

#endif
