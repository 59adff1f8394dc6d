/*
 * Unit tests of qhb-query's lower layers: the physical address table
 * (QEMU q35 layout, bounds), the BTF parser on a hand-built section
 * (members, anonymous unions, truncation), the sparse image.
 */
#include <stdlib.h>
#include <string.h>

#include "btf.h"
#include "phys.h"
#include "query.h"
#include "unit.h"

static void test_phys_q35(void)
{
	static uint8_t small[8192];
	struct qhb_phys p;
	uint8_t b[16];
	uint64_t v;

	CHECK(qhb_phys_init_q35(&p, small, sizeof(small), NULL) == 0);
	CHECK(p.n == 1 && p.ram_size == 8192);
	small[8190] = 7;
	CHECK(qhb_phys_read(&p, 8190, b, 2) == 0 && b[0] == 7);
	CHECK(qhb_phys_read(&p, 8190, b, 3) == -1);
	CHECK(qhb_phys_u64(&p, 8192, &v) == -1);
	CHECK(qhb_phys_u64(&p, UINT64_MAX - 3, &v) == -1);
	CHECK(qhb_phys_ptr(&p, 4096, 4097) == NULL);
	CHECK(qhb_phys_ptr(&p, 4096, 4096) == small + 4096);
	qhb_phys_release(&p);
	/* 4 GiB of RAM: 2 GiB low, the rest from 4 GiB (no memory touched) */
	CHECK(qhb_phys_init_q35(&p, (const uint8_t *)0x10000,
	    4ull << 30, NULL) == 0);
	CHECK(p.n == 2 && p.v[1].gpa == 4ull << 30 &&
	    p.v[1].len == 2ull << 30 && p.v[0].len == 2ull << 30);
	CHECK(qhb_phys_ptr(&p, (4ull << 30) + 5, 1) ==
	    (const uint8_t *)0x10000 + (2ull << 30) + 5);
	CHECK(qhb_phys_ptr(&p, 3ull << 30, 1) == NULL);
	qhb_phys_release(&p);
	/* 2.5 GiB: below the 2.75 GiB limit, all low */
	CHECK(qhb_phys_init_q35(&p, (const uint8_t *)0x10000,
	    5ull << 29, NULL) == 0);
	CHECK(p.n == 1);
	qhb_phys_release(&p);
}

/* A BTF section: int; struct s { int a; union { int b; int c; }; int d; }
 * with the union anonymous. */
static size_t build_btf(uint8_t *out)
{
	static const char strs[] = "\0int\0s\0a\0b\0c\0d";
	uint32_t t[64], n = 0;
	uint32_t hdr[6];
	size_t tl;

	/* 1: int, 4 bytes */
	t[n++] = 1; t[n++] = 1u << 24; t[n++] = 4; t[n++] = 32;
	/* 2: anonymous union { int b @0; int c @0 } */
	t[n++] = 0; t[n++] = 5u << 24 | 2; t[n++] = 4;
	t[n++] = 9; t[n++] = 1; t[n++] = 0;
	t[n++] = 11; t[n++] = 1; t[n++] = 0;
	/* 3: struct s { int a @0; union @32; int d @64 } */
	t[n++] = 5; t[n++] = 4u << 24 | 3; t[n++] = 12;
	t[n++] = 7; t[n++] = 1; t[n++] = 0;
	t[n++] = 0; t[n++] = 2; t[n++] = 32;
	t[n++] = 13; t[n++] = 1; t[n++] = 64;
	tl = n * 4;
	hdr[0] = 0xeb9f | 1u << 16;
	hdr[1] = 24;
	hdr[2] = 0;
	hdr[3] = (uint32_t)tl;
	hdr[4] = (uint32_t)tl;
	hdr[5] = sizeof(strs);
	memcpy(out, hdr, 24);
	memcpy(out + 24, t, tl);
	memcpy(out + 24 + tl, strs, sizeof(strs));
	return 24 + tl + sizeof(strs);
}

