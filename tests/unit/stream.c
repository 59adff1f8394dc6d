/* Unit tests of common/stream: round trips, and every way a stream can be
 * damaged giving a clean error that names the frame and byte. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "stream.h"
#include "unit.h"

static char tmp_path[] = "/tmp/qhb-unit-stream.XXXXXX";

/* Writes n frames (alternating raw and zstd writers) into a temp file and
 * returns its bytes. */
static uint8_t *make_stream(int level, int nframes, size_t *len)
{
	struct qhb_err e = { 0 };
	struct qhb_writer *w;
	struct qhb_meta m = { 0 };
	uint8_t payload[10000];
	struct iovec iov[2];
	uint8_t *buf;
	int fd = mkstemp(tmp_path);
	off_t end;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i % 7 == 0 ? i : 0);
	w = qhb_writer_new(fd, "t", level, 0, &e);
	for (int i = 0; i < nframes; i++) {
		qhb_meta_set_u64(&m, "seq", (uint64_t)i, &e);
		qhb_meta_set_str(&m, "vm", "unit", &e);
		iov[0].iov_base = payload;
		iov[0].iov_len = 4000;
		iov[1].iov_base = payload + 4000;
		iov[1].iov_len = 6000 - (size_t)i;
		if (qhb_writer_put(w, QHB_FRAME_SNAP, &m, iov, 2, &e))
			abort();
	}
	qhb_writer_free(w);
	qhb_meta_release(&m);
	end = lseek(fd, 0, SEEK_END);
	buf = malloc((size_t)end);
	if (pread(fd, buf, (size_t)end, 0) != end)
		abort();
	close(fd);
	unlink(tmp_path);
	strcpy(tmp_path + strlen(tmp_path) - 6, "XXXXXX");
	*len = (size_t)end;
	return buf;
}

/* Reads a whole stream from bytes; returns frames read or -1, e filled. */
static int read_all(const uint8_t *bytes, size_t len, struct qhb_err *e,
    uint64_t mask, int *warnings)
{
	int fds[2], n = 0, rc;
	struct qhb_reader *r;
	struct qhb_frame f;
	FILE *tmp = tmpfile();

	(void)fds;
	fwrite(bytes, 1, len, tmp);
	fflush(tmp);
	lseek(fileno(tmp), 0, SEEK_SET);
	r = qhb_reader_fdopen(fileno(tmp), "mem", e);
	*warnings = 0;
	qhb_reader_filter(r, mask, (qhb_warn_fn *)(void (*)(void))NULL, NULL);
	qhb_frame_init(&f);
	while ((rc = qhb_reader_next(r, &f, e)) == 1)
		n++;
	qhb_frame_release(&f);
	qhb_reader_close(r);
	fclose(tmp);
	return rc < 0 ? -1 : n;
}

static void test_roundtrip(void)
{
	for (int level = 0; level <= 3; level += 3) {
		struct qhb_err e = { 0 };
		size_t len;
		uint8_t *s = make_stream(level, 3, &len);
		FILE *tmp = tmpfile();
		struct qhb_reader *r;
		struct qhb_frame f;
		uint64_t seq;

		fwrite(s, 1, len, tmp);
		fflush(tmp);
		rewind(tmp);
		r = qhb_reader_fdopen(fileno(tmp), "mem", &e);
		qhb_frame_init(&f);
		for (int i = 0; i < 3; i++) {
			CHECKF(qhb_reader_next(r, &f, &e) == 1, "level %d frame %d: %s",
			    level, i, e.msg);
			CHECK(f.kind == QHB_FRAME_SNAP && f.index == (uint64_t)i);
			CHECK(f.size == 10000 - (size_t)i);
			CHECK(f.data[7] == 7 && f.data[8] == 0);
			CHECK(qhb_meta_get_u64(&f.meta, "seq", &seq) == 0 &&
			    seq == (uint64_t)i);
			CHECK(strcmp(qhb_meta_get_str(&f.meta, "vm"), "unit") == 0);
			CHECK(((f.flags & QHB_FRAME_ZSTD) != 0) == (level > 0));
		}
		CHECK(qhb_reader_next(r, &f, &e) == 0);
		CHECK(qhb_reader_offset(r) == len);
		qhb_frame_release(&f);
		qhb_reader_close(r);
		fclose(tmp);
		free(s);
	}
}

static void test_concatenation(void)
{
	struct qhb_err e = { 0 };
	size_t len;
	uint8_t *s = make_stream(1, 2, &len), *two = malloc(2 * len);
	int w;

	memcpy(two, s, len);
	memcpy(two + len, s, len);
	CHECK(read_all(two, 2 * len, &e, 0, &w) == 4);
	free(s);
	free(two);
}

/* Cutting the stream anywhere but a frame boundary is an error that names
 * a frame; cutting at a boundary is a shorter valid stream. */
