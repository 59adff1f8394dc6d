#include "kernel.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <jansson.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "infile.h"

#define PTE_PRESENT 0x1ull
#define PTE_PS 0x80ull
#define PTE_ADDR 0x000ffffffffff000ull
#define MAX_SYMS (1u << 22)
#define KIMAGE_SCAN (256ull << 20)   /* bytes of RAM after _stext scanned */
/* System.map and ISF files are read whole: these bound what a device or a
 * wrong file can make us read.  A System.map of every symbol of an allyesconfig
 * kernel is tens of MiB; Volatility's ISFs reach hundreds. */
#define SYSTEM_MAP_MAX (256ull << 20)
#define ISF_MAX (1ull << 30)

/*
 * vmcoreinfo: "KEY=VALUE\n" lines in a page of RAM.
 */

struct vmci {
	const char *text;
	size_t len;
};

/* The value of key (e.g. "SYMBOL(_stext)") copied to buf, or NULL. */
static const char *vmci_get(const struct vmci *v, const char *key, char *buf,
    size_t size)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i + kl < v->len;) {
		const char *nl = memchr(v->text + i, '\n', v->len - i);
		size_t end = nl ? (size_t)(nl - v->text) : v->len;
		if (end - i > kl && memcmp(v->text + i, key, kl) == 0 &&
		    v->text[i + kl] == '=') {
			size_t n = end - i - kl - 1;
			if (n >= size)
				return NULL;
			memcpy(buf, v->text + i + kl + 1, n);
			buf[n] = '\0';
			return buf;
		}
		i = end + 1;
	}
	return NULL;
}

static int vmci_num(const struct vmci *v, const char *key, int base,
    int64_t *out)
{
	char buf[64], *end;
	const char *s = vmci_get(v, key, buf, sizeof(buf));

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	if (base == 16)
		*out = (int64_t)strtoull(s, &end, 16);
	else
		*out = strtoll(s, &end, 10);
	return errno || *end != '\0' ? -1 : 0;
}

/*
 * Page tables.
 */

int qhb_kernel_v2p(struct qhb_kernel *k, uint64_t root, uint64_t va,
    uint64_t *pa, uint64_t *psize)
{
	uint64_t table = root ? root : k->top_pgt, ent = 0;
	int shift = k->levels == 5 ? 48 : 39;
	int top = k->levels == 5 ? 56 : 47;

	/* canonical: bits above the top one copy it */
	if (((int64_t)(va << (63 - top)) >> (63 - top)) != (int64_t)va) {
		if (psize)
			*psize = 4096;
		return -1;
	}
	if (root == 0 && k->tlb_root == table && k->tlb_va == (va & ~0xfffull)) {
		*pa = k->tlb_pa | (va & 0xfff);
		if (psize)
			*psize = 4096;
		return 0;
	}
	for (; shift >= 12; shift -= 9) {
		uint64_t idx = (va >> shift) & 511;
		if (qhb_phys_u64(k->phys, (table & PTE_ADDR) + idx * 8, &ent) ||
		    !(ent & PTE_PRESENT)) {
			if (psize)
				*psize = 1ull << shift;
			return -1;
		}
		if ((shift == 30 || shift == 21) && (ent & PTE_PS)) {
			uint64_t mask = (1ull << shift) - 1;
			*pa = (ent & PTE_ADDR & ~mask) | (va & mask);
			if (psize)
				*psize = 1ull << shift;
			goto done;
		}
		table = ent;
	}
	*pa = (ent & PTE_ADDR) | (va & 0xfff);
	if (psize)
		*psize = 4096;
done:
	if (root == 0) {
		k->tlb_root = k->top_pgt;
		k->tlb_va = va & ~0xfffull;
		k->tlb_pa = *pa & ~0xfffull;
	}
	return 0;
}

int qhb_kernel_read(struct qhb_kernel *k, uint64_t va, void *buf, size_t len,
    struct qhb_err *e)
{
	uint8_t *out = buf;

	while (len > 0) {
		uint64_t pa, n = 4096 - (va & 0xfff);
		if (n > len)
			n = len;
		if (qhb_kernel_v2p(k, 0, va, &pa, NULL))
			return qhb_err_set(e, "kernel address %#" PRIx64
			    " is not mapped", va);
		if (qhb_phys_read(k->phys, pa, out, n))
			return qhb_err_set(e, "kernel address %#" PRIx64
			    " maps to %#" PRIx64 ", outside RAM", va, pa);
		out += n;
		va += n;
		len -= n;
	}
	return 0;
}

