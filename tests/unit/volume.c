/* Unit tests of common/volume and common/classify: content classes; a
 * stream of snapshot deltas turned into volume deltas rebuilds, mip levels
 * included, the volume of the last RAM state; hostile volume frames are
 * refused. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "ram.h"
#include "snap.h"
#include "stream.h"
#include "volume.h"
#include "unit.h"

#define PAGES 512
#define PG QHB_PAGE_SIZE

static void test_classify(void)
{
	uint8_t p[PG];
	struct qhb_class_info ci;
	uint64_t s = 1;

	memset(p, 0, sizeof(p));
	qhb_classify(p, PG, &ci);
	CHECK(ci.cls == QHB_CLASS_ZERO && ci.entropy == 0);
	memset(p, 0xff, sizeof(p));
	qhb_classify(p, PG, &ci);
	CHECK(ci.cls == QHB_CLASS_FILL);
	/* what Linux fills the kernel memory it frees after boot with */
	memset(p, 0xcc, sizeof(p));
	qhb_classify(p, PG, &ci);
	CHECK(ci.cls == QHB_CLASS_FILL);
	p[100] = 0;
	qhb_classify(p, PG, &ci);
	CHECK(ci.cls != QHB_CLASS_FILL);
	for (unsigned i = 0; i < PG; i++)
		p[i] = "The quick brown fox jumps over the lazy dog.\n"[i % 45];
	qhb_classify(p, PG, &ci);
	CHECK(ci.cls == QHB_CLASS_TEXT);
	memset(p, 0, sizeof(p));
	for (unsigned i = 0; i < PG / 16; i++) {
		uint64_t w = 0xffff888003a00000ull + (uint64_t)i * 0x1c0;
		memcpy(p + 16 * i, &w, 8);
	}
	qhb_classify(p, PG, &ci);
	CHECK(ci.cls == QHB_CLASS_POINTER);
	/* 5-level paging: inodes and list heads in the direct map at
	 * 0xff12691d00000000 (as on the demo guest), next to small
	 * numbers */
	memset(p, 0, sizeof(p));
	for (unsigned i = 0; i < PG / 32; i++) {
		uint64_t w[4] = { 0x481a0, 0xff12691d01033410ull + 64 * i,
			0xff12691d01033410ull + 64 * i, 0xffaab7b900004408ull };
		memcpy(p + 32 * i, w, sizeof(w));
	}
	qhb_classify(p, PG, &ci);
	CHECKF(ci.cls == QHB_CLASS_POINTER, "5-level pointers: %s",
	    qhb_class_name(ci.cls));
	/* but not a table of negative 32-bit offsets (the ORC unwinder's),
	 * nor the guard hole below the direct map */
	for (unsigned i = 0; i < PG / 4; i++) {
		uint32_t o = 0xffc76000u - 0x35 * i;
		memcpy(p + 4 * i, &o, 4);
	}
	qhb_classify(p, PG, &ci);
	CHECKF(ci.cls != QHB_CLASS_POINTER, "offsets: %s",
	    qhb_class_name(ci.cls));
	for (unsigned i = 0; i < PG / 8; i++) {
		uint64_t w = 0xff0123456789abc0ull + 0x40 * i;
		memcpy(p + 8 * i, &w, 8);
	}
	qhb_classify(p, PG, &ci);
	CHECK(ci.cls != QHB_CLASS_POINTER);
	for (unsigned i = 0; i < PG; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		p[i] = (uint8_t)s;
	}
	qhb_classify(p, PG, &ci);
	CHECKF(ci.cls == QHB_CLASS_OTHER && ci.entropy > 240, "random: %s %u",
	    qhb_class_name(ci.cls), ci.entropy);
	/* This program's own machine code. */
	memcpy(p, (const void *)(uintptr_t)qhb_volume_fill, PG);
	qhb_classify(p, PG, &ci);
	CHECKF(ci.cls == QHB_CLASS_CODE, "code: %s, entropy %u",
	    qhb_class_name(ci.cls), ci.entropy);
}

static void put_page(int fd, uint64_t page, int fill)
{
	uint8_t buf[PG];

	memset(buf, fill, sizeof(buf));
	buf[100] = (uint8_t)page;
	if (pwrite(fd, buf, PG, (off_t)(page * PG)) != PG)
		abort();
}

