/*
 * learn-native -- runs every proven form of a microcode library natively
 * on this machine's x86-64 CPU (its bytes in an executable page, between a
 * load and a store of all registers and rflags) on random and edge-case
 * states, and requires the Pixel CPU interpreter to give the same
 * registers and the same flags wherever x86 defines them (and the Z3 model
 * of x86sem to agree with the CPU as well).  Forms that name rsp are
 * skipped (the harness needs its stack).
 *
 * usage: learn-native LIBRARY [STATES]    prints one summary line;
 * exit 1 on any mismatch.  Built by tests/integration/learn.sh.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <jansson.h>
#include <z3.h>

#include "learn.h"
#include "pixelcpu.h"
#include "x86sem.h"

static const unsigned flag_pos[6] = { 0, 2, 4, 6, 7, 11 };

static uint64_t rng(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* machine code: void run(uint64_t st[17]) */
static size_t emit(uint8_t *p, const uint8_t *insn, unsigned len)
{
	static const uint8_t pro[] = { 0x53, 0x55, 0x41, 0x54, 0x41, 0x55,
	    0x41, 0x56, 0x41, 0x57, 0x57, 0xff, 0xb7, 0x80, 0, 0, 0, 0x9d };
	static const uint8_t epi[] = { 0x58, 0x48, 0x89, 0x47, 0x38, 0x58,
	    0x48, 0x89, 0x87, 0x80, 0, 0, 0, 0x5f, 0x41, 0x5f, 0x41, 0x5e,
	    0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3 };
	size_t n = 0;

	memcpy(p, pro, sizeof(pro));
	n += sizeof(pro);
	for (unsigned i = 0; i < 16; i++) {
		if (i == 4 || i == 7)
			continue;
		p[n++] = i >= 8 ? 0x4c : 0x48;
		p[n++] = 0x8b;
		p[n++] = (uint8_t)(0x47 | (i & 7) << 3);
		p[n++] = (uint8_t)(8 * i);
	}
	memcpy(p + n, (const uint8_t[]){ 0x48, 0x8b, 0x7f, 0x38 }, 4);
	n += 4;
	memcpy(p + n, insn, len);
	n += len;
	memcpy(p + n, (const uint8_t[]){ 0x9c, 0x57, 0x48, 0x8b, 0x7c, 0x24,
	    0x10 }, 7);
	n += 7;
	for (unsigned i = 0; i < 16; i++) {
		if (i == 4 || i == 7)
			continue;
		p[n++] = i >= 8 ? 0x4c : 0x48;
		p[n++] = 0x89;
		p[n++] = (uint8_t)(0x47 | (i & 7) << 3);
		p[n++] = (uint8_t)(8 * i);
	}
	memcpy(p + n, epi, sizeof(epi));
	return n + sizeof(epi);
}

static const uint64_t edge[] = { 0, 1, 2, 7, 8, 9, 15, 16, 31, 32, 33, 63,
	64, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
	0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL,
	0x8000000000000000ULL, ~0ULL, 0x8080808080808080ULL };