int qhb_kernel_u64(struct qhb_kernel *k, uint64_t va, uint64_t *v,
    struct qhb_err *e)
{
	return qhb_kernel_read(k, va, v, 8, e);
}

int qhb_kernel_str(struct qhb_kernel *k, uint64_t va, char *buf, size_t size,
    struct qhb_err *e)
{
	size_t i = 0;

	if (size == 0)
		return -1;
	while (i + 1 < size) {
		size_t n = 4096 - ((va + i) & 0xfff);
		if (n > size - 1 - i)
			n = size - 1 - i;
		if (qhb_kernel_read(k, va + i, buf + i, n, e)) {
			buf[i] = '\0';
			return i > 0 ? 0 : -1;
		}
		if (memchr(buf + i, '\0', n) != NULL)
			return 0;
		i += n;
	}
	buf[i] = '\0';
	return 0;
}

/*
 * Symbols.
 */

static int sym_cmp(const void *a, const void *b)
{
	const struct qhb_ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

struct symtab {
	struct qhb_ksym *v;
	size_t n, cap;
	char *names;
	size_t len, ncap;
};

static int symtab_add(struct symtab *t, uint64_t addr, char type,
    const char *name, size_t nlen)
{
	if (t->n == MAX_SYMS)
		return -1;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		void *v = realloc(t->v, cap * sizeof(*t->v));
		if (v == NULL)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	if (t->len + nlen + 1 > t->ncap) {
		size_t cap = t->ncap ? t->ncap * 2 : 65536;
		void *v;
		while (cap < t->len + nlen + 1)
			cap *= 2;
		if ((v = realloc(t->names, cap)) == NULL)
			return -1;
		t->names = v;
		t->ncap = cap;
	}
	memcpy(t->names + t->len, name, nlen);
	t->names[t->len + nlen] = '\0';
	t->v[t->n++] = (struct qhb_ksym){ addr, (uint32_t)t->len, type };
	t->len += nlen + 1;
	return 0;
}

static void symtab_install(struct qhb_kernel *k, struct symtab *t)
{
	free(k->syms);
	free(k->names);
	qsort(t->v, t->n, sizeof(*t->v), sym_cmp);
	k->syms = t->v;
	k->nsyms = t->n;
	k->names = t->names;
	k->names_len = t->len;
	memset(t, 0, sizeof(*t));
}

static void symtab_free(struct symtab *t)
{
	free(t->v);
	free(t->names);
	memset(t, 0, sizeof(*t));
}

int qhb_kernel_sym(const struct qhb_kernel *k, const char *name,
    uint64_t *addr)
{
	for (size_t i = 0; i < k->nsyms; i++)
		if (strcmp(k->names + k->syms[i].name, name) == 0) {
			*addr = k->syms[i].addr;
			return 0;
		}
	*addr = 0;
	return -1;
}

uint64_t qhb_kernel_end(const struct qhb_kernel *k)
{
	uint64_t end;

	return qhb_kernel_sym(k, "_end", &end) == 0 ? end : UINT64_MAX;
}

const struct qhb_ksym *qhb_kernel_addr2sym(const struct qhb_kernel *k,
    uint64_t addr)
{
	size_t lo = 0, hi = k->nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	/* Past _end lie modules, vmalloc and the fixmap, none of them the
	 * last symbol's: a few linker symbols there are named exactly. */
	if (addr > qhb_kernel_end(k) && k->syms[lo - 1].addr != addr)
		return NULL;
	return &k->syms[lo - 1];
}

const char *qhb_kernel_symname(const struct qhb_kernel *k,
    const struct qhb_ksym *s)
{
	return k->names + s->name;
}

/*
 * kallsyms, found by structure: kallsyms_token_index is 256 ascending
 * u16 offsets into kallsyms_token_table, 256 NUL-terminated strings just
 * before it.  In front of the token table (6.1's layout, and every
 * kernel's since 4.6 until 6.2) come kallsyms_markers (u32 per 256
 * symbols), kallsyms_names, kallsyms_num_syms, kallsyms_relative_base and
 * kallsyms_offsets, each 8-aligned.
 */

struct kas {
	const uint8_t *base;    /* a contiguous stretch of RAM */
	uint64_t size, pa;
	unsigned tables, decodes;  /* candidates tried, bounded */
	uint64_t tt, ti;        /* token table and index, offsets in base */
	uint16_t idx[256];
};

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Whether a token table ends at an 8-aligned tt before ti. */
static int token_table_at(struct kas *s, uint64_t ti)
{
	uint16_t *idx = s->idx;
	uint64_t last, tt;

	memcpy(idx, s->base + ti, 512);
	if (idx[0] != 0)
		return 0;
	for (int i = 1; i < 256; i++)
		if (idx[i] <= idx[i - 1] || idx[i] - idx[i - 1] > 64)
			return 0;
	/* tt + idx[255] + strlen(last) + 1 is within 8 bytes of ti */
	last = idx[255];
	for (tt = (ti - last - 2) & ~7ull; tt + last + 2 + 72 > ti && tt < ti;
	    tt -= 8) {
		const uint8_t *t = s->base + tt;
		uint64_t end;
		int ok = 1;
		if (tt + last >= ti)
			continue;
		end = tt + last;
		while (end < ti && s->base[end] != 0)
			end++;
		if (end >= ti || end == tt + last || ti - end - 1 > 7)
			continue;
		for (int i = 0; i < 255 && ok; i++) {
			size_t n = idx[i + 1] - idx[i] - 1;
			if (t[idx[i] + n] != 0 || memchr(t + idx[i], 0, n))
				ok = 0;
		}
		if (ok) {
			s->tt = tt;
			s->ti = ti;
			return 1;
		}
		if (tt < 8)
			break;
	}
	return 0;
}

/* Expands one compressed name at names + off; returns the bytes it took,
 * 0 when it runs past limit or past out's size. */
static size_t expand(const struct kas *s, uint64_t off, uint64_t limit,
    char *out, size_t size, size_t *olen)
{
	const uint8_t *p = s->base + off;
	size_t len, hdr = 1, o = 0;

	if (off >= limit)
		return 0;
	len = p[0];
	if (len & 0x80) {
		if (off + 1 >= limit)
			return 0;
		len = (len & 0x7f) | (size_t)p[1] << 7;
		hdr = 2;
	}
	if (len == 0 || off + hdr + len > limit)
		return 0;
	for (size_t i = 0; i < len; i++) {
		const uint8_t *tok = s->base + s->tt + s->idx[p[hdr + i]];
		const uint8_t *end = s->base + s->ti;
		while (tok < end && *tok) {
			if (o + 1 >= size)
				return 0;
			out[o++] = (char)*tok++;
		}
	}
	out[o] = '\0';
	*olen = o;
	return hdr + len;
}

/* Tries num_syms at offset ns: names follow, then the markers (and in
 * kernels with kallsyms_seqs_of_names, 6.2 and Debian's 6.1, that table
 * before the token table).  Fills t on success. */
static int kallsyms_at(struct qhb_kernel *k, struct kas *s, uint64_t ns,
    struct symtab *t)
{
	uint32_t n = rd32(s->base + ns), nm = (n + 255) / 256;
	uint64_t names = ns + 8, mk, off, rb_at, offs;
	uint64_t relbase, stext_abs = 0, stext_rel = 0;
	char name[512];
	int absolute;

	if (n < 1000 || n > MAX_SYMS || rd32(s->base + ns + 4) != 0 ||
	    ns < 16 + 4ull * n)
		return -1;
	rb_at = ns - 8;
	memcpy(&relbase, s->base + rb_at, 8);
	if (relbase < QHB_START_KERNEL_MAP || ++s->decodes > 64)
		return -1;
	offs = rb_at - ((4ull * n + 7) & ~7ull);
	/* Decode every name; the markers follow the last. */
	off = names;
	for (uint32_t i = 0; i < n; i++) {
		size_t used, olen;
		int32_t o;
		if ((used = expand(s, off, s->tt, name, sizeof(name), &olen)) == 0 ||
		    olen < 2)
			return -1;
		memcpy(&o, s->base + offs + 4ull * i, 4);
		if (strcmp(name + 1, "_stext") == 0) {
			stext_abs = o >= 0 ? (uint64_t)o : relbase - 1 - (uint64_t)(int64_t)o;
			stext_rel = relbase + (uint32_t)o;
		}
		if (symtab_add(t, (uint64_t)(uint32_t)o, name[0], name + 1,
		    olen - 1))
			return -1;
		t->v[t->n - 1].addr = off - names;   /* for the markers */
		t->v[t->n - 1].addr = (t->v[t->n - 1].addr << 32) | (uint32_t)o;
		off += used;
	}
	mk = (off + 7) & ~7ull;
	if (mk + 4ull * nm > s->tt)
		return -1;
	/* u32 markers (4.20 and later), else unsigned long ones */
	for (uint32_t i = 0; i < n; i += 256)
		if (rd32(s->base + mk + 4 * (i >> 8)) !=
		    (uint32_t)(t->v[i].addr >> 32)) {
			if (mk + 8ull * nm > s->tt)
				return -1;
			for (uint32_t j = 0; j < n; j += 256) {
				uint64_t m;
				memcpy(&m, s->base + mk + 8 * (j >> 8), 8);
				if (m != t->v[j].addr >> 32)
					return -1;
			}
			break;
		}
	/* CONFIG_KALLSYMS_ABSOLUTE_PERCPU (x86-64 SMP) or plain relative:
	 * whichever puts _stext where vmcoreinfo says. */
	if (k->stext != 0) {
		absolute = stext_abs == k->stext;
		if (!absolute && stext_rel != k->stext)
			return -1;
	} else {
		/* no vmcoreinfo: with absolute per-CPU symbols, the kernel's
		 * own (most of them) have negative offsets */
		size_t neg = 0;
		for (size_t i = 0; i < t->n; i++)
			neg += (int32_t)(uint32_t)t->v[i].addr < 0;
		absolute = neg > t->n / 2;
		if ((absolute ? stext_abs : stext_rel) < QHB_START_KERNEL_MAP)
			return -1;
	}
	for (size_t i = 0; i < t->n; i++) {
		int32_t o = (int32_t)(uint32_t)t->v[i].addr;
		if (absolute)
			t->v[i].addr = o >= 0 ? (uint64_t)o :
			    relbase - 1 - (uint64_t)(int64_t)o;
		else
			t->v[i].addr = relbase + (uint32_t)o;
	}
	k->kallsyms_pa = s->pa + s->tt;
	/* mark the tables read, for a recorded sparse image */
	qhb_phys_ptr(k->phys, s->pa + offs, s->ti + 512 - offs);
	return 0;
}

/* Scans one contiguous stretch for the tables. */
static int kallsyms_scan(struct qhb_kernel *k, const uint8_t *base,
    uint64_t size, uint64_t pa, struct symtab *t)
{
	struct kas s = { .base = base, .size = size, .pa = pa };

	for (uint64_t ti = 512; ti + 512 <= size; ti += 8) {
		const uint8_t *p = base + ti;
		/* idx[0] == 0, idx[1] in 2..64: a cheap first filter */
		if (p[0] || p[1] || p[3] || p[2] < 2 || p[2] > 64 ||
		    !token_table_at(&s, ti))
			continue;
		if (++s.tables > 16 || s.decodes > 64)
			break;
		/* num_syms is somewhere before the token table */
		for (uint64_t ns = s.tt & ~7ull; ns >= 8; ns -= 8) {
			if (s.tt - ns > (64ull << 20))
				break;
			if (kallsyms_at(k, &s, ns, t) == 0)
				return 0;
			t->n = 0;
			t->len = 0;
		}
	}
	return -1;
}

static int kallsyms_find(struct qhb_kernel *k, struct qhb_err *e)
{
	uint64_t start = k->stext ? k->stext - QHB_START_KERNEL_MAP +
	    (uint64_t)k->phys_base : 0;
	struct symtab t = { 0 };

	for (size_t i = 0; i < k->nseg; i++) {
		const struct qhb_phys_range *r = &k->seg[i];
		uint64_t lo = r->gpa > start ? r->gpa : start;
		uint64_t hi = r->gpa + r->len;
		if (k->stext && hi > start + KIMAGE_SCAN)
			hi = start + KIMAGE_SCAN;
		if (lo >= hi)
			continue;
		if (kallsyms_scan(k, r->ptr + (lo - r->gpa), hi - lo, lo, &t) == 0) {
			symtab_install(k, &t);
			snprintf(k->sym_source, sizeof(k->sym_source),
			    "kallsyms in RAM at %#" PRIx64, k->kallsyms_pa);
			return 0;
		}
	}
	symtab_free(&t);
	if (k->stext == 0)
		return qhb_err_set(e, "no kallsyms tables anywhere in RAM");
	return qhb_err_set(e, "no kallsyms tables found in the kernel image "
	    "at physical %#" PRIx64, start);
}

/*
 * Symbol files the user gives.
 */

static int load_system_map(struct qhb_kernel *k, const char *path,
    struct qhb_err *e)
{
	struct symtab t = { 0 };
	char line[1024], *text;
	size_t len;
	FILE *f;
	int rc = -1;

	if (qhb_infile_load(path, SYSTEM_MAP_MAX, "a System.map", &text, &len,
	    e))
		return -1;
	/* Lines as fgets cuts them from the file, so that long or binary
	 * lines read as they always did. */
	f = len ? fmemopen(text, len, "r") : NULL;
	if (len && f == NULL) {
		free(text);
		qhb_err_set(e, "out of memory");
		qhb_err_path(e, path);
		return -1;
	}
	while (f != NULL && fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char type, name[512];
		if (sscanf(line, "%llx %c %511s", &a, &type, name) != 3)
			continue;
		/* per-CPU offsets (below the kernel map) do not move */
		if (a >= QHB_START_KERNEL_MAP)
			a += k->kaslr_virt;
		if (symtab_add(&t, a, type, name, strlen(name))) {
			qhb_err_set(e, "out of memory");
			goto out;
		}
	}
	if (t.n == 0) {
		qhb_err_set(e, "no symbols: expected \"ADDR TYPE NAME\" lines");
		goto out;
	}
	symtab_install(k, &t);
	snprintf(k->sym_source, sizeof(k->sym_source), "System.map %s", path);
	rc = 0;
out:
	if (rc)
		qhb_err_path(e, path);
	symtab_free(&t);
	if (f != NULL)
		fclose(f);
	free(text);
	return rc;
}

static char elf_type(const GElf_Sym *s, Elf *elf)
{
	GElf_Shdr sh;
	Elf_Scn *scn;
	char c = '?';

	if (s->st_shndx == SHN_ABS)
		c = 'a';
	else if ((scn = elf_getscn(elf, s->st_shndx)) != NULL &&
	    gelf_getshdr(scn, &sh) != NULL)
		c = sh.sh_flags & SHF_EXECINSTR ? 't' :
		    sh.sh_type == SHT_NOBITS ? 'b' :
		    sh.sh_flags & SHF_WRITE ? 'd' : 'r';
	if (GELF_ST_BIND(s->st_info) != STB_LOCAL)
		c = (char)toupper((unsigned char)c);
	return c;
}

static int load_vmlinux(struct qhb_kernel *k, const char *path,
    struct qhb_err *e)
{
	struct symtab t = { 0 };
	Elf_Scn *scn = NULL;
	Elf *elf = NULL;
	struct stat st;
	size_t shstr;
	int fd, rc = -1, got_btf = 0;

	elf_version(EV_CURRENT);
	if ((fd = qhb_infile_open(path, &st, e)) < 0)
		return -1;
	/* libelf reads a regular file's sections as it needs them, but
	 * anything else (a pipe, a device) to its end, unbounded. */
	if (!S_ISREG(st.st_mode)) {
		qhb_err_set(e, "not an ELF file: expected a regular file");
		goto out;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf == NULL ||
	    elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstr)) {
		qhb_err_set(e, "not an ELF file");
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *nm;
		if (gelf_getshdr(scn, &sh) == NULL)
			continue;
		nm = elf_strptr(elf, shstr, sh.sh_name);
		if (nm && strcmp(nm, ".BTF") == 0 && !got_btf &&
		    (d = elf_getdata(scn, NULL)) != NULL && d->d_buf) {
			struct qhb_btf b;
			if (qhb_btf_load(&b, d->d_buf, d->d_size, e))
				goto out;
			qhb_btf_release(&k->btf);
			k->btf = b;
			got_btf = 1;
			snprintf(k->type_source, sizeof(k->type_source),
			    "BTF of vmlinux %s", path);
		}
		if (sh.sh_type != SHT_SYMTAB || sh.sh_entsize == 0)
			continue;
		if ((d = elf_getdata(scn, NULL)) == NULL)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *sn;
			if (gelf_getsym(d, (int)i, &s) == NULL ||
			    (sn = elf_strptr(elf, sh.sh_link, s.st_name)) == NULL ||
			    *sn == '\0' || GELF_ST_TYPE(s.st_info) == STT_FILE ||
			    GELF_ST_TYPE(s.st_info) == STT_SECTION)
				continue;
			/* Kernel symbols move by KASLR; absolute ones
			 * (per-CPU offsets) do not. */
			if (symtab_add(&t, s.st_value +
			    (s.st_shndx == SHN_ABS ? 0 : k->kaslr_virt),
			    elf_type(&s, elf), sn, strlen(sn))) {
				qhb_err_set(e, "out of memory");
				goto out;
			}
		}
	}
	if (t.n == 0 && !got_btf) {
		qhb_err_set(e, "neither a symbol table nor .BTF");
		goto out;
	}
	/* a stripped vmlinux: its BTF, symbols from kallsyms */
	if (t.n > 0) {
		symtab_install(k, &t);
		snprintf(k->sym_source, sizeof(k->sym_source), "vmlinux %s",
		    path);
	}
	rc = 0;
