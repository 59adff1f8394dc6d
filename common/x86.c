/*
 * x86.c -- Zydis behind qhb_x86_*.
 */
#include "x86.h"

#include <stdio.h>

#include <Zydis/Zydis.h>

static int x86_decoder(enum qhb_x86_mode mode, ZydisDecoder *d)
{
	ZydisMachineMode m;
	ZydisStackWidth w;

	switch (mode) {
	case QHB_X86_16: m = ZYDIS_MACHINE_MODE_LEGACY_16;
		w = ZYDIS_STACK_WIDTH_16; break;
	case QHB_X86_32: m = ZYDIS_MACHINE_MODE_LEGACY_32;
		w = ZYDIS_STACK_WIDTH_32; break;
	default: m = ZYDIS_MACHINE_MODE_LONG_64;
		w = ZYDIS_STACK_WIDTH_64; break;
	}
	return ZYAN_SUCCESS(ZydisDecoderInit(d, m, w)) ? 0 : -1;
}

int qhb_x86_length(enum qhb_x86_mode mode, const void *code, size_t size)
{
	ZydisDecoder d;
	ZydisDecodedInstruction in;

	if (x86_decoder(mode, &d) < 0 ||
	    !ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&d, NULL, code, size,
	    &in)))
		return -1;
	return in.length;
}

int qhb_x86_format(enum qhb_x86_mode mode, const void *code, size_t size,
    uint64_t addr, char *buf, size_t bufsize)
{
	ZydisDecoder d;
	ZydisFormatter f;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];

	if (bufsize == 0)
		return -1;
	if (x86_decoder(mode, &d) < 0 ||
	    !ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, code, size, &in, ops)) ||
	    !ZYAN_SUCCESS(ZydisFormatterInit(&f, ZYDIS_FORMATTER_STYLE_INTEL)) ||
	    !ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&f, &in, ops,
	    in.operand_count_visible, buf, bufsize, addr, NULL))) {
		snprintf(buf, bufsize, "(bad)");
		return -1;
	}
	return in.length;
}
