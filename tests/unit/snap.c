/* Unit tests of common/snap, common/image and common/ram: captures of a
 * RAM file that changes between frames rebuild it exactly; bad deltas are
 * refused. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "ram.h"
#include "snap.h"
#include "stream.h"
#include "unit.h"

#define PAGES 300
#define PG QHB_PAGE_SIZE

struct fixture {
	char ram_path[64];
	int ram_fd;
	FILE *out;
	struct qhb_ram ram;
	struct qhb_writer *w;
	struct qhb_snapper *s;
};

static void put_page(int fd, uint64_t page, int fill)
{
	uint8_t buf[PG];

	/* fill < 0: an all-zero page; else fill plus a mark of the page */
	memset(buf, fill < 0 ? 0 : fill, sizeof(buf));
	if (fill >= 0)
		buf[17] = (uint8_t)(page * 31 + 1);
	if (pwrite(fd, buf, PG, (off_t)(page * PG)) != PG)
		abort();
}

static int setup(struct fixture *x, enum qhb_consistency c, int periodic,
    int level)
{
	struct qhb_snap_opts o = { 0 };
	struct qhb_err e = { 0 };

	strcpy(x->ram_path, "/tmp/qhb-unit-ram.XXXXXX");
	x->ram_fd = mkstemp(x->ram_path);
	if (ftruncate(x->ram_fd, PAGES * PG) < 0)
		return -1;
	for (int i = 10; i < 50; i++)
		put_page(x->ram_fd, (uint64_t)i, 0x41);
	put_page(x->ram_fd, 299, 0x42);
	x->out = tmpfile();
	o.consistency = c;
	o.every_ns = periodic ? 1000000 : 0;
	if (qhb_ram_open(&x->ram, x->ram_path, &e))
		return -1;
	x->w = qhb_writer_new(fileno(x->out), "out", level, 0, &e);
	x->s = qhb_snapper_new(&x->ram, NULL, &o, &e);
	return x->w && x->s ? 0 : -1;
}

static void teardown(struct fixture *x)
{
	qhb_snapper_free(x->s);
	qhb_writer_free(x->w);
	qhb_ram_close(&x->ram);
	close(x->ram_fd);
	unlink(x->ram_path);
	fclose(x->out);
}

/* Applies every frame in x->out; returns frames applied, or -1. */
static int rebuild(struct fixture *x, struct qhb_image *im, struct qhb_err *e)
{
	struct qhb_reader *r;
	struct qhb_frame f;
	int n = 0, rc;

	lseek(fileno(x->out), 0, SEEK_SET);
	r = qhb_reader_fdopen(fileno(x->out), "out", e);
	qhb_frame_init(&f);
	while ((rc = qhb_reader_next(r, &f, e)) == 1 && n >= 0)
		n = qhb_image_apply(im, &f, e) ? -1 : n + 1;
	qhb_frame_release(&f);
	qhb_reader_close(r);
	return rc < 0 ? -1 : n;
}

static int same_as_file(struct fixture *x, const struct qhb_image *im)
{
	uint8_t *buf = malloc(PAGES * PG);
	int same;

	if (pread(x->ram_fd, buf, PAGES * PG, 0) != PAGES * PG)
		abort();
	same = im->size == PAGES * PG && memcmp(buf, im->ram, PAGES * PG) == 0;
	free(buf);
	return same;
}

static void test_full_frame(void)
{
	struct fixture x;
	struct qhb_err e = { 0 };
	struct qhb_image im = { 0 };
	const struct qhb_snap_stats *st;

	CHECK(setup(&x, QHB_CONSISTENT_NONE, 0, 0) == 0);
	CHECKF(qhb_snapper_capture(x.s, x.w, 1, &e) == 0, "%s", e.msg);
	st = qhb_snapper_stats(x.s);
	CHECK(st->given_pages == PAGES && st->data_pages == 41);
	CHECK(rebuild(&x, &im, &e) == 1);
	CHECK(same_as_file(&x, &im));
	/* 41 data pages and two bitmaps, raw: nothing else is paid for. */
	CHECK((uint64_t)ftell(x.out) < 41 * PG + 2 * 38 + 400);
	qhb_image_release(&im);
	teardown(&x);
}