out:
	if (rc)
		qhb_err_path(e, path);
	symtab_free(&t);
	if (elf)
		elf_end(elf);
	close(fd);
	return rc;
}

/* Jansson stops at INT64_MAX, and an ISF's kernel addresses are above
 * it: rewrites each unquoted integer of 2^63 or more as the negative
 * number of the same 64 bits, in place (never longer).  Returns len. */
static size_t wrap_big_ints(char *s, size_t len)
{
	size_t i = 0, o = 0;
	int in_str = 0;

	while (i < len) {
		char c = s[i];
		if (in_str) {
			s[o++] = s[i++];
			if (c == '\\' && i < len)
				s[o++] = s[i++];
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
			s[o++] = s[i++];
			continue;
		}
		if (c >= '0' && c <= '9' && (i == 0 || s[i - 1] != '-')) {
			size_t j = i;
			unsigned long long v;
			char num[32];
			while (j < len && s[j] >= '0' && s[j] <= '9')
				j++;
			if (j - i == 19 || j - i == 20) {
				memcpy(num, s + i, j - i);
				num[j - i] = '\0';
				errno = 0;
				v = strtoull(num, NULL, 10);
				if (errno == 0 && v > (unsigned long long)INT64_MAX) {
					int n = snprintf(num, sizeof(num), "%lld",
					    (long long)v);
					memcpy(s + o, num, (size_t)n);
					o += (size_t)n;
					i = j;
					continue;
				}
			}
			while (i < j)
				s[o++] = s[i++];
			continue;
		}
		s[o++] = s[i++];
	}
	return o;
}