static void test_btf(void)
{
	uint8_t buf[512];
	size_t len = build_btf(buf);
	struct qhb_btf b;
	struct qhb_btf_member m;
	uint32_t s;

	CHECK(qhb_btf_load(&b, buf, len, NULL) == 0);
	CHECK(b.n == 4);
	s = qhb_btf_find(&b, QHB_BTF_STRUCT, "s");
	CHECK(s == 3);
	CHECK(qhb_btf_size(&b, s) == 12);
	CHECK(qhb_btf_offsetof(&b, "s", "a") == 0);
	CHECK(qhb_btf_offsetof(&b, "s", "c") == 4);
	CHECK(qhb_btf_offsetof(&b, "s", "d") == 8);
	CHECK(qhb_btf_offsetof(&b, "s", "e") == -1);
	CHECK(qhb_btf_offsetof(&b, "t", "a") == -1);
	CHECK(qhb_btf_member(&b, s, "b", &m) == 0 && m.type == 1);
	qhb_btf_release(&b);
	/* every truncation fails cleanly */
	for (size_t cut = 0; cut < len; cut++) {
		struct qhb_btf c;
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, buf, cut);
		CHECKF(qhb_btf_load(&c, copy, cut, NULL) == -1, "cut %zu", cut);
		free(copy);
	}
	/* a type record with a bad kind */
	buf[24 + 7] = 0x1f;
	CHECK(qhb_btf_load(&b, buf, len, NULL) == -1);
}

static int count_scan(void *arg, uint64_t gpa, const uint8_t *ptr,
    uint64_t len)
{
	uint64_t *v = arg;

	(void)ptr;
	v[v[0] * 2 + 1] = gpa;
	v[v[0] * 2 + 2] = len;
	v[0]++;
	return 0;
}

/* Scans see what mark_data said holds data, through the q35 split. */
static void test_phys_scan(void)
{
	const uint8_t *base = (const uint8_t *)0x10000;
	uint64_t v[16] = { 0 };
	struct qhb_phys p;

	CHECK(qhb_phys_init_q35(&p, base, 4ull << 30, NULL) == 0);
	CHECK(qhb_phys_scan(&p, count_scan, v) == 0);
	CHECK(v[0] == 2 && v[1] == 0 && v[3] == 4ull << 30);
	memset(v, 0, sizeof(v));
	/* a run that straddles the 2 GiB split becomes two */
	CHECK(qhb_phys_mark_data(&p, base + 4096, 8192) == 0);
	CHECK(qhb_phys_mark_data(&p, base + (2ull << 30) - 4096, 8192) == 0);
	CHECK(qhb_phys_scan(&p, count_scan, v) == 0);
	CHECKF(v[0] == 3, "%llu segments", (unsigned long long)v[0]);
	CHECK(v[1] == 4096 && v[2] == 8192);
	CHECK(v[3] == (2ull << 30) - 4096 && v[4] == 4096);
	CHECK(v[5] == 4ull << 30 && v[6] == 4096);
	qhb_phys_release(&p);
}

static void test_sparse(void)
{
	uint8_t img[24 + 2 * 4104];
	uint64_t hdr[2] = { 1u << 20, 2 }, gpa;
	struct qhb_phys p;
	uint8_t x;

	memcpy(img, QHB_PHYS_SPARSE_MAGIC, 8);
	memcpy(img + 8, hdr, 16);
	gpa = 4096;
	memcpy(img + 24, &gpa, 8);
	memset(img + 32, 0xaa, 4096);
	gpa = 65536;
	memcpy(img + 24 + 4104, &gpa, 8);
	memset(img + 32 + 4104, 0xbb, 4096);
	CHECK(qhb_phys_sparse_load(&p, img, sizeof(img), NULL) == 0);
	CHECK(qhb_phys_read(&p, 65536 + 10, &x, 1) == 0 && x == 0xbb);
	CHECK(qhb_phys_read(&p, 8192, &x, 1) == -1);
	qhb_phys_release(&p);
	CHECK(qhb_phys_sparse_load(&p, img, sizeof(img) - 1, NULL) == -1);
	/* out of order */
	gpa = 0;
	memcpy(img + 24 + 4104, &gpa, 8);
	CHECK(qhb_phys_sparse_load(&p, img, sizeof(img), NULL) == -1);
}

void unit_main(void)
{
	UNIT_RUN(test_phys_q35);
	UNIT_RUN(test_phys_scan);
	UNIT_RUN(test_btf);
	UNIT_RUN(test_sparse);
}