static void test_deltas_rebuild(void)
{
	struct fixture x;
	struct qhb_err e = { 0 };
	struct qhb_image im = { 0 };

	CHECK(setup(&x, QHB_CONSISTENT_NONE, 1, 1) == 0);
	CHECK(qhb_snapper_capture(x.s, x.w, 1, &e) == 0);
	put_page(x.ram_fd, 5, 0x01);          /* hole becomes data */
	put_page(x.ram_fd, 11, -1);           /* data becomes zero */
	put_page(x.ram_fd, 12, 0x77);         /* data changes */
	CHECKF(qhb_snapper_capture(x.s, x.w, 0, &e) == 0, "%s", e.msg);
	CHECK(qhb_snapper_stats(x.s)->given_pages == 3);
	CHECK(qhb_snapper_stats(x.s)->data_pages == 2);
	/* punch a hole where data was */
	CHECK(fallocate(x.ram_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    20 * PG, 4 * PG) == 0);
	CHECK(qhb_snapper_capture(x.s, x.w, 0, &e) == 0);
	CHECK(qhb_snapper_stats(x.s)->given_pages == 4);
	CHECK(qhb_snapper_stats(x.s)->zero_pages == 4);
	/* nothing changed: an empty delta */
	CHECK(qhb_snapper_capture(x.s, x.w, 0, &e) == 0);
	CHECK(qhb_snapper_stats(x.s)->given_pages == 0);
	CHECKF(rebuild(&x, &im, &e) == 4, "%s", e.msg);
	CHECK(same_as_file(&x, &im));
	CHECK(im.seq == 3);
	qhb_image_release(&im);
	teardown(&x);
}

static void test_verify_stable(void)
{
	struct fixture x;
	struct qhb_err e = { 0 };
	const struct qhb_snap_stats *st;

	CHECK(setup(&x, QHB_CONSISTENT_VERIFY, 0, 0) == 0);
	CHECK(qhb_snapper_capture(x.s, x.w, 1, &e) == 0);
	st = qhb_snapper_stats(x.s);
	CHECK(st->verify_rounds == 1 && st->unstable_pages == 0);
	teardown(&x);
}

/* A delta whose base is missing, or not the last frame, is refused and
 * leaves the image as it was. */
static void test_delta_needs_base(void)
{
	struct fixture x;
	struct qhb_err e = { 0 };
	struct qhb_image im = { 0 };
	struct qhb_reader *r;
	struct qhb_frame full, d1, d2;

	CHECK(setup(&x, QHB_CONSISTENT_NONE, 1, 0) == 0);
	CHECK(qhb_snapper_capture(x.s, x.w, 1, &e) == 0);
	put_page(x.ram_fd, 7, 9);
	CHECK(qhb_snapper_capture(x.s, x.w, 0, &e) == 0);
	put_page(x.ram_fd, 8, 9);
	CHECK(qhb_snapper_capture(x.s, x.w, 0, &e) == 0);
	lseek(fileno(x.out), 0, SEEK_SET);
	r = qhb_reader_fdopen(fileno(x.out), "out", &e);
	qhb_frame_init(&full);
	qhb_frame_init(&d1);
	qhb_frame_init(&d2);
	CHECK(qhb_reader_next(r, &full, &e) == 1);
	CHECK(qhb_reader_next(r, &d1, &e) == 1);
	CHECK(qhb_reader_next(r, &d2, &e) == 1);
	CHECK(qhb_image_apply(&im, &d1, &e) == -1 &&
	    strstr(e.msg, "without a snapshot frame"));
	CHECK(qhb_image_apply(&im, &full, &e) == 0);
	CHECK(qhb_image_apply(&im, &d2, &e) == -1 &&
	    strstr(e.msg, "against seq 1"));
	CHECK(im.seq == 0 && im.ram[8 * PG] == 0);
	CHECK(qhb_image_apply(&im, &d1, &e) == 0);
	CHECK(qhb_image_apply(&im, &d2, &e) == 0);
	CHECK(same_as_file(&x, &im));
	qhb_frame_release(&full);
	qhb_frame_release(&d1);
	qhb_frame_release(&d2);
	qhb_reader_close(r);
	qhb_image_release(&im);
	teardown(&x);
}

static void test_ram_rejects(void)
{
	struct qhb_ram r;
	struct qhb_err e = { 0 };
	char path[] = "/tmp/qhb-unit-bad.XXXXXX";
	int fd = mkstemp(path);

	CHECK(qhb_ram_open(&r, "/nonexistent/ram", &e) == -1 &&
	    strstr(e.msg, "No such file"));
	memset(&e, 0, sizeof(e));
	CHECK(qhb_ram_open(&r, path, &e) == -1 && strstr(e.msg, "not a RAM"));
	CHECK(ftruncate(fd, 4097) == 0);
	CHECK(qhb_ram_open(&r, path, &e) == -1 && strstr(e.msg, "size 4097"));
	CHECK(qhb_ram_open(&r, "/tmp", &e) == -1 && strstr(e.msg, "regular"));
	close(fd);
	unlink(path);
}

void unit_main(void)
{
	UNIT_RUN(test_full_frame);
	UNIT_RUN(test_deltas_rebuild);
	UNIT_RUN(test_verify_stable);
	UNIT_RUN(test_delta_needs_base);
	UNIT_RUN(test_ram_rejects);
}