static int load_isf(struct qhb_kernel *k, const char *path, struct qhb_err *e)
{
	struct symtab t = { 0 };
	json_error_t je;
	json_t *root = NULL, *syms, *v;
	const char *name;
	char *text;
	size_t len;
	int rc = -1;

	if (qhb_infile_load(path, ISF_MAX, "an ISF", &text, &len, e))
		return -1;
	len = wrap_big_ints(text, len);
	root = json_loadb(text, len, 0, &je);
	free(text);
	if (root == NULL) {
		qhb_err_set(e, "line %d: %s", je.line, je.text);
		qhb_err_path(e, path);
		return -1;
	}
	if (!json_is_object(syms = json_object_get(root, "symbols"))) {
		qhb_err_set(e, "not an ISF: no \"symbols\" object");
		goto out;
	}
	json_object_foreach(syms, name, v) {
		json_t *a = json_object_get(v, "address");
		if (!json_is_integer(a))
			continue;
		uint64_t addr = (uint64_t)json_integer_value(a);
		if (addr >= QHB_START_KERNEL_MAP)
			addr += k->kaslr_virt;
		if (symtab_add(&t, addr, '?', name, strlen(name))) {
			qhb_err_set(e, "out of memory");
			goto out;
		}
	}
	if (t.n == 0) {
		qhb_err_set(e, "no symbols with an address");
		goto out;
	}
	symtab_install(k, &t);
	snprintf(k->sym_source, sizeof(k->sym_source), "ISF %s", path);
	rc = 0;
out:
	if (rc)
		qhb_err_path(e, path);
	symtab_free(&t);
	json_decref(root);
	return rc;
}