int main(int argc, char **argv)
{
	struct qhb_learn_lib lib;
	struct qhb_err e = { 0 };
	unsigned nstates = argc > 2 ? (unsigned)atoi(argv[2]) : 500;
	unsigned forms = 0, skipped = 0, mism = 0, semmism = 0;
	uint64_t states = 0, seed = 0x1234567887654321ULL;
	uint8_t *page;
	const char *key;
	json_t *v;

	if (argc < 2) {
		fprintf(stderr, "usage: learn-native LIBRARY [STATES]\n");
		return 1;
	}
	if (qhb_learn_lib_open(&lib, argv[1], &e) < 0) {
		fprintf(stderr, "learn-native: %s: %s\n", argv[1], e.msg);
		return 1;
	}
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return 1;
	json_object_foreach((json_t *)lib.forms, key, v) {
		struct qhb_learn_entry en;
		struct qhb_x86sem_form f;
		struct qhb_x86sem_out o;
		uint8_t bytes[16];
		const char *hex = json_string_value(json_object_get(v, "bytes"));
		Z3_config cfg;
		Z3_context c;
		Z3_ast in[QHB_PCPU_NREG];
		void (*run)(uint64_t *);
		unsigned n = 0;

		if (hex == NULL)
			continue;
		for (; hex[2 * n] && n < 15; n++)
			sscanf(hex + 2 * n, "%2hhx", &bytes[n]);
		if (qhb_x86sem_decode(bytes, n, &f, &e) < 0 ||
		    json_object_get(v, "microcode") == NULL)
			continue;
		if (qhb_learn_get(&lib, &f, &en, &e) != 1 || !en.proven)
			continue;
		if (f.regs & (1u << 4)) {
			skipped++;
			continue;
		}
		forms++;
		mprotect(page, 4096, PROT_READ | PROT_WRITE);
		emit(page, f.bytes, f.len);
		mprotect(page, 4096, PROT_READ | PROT_EXEC);
		run = (void (*)(uint64_t *))(void *)page;
		cfg = Z3_mk_config();
		c = Z3_mk_context(cfg);
		Z3_del_config(cfg);
		for (int i = 0; i < QHB_PCPU_NREG; i++) {
			char nm[8];

			snprintf(nm, sizeof(nm), "r%d", i);
			in[i] = Z3_mk_const(c, Z3_mk_string_symbol(c, nm),
			    Z3_mk_bv_sort(c, 64));
		}
		if (qhb_x86sem_build(c, &f, in, &o, &e) < 0) {
			fprintf(stderr, "%s: %s\n", f.text, e.msg);
			return 1;
		}
		for (unsigned k = 0; k < nstates; k++) {
			uint64_t nat[17];
			struct qhb_pcpu_state s;
			Z3_ast to[QHB_PCPU_NREG];
			uint64_t def = 0, semflags = 0, u;
			int bad = 0;

			for (int i = 0; i < QHB_PCPU_NREG; i++) {
				uint64_t x = rng(&seed);

				if (k % 3 == 1)
					x = edge[x % (sizeof(edge) / 8)];
				else if (k % 3 == 2)
					x &= (1ULL << (x % 64)) - 1;
				s.r[i] = x;
			}
			s.r[QHB_PCPU_FLAGS] = (rng(&seed) & QHB_RFLAGS_ARITH) | 2;
			memcpy(nat, s.r, sizeof(nat));
			nat[4] = 0;
			s.r[4] = 0;
			for (int i = 0; i < QHB_PCPU_NREG; i++)
				to[i] = Z3_mk_unsigned_int64(c, s.r[i],
				    Z3_mk_bv_sort(c, 64));
			for (int i = 0; i < 6; i++) {
				Z3_ast d = Z3_simplify(c, Z3_substitute(c,
				    o.def[i], QHB_PCPU_NREG, in, to));

				if (Z3_get_bool_value(c, d) != Z3_L_TRUE)
					continue;
				def |= 1ULL << flag_pos[i];
				Z3_get_numeral_uint64(c, Z3_simplify(c,
				    Z3_substitute(c, o.flag[i], QHB_PCPU_NREG,
				    in, to)), &u);
				semflags |= u << flag_pos[i];
			}
			run(nat);
			qhb_pcpu_run(en.prog, en.n, &s);
			states++;
			for (int i = 0; i < 16; i++) {
				if (i == 4)
					continue;
				if (s.r[i] != nat[i])
					bad = 1;
				Z3_get_numeral_uint64(c, Z3_simplify(c,
				    Z3_substitute(c, o.reg[i], QHB_PCPU_NREG,
				    in, to)), &u);
				if (u != nat[i])
					semmism++;
			}
			if ((s.r[QHB_PCPU_FLAGS] ^ nat[16]) & def)
				bad = 1;
			if ((semflags ^ nat[16]) & def)
				semmism++;
			if (bad) {
				if (mism < 10)
					fprintf(stderr, "mismatch: %s: state %u: "
					    "rflags native %#" PRIx64 " pixel %#"
					    PRIx64 " defined %#" PRIx64 "\n",
					    f.text, k, nat[16],
					    s.r[QHB_PCPU_FLAGS], def);
				mism++;
			}
		}
		Z3_del_context(c);
	}
	printf("forms %u skipped-rsp %u states %" PRIu64 " mismatches %u "
	    "x86sem-mismatches %u\n", forms, skipped, states, mism, semmism);
	qhb_learn_lib_close(&lib);
	munmap(page, 4096);
	return mism || semmism ? 1 : 0;
}
