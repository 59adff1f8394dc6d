/*
 * snap.c -- capturing guest RAM into snapshot frames, and checking them
 * when they are read back.
 */
#include "snap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>
#include <xxh_x86dispatch.h>  /* XXH3 at AVX2/AVX-512 speed where the CPU has it */

#define DEFAULT_VERIFY_ROUNDS 8
/* pread granule of a full capture: big enough to amortize the syscall,
 * small enough that the zero test that follows finds it in cache. */
#define FULL_CHUNK (256u * 1024)
/* Delta scans trust the hole map of the last full scan, checking only that
 * no hole filled; this many scans on, the map is read anew all the same
 * (data can turn back into holes when QEMU discards pages). */
#define RUNS_REFRESH 64

struct qhb_snapper {
	const struct qhb_ram *ram;
	struct qhb_qmp *qmp;
	struct qhb_snap_opts o;
	uint64_t pages, bm_bytes;
	uint8_t *shadow;        /* copies of carried pages, at page offsets */
	uint64_t *hash;         /* xxh3 of each page as the reader has it */
	uint8_t *bitmaps;       /* given, then zero: the payload's tail */
	uint8_t *given, *zero;
	uint64_t zero_hash;
	int hashing;            /* hashes are kept: deltas or verify follow */
	int have_prev;
	uint64_t seq;
	struct iovec *iov;
	size_t iov_cap;
	struct qhb_meta meta;
	struct qhb_snap_stats st;
	/* Data runs of the RAM file as last read: pages outside are holes. */
	struct run { uint64_t first, count; } *runs;
	size_t nruns, runs_cap;
	int runs_valid;
	unsigned scans_since_refresh;
	uint8_t *bounce;        /* FULL_CHUNK bytes for streamed frames */
};

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int bit_get(const uint8_t *bm, uint64_t i) { return bm[i >> 3] >> (i & 7) & 1; }
static void bit_set(uint8_t *bm, uint64_t i) { bm[i >> 3] |= (uint8_t)(1u << (i & 7)); }
static void bit_clear(uint8_t *bm, uint64_t i) { bm[i >> 3] &= (uint8_t)~(1u << (i & 7)); }

struct qhb_snapper *qhb_snapper_new(const struct qhb_ram *ram,
    struct qhb_qmp *qmp, const struct qhb_snap_opts *opts, struct qhb_err *e)
{
	struct qhb_snapper *s;
	void *p;
	static const uint8_t zero_page[QHB_PAGE_SIZE];