int qhb_kernel_load_symbols(struct qhb_kernel *k,
    const struct qhb_kernel_opts *opts, struct qhb_err *e)
{
	if (opts->system_map)
		return load_system_map(k, opts->system_map, e);
	if (opts->vmlinux)
		return load_vmlinux(k, opts->vmlinux, e);
	if (opts->isf)
		return load_isf(k, opts->isf, e);
	return 0;
}

/*
 * BTF: between __start_BTF and __stop_BTF, or found by its header.
 */

static int btf_find(struct qhb_kernel *k, struct qhb_err *e)
{
	uint64_t a, b, pa;
	uint8_t *buf = NULL;
	int rc;

	if (qhb_kernel_sym(k, "__start_BTF", &a) || qhb_kernel_sym(k,
	    "__stop_BTF", &b) || b <= a || b - a > (256u << 20))
		return qhb_err_set(e, "no __start_BTF/__stop_BTF symbols: "
		    "kernel built without CONFIG_DEBUG_INFO_BTF?");
	if ((buf = malloc(b - a)) == NULL)
		return qhb_err_set(e, "out of memory");
	if (qhb_kernel_read(k, a, buf, b - a, e)) {
		free(buf);
		return -1;
	}
	rc = qhb_btf_load(&k->btf, buf, b - a, e);
	free(buf);
	if (rc == 0) {
		if (qhb_kernel_v2p(k, 0, a, &pa, NULL) == 0)
			k->btf_pa = pa;
		snprintf(k->type_source, sizeof(k->type_source),
		    "BTF in RAM at %#" PRIx64, k->btf_pa);
	}
	return rc;
}