static void test_truncation(void)
{
	for (int level = 0; level <= 1; level++) {
		size_t len;
		uint8_t *s = make_stream(level, 2, &len);
		struct qhb_err e = { 0 };
		size_t first_end = 0;
		int w, n;

		for (size_t cut = 0; cut < len; cut++) {
			memset(&e, 0, sizeof(e));
			n = read_all(s, cut, &e, 0, &w);
			if (n == 1 && first_end == 0)
				first_end = cut;
			if (cut == 0 || cut == first_end)
				CHECKF(n >= 0, "cut %zu: %s", cut, e.msg);
			else
				CHECKF(n == -1 && strstr(e.msg, "frame ") &&
				    strstr(e.msg, "truncated") && e.has_off,
				    "cut %zu: n=%d msg=%s", cut, n, e.msg);
		}
		free(s);
	}
}

/* Every single-byte change is caught by a check (or, in the checksum
 * fields themselves, by the check they fail). */
static void test_corruption(void)
{
	for (int level = 0; level <= 1; level++) {
		size_t len;
		uint8_t *s = make_stream(level, 1, &len);
		struct qhb_err e = { 0 };
		int w;

		for (size_t i = 0; i < len; i++) {
			s[i] ^= 0x5a;
			memset(&e, 0, sizeof(e));
			CHECKF(read_all(s, len, &e, 0, &w) == -1 && e.has_off &&
			    strstr(e.msg, "frame 0"), "byte %zu: %s", i, e.msg);
			s[i] ^= 0x5a;
		}
		free(s);
	}
}

/* Rewrites the header checksum after a deliberate change, to reach the
 * checks behind it. */
static void rehash(uint8_t *h)
{
	uint32_t hsize = h[8] | h[9] << 8 | h[10] << 16 | (uint32_t)h[11] << 24;
	uint64_t x;

	memset(h + 56, 0, 8);
	x = XXH3_64bits(h, hsize);
	for (int i = 0; i < 8; i++)
		h[56 + i] = (uint8_t)(x >> (8 * i));
}

static void test_absurd_sizes(void)
{
	size_t len;
	uint8_t *s = make_stream(0, 1, &len);
	struct qhb_err e = { 0 };
	int w;

	/* content size of 2^50 bytes, raw */
	memset(s + 16, 0, 16);
	s[16 + 6] = 4;
	s[24 + 6] = 4;
	rehash(s);
	CHECK(read_all(s, len, &e, 0, &w) == -1);
	CHECKF(strstr(e.msg, "absurd payload size") && e.off == 24, "%s", e.msg);
	free(s);

	s = make_stream(0, 1, &len);
	s[8] = 0xff; s[9] = 0xff; s[10] = 0xff; s[11] = 0x7f;
	CHECK(read_all(s, len, &e, 0, &w) == -1);
	CHECKF(strstr(e.msg, "header size") && e.off == 8, "%s", e.msg);
	free(s);
}

static int warned;
static void count_warning(void *arg, const struct qhb_err *w)
{
	(void)arg;
	if (strstr(w->msg, "unknown kind 77"))
		warned++;
}

static void test_unknown_kind_skipped(void)
{
	size_t len;
	uint8_t *s = make_stream(1, 2, &len);
	struct qhb_err e = { 0 };
	struct qhb_reader *r;
	struct qhb_frame f;
	FILE *tmp = tmpfile();

	s[4] = 77;
	rehash(s);
	fwrite(s, 1, len, tmp);
	fflush(tmp);
	rewind(tmp);
	r = qhb_reader_fdopen(fileno(tmp), "mem", &e);
	qhb_reader_filter(r, 0, count_warning, NULL);
	qhb_frame_init(&f);
	warned = 0;
	CHECK(qhb_reader_next(r, &f, &e) == 1);
	CHECK(f.index == 1 && warned == 1);
	CHECK(qhb_reader_next(r, &f, &e) == 0);
	qhb_frame_release(&f);
	qhb_reader_close(r);
	fclose(tmp);
	free(s);
}

static void test_meta(void)
{
	struct qhb_meta m = { 0 };
	struct qhb_err e = { 0 };
	char big[5000];
	uint64_t v;

	CHECK(qhb_meta_set_u64(&m, "a", 1, &e) == 0);
	CHECK(qhb_meta_set_u64(&m, "a", 2, &e) == 0);
	CHECK(m.n == 1 && qhb_meta_get_u64(&m, "a", &v) == 0 && v == 2);
	CHECK(qhb_meta_set_str(&m, "a", "x", &e) == 0);
	CHECK(qhb_meta_get_u64(&m, "a", &v) == -1);
	CHECK(strcmp(qhb_meta_get_str(&m, "a"), "x") == 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(qhb_meta_set_str(&m, "b", big, &e) == -1 && m.n == 1);
	CHECK(qhb_meta_set_u64(&m, "", 1, &e) == -1);
	qhb_meta_release(&m);
	CHECK(m.n == 0);
	qhb_meta_release(NULL);
}

void unit_main(void)
{
	UNIT_RUN(test_roundtrip);
	UNIT_RUN(test_concatenation);
	UNIT_RUN(test_truncation);
	UNIT_RUN(test_corruption);
	UNIT_RUN(test_absurd_sizes);
	UNIT_RUN(test_unknown_kind_skipped);
	UNIT_RUN(test_meta);
}
