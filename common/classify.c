/*
 * classify -- content classes of RAM pages.  See classify.h.
 *
 * The tests, in order: all zero; one byte value throughout (0xff of
 * erased or unused firmware areas, 0xcc with which Linux poisons the
 * kernel image memory it frees after boot); text when at least 90 % of the
 * non-zero bytes are printable ASCII or white space and non-zero bytes are
 * at least a sixteenth of the page; pointers when at least a quarter of the
 * non-zero aligned 64-bit words (and 16 or more) are canonical x86-64
 * addresses in the kernel half, with 4-level paging (48-bit) or 5-level
 * paging (57-bit, where Linux puts its direct map at 0xff11... and up),
 * or in the user ranges where Linux places heaps, stacks and mappings;
 * code when the bytes that dominate x86-64
 * instruction streams (REX prefixes, mov, lea, call, jcc, push/pop, ret,
 * the 0x0f escape, ModRM bytes of common register forms) make at least
 * 22 % of the page, well above the 8 % they make of random bytes, and the
 * entropy is that of code (4.5 to 7.3 bits per byte); everything else is
 * other.
 */
#include <math.h>
#include <string.h>

#include "classify.h"

static const char *const names[QHB_CLASS_COUNT] = {
	"zero", "fill", "text", "code", "pointer", "other",
};

const char *qhb_class_name(enum qhb_class c)
{
	return (unsigned)c < QHB_CLASS_COUNT ? names[c] : "?";
}

/* Bytes frequent in x86-64 code. */
static const uint8_t code_bytes[] = {
	0x48, 0x49, 0x4c, 0x4d, 0x41, 0x89, 0x8b, 0x8d, 0xe8, 0xe9, 0xeb,
	0x0f, 0x74, 0x75, 0x83, 0x85, 0xc3, 0xff, 0x31, 0xc0, 0x24, 0x44,
	0x55, 0x53, 0x5b, 0x5d, 0x45, 0xc7,
};

static int is_text(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t' || c == '\r';
}

static int is_pointer(uint64_t w)
{
	uint64_t top = w >> 40;

	if ((w >> 47) == 0x1ffff) {                /* kernel half */
		/* but not small negative numbers: the kernel image and
		 * modules lie in the top 2 GiB below 0xfffffffff0000000 */
		uint32_t lo = (uint32_t)w;
		return (w >> 32) != 0xffffffff ||
		    (lo >= 0x80000000u && lo < 0xf0000000u);
	}
	/* Kernel half with 5-level paging: the direct map, vmalloc and
	 * vmemmap, 0xff11000000000000 to 0xffd5ffffffffffff (not the
	 * guard hole and LDT remap below), and not two negative 32-bit
	 * numbers side by side, as in the kernel's tables of relative
	 * offsets (the ORC unwinder's, exception tables). */
	if ((w >> 56) == 0xff)
		return ((w >> 48) & 0xff) >= 0x11 &&
		    ((w >> 48) & 0xff) <= 0xd5 && ((uint32_t)w >> 24) != 0xff;
	return top >= 0x55 && top <= 0x7f && (w & 7) == 0;  /* user half */
}

void qhb_classify(const uint8_t *p, size_t n, struct qhb_class_info *out)
{
	uint32_t hist[256];
	size_t i, nonzero, text = 0, code = 0, words = 0, ptrs = 0;
	double h = 0;

	memset(hist, 0, sizeof(hist));
	for (i = 0; i < n; i++)
		hist[p[i]]++;
	for (i = 0; i < 256; i++)
		if (hist[i] != 0) {
			double q = (double)hist[i] / (double)n;
			h -= q * log2(q);
		}
	out->entropy = n == 0 ? 0 : (unsigned)lrint(h * 32.0 > 255 ? 255 : h * 32.0);
	nonzero = n - hist[0];
	if (nonzero == 0) {
		out->cls = QHB_CLASS_ZERO;
		return;
	}
	if (hist[p[0]] == n) {
		out->cls = QHB_CLASS_FILL;
		return;
	}
	for (i = 1; i < 256; i++)
		if (is_text((uint8_t)i))
			text += hist[i];
	if (text * 10 >= nonzero * 9 && nonzero * 16 >= n) {
		out->cls = QHB_CLASS_TEXT;
		return;
	}
	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		if (w == 0)
			continue;
		words++;
		ptrs += is_pointer(w);
	}
	if (ptrs >= 16 && ptrs * 4 >= words) {
		out->cls = QHB_CLASS_POINTER;
		return;
	}
	for (i = 0; i < sizeof(code_bytes); i++)
		code += hist[code_bytes[i]];
	if (code * 100 >= n * 22 && h >= 4.5 && h <= 7.3) {
		out->cls = QHB_CLASS_CODE;
		return;
	}
	out->cls = QHB_CLASS_OTHER;
}