	if (opts->consistency == QHB_CONSISTENT_PAUSE && qmp == NULL) {
		qhb_err_set(e, "pausing the guest needs its QMP socket");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto nomem;
	s->ram = ram;
	s->qmp = qmp;
	s->o = *opts;
	if (s->o.verify_rounds == 0)
		s->o.verify_rounds = DEFAULT_VERIFY_ROUNDS;
	s->pages = ram->size / QHB_PAGE_SIZE;
	s->bm_bytes = (s->pages + 7) / 8;
	s->hashing = opts->every_ns != 0 ||
	    opts->consistency == QHB_CONSISTENT_VERIFY;
	s->zero_hash = XXH3_64bits(zero_page, sizeof(zero_page));
	/* The shadow is as large as RAM but costs only the pages written to
	 * it; huge pages cut the faults of the first capture. */
	p = mmap(NULL, ram->size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		goto nomem;
	s->shadow = p;
	madvise(s->shadow, ram->size, MADV_HUGEPAGE);
	if ((s->bitmaps = calloc(2, s->bm_bytes)) == NULL)
		goto nomem;
	s->given = s->bitmaps;
	s->zero = s->bitmaps + s->bm_bytes;
	if (s->hashing &&
	    (s->hash = calloc(s->pages, sizeof(*s->hash))) == NULL)
		goto nomem;
	return s;
nomem:
	qhb_err_sys(e, "cannot allocate capture buffers for %" PRIu64 " bytes",
	    ram->size);
	qhb_snapper_free(s);
	return NULL;
}

void qhb_snapper_free(struct qhb_snapper *s)
{
	if (s == NULL)
		return;
	if (s->shadow != NULL)
		munmap(s->shadow, s->ram->size);
	free(s->hash);
	free(s->bitmaps);
	free(s->iov);
	free(s->runs);
	free(s->bounce);
	qhb_meta_release(&s->meta);
	free(s);
}

const struct qhb_snap_stats *qhb_snapper_stats(const struct qhb_snapper *s)
{
	return &s->st;
}

/*
 * One scan pass over RAM.  A full first pass reads every data page with
 * pread into the shadow.  Every other pass (deltas, verify rounds) hashes
 * the live pages through the mapping and copies those whose hash differs
 * from what the reader has; those are added to the frame.
 */
struct scan {
	struct qhb_snapper *s;
	int full;               /* the first pass of a full frame */
	uint64_t next;          /* first page not yet visited */
	uint64_t changed;       /* pages added or re-copied */
	struct qhb_err *e;
};

static void mark_zero(struct qhb_snapper *s, uint64_t i)
{
	bit_set(s->given, i);
	bit_set(s->zero, i);
	if (s->hashing)
		s->hash[i] = s->zero_hash;
}

static void scan_holes(struct scan *sc, uint64_t end)
{
	struct qhb_snapper *s = sc->s;

	for (uint64_t i = sc->next; i < end; i++) {
		if (sc->full) {
			mark_zero(s, i);
		} else if (s->hash[i] != s->zero_hash) {
			mark_zero(s, i);
			sc->changed++;
		}
	}
	sc->next = end;
}

/* Reads n pages of the RAM file, from page first on, into dst.  A file
 * that shrank reads as zero past its end. */
static int read_pages(const struct qhb_snapper *s, uint8_t *dst,
    uint64_t first, uint64_t n, struct qhb_err *e)
{
	uint64_t off = first * QHB_PAGE_SIZE, len = n * QHB_PAGE_SIZE, got = 0;

	while (got < len) {
		ssize_t k = pread(s->ram->fd, dst + got, len - got,
		    (off_t)(off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return qhb_err_sys(e, "read at byte %" PRIu64, off + got);
		if (k == 0) {
			memset(dst + got, 0, len - got);
			break;
		}
		got += (uint64_t)k;
	}
	return 0;
}

/* Marks the n pages at buf, pages first onward of a full frame, as given,
 * and as zero or with data, keeping the hashes of those with data. */
static void mark_read_pages(struct qhb_snapper *s, const uint8_t *buf,
    uint64_t first, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *p = buf + i * QHB_PAGE_SIZE;
		if (qhb_is_zero(p, QHB_PAGE_SIZE)) {
			mark_zero(s, first + i);
			continue;
		}
		bit_set(s->given, first + i);
		if (s->hashing)
			s->hash[first + i] = XXH3_64bits(p, QHB_PAGE_SIZE);
	}
}

static int scan_full_run(struct scan *sc, uint64_t first, uint64_t count)
{
	struct qhb_snapper *s = sc->s;
	uint64_t end = first + count;

	for (uint64_t c = first; c < end; ) {
		uint64_t n = end - c;
		uint8_t *dst = s->shadow + c * QHB_PAGE_SIZE;

		if (n > FULL_CHUNK / QHB_PAGE_SIZE)
			n = FULL_CHUNK / QHB_PAGE_SIZE;
		if (read_pages(s, dst, c, n, sc->e))
			return -1;
		mark_read_pages(s, dst, c, n);
		c += n;
	}
	return 0;
}

static int scan_run(void *arg, uint64_t first, uint64_t count)
{
	struct scan *sc = arg;
	struct qhb_snapper *s = sc->s;

	if (first > s->pages)
		first = s->pages;
	if (count > s->pages - first)
		count = s->pages - first;
	scan_holes(sc, first);
	sc->next = first + count;
	if (sc->full)
		return scan_full_run(sc, first, count);
	for (uint64_t i = first; i < first + count; i++) {
		const uint8_t *live = s->ram->map + i * QHB_PAGE_SIZE;
		uint8_t *copy = s->shadow + i * QHB_PAGE_SIZE;
		uint64_t h = XXH3_64bits(live, QHB_PAGE_SIZE);

		if (h == s->hash[i])
			continue;
		sc->changed++;
		if (h == s->zero_hash && qhb_is_zero(live, QHB_PAGE_SIZE)) {
			mark_zero(s, i);
			continue;
		}
		memcpy(copy, live, QHB_PAGE_SIZE);
		bit_set(s->given, i);
		bit_clear(s->zero, i);
		/* The hash of what was copied, which may differ from h when
		 * the guest wrote in between: the next pass sees that. */
		s->hash[i] = XXH3_64bits(copy, QHB_PAGE_SIZE);
	}
	return 0;
}

static int collect_run(void *arg, uint64_t first, uint64_t count)
{
	struct qhb_snapper *s = arg;

	if (s->nruns == s->runs_cap) {
		size_t cap = s->runs_cap ? s->runs_cap * 2 : 64;
		struct run *v = realloc(s->runs, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		s->runs = v;
		s->runs_cap = cap;
	}
	s->runs[s->nruns].first = first;
	s->runs[s->nruns].count = count;
	s->nruns++;
	return 0;
}

static int refresh_runs(struct qhb_snapper *s, struct qhb_err *e)
{
	s->nruns = 0;
	s->runs_valid = 0;
	if (qhb_ram_data_runs(s->ram, collect_run, s))
		return qhb_err_sys(e, "cannot list the RAM file's data");
	s->runs_valid = 1;
	s->scans_since_refresh = 0;
	return 0;
}

/* 1 when no hole of the map has filled since it was read: one SEEK_DATA
 * from each hole's start, which costs little since holes are skipped. */
static int holes_still_empty(const struct qhb_snapper *s)
{
	uint64_t start = 0;

	for (size_t i = 0; i <= s->nruns; i++) {
		uint64_t end = i < s->nruns ? s->runs[i].first : s->pages;
		if (end > start) {
			off_t d = lseek(s->ram->fd, (off_t)(start * QHB_PAGE_SIZE),
			    SEEK_DATA);
			if (d < 0 && errno != ENXIO)
				return 0;
			if (d >= 0 && (uint64_t)d < end * QHB_PAGE_SIZE)
				return 0;
		}
		if (i < s->nruns)
			start = s->runs[i].first + s->runs[i].count;
	}
	return 1;
}

static int scan(struct qhb_snapper *s, int full, uint64_t *changed,
    struct qhb_err *e)
{
	struct scan sc = { s, full, 0, 0, e };

	if (full || !s->runs_valid || ++s->scans_since_refresh >= RUNS_REFRESH ||
	    !holes_still_empty(s)) {
		if (refresh_runs(s, e))
			return -1;
	}
	for (size_t i = 0; i < s->nruns; i++)
		if (scan_run(&sc, s->runs[i].first, s->runs[i].count))
			return -1;
	scan_holes(&sc, s->pages);
	*changed = sc.changed;
	return 0;
}

static void count_pages(struct qhb_snapper *s)
{
	uint64_t given = 0, zero = 0;

	for (uint64_t b = 0; b < s->bm_bytes; b++) {
		given += (uint64_t)__builtin_popcount(s->given[b]);
		zero += (uint64_t)__builtin_popcount(s->zero[b]);
	}
	s->st.given_pages = given;
	s->st.zero_pages = zero;
	s->st.data_pages = given - zero;
}

/* Lists the carried non-zero pages as iovecs, adjacent pages merged, and
 * the two bitmaps after them. */
static int gather(struct qhb_snapper *s, int *iovcnt, struct qhb_err *e)
{
	size_t n = 0;

	count_pages(s);
	for (uint64_t i = 0; i < s->pages; i++) {
		if (!bit_get(s->given, i) || bit_get(s->zero, i))
			continue;
		if (n + 2 > s->iov_cap) {
			size_t cap = s->iov_cap ? s->iov_cap * 2 : 1024;
			struct iovec *v = realloc(s->iov, cap * sizeof(*v));
			if (v == NULL)
				return qhb_err_sys(e, "capture");
			s->iov = v;
			s->iov_cap = cap;
		}
		if (n > 0 && (uint8_t *)s->iov[n - 1].iov_base +
		    s->iov[n - 1].iov_len == s->shadow + i * QHB_PAGE_SIZE) {
			s->iov[n - 1].iov_len += QHB_PAGE_SIZE;
		} else {
			s->iov[n].iov_base = s->shadow + i * QHB_PAGE_SIZE;
			s->iov[n].iov_len = QHB_PAGE_SIZE;
			n++;
		}
	}
	if (n + 1 > s->iov_cap) {
		struct iovec *v = realloc(s->iov, (n + 1) * sizeof(*v));
		if (v == NULL)
			return qhb_err_sys(e, "capture");
		s->iov = v;
		s->iov_cap = n + 1;
	}
	s->iov[n].iov_base = s->bitmaps;
	s->iov[n].iov_len = 2 * s->bm_bytes;
	*iovcnt = (int)n + 1;
	return 0;
}

static const char *const consistency_names[] = { "none", "pause", "verify" };

/* The frame's metadata.  Called with placeholders before a streamed frame
 * and again after it: the names and string lengths must not differ. */
static int set_meta(struct qhb_snapper *s, int full, uint64_t time_ns,
    int paused, struct qhb_err *e)
{
	struct qhb_meta *m = &s->meta;

	qhb_meta_release(m);
	if (qhb_meta_set_u64(m, "time_ns", time_ns, e) ||
	    qhb_meta_set_u64(m, "ram_size", s->ram->size, e) ||
	    qhb_meta_set_u64(m, "page_size", QHB_PAGE_SIZE, e) ||
	    qhb_meta_set_u64(m, "seq", s->seq, e) ||
	    qhb_meta_set_str(m, "consistency",
	    consistency_names[s->o.consistency], e) ||
	    qhb_meta_set_u64(m, "capture_ns", s->st.capture_ns, e))
		return -1;
	if (!full && qhb_meta_set_u64(m, "base_seq", s->seq - 1, e))
		return -1;
	if (s->o.source && qhb_meta_set_str(m, "source", s->o.source, e))
		return -1;
	if (s->o.vm_name && qhb_meta_set_str(m, "vm", s->o.vm_name, e))
		return -1;
	if (s->o.consistency == QHB_CONSISTENT_PAUSE &&
	    qhb_meta_set_u64(m, "pause_ns", paused ? s->st.pause_ns : 0, e))
		return -1;
	if (s->o.consistency == QHB_CONSISTENT_VERIFY &&
	    (qhb_meta_set_u64(m, "verify_rounds", s->st.verify_rounds, e) ||
	    qhb_meta_set_u64(m, "unstable_pages", s->st.unstable_pages, e)))
		return -1;
	return 0;
}

/*
 * A full frame streamed to an output that takes a patched header: each
 * chunk of RAM is read into a small buffer that stays in cache, tested for
 * zero pages, hashed and written, so that the frame costs about what cat
 * costs, with no copy of RAM held in memory.  Used without pause or
 * verify, whose copies must be whole before anything is written.
 */
static int capture_streamed(struct qhb_snapper *s, struct qhb_writer *w,
    uint64_t t0, uint64_t time_ns, struct qhb_err *e)
{
	struct iovec iov[FULL_CHUNK / QHB_PAGE_SIZE + 1];
	struct scan sc = { s, 1, 0, 0, e };

	if (s->bounce == NULL && (s->bounce = malloc(FULL_CHUNK)) == NULL)
		return qhb_err_sys(e, "capture");
	s->st.capture_ns = 0;
	if (set_meta(s, 1, time_ns, 0, e) ||
	    qhb_writer_begin(w, QHB_FRAME_SNAP, &s->meta, e) ||
	    refresh_runs(s, e))
		return -1;
	for (size_t r = 0; r < s->nruns; r++) {
		uint64_t end = s->runs[r].first + s->runs[r].count;
		scan_holes(&sc, s->runs[r].first);
		for (uint64_t c = s->runs[r].first; c < end; ) {
			uint64_t n = end - c;
			int k = 0;

			if (n > FULL_CHUNK / QHB_PAGE_SIZE)
				n = FULL_CHUNK / QHB_PAGE_SIZE;
			if (read_pages(s, s->bounce, c, n, e))
				return -1;
			mark_read_pages(s, s->bounce, c, n);
			/* The pages with data go out, adjacent ones merged. */
			for (uint64_t i = 0; i < n; i++) {
				uint8_t *p = s->bounce + i * QHB_PAGE_SIZE;
				if (bit_get(s->zero, c + i))
					continue;
				if (k > 0 && (uint8_t *)iov[k - 1].iov_base +
				    iov[k - 1].iov_len == p) {
					iov[k - 1].iov_len += QHB_PAGE_SIZE;
				} else {
					iov[k].iov_base = p;
					iov[k].iov_len = QHB_PAGE_SIZE;
					k++;
				}
			}
			if (k > 0 && qhb_writer_append(w, iov, k, e))
				return -1;
			c += n;
		}
		sc.next = end;
	}
	scan_holes(&sc, s->pages);
	iov[0].iov_base = s->bitmaps;
	iov[0].iov_len = 2 * s->bm_bytes;
	if (qhb_writer_append(w, iov, 1, e))
		return -1;
	count_pages(s);
	s->st.capture_ns = now_ns(CLOCK_MONOTONIC) - t0;
	s->st.verify_rounds = s->st.unstable_pages = 0;
	if (set_meta(s, 1, time_ns, 0, e))
		return -1;
	return qhb_writer_end(w, &s->meta, e);
}

int qhb_snapper_capture(struct qhb_snapper *s, struct qhb_writer *w, int full,
    struct qhb_err *e)
{
	uint64_t t0, time_ns, t_pause = 0, changed = 0, rounds = 0, before;
	int running = 0, rc = -1, iovcnt = 0;

	if (!s->have_prev)
		full = 1;
	if (!full && !s->hashing)
		return qhb_err_set(e, "a delta frame needs the hashes of a "
		    "periodic capture");
	memset(s->bitmaps, 0, 2 * s->bm_bytes);
	t0 = now_ns(CLOCK_MONOTONIC);
	time_ns = now_ns(CLOCK_REALTIME);
	before = qhb_writer_offset(w);
	if (full && s->o.consistency == QHB_CONSISTENT_NONE &&
	    qhb_writer_can_patch(w)) {
		if (capture_streamed(s, w, t0, time_ns, e))
			return -1;
		goto written;
	}
	if (s->o.consistency == QHB_CONSISTENT_PAUSE) {
		if (qhb_qmp_running(s->qmp, &running, e))
			return -1;
		if (running && qhb_qmp_stop(s->qmp, e))
			return -1;
		t_pause = now_ns(CLOCK_MONOTONIC);
	}
	if (scan(s, full, &changed, e))
		goto resume;
	if (s->o.consistency == QHB_CONSISTENT_VERIFY) {
		/* Until a pass finds every copy equal to the live page. */
		do {
			if (scan(s, 0, &changed, e))
				goto resume;
			rounds++;
		} while (changed != 0 && rounds < s->o.verify_rounds);
	}
	rc = 0;
resume:
	if (running) {
		struct qhb_err e2;
		qhb_err_clear(&e2);
		s->st.pause_ns = now_ns(CLOCK_MONOTONIC) - t_pause;
		if (qhb_qmp_cont(s->qmp, rc == 0 ? e : &e2))
			rc = -1;
	}
	if (rc != 0)
		return -1;
	s->st.capture_ns = now_ns(CLOCK_MONOTONIC) - t0;
	s->st.verify_rounds = rounds;
	s->st.unstable_pages = s->o.consistency == QHB_CONSISTENT_VERIFY ?
	    changed : 0;
	if (gather(s, &iovcnt, e) || set_meta(s, full, time_ns, running, e) ||
	    qhb_writer_put(w, full ? QHB_FRAME_SNAP : QHB_FRAME_SNAP_DELTA,
	    &s->meta, s->iov, iovcnt, e))
		return -1;
written:
	s->st.bytes_out += qhb_writer_offset(w) - before;
	s->st.frames++;
	if (full)
		s->st.full_frames++;
	else
		s->st.delta_frames++;
	s->have_prev = 1;
	s->seq++;
	return 0;
}

int qhb_snapper_run(struct qhb_snapper *s, struct qhb_writer *w,
    struct qhb_err *e)
{
	uint64_t next;
	struct timespec ts;

	if (s->o.every_ns == 0)
		return qhb_snapper_capture(s, w, 1, e);
	next = now_ns(CLOCK_MONOTONIC);
	for (uint64_t n = 0; s->o.count == 0 || n < s->o.count; n++) {
		int full = n == 0 || (s->o.keyframe && n % s->o.keyframe == 0);
		uint64_t now;

		if (s->o.stop != NULL && *s->o.stop)
			break;
		if (qhb_snapper_capture(s, w, full, e))
			return -1;
		if (s->o.on_frame != NULL)
			s->o.on_frame(s->o.on_frame_arg, &s->st);
		if (s->o.count != 0 && n + 1 == s->o.count)
			break;
		next += s->o.every_ns;
		now = now_ns(CLOCK_MONOTONIC);
		if (now > next) {
			/* Late: skip the ticks already missed, keep the phase. */
			uint64_t missed = (now - next) / s->o.every_ns + 1;
			s->st.missed_ticks += missed;
			next += missed * s->o.every_ns;
		}
		ts.tv_sec = (time_t)(next / 1000000000u);
		ts.tv_nsec = (long)(next % 1000000000u);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
		    NULL) == EINTR)
			if (s->o.stop != NULL && *s->o.stop)
				break;
	}
	return 0;
}

/*
 * Reading snapshots back.
 */

int qhb_snap_check(const struct qhb_frame *f, struct qhb_snap_info *info,
    struct qhb_err *e)
{
	uint64_t bm, tail_bits, map;
	const uint8_t *given_bm, *zero_bm;

	memset(info, 0, sizeof(*info));
	if (f->kind != QHB_FRAME_SNAP && f->kind != QHB_FRAME_SNAP_DELTA)
		return qhb_err_at(e, f->offset, "frame %" PRIu64 ": kind %u is "
		    "not a snapshot", f->index, f->kind);
	if (qhb_meta_get_u64(&f->meta, "ram_size", &info->ram_size) ||
	    qhb_meta_get_u64(&f->meta, "page_size", &info->page_size))
		return qhb_err_at(e, f->offset, "frame %" PRIu64 ": snapshot "
		    "metadata lacks ram_size or page_size", f->index);
	if (info->page_size < 512 || info->page_size > (1u << 20) ||
	    (info->page_size & (info->page_size - 1)))
		return qhb_err_at(e, f->offset, "frame %" PRIu64 ": page size "
		    "%" PRIu64 " (expected a power of two, 512..1048576)",
		    f->index, info->page_size);
	if (info->ram_size == 0 || info->ram_size % info->page_size ||
	    info->ram_size > QHB_FRAME_MAX_CONTENT)
		return qhb_err_at(e, f->offset, "frame %" PRIu64 ": RAM size "
		    "%" PRIu64 " is not a whole number of pages", f->index,
		    info->ram_size);
	qhb_meta_get_u64(&f->meta, "seq", &info->seq);
	if (f->kind == QHB_FRAME_SNAP_DELTA &&
	    qhb_meta_get_u64(&f->meta, "base_seq", &info->base_seq))
		return qhb_err_at(e, f->offset, "frame %" PRIu64 ": delta "
		    "frame lacks base_seq", f->index);
	info->pages = info->ram_size / info->page_size;
	bm = (info->pages + 7) / 8;
	if (f->size < 2 * bm)
		return qhb_err_at(e, f->offset, "frame %" PRIu64 ": payload of "
		    "%zu bytes is shorter than its two %" PRIu64 "-byte page "
		    "bitmaps", f->index, f->size, bm);
	tail_bits = bm * 8 - info->pages;
	map = f->size - 2 * bm;     /* the bitmaps follow the pages */
	given_bm = f->data + map;
	zero_bm = given_bm + bm;
	for (uint64_t b = 0; b < bm; b++) {
		uint8_t given = given_bm[b], zero = zero_bm[b];
		if (zero & ~given)
			return qhb_err_at(e, f->offset, "frame %" PRIu64
			    ": payload byte %" PRIu64 ": zero bit for a page "
			    "the frame does not carry", f->index, map + bm + b);
		if (b == bm - 1 && tail_bits &&
		    (given >> (8 - tail_bits)) != 0)
			return qhb_err_at(e, f->offset, "frame %" PRIu64
			    ": payload byte %" PRIu64 ": bits past the last "
			    "page are set", f->index, map + b);
		if (f->kind == QHB_FRAME_SNAP && given !=
		    (b == bm - 1 && tail_bits ? 0xffu >> tail_bits : 0xffu))
			return qhb_err_at(e, f->offset, "frame %" PRIu64
			    ": payload byte %" PRIu64 ": a full snapshot must "
			    "carry every page", f->index, map + b);
		info->given_pages += (uint64_t)__builtin_popcount(given);
		info->zero_pages += (uint64_t)__builtin_popcount(zero);
	}
	info->data_pages = info->given_pages - info->zero_pages;
	if ((f->size - 2 * bm) / info->page_size != info->data_pages ||
	    (f->size - 2 * bm) % info->page_size != 0)
		return qhb_err_at(e, f->offset, "frame %" PRIu64 ": payload "
		    "holds %zu bytes of pages, expected %" PRIu64 " pages of "
		    "%" PRIu64, f->index, f->size - 2 * bm, info->data_pages,
		    info->page_size);
	info->data = f->data;       /* the pages come first */
	info->given = given_bm;
	info->zero = zero_bm;
	return 0;
}
