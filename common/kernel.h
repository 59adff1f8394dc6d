/*
 * kernel -- a Linux x86-64 kernel found in guest RAM, with nothing else.
 *
 * From physical RAM alone: the vmcoreinfo text that every kernel built
 * with CONFIG_CRASH_CORE keeps (release, KASLR offset, phys_base, the
 * kernel's top-level page table, 4- or 5-level paging), the kernel's page
 * tables (4 KiB, 2 MiB and 1 GiB pages), the kallsyms tables (located by
 * their structure, not by symbol), and the kernel's own BTF.  Without
 * vmcoreinfo, the kallsyms tables found anywhere in RAM and the banner's
 * text give phys_base, and init_top_pgt the page tables.  A System.map,
 * a vmlinux (symbols and .BTF through libelf) or a Volatility 3 ISF (its
 * symbols) given by the user takes precedence over what was found.
 *
 * Guest memory is hostile: every read is bounds-checked through phys.h and
 * the page tables, every table is checked before it is trusted.
 */
#ifndef QHB_KERNEL_H
#define QHB_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "btf.h"
#include "err.h"
#include "phys.h"

#define QHB_START_KERNEL_MAP 0xffffffff80000000ull

struct qhb_kernel_opts {
	const char *system_map;   /* System.map, or NULL */
	const char *vmlinux;      /* ELF with symbols and .BTF, or NULL */
	const char *isf;          /* Volatility 3 ISF (JSON), or NULL */
};

struct qhb_ksym {
	uint64_t addr;
	uint32_t name;            /* offset in names */
	char type;                /* nm's letter; '?' when unknown */
};

struct qhb_kernel {
	const struct qhb_phys *phys;
	char release[65];
	char banner[512];
	uint64_t kaslr_virt;      /* KERNELOFFSET */
	int64_t phys_base;        /* physical load address minus the link one */
	uint64_t kaslr_phys;      /* where the kernel image starts, physical */
	uint64_t stext;           /* _stext, virtual */
	uint64_t top_pgt;         /* physical address of init_top_pgt */
	int levels;               /* 4 or 5 */
	uint64_t page_offset;     /* base of the direct map */
	uint64_t vmcoreinfo_pa;   /* where the vmcoreinfo text was; 0: none */
	char found_by[64];        /* "vmcoreinfo", or how else */
	/* symbols, sorted by address */
	struct qhb_ksym *syms;
	size_t nsyms;
	char *names;
	size_t names_len;
	uint64_t kallsyms_pa;     /* kallsyms_token_table, physical; 0: none */
	/* types */
	struct qhb_btf btf;
	uint64_t btf_pa;          /* physical address of the BTF found */
	char sym_source[300];     /* "kallsyms in RAM", "System.map FILE", ... */
	char type_source[300];
	/* the stretches of RAM that scans look at (phys.h's holes skipped) */
	struct qhb_phys_range *seg;
	size_t nseg;
	/* a one-entry cache of the last translation */
	uint64_t tlb_va, tlb_pa, tlb_root;
};

/*
 * Functions used to find the kernel.
 */

/* Finds the kernel in phys (borrowed; outlives k).  Returns 0, or -1 with
 * e saying which step failed; k is then released. */
int qhb_kernel_open(struct qhb_kernel *k, const struct qhb_phys *phys,
    const struct qhb_kernel_opts *opts, struct qhb_err *e);
void qhb_kernel_close(struct qhb_kernel *k);
/* Loads the symbol file opts names (the first of system_map, vmlinux and
 * isf; none: nothing to do) into k, the symbols moved by k->kaslr_virt and
 * replacing those k had; a vmlinux's .BTF replaces k's types.  This is
 * qhb_kernel_open's step for the user's files, on its own so that the
 * parsers can be tested without a kernel in RAM.  Returns 0, or -1 with e
 * naming the file; k's symbols are then as they were. */
int qhb_kernel_load_symbols(struct qhb_kernel *k,
    const struct qhb_kernel_opts *opts, struct qhb_err *e);

/*
 * Functions used to read kernel memory.
 */

/* Translates va through the page tables rooted at physical root (0: the
 * kernel's).  Returns 0 with *pa (and the page's size in *psize when not
 * NULL), or -1 when va is not mapped, with *psize then the size of the
 * unmapped stretch around va that the failing table entry covers. */
int qhb_kernel_v2p(struct qhb_kernel *k, uint64_t root, uint64_t va,
    uint64_t *pa, uint64_t *psize);
/* Reads len bytes at kernel virtual address va.  Returns 0, or -1 with e
 * naming the first address that is not mapped or not in RAM. */
int qhb_kernel_read(struct qhb_kernel *k, uint64_t va, void *buf, size_t len,
    struct qhb_err *e);
int qhb_kernel_u64(struct qhb_kernel *k, uint64_t va, uint64_t *v,
    struct qhb_err *e);
/* Reads a NUL-terminated string of at most size - 1 bytes; a longer one is
 * cut.  Returns 0, or -1 when its first byte is not readable. */
int qhb_kernel_str(struct qhb_kernel *k, uint64_t va, char *buf, size_t size,
    struct qhb_err *e);

/*
 * Functions used to look up symbols.
 */

/* The address of symbol name; 0 with -1 when there is none. */
int qhb_kernel_sym(const struct qhb_kernel *k, const char *name,
    uint64_t *addr);
/* The symbol at or before addr, or NULL: none is, or addr is past the
 * kernel's end and no symbol is at it. */
const struct qhb_ksym *qhb_kernel_addr2sym(const struct qhb_kernel *k,
    uint64_t addr);
/* The kernel image's end, symbol _end; UINT64_MAX when it has none. */
uint64_t qhb_kernel_end(const struct qhb_kernel *k);
const char *qhb_kernel_symname(const struct qhb_kernel *k,
    const struct qhb_ksym *s);

#endif
