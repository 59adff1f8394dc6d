/*
 * libFuzzer target for the symbol files qhb-query takes (common/kernel):
 * any bytes, as a --system-map, a --vmlinux (ELF, its symbol tables and
 * .BTF through libelf and common/btf) and an --isf (JSON with addresses
 * above INT64_MAX), must give symbols or a clean error, never a crash, a
 * hang or a leak.  The loaders read a path, so the bytes are a memfd each
 * opens by name; each loader gets every input, as a user may name any
 * file with any option.  What was loaded is looked up as qhb-query does.
 * Seeds in tests/fuzz/symbols/: a System.map of the demo kernel's
 * symbols, a cut of its ISF from qhb-query isf, and small ELF objects
 * with a symbol table, .BTF, or both.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every symbol found again by name and by address, as sym and ps do. */
static void lookups(const struct qhb_kernel *k)
{
	uint64_t a;

	for (size_t i = 0; i < k->nsyms && i < 64; i++) {
		const char *n = qhb_kernel_symname(k, &k->syms[i]);

		if (k->syms[i].name >= k->names_len ||
		    qhb_kernel_sym(k, n, &a) != 0 ||
		    qhb_kernel_addr2sym(k, k->syms[i].addr) == NULL)
			abort();
	}
	qhb_kernel_sym(k, "init_task", &a);
	qhb_kernel_addr2sym(k, 0);
	qhb_kernel_addr2sym(k, UINT64_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("symbols", 0);
	char path[64];

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (int kind = 0; kind < 3; kind++) {
		struct qhb_kernel_opts o = { 0 };
		struct qhb_err e = { 0 };
		struct qhb_kernel k;

		memset(&k, 0, sizeof(k));
		/* a KASLR slide, as found in vmcoreinfo before the files */
		k.kaslr_virt = kind == 1 ? 0 : 0x1e000000;
		*(kind == 0 ? &o.system_map : kind == 1 ? &o.vmlinux : &o.isf) =
		    path;
		if (qhb_kernel_load_symbols(&k, &o, &e) == 0)
			lookups(&k);
		else if (e.msg[0] == '\0' || e.path[0] == '\0')
			abort();
		qhb_kernel_close(&k);
	}
	close(fd);
	return 0;
}
