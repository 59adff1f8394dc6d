/*
 * libFuzzer target for the microcode library parser (common/learn): any
 * bytes must give a library or a clean error; a parsed library's entries
 * are looked up and its microcode run on a state, without a crash, a hang
 * or a leak (no Z3 here: --verify's proofs are not fuzzed); only entries
 * that pass qhb_learn_entry_runnable run, and those are valid programs.
 * Also the --eval state line parser, its memory window included.  Seeds
 * in tests/fuzz/library/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "learn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qhb_learn_lib l;
	struct qhb_err e = { 0 };
	struct qhb_pcpu_state s;
	struct qhb_pcpu_mem m;
	char *line;

	memset(&l, 0, sizeof(l));
	if (qhb_learn_lib_parse(&l, (const char *)data, size, &e) == 0) {
		const char *key;
		json_t *v;

		json_object_foreach((json_t *)l.forms, key, v) {
			const char *hex = json_string_value(json_object_get(v,
			    "bytes"));
			struct qhb_x86sem_form f;
			struct qhb_learn_entry en;
			uint8_t b[16];
			size_t n = 0;

			if (hex == NULL)
				continue;
			for (; hex[2 * n] && hex[2 * n + 1] && n < 15; n++)
				b[n] = (uint8_t)strtoul((char[]){ hex[2 * n],
				    hex[2 * n + 1], 0 }, NULL, 16);
			if (n == 0 || qhb_x86sem_decode(b, n, &f, &e) < 0)
				continue;
			if (qhb_learn_get(&l, &f, &en, &e) != 1)
				continue;
			if (qhb_learn_entry_runnable(&en, &e)) {
				/* what may run is a valid program */
				if (qhb_pcpu_check(en.prog, en.n, &e) < 0)
					abort();
				memset(&s, 0, sizeof(s));
				qhb_pcpu_run(en.prog, en.n, &s);
			} else if (en.unverified && en.n != 0) {
				abort();    /* nothing of it is kept to run */
			}
		}
	}
	qhb_learn_lib_close(&l);
	if ((line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = 0;
	if (qhb_learn_state_parse(line, &s, &m, &e) == 0) {
		/* a parsed window is one the interpreter may use */
		struct qhb_pcpu_insn st = { .op = QHB_PCPU_ST, .d = 7, .a = 0,
		    .w = 3, .bimm = 1 };

		qhb_pcpu_run_mem(&st, 1, &s, &m);
		free(m.bytes);
	}
	free(line);
	return 0;
}