/* Snapshots of ram into a volumizer; returns the volume stream. */
static FILE *volumes(const char *ram_path, int fd, int deltas,
    enum qhb_scheme sch, struct qhb_err *e)
{
	struct qhb_snap_opts so = { .every_ns = 1000000 };
	struct qhb_volume_opts vo = { .dim = 3, .unit = 4, .lod = 3,
		.scheme = sch };
	struct qhb_ram ram;
	FILE *snaps = tmpfile(), *vols = tmpfile();
	struct qhb_writer *sw, *vw;
	struct qhb_snapper *s;
	struct qhb_volumizer *v;
	struct qhb_reader *r;
	struct qhb_frame f;

	if (qhb_ram_open(&ram, ram_path, e))
		return NULL;
	sw = qhb_writer_new(fileno(snaps), "snaps", 0, 0, e);
	s = qhb_snapper_new(&ram, NULL, &so, e);
	qhb_snapper_capture(s, sw, 1, e);
	for (int i = 0; i < deltas; i++) {
		put_page(fd, (uint64_t)(37 * i + 3) % PAGES, 0x40 + i);
		put_page(fd, (uint64_t)(101 * i + 7) % PAGES, 0);
		qhb_snapper_capture(s, sw, 0, e);
	}
	qhb_snapper_free(s);
	qhb_writer_free(sw);
	qhb_ram_close(&ram);
	lseek(fileno(snaps), 0, SEEK_SET);
	r = qhb_reader_fdopen(fileno(snaps), "snaps", e);
	vw = qhb_writer_new(fileno(vols), "vols", 1, 0, e);
	v = qhb_volumizer_new(&vo, e);
	qhb_frame_init(&f);
	while (qhb_reader_next(r, &f, e) == 1)
		if (qhb_volumizer_put(v, &f, vw, e))
			abort();
	qhb_frame_release(&f);
	qhb_volumizer_free(v);
	qhb_writer_free(vw);
	qhb_reader_close(r);
	fclose(snaps);
	lseek(fileno(vols), 0, SEEK_SET);
	return vols;
}

static int rebuild(FILE *vols, struct qhb_volume *vol, struct qhb_err *e)
{
	struct qhb_reader *r = qhb_reader_fdopen(fileno(vols), "vols", e);
	struct qhb_frame f;
	int n = 0;

	qhb_frame_init(&f);
	while (qhb_reader_next(r, &f, e) == 1)
		n = qhb_volume_apply(vol, &f, e) ? -1000 : n + 1;
	qhb_frame_release(&f);
	qhb_reader_close(r);
	return n;
}

static void test_deltas(void)
{
	char path[] = "/tmp/qhb-unit-vol.XXXXXX";
	int fd = mkstemp(path);
	struct qhb_err e = { 0 };

	CHECK(fd >= 0 && ftruncate(fd, PAGES * PG) == 0);
	for (int i = 50; i < 90; i++)
		put_page(fd, (uint64_t)i, 0x41);
	for (int sch = QHB_SCHEME_CLASS; sch <= QHB_SCHEME_VALUE; sch++) {
		struct qhb_volume a = { 0 }, b = { 0 };
		FILE *d = volumes(path, fd, 12, (enum qhb_scheme)sch, &e);
		FILE *full = volumes(path, fd, 0, (enum qhb_scheme)sch, &e);
		CHECK(d != NULL && full != NULL);
		CHECKF(rebuild(d, &a, &e) == 13, "%s", e.msg);
		CHECK(rebuild(full, &b, &e) == 1);
		CHECK(a.info.shape.total == b.info.shape.total);
		CHECK(a.info.shape.lod == 3);
		CHECKF(memcmp(a.vox, b.vox, a.info.shape.total * 4) == 0,
		    "scheme %d: deltas rebuild another volume", sch);
		qhb_volume_release(&a);
		qhb_volume_release(&b);
		fclose(d);
		fclose(full);
	}
	close(fd);
	unlink(path);
}