/*
 * Without vmcoreinfo: the kallsyms tables found anywhere in RAM give
 * linux_banner's virtual address; its text found in RAM gives phys_base;
 * then init_top_pgt and the paging mode whose walk maps _stext there.
 */
static int locate_without_vmcoreinfo(struct qhb_kernel *k, struct qhb_err *e)
{
	static const char key[] = "Linux version ";
	uint64_t banner, top, text;

	k->stext = 0;
	k->phys_base = 0;
	k->kaslr_virt = 0;
	k->release[0] = '\0';
	if (kallsyms_find(k, e)) {
		char why[sizeof(e->msg)];
		snprintf(why, sizeof(why), "%s", e->msg);
		return qhb_err_set(e, "no vmcoreinfo in RAM, and %s", why);
	}
	if (qhb_kernel_sym(k, "linux_banner", &banner) ||
	    qhb_kernel_sym(k, "init_top_pgt", &top) ||
	    qhb_kernel_sym(k, "_stext", &k->stext) ||
	    qhb_kernel_sym(k, "_text", &text))
		return qhb_err_set(e, "no vmcoreinfo in RAM, and kallsyms "
		    "lacks linux_banner, init_top_pgt, _stext or _text");
	for (size_t i = 0; i < k->nseg; i++) {
		const struct qhb_phys_range *r = &k->seg[i];
		const uint8_t *p = r->ptr, *end = r->ptr + r->len;
		while ((p = memmem(p, (size_t)(end - p), key, 14)) != NULL) {
			uint64_t pa = r->gpa + (uint64_t)(p - r->ptr), got;
			int64_t pb = (int64_t)(pa - (banner - QHB_START_KERNEL_MAP));
			p += 14;
			if ((pa & 0xfff) != (banner & 0xfff))
				continue;
			k->phys_base = pb;
			k->top_pgt = top - QHB_START_KERNEL_MAP + (uint64_t)pb;
			k->kaslr_phys = k->stext - QHB_START_KERNEL_MAP +
			    (uint64_t)pb;
			for (k->levels = 5; k->levels >= 4; k->levels--) {
				k->tlb_root = 0;
				if (qhb_kernel_v2p(k, 0, k->stext, &got, NULL) == 0 &&
				    got == k->kaslr_phys &&
				    qhb_kernel_v2p(k, 0, banner, &got, NULL) == 0 &&
				    got == pa)
					break;
			}
			if (k->levels < 4)
				continue;
			k->tlb_root = 0;
			k->kaslr_virt = text - (QHB_START_KERNEL_MAP + 0x1000000);
			if (qhb_kernel_str(k, banner, k->banner, sizeof(k->banner),
			    NULL) == 0)
				sscanf(k->banner, "Linux version %64s", k->release);
			snprintf(k->found_by, sizeof(k->found_by),
			    "kallsyms and linux_banner (no vmcoreinfo)");
			return 0;
		}
	}
	return qhb_err_set(e, "no vmcoreinfo in RAM, and no page tables "
	    "that map linux_banner where its text is");
}

