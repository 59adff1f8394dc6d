/*
 * renderjob -- a volume stream turned into pictures.  See renderjob.h.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "outfile.h"
#include "overlay.h"
#include "png.h"
#include "renderjob.h"
#include "y4m.h"

/*
 * The stream.
 */
int qhb_renderjob_pattern_check(const char *pattern, struct qhb_err *e)
{
	unsigned convs = 0;

	if (pattern[0] == 0)
		return qhb_err_set(e, "empty output name");
	for (const char *p = pattern; *p; p++) {
		unsigned width = 0;
		if (*p != '%')
			continue;
		if (p[1] == '%') {
			p++;
			continue;
		}
		p++;
		if (*p == '0')
			p++;
		while (*p >= '0' && *p <= '9')
			width = width * 10 + (unsigned)(*p++ - '0');
		if (width > 20)
			return qhb_err_set(e, "%s: field width %u: expected at "
			    "most 20", pattern, width);
		if (*p != 'd' && *p != 'u' && *p != 'i')
			return qhb_err_set(e, "%s: expected one %%d (or %%05d, "
			    "%%u, %%%%) in the output pattern", pattern);
		convs++;
	}
	if (convs > 1)
		return qhb_err_set(e, "%s: more than one %%d in the output "
		    "pattern", pattern);
	return 0;
}