/* A valid delta frame, then each field broken in turn. */
static void test_hostile(void)
{
	struct qhb_frame f;
	struct qhb_volume_info in;
	struct qhb_err e = { 0 };
	uint64_t runs[4] = { 10, 2, 40, 1 };
	uint32_t vox[3] = { 1, 2, 3 };
	uint8_t buf[44];

	qhb_frame_init(&f);
	memcpy(buf, runs, 32);
	memcpy(buf + 32, vox, 12);
	f.kind = QHB_FRAME_VOLUME_DELTA;
	f.data = buf;
	f.size = sizeof(buf);
	qhb_meta_set_str(&f.meta, "curve", QHB_VOLUME_CURVE, &e);
	qhb_meta_set_str(&f.meta, "format", "rgba8", &e);
	qhb_meta_set_str(&f.meta, "scheme", "class", &e);
	qhb_meta_set_str(&f.meta, "legend", "x", &e);
	const char *names[] = { "dim", "unit", "ram_size", "lod", "nx", "ny",
		"nz", "order", "cubes", "voxels", "page_size", "seq", "base_seq",
		"runs", "changed" };
	uint64_t vals[] = { 3, 4, 1u << 20, 1, 64, 64, 64, 6, 1, 1u << 18,
		4096, 1, 0, 2, 3 };
	for (int i = 0; i < 15; i++)
		qhb_meta_set_u64(&f.meta, names[i], vals[i], &e);
	CHECKF(qhb_volume_check(&f, &in, &e) == 0, "%s", e.msg);
	CHECK(in.shape.total == 64 * 64 * 64 + 32 * 32 * 32);
	for (int i = 0; i < 15; i++) {
		if (i == 3 || i == 11 || i == 12)   /* lod, seq, base_seq: free */
			continue;
		qhb_meta_set_u64(&f.meta, names[i], vals[i] + 1, &e);
		CHECKF(qhb_volume_check(&f, &in, &e) == -1, "%s + 1 accepted",
		    names[i]);
		qhb_meta_set_u64(&f.meta, names[i], vals[i] ? vals[i] - 1 : 99, &e);
		CHECKF(qhb_volume_check(&f, &in, &e) == -1, "%s - 1 accepted",
			    names[i]);
		qhb_meta_set_u64(&f.meta, names[i], vals[i], &e);
	}
	runs[2] = 11;           /* overlaps the first run */
	memcpy(buf, runs, 32);
	CHECK(qhb_volume_check(&f, &in, &e) == -1);
	runs[2] = 64 * 64 * 64 + 32 * 32 * 32;   /* past the end */
	memcpy(buf, runs, 32);
	CHECK(qhb_volume_check(&f, &in, &e) == -1);
	runs[2] = 40;
	runs[3] = UINT64_MAX;   /* overflowing count */
	memcpy(buf, runs, 32);
	CHECK(qhb_volume_check(&f, &in, &e) == -1);
	f.data = NULL;
	qhb_meta_release(&f.meta);
}

static void test_locate(void)
{
	struct qhb_volume_shape s;
	struct qhb_err e = { 0 };
	uint32_t xyz[3];
	uint64_t a;

	/* The demo guest: 128 MiB at 4 bytes, 512 x 256 x 256. */
	CHECK(qhb_volume_shape_init(&s, 3, 4, 128u << 20, 2, &e) == 0);
	CHECK(s.h.size[0] == 512 && s.h.size[1] == 256 && s.h.size[2] == 256);
	CHECK(s.lsize[2][0] == 128 && s.lsize[2][2] == 64);
	for (a = 0; a < (128u << 20); a += 4093 * 4) {
		CHECK(qhb_volume_locate(&s, a, xyz, &e) == 0);
		uint64_t b;
		CHECK(qhb_volume_address(&s, xyz, &b, &e) == 0 && b == a / 4 * 4);
	}
	CHECK(qhb_volume_locate(&s, 128u << 20, xyz, &e) == -1);
	/* 96 MiB: padding voxels have no address. */
	CHECK(qhb_volume_shape_init(&s, 3, 4, 96u << 20, 0, &e) == 0);
	CHECK(s.h.voxels == (1u << 25));
	qhb_hilbert_d2xyz(&s.h, (1u << 25) - 1, xyz);
	CHECK(qhb_volume_address(&s, xyz, &a, &e) == -1);
	CHECK(qhb_volume_shape_init(&s, 3, 3, 96u << 20, 0, &e) == -1);
	CHECK(qhb_volume_shape_init(&s, 3, 4, 6, 0, &e) == -1);
	CHECK(qhb_volume_shape_init(&s, 3, 4, 4096, 9, &e) == -1);
}

void unit_main(void)
{
	UNIT_RUN(test_classify);
	UNIT_RUN(test_deltas);
	UNIT_RUN(test_hostile);
	UNIT_RUN(test_locate);
}