/*
 * The whole search.
 */

static int vmcoreinfo_try(struct qhb_kernel *k, const struct vmci *v)
{
	int64_t top, pb, off, l5 = 0, stext;
	uint64_t pa;
	char rel[65];

	if (vmci_get(v, "OSRELEASE", rel, sizeof(rel)) == NULL ||
	    !isdigit((unsigned char)rel[0]) ||
	    vmci_num(v, "SYMBOL(init_top_pgt)", 16, &top) ||
	    vmci_num(v, "NUMBER(phys_base)", 10, &pb) ||
	    vmci_num(v, "KERNELOFFSET", 16, &off) ||
	    vmci_num(v, "SYMBOL(_stext)", 16, &stext))
		return -1;
	vmci_num(v, "NUMBER(pgtable_l5_enabled)", 10, &l5);
	snprintf(k->release, sizeof(k->release), "%s", rel);
	k->phys_base = pb;
	k->kaslr_virt = (uint64_t)off;
	k->stext = (uint64_t)stext;
	k->levels = l5 ? 5 : 4;
	k->top_pgt = (uint64_t)top - QHB_START_KERNEL_MAP + (uint64_t)pb;
	k->kaslr_phys = k->stext - QHB_START_KERNEL_MAP + (uint64_t)pb;
	k->tlb_root = 0;
	/* the page tables must map _stext where the image is */
	if ((k->top_pgt & 0xfff) || qhb_kernel_v2p(k, 0, k->stext, &pa, NULL) ||
	    pa != k->kaslr_phys)
		return -1;
	return 0;
}