int qhb_renderjob_pattern_name(const char *pattern, uint64_t n, char *buf,
    size_t size, struct qhb_err *e)
{
	size_t k = 0;

	for (const char *p = pattern; *p; p++) {
		char num[32];
		unsigned width = 0;
		int zero = 0, len;
		const char *src = p;
		size_t sl = 1;
		if (*p == '%' && p[1] == '%') {
			p++;
		} else if (*p == '%') {
			p++;
			if (*p == '0')
				zero = 1, p++;
			while (*p >= '0' && *p <= '9')
				width = width * 10 + (unsigned)(*p++ - '0');
			len = zero ? snprintf(num, sizeof(num), "%0*llu",
			    (int)width, (unsigned long long)n) :
			    snprintf(num, sizeof(num), "%*llu", (int)width,
			    (unsigned long long)n);
			src = num, sl = (size_t)len;
		}
		if (k + sl >= size)
			return qhb_err_set(e, "%s: output name too long", pattern);
		memcpy(buf + k, src, sl);
		k += sl;
	}
	buf[k] = 0;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Writes to fd, naming the output in any error. */
static int write_all(int fd, const void *buf, size_t n, const char *name,
    struct qhb_err *e)
{
	if (qhb_write_all(fd, buf, n, e) == 0)
		return 0;
	qhb_err_path(e, name);
	return -1;
}

/*
 * The items of one volume frame (slices or views), in order, with views
 * kept in flight on the GPU up to its slots ahead.
 */
#define MAX_SLOTS 16

struct items {
	const struct qhb_renderjob *j;
	const struct qhb_volume *v;
	const char *legend;          /* the frame's, or NULL */
	struct qhb_renderjob_stats *st;
	int gpu;                     /* the GPU holds v */
	unsigned ahead;              /* views in flight at most */
	unsigned next;               /* the next view to start */
	struct qhb_camera cam[MAX_SLOTS];
	int on_gpu[MAX_SLOTS];
};

/* Pictures are encoded in batches of up to BATCH pictures or BATCH_BYTES
 * of pixels (one batch encoding while the next renders). */
#define BATCH 64
#define BATCH_BYTES (UINT64_C(128) << 20)

struct run {
	const struct qhb_renderjob *j;
	struct qhb_renderjob_stats st;
	struct qhb_volume vol;
	char legend[4096];
	int has_legend;
	uint64_t gen;
	unsigned y4m_w, y4m_h;    /* 0 until the header is out */
	uint8_t *y4m_buf;
	struct qhb_picture out[BATCH];
	unsigned nout;
	uint64_t out_bytes;
	/* the encoder thread's */
	pthread_t enc_th;
	int enc_started, enc_quit, enc_failed;
	pthread_mutex_t enc_lock;
	pthread_cond_t enc_cv;
	struct qhb_picture enc_pics[BATCH];
	unsigned enc_n;
	struct qhb_err enc_err;
	struct items it;          /* the frame's items */
	int carry;                /* leave the last views in flight */
	unsigned carried_first, carried;
};

struct y4m_band {
	const struct qhb_picture *img;
	uint8_t *out;
	unsigned j0, j1;
};

static void *y4m_band(void *arg)
{
	struct y4m_band *b = arg;

	qhb_y4m_frame_rows(b->img, b->out, b->j0, b->j1);
	return NULL;
}

/* img as a y4m FRAME into out, in bands of rows on up to nt threads (a
 * band the threads could not take is done here). */
static void y4m_convert(const struct qhb_picture *img, uint8_t *out,
    unsigned nt)
{
	unsigned rows = (img->h + 1) / 2, per;
	struct y4m_band b[64];
	pthread_t th[64];
	int started[64];

	if ((uint64_t)img->w * img->h < 65536)
		nt = 1;
	if (nt > rows)
		nt = rows;
	per = (rows + nt - 1) / nt;
	for (unsigned t = 0; t < nt; t++) {
		b[t] = (struct y4m_band){ img, out, t * per,
			(t + 1) * per < rows ? (t + 1) * per : rows };
		started[t] = t > 0 && pthread_create(&th[t], NULL, y4m_band,
		    &b[t]) == 0;
	}
	y4m_band(&b[0]);
	for (unsigned t = 1; t < nt; t++) {
		if (started[t])
			pthread_join(th[t], NULL);
		else
			y4m_band(&b[t]);
	}
}

/* Encodes and writes the n pictures at out (numbered on from
 * s->st.pictures), and releases them.  Returns 0, or -1 with e. */
static int encode_batch(struct run *s, struct qhb_picture *out, unsigned n,
    struct qhb_err *e)
{
	const struct qhb_renderjob *j = s->j;
	struct qhb_png png[BATCH];
	uint64_t t0 = now_ns(), t1;
	int rc = -1;

	if (n == 0)
		return 0;
	memset(png, 0, sizeof(png));
	if (j->y4m) {
		for (unsigned i = 0; i < n; i++) {
			const struct qhb_picture *p = &out[i];
			if (s->y4m_w == 0) {
				char hdr[128];
				size_t n = qhb_y4m_header(hdr, sizeof(hdr), p->w,
				    p->h, j->fps);
				if ((s->y4m_buf = malloc(qhb_y4m_frame_size(p->w,
				    p->h))) == NULL) {
					qhb_err_sys(e, "malloc");
					goto done;
				}
				if (write_all(j->out_fd, hdr, n, j->out_name, e))
					goto done;
				s->y4m_w = p->w, s->y4m_h = p->h;
				s->st.bytes_out += n;
			}
			if (p->w != s->y4m_w || p->h != s->y4m_h) {
				qhb_err_set(e, "picture %llu is %ux%u, the y4m "
				    "stream %ux%u: all frames must have one size",
				    (unsigned long long)s->st.pictures, p->w, p->h,
				    s->y4m_w, s->y4m_h);
				goto done;
			}
			y4m_convert(p, s->y4m_buf,
			    qhb_render_threads(j->r.threads));
			if (write_all(j->out_fd, s->y4m_buf,
			    qhb_y4m_frame_size(p->w, p->h), j->out_name, e))
				goto done;
			s->st.bytes_out += qhb_y4m_frame_size(p->w, p->h);
			s->st.pictures++;
		}
		s->st.write_ns += now_ns() - t0;
		rc = 0;
		goto done;
	}
	if (qhb_png_encode_many(out, n, j->png_level, png,
	    j->r.threads, e))
		goto done;
	t1 = now_ns();
	s->st.encode_ns += t1 - t0;
	for (unsigned i = 0; i < n; i++) {
		if (j->pattern != NULL) {
			struct qhb_outfile of = { .fd = -1 };
			char name[4096];
			if (qhb_renderjob_pattern_name(j->pattern,
			    s->st.pictures, name, sizeof(name), e) ||
			    qhb_outfile_open(&of, name, 0, e))
				goto done;
			if (write_all(of.fd, png[i].buf, png[i].len, name, e) ||
			    qhb_outfile_commit(&of, e)) {
				qhb_outfile_abort(&of);
				goto done;
			}
			s->st.files++;
		} else if (write_all(j->out_fd, png[i].buf, png[i].len,
		    j->out_name, e)) {
			goto done;
		}
		s->st.bytes_out += png[i].len;
		s->st.pictures++;
	}
	s->st.write_ns += now_ns() - t1;
	rc = 0;
done:
	for (unsigned i = 0; i < BATCH; i++)
		qhb_png_release(&png[i]);
	for (unsigned i = 0; i < n; i++)
		qhb_picture_release(&out[i]);
	return rc;
}

/*
 * The encoder thread: it encodes and writes one batch while the main
 * thread renders the next (on the GPU, mostly).  A batch is handed over
 * under the lock; the first error stops the encoding and is reported by
 * the next flush().
 */
static void *encoder(void *arg)
{
	struct run *s = arg;
	struct qhb_err e = { 0 };
	unsigned n;

	pthread_mutex_lock(&s->enc_lock);
	for (;;) {
		while (s->enc_n == 0 && !s->enc_quit)
			pthread_cond_wait(&s->enc_cv, &s->enc_lock);
		if (s->enc_n == 0)
			break;
		n = s->enc_n;
		pthread_mutex_unlock(&s->enc_lock);
		if (s->enc_failed) {
			for (unsigned i = 0; i < n; i++)
				qhb_picture_release(&s->enc_pics[i]);
		} else if (encode_batch(s, s->enc_pics, n, &e)) {
			pthread_mutex_lock(&s->enc_lock);
			s->enc_err = e;
			s->enc_failed = 1;
			pthread_mutex_unlock(&s->enc_lock);
		}
		pthread_mutex_lock(&s->enc_lock);
		s->enc_n = 0;
		pthread_cond_broadcast(&s->enc_cv);
	}
	pthread_mutex_unlock(&s->enc_lock);
	return NULL;
}

/* Waits until the encoder holds no batch.  Returns 0, or -1 with e, its
 * error. */
static int encoder_wait(struct run *s, struct qhb_err *e)
{
	int rc = 0;

	if (!s->enc_started)
		return 0;
	pthread_mutex_lock(&s->enc_lock);
	while (s->enc_n != 0)
		pthread_cond_wait(&s->enc_cv, &s->enc_lock);
	if (s->enc_failed) {
		*e = s->enc_err;
		rc = -1;
	}
	pthread_mutex_unlock(&s->enc_lock);
	return rc;
}

/* Hands the queued pictures to the encoder thread (or, without one,
 * encodes them here).  Returns 0, or -1 with e: an error of this batch
 * or of the one before. */
static int flush(struct run *s, struct qhb_err *e)
{
	unsigned n = s->nout;

	s->nout = 0;
	s->out_bytes = 0;
	if (!s->enc_started)
		return encode_batch(s, s->out, n, e);
	if (encoder_wait(s, e)) {
		for (unsigned i = 0; i < n; i++)
			qhb_picture_release(&s->out[i]);
		return -1;
	}
	if (n == 0)
		return 0;
	pthread_mutex_lock(&s->enc_lock);
	memcpy(s->enc_pics, s->out, n * sizeof(s->out[0]));
	s->enc_n = n;
	pthread_cond_broadcast(&s->enc_cv);
	pthread_mutex_unlock(&s->enc_lock);
	return 0;
}

/* A w x h picture of undefined pixels (the GPU's copy fills them). */
static int picture_alloc(struct qhb_picture *img, unsigned w, unsigned h,
    struct qhb_err *e)
{
	if ((img->px = malloc((size_t)w * h * 4)) == NULL)
		return qhb_err_sys(e, "malloc %zu bytes", (size_t)w * h * 4);
	img->w = w, img->h = h;
	return 0;
}

/* Brings the GPU's volume up to date (runs: a delta frame's, or NULL);
 * on failure the frame is CPU work. */
static void items_init(struct items *it, const struct qhb_renderjob *j,
    const struct qhb_volume *v, uint64_t gen, int delta, const uint8_t *runs,
    uint64_t nruns, const char *legend, struct qhb_renderjob_stats *st)
{
	const struct qhb_renderjob_gpu *g = j->gpu;
	struct qhb_err ge = { 0 };
	uint64_t t0 = now_ns();

	memset(it, 0, sizeof(*it));
	it->j = j, it->v = v, it->legend = legend, it->st = st;
	if (g == NULL || j->r.mode == QHB_RENDER_SLICES)
		return;
	it->gpu = g->volume(g->arg, v, gen, delta, runs, nruns, &ge) == 0;
	it->ahead = g->slots < 1 ? 1 : g->slots > MAX_SLOTS ? MAX_SLOTS :
	    g->slots;
	st->volume_ns += now_ns() - t0;
}

static void view_camera(const struct items *it, unsigned i,
    struct qhb_camera *cam)
{
	const struct qhb_renderjob *j = it->j;
	unsigned n = j->turntable ? j->turntable : 1;

	qhb_render_camera(cam, &j->r, it->v->info.shape.lsize[0],
	    j->r.azimuth + 360.0 * i / n);
}

/* Starts view i on the GPU, when it has the volume. */
static void item_start(struct items *it, unsigned i)
{
	const struct qhb_renderjob_gpu *g = it->j->gpu;
	unsigned k = i % it->ahead;
	struct qhb_err ge = { 0 };

	view_camera(it, i, &it->cam[k]);
	it->on_gpu[k] = it->gpu && g->submit(g->arg, k, &it->j->r, &it->cam[k],
	    &ge) == 0;
}

/* Item i (a slice or a view, started or not) with its overlays, into p. */
static int item_finish(struct items *it, unsigned i, struct qhb_picture *p,
    struct qhb_err *e)
{
	const struct qhb_renderjob *j = it->j;
	const struct qhb_renderjob_gpu *g = j->gpu;
	const struct qhb_volume *v = it->v;
	struct qhb_camera cam;
	struct qhb_picture lp;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	if (j->r.mode == QHB_RENDER_SLICES) {
		unsigned w, h;
		qhb_render_slice_count(v, j->r.axis, &w, &h);
		if (qhb_picture_init(p, w, h, j->r.background, e))
			return -1;
		qhb_render_slice(v, j->r.axis, i, j->r.background, p);
		if (j->regions != NULL && qhb_overlay_regions(p, v, j->regions,
		    NULL, j->r.axis, i, e))
			goto done;
	} else {
		unsigned k = it->ahead ? i % it->ahead : 0;
		struct qhb_err ge = { 0 };
		if (it->ahead && it->on_gpu[k]) {
			cam = it->cam[k];
			it->on_gpu[k] = 0;
			if (picture_alloc(p, cam.w, cam.h, e)) {
				g->collect(g->arg, k, NULL, &ge);
				return -1;
			}
			if (g->collect(g->arg, k, p, &ge) == 0) {
				it->st->gpu_views++;
				goto overlays;
			}
		} else {
			view_camera(it, i, &cam);
			if (qhb_picture_init(p, cam.w, cam.h,
			    j->r.background, e))
				return -1;
		}
		qhb_render_view(&j->r, &cam, v, p);
		it->st->cpu_views++;
overlays:
		if (j->regions != NULL && qhb_overlay_regions(p, v, j->regions,
		    &cam, 0, 0, e))
			goto done;
	}
	if (j->legend) {
		if (qhb_overlay_legend(&lp, p, v, it->legend, e))
			goto done;
		qhb_picture_release(p);
		*p = lp;
	}
	rc = 0;
done:
	if (rc)
		qhb_picture_release(p);
	return rc;
}

/* Waits for every view in flight and drops it. */
static void items_drop(struct items *it)
{
	const struct qhb_renderjob_gpu *g = it->j->gpu;

	for (unsigned k = 0; k < it->ahead; k++)
		if (it->on_gpu[k]) {
			struct qhb_err ge = { 0 };
			g->collect(g->arg, k, NULL, &ge);
			it->on_gpu[k] = 0;
		}
}

/* Items first .. first + n - 1 but the last leave (at most it->ahead),
 * each handed to take in order; views are started up to it->ahead before
 * they are finished, and the last leave are left started, for a later
 * call to finish.  On error nothing is left in flight. */
static int items_run(struct items *it, unsigned first, unsigned n,
    unsigned leave, qhb_renderjob_take_fn *take, void *arg, struct qhb_err *e)
{
	unsigned end = first + n, stop = end - leave, i;
	uint64_t t0 = now_ns(), t1;
	struct qhb_picture p;

	if (it->next < first)
		it->next = first;
	for (i = first; i < stop; i++) {
		while (it->ahead && it->next < end && it->next < i + it->ahead)
			item_start(it, it->next++);
		if (item_finish(it, i, &p, e))
			goto fail;
		t1 = now_ns();
		it->st->render_ns += t1 - t0;
		if (take(arg, i, &p, e))
			goto fail;
		t0 = now_ns();
	}
	while (it->ahead && it->next < end)
		item_start(it, it->next++);
	return 0;
fail:
	items_drop(it);
	return -1;
}

int qhb_renderjob_views(const struct qhb_renderjob *j,
    const struct qhb_volume *v, uint64_t gen, unsigned first, unsigned n,
    qhb_renderjob_take_fn *take, void *arg, struct qhb_renderjob_stats *st,
    struct qhb_err *e)
{
	struct qhb_renderjob_stats dummy;
	struct items it;

	if (st == NULL)
		st = &dummy;
	if (j->r.mode == QHB_RENDER_SLICES)
		return qhb_err_set(e, "slices are not views");
	items_init(&it, j, v, gen, 0, NULL, 0, NULL, st);
	return items_run(&it, first, n, 0, take, arg, e);
}

static int queue(void *arg, unsigned i, struct qhb_picture *p,
    struct qhb_err *e)
{
	struct run *s = arg;

	(void)i;
	s->out[s->nout++] = *p;
	s->out_bytes += (uint64_t)p->w * p->h * 4;
	memset(p, 0, sizeof(*p));
	if (s->nout == BATCH || s->out_bytes >= BATCH_BYTES)
		return flush(s, e);
	return 0;
}

/* A contact sheet's cells, composed and queued when full. */
struct sheet {
	struct run *s;
	struct qhb_picture *cell;
	unsigned base, n;            /* first item, cells filled */
};

static int sheet_put(struct sheet *sh, struct qhb_err *e)
{
	const struct qhb_renderjob *j = sh->s->j;
	struct qhb_picture p;
	int bad;

	bad = qhb_picture_sheet(&p, sh->cell, sh->n, j->sheet_cols,
	    j->sheet_rows, j->r.background, e);
	for (unsigned i = 0; i < sh->n; i++)
		qhb_picture_release(&sh->cell[i]);
	sh->n = 0;
	return bad || queue(sh->s, 0, &p, e) ? -1 : 0;
}

static int sheet_take(void *arg, unsigned i, struct qhb_picture *p,
    struct qhb_err *e)
{
	struct sheet *sh = arg;
	const struct qhb_renderjob *j = sh->s->j;

	(void)i;
	sh->cell[sh->n++] = *p;
	memset(p, 0, sizeof(*p));
	if (sh->n == j->sheet_cols * j->sheet_rows)
		return sheet_put(sh, e);
	return 0;
}

/* Renders this frame's items.  With s->carry, the last views (as many
 * as the GPU keeps in flight) are left started, for finish_carried() to
 * finish once the next frame has been read. */
static int render_frame(struct run *s, int delta, const uint8_t *runs,
    uint64_t nruns, struct qhb_err *e)
{
	const struct qhb_renderjob *j = s->j;
	unsigned items, w, h, cells, leave;
	struct sheet sh = { .s = s };
	struct items *it = &s->it;
	int rc = -1;

	items = j->r.mode == QHB_RENDER_SLICES ?
	    qhb_render_slice_count(&s->vol, j->r.axis, &w, &h) :
	    j->turntable ? j->turntable : 1;
	items_init(it, j, &s->vol, s->gen, delta, runs, nruns,
	    s->has_legend ? s->legend : NULL, &s->st);
	cells = j->sheet_cols * j->sheet_rows;
	if (cells == 0) {
		leave = s->carry && it->gpu ? (items < it->ahead ? items :
		    it->ahead) : 0;
		if (items_run(it, 0, items, leave, queue, s, e))
			return -1;
		s->carried_first = items - leave, s->carried = leave;
		return 0;
	}
	if ((sh.cell = calloc(cells, sizeof(*sh.cell))) == NULL)
		return qhb_err_sys(e, "calloc");
	if (items_run(it, 0, items, 0, sheet_take, &sh, e))
		goto done;
	if (sh.n > 0 && sheet_put(&sh, e))
		goto done;
	rc = 0;
done:
	for (unsigned i = 0; i < sh.n; i++)
		qhb_picture_release(&sh.cell[i]);
	free(sh.cell);
	return rc;
}

/* Finishes the views the last frame left in flight (before the volume
 * and legend they were made from change). */
static int finish_carried(struct run *s, struct qhb_err *e)
{
	unsigned n = s->carried;

	if (n == 0)
		return 0;
	s->carried = 0;
	s->st.carried += n;
	return items_run(&s->it, s->carried_first, n, 0, queue, s, e);
}

/* Whether the next frame is there to read at once (a regular file, or a
 * pipe with bytes waiting, or its end): then the last views of a frame
 * can be finished after it is read, with no picture held back waiting
 * for a live guest's next snapshot. */
static int next_ready(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return fd >= 0 && poll(&pfd, 1, 0) > 0;
}

int qhb_renderjob_run(const struct qhb_renderjob *j, struct qhb_reader *r,
    struct qhb_renderjob_stats *st, struct qhb_err *e)
{
	struct run *s;
	struct qhb_frame f;
	int rc = -1, got;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return qhb_err_sys(e, "calloc");
	s->j = j;
	s->vol.max_voxels = j->max_voxels;
	pthread_mutex_init(&s->enc_lock, NULL);
	pthread_cond_init(&s->enc_cv, NULL);
	s->enc_started = pthread_create(&s->enc_th, NULL, encoder, s) == 0;
	qhb_frame_init(&f);
	if (j->pattern != NULL && qhb_renderjob_pattern_check(j->pattern, e))
		goto done;
	while ((got = qhb_reader_next(r, &f, e)) > 0) {
		struct qhb_volume_info info;
		uint64_t off = qhb_reader_offset(r);
		if (finish_carried(s, e))
			goto done;
		if (qhb_volume_apply(&s->vol, &f, e)) {
			if (!e->has_off) {
				char m[sizeof(e->msg)];
				memcpy(m, e->msg, sizeof(m));
				qhb_err_at(e, off, "%s", m);
			}
			goto done;
		}
		s->has_legend = 0;
		if (qhb_volume_check(&f, &info, NULL) != 0)
			memset(&info, 0, sizeof(info));
		if (info.legend) {
			snprintf(s->legend, sizeof(s->legend), "%s", info.legend);
			s->has_legend = 1;
		}
		s->gen++;
		s->st.frames++;
		s->carry = next_ready(j->in_fd);
		if (render_frame(s, info.delta, f.data, info.delta ? info.runs : 0,
		    e))
			goto done;
		if (flush(s, e))
			goto done;
	}
	if (got < 0 || finish_carried(s, e) || flush(s, e) ||
	    encoder_wait(s, e))
		goto done;
	if (s->st.frames == 0) {
		qhb_err_path(e, qhb_reader_name(r));
		qhb_err_set(e, "no volume frame in the input");
		goto done;
	}
	rc = 0;
done:
	if (s->carried)
		items_drop(&s->it);
	if (s->enc_started) {
		pthread_mutex_lock(&s->enc_lock);
		s->enc_quit = 1;
		pthread_cond_broadcast(&s->enc_cv);
		pthread_mutex_unlock(&s->enc_lock);
		pthread_join(s->enc_th, NULL);
	}
	pthread_mutex_destroy(&s->enc_lock);
	pthread_cond_destroy(&s->enc_cv);
	for (unsigned i = 0; i < s->nout; i++)
		qhb_picture_release(&s->out[i]);
	if (st != NULL)
		*st = s->st;
	qhb_frame_release(&f);
	qhb_volume_release(&s->vol);
	free(s->y4m_buf);
	free(s);
	return rc;
}
