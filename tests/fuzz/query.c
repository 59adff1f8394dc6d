/*
 * libFuzzer target for qhb-query: finding the kernel (vmcoreinfo, page
 * tables, kallsyms, BTF) and walking its structures (tasks, maple tree,
 * dentries, free lists) in hostile guest memory must give an answer, a
 * partial answer or a clean error, never a crash, a hang or a leak.
 *
 * An input is a sparse image (phys.h: the pages a real query read,
 * recorded with qhb-query --record-pages), raw or zstd-compressed; the
 * seeds in tests/fuzz/query/ are recorded from the demo guest, so
 * mutations start from real page tables, BTF, tasks and VMAs.  The seeds
 * were recorded with --system-map of the symbols below (the guest booted
 * with nokaslr), so that they need not carry the kallsyms tables (2 MB);
 * inputs that are not zstd use kallsyms from the image itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "phys.h"
#include "query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const char symbols[] =
    "ffffffff82a1aa40 D init_task\n"
    "ffffffff82438070 D __start_BTF\n"
    "ffffffff82825e2a D __stop_BTF\n"
    "ffffffff8211ffe0 D linux_banner\n"
    "ffffffff82398480 D page_offset_base\n"
    "ffffffff82398470 D vmemmap_base\n"
    "ffffffff82c368e0 D node_data\n"
    "ffffffff8203be40 D special_mapping_vmops\n"
    "ffffffff81e01ef2 D _etext\n"
    "ffffffff81000000 D _stext\n"
    "ffffffff82b27160 D modules\n";
static char map_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* The zstd seed is over libFuzzer's default 1 MB input limit: add
	 * -max_len unless the command line has one.  libFuzzer parses its
	 * flags after this call. */
	static char max_len[] = "-max_len=2097152";
	static char *args[64];
	int fd = memfd_create("System.map", 0), has = 0;

	for (int i = 0; i < *argc; i++)
		has |= strncmp((*argv)[i], "-max_len=", 9) == 0;
	if (!has && *argc > 0 && *argc < 62) {
		args[0] = (*argv)[0];
		args[1] = max_len;
		for (int i = 1; i < *argc; i++)
			args[i + 1] = (*argv)[i];
		args[*argc + 1] = NULL;
		*argv = args;
		(*argc)++;
	}
	if (fd < 0 || write(fd, symbols, sizeof(symbols) - 1) !=
	    (ssize_t)sizeof(symbols) - 1)
		abort();
	snprintf(map_path, sizeof(map_path), "/proc/self/fd/%d", fd);
	return 0;
}

static void ask(const struct qhb_phys *p, int argc, char **argv, int map)
{
	struct qhb_query_opts o = { .kernel.system_map = map ? map_path : NULL };
	struct qhb_err e = { 0 };
	json_t *j = qhb_query_run(p, argc, argv, &o, &e);

	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *qs[][2] = {
		{ "banner", NULL }, { "ps", NULL }, { "maps", "1" },
		{ "regions", "kernel stacks" }, { "regions", "free memory" },
		{ "regions", "page tables" }, { "modules", NULL },
		{ "regions", "pid 1" }, { "regions", "init" },
		{ "sym", "init_task" }, { "sym", "0xffffffff81000010" },
	};
	struct qhb_query_opts po = { .pages = 1 };
	int map = 0;
	struct qhb_err e = { 0 };
	struct qhb_phys p;
	uint8_t *buf = NULL;
	unsigned long long n;

	if (size >= 4 && memcmp(data, "\x28\xb5\x2f\xfd", 4) == 0) {
		n = ZSTD_getFrameContentSize(data, size);
		if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN ||
		    n > (64u << 20) || (buf = malloc(n ? n : 1)) == NULL)
			return 0;
		if (ZSTD_isError(ZSTD_decompress(buf, n, data, size))) {
			free(buf);
			return 0;
		}
		data = buf;
		size = n;
		map = 1;
		po.kernel.system_map = map_path;
	}
	if (qhb_phys_sparse_load(&p, data, size, &e) == 0) {
		char *pages[] = { "maps", "1" };
		json_t *j;
		for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
			ask(&p, qs[i][1] ? 2 : 1, qs[i], map);
		j = qhb_query_run(&p, 2, pages, &po, &e);
		json_decref(j);
		qhb_phys_release(&p);
	}
	free(buf);
	return 0;
}
