/*
 * x86 -- decoding and disassembly of x86 code, a thin wrapper of Zydis.
 *
 * Used by qhb-trace to print what the plugin recorded as raw bytes, and
 * meant for qhb-learn.  Stateless apart from the decoder settings.
 */
#ifndef QHB_X86_H
#define QHB_X86_H

#include <stddef.h>
#include <stdint.h>

enum qhb_x86_mode { QHB_X86_16 = 16, QHB_X86_32 = 32, QHB_X86_64 = 64 };

/* Functions used to decode.  Each returns the length in bytes of the
 * instruction at code (at most size bytes are read), or -1 when the bytes
 * are not a whole valid instruction (too short, or undefined). */
int qhb_x86_length(enum qhb_x86_mode mode, const void *code, size_t size);
/* Also writes its Intel-syntax text for address addr into buf (always
 * NUL-terminated; "(bad)" when -1 is returned). */
int qhb_x86_format(enum qhb_x86_mode mode, const void *code, size_t size,
    uint64_t addr, char *buf, size_t bufsize);

#endif