static int vmcoreinfo_find(struct qhb_kernel *k, struct qhb_err *e)
{
	static const char key[] = "OSRELEASE=";
	unsigned tries = 0;

	for (size_t i = 0; i < k->nseg; i++) {
		const struct qhb_phys_range *r = &k->seg[i];
		const uint8_t *p = r->ptr, *end = r->ptr + r->len;
		while ((p = memmem(p, (size_t)(end - p), key, 10)) != NULL) {
			struct vmci v = { (const char *)p, 0 };
			while (p + v.len < end && v.len < 8192 &&
			    (isprint(p[v.len]) || p[v.len] == '\n'))
				v.len++;
			/* hostile RAM full of the key: bounded work */
			if (++tries > 4096)
				break;
			if (vmcoreinfo_try(k, &v) == 0) {
				k->vmcoreinfo_pa = r->gpa + (uint64_t)(p - r->ptr);
				snprintf(k->found_by, sizeof(k->found_by),
				    "vmcoreinfo");
				qhb_phys_ptr(k->phys, k->vmcoreinfo_pa, v.len);
				return 0;
			}
			/* candidates do not overlap: linear in RAM */
			p += v.len > 10 ? v.len : 10;
		}
	}
	return qhb_err_set(e, "no vmcoreinfo in RAM whose page tables map "
	    "the kernel: not a Linux x86-64 guest, or a kernel without "
	    "CONFIG_CRASH_CORE");
}

/* Collects the stretches of RAM worth scanning (holes left out). */
static int add_seg(void *arg, uint64_t gpa, const uint8_t *ptr, uint64_t len)
{
	struct qhb_kernel *k = arg;

	if (k->nseg % 64 == 0) {
		void *v = realloc(k->seg, (k->nseg + 64) * sizeof(*k->seg));
		if (v == NULL)
			return -1;
		k->seg = v;
	}
	k->seg[k->nseg++] = (struct qhb_phys_range){ gpa, len, ptr };
	return 0;
}

int qhb_kernel_open(struct qhb_kernel *k, const struct qhb_phys *phys,
    const struct qhb_kernel_opts *opts, struct qhb_err *e)
{
	struct qhb_kernel_opts none = { 0 };
	uint64_t a;

	memset(k, 0, sizeof(*k));
	k->phys = phys;
	if (qhb_phys_scan(phys, add_seg, k)) {
		qhb_err_set(e, "out of memory");
		goto err;
	}
	if (opts == NULL)
		opts = &none;
	if (vmcoreinfo_find(k, e)) {
		struct qhb_err e2 = { 0 };
		if (locate_without_vmcoreinfo(k, &e2)) {
			if (e)
				*e = e2;
			goto err;
		}
		qhb_err_clear(e);
	}
	if (qhb_kernel_load_symbols(k, opts, e))
		goto err;
	if (k->nsyms == 0 && kallsyms_find(k, e))
		goto err;
	if (k->btf.n == 0 && btf_find(k, e))
		goto err;
	if (qhb_kernel_sym(k, "page_offset_base", &a) == 0)
		qhb_kernel_u64(k, a, &k->page_offset, NULL);
	else
		k->page_offset = k->levels == 5 ? 0xff11000000000000ull :
		    0xffff888000000000ull;
	if (qhb_kernel_sym(k, "linux_banner", &a) == 0)
		qhb_kernel_str(k, a, k->banner, sizeof(k->banner), NULL);
	k->banner[strcspn(k->banner, "\n")] = '\0';
	return 0;
err:
	qhb_kernel_close(k);
	return -1;
}

void qhb_kernel_close(struct qhb_kernel *k)
{
	free(k->seg);
	free(k->syms);
	free(k->names);
	qhb_btf_release(&k->btf);
	memset(k, 0, sizeof(*k));
}
