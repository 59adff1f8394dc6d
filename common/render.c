/*
 * render -- pictures of a qhb volume.  See render.h.
 */
#include <errno.h>
#include <poll.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "outfile.h"
#include "overlay.h"
#include "png.h"
#include "render.h"
#include "y4m.h"

#define DEG (M_PI / 180.0)

static unsigned ncpu(unsigned want)
{
	long n;

	if (want)
		return want;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

/*
 * The camera.
 */
void qhb_render_camera(struct qhb_camera *cam, const struct qhb_render_opts *o,
    const uint32_t *size, double az)
{
	double a = az * DEG, el = o->elevation * DEG, diag;
	double zoom = o->zoom > 0 ? o->zoom : 1;

	memset(cam, 0, sizeof(*cam));
	for (int i = 0; i < 3; i++)
		cam->c[i] = size[i] / 2.0;
	diag = sqrt((double)size[0] * size[0] + (double)size[1] * size[1] +
	    (double)size[2] * size[2]);
	cam->F[0] = cos(el) * sin(a), cam->F[1] = sin(el);
	cam->F[2] = cos(el) * cos(a);
	cam->R[0] = cos(a), cam->R[1] = 0, cam->R[2] = -sin(a);
	cam->D[0] = -sin(el) * sin(a), cam->D[1] = cos(el);
	cam->D[2] = -sin(el) * cos(a);
	cam->w = o->width, cam->h = o->height;
	cam->scale = zoom * (o->width < o->height ? o->width : o->height) / diag;
	cam->perspective = o->perspective;
	cam->dist = 2 * diag;
	for (int i = 0; i < 3; i++)
		cam->eye[i] = cam->c[i] - cam->dist * cam->F[i];
}

int qhb_render_project(const struct qhb_camera *cam, const double *p,
    double *px)
{
	double q[3], u = 0, v = 0, f = 0, k = 1;

	for (int i = 0; i < 3; i++)
		q[i] = p[i] - cam->c[i];
	for (int i = 0; i < 3; i++) {
		u += q[i] * cam->R[i];
		v += q[i] * cam->D[i];
		f += q[i] * cam->F[i];
	}
	if (cam->perspective) {
		if (f + cam->dist <= 1e-9)
			return -1;
		k = cam->dist / (f + cam->dist);
	}
	px[0] = u * k * cam->scale + cam->w / 2.0;
	px[1] = v * k * cam->scale + cam->h / 2.0;
	return 0;
}

/*
 * Ray casting.
 */
struct cast {
	const struct qhb_render_opts *o;
	const struct qhb_camera *cam;
	const struct qhb_volume *v;
	struct qhb_picture *img;
	unsigned lmax;           /* coarsest level used for skipping */
	unsigned next;           /* next tile, shared */
	pthread_mutex_t lock;
};

static inline const uint32_t *level(const struct qhb_volume *v, unsigned l)
{
	return v->vox + v->info.shape.loff[l];
}

/* Straight rgba over rgba (background), to bytes. */
static uint32_t over(double r, double g, double b, double a, uint32_t bg)
{
	double ba = (bg >> 24) / 255.0, oa = a + (1 - a) * ba, c[3];
	double bc[3] = { bg & 0xff, (bg >> 8) & 0xff, (bg >> 16) & 0xff };
	double in[3] = { r, g, b };
	uint32_t out = 0;

	for (int i = 0; i < 3; i++) {
		c[i] = oa > 0 ? (in[i] * a + bc[i] * (1 - a) * ba) / oa : 0;
		out |= (uint32_t)(c[i] + 0.5 > 255 ? 255 : c[i] + 0.5) << (8 * i);
	}
	return out | (uint32_t)(oa * 255 + 0.5) << 24;
}

/* What a maximum-intensity projection maximizes: luma times alpha. */
static inline uint32_t intensity(uint32_t vx)
{
	return (77 * (vx & 0xff) + 150 * ((vx >> 8) & 0xff) + 29 *
	    ((vx >> 16) & 0xff) + 1) * (vx >> 24);
}

/* The coarsest mip level whose cell around ix is transparent (0: none).
 * Levels are per-channel maxima, so a transparent cell has transparent
 * cells under it: the search goes up from level 1 and stops at the first
 * level that is not. */
static unsigned empty_level(const struct cast *c, const uint32_t *ix)
{
	const struct qhb_volume_shape *s = &c->v->info.shape;
	unsigned L = 0;

	for (unsigned l = 1; l <= c->lmax; l++) {
		const uint32_t *m = s->lsize[l];
		uint32_t w = level(c->v, l)[(ix[0] >> l) + (uint64_t)m[0] *
		    ((ix[1] >> l) + (uint64_t)m[1] * (ix[2] >> l))];
		if (w >> 24 != 0)
			break;
		L = l;
	}
	return L;
}

/* The voxel holding o + t d (nudged along d), clamped to the box. */
static void locate_at(const uint32_t *n, const double *o, const double *d,
    double t, uint32_t *ix)
{
	for (int i = 0; i < 3; i++) {
		int64_t k = (int64_t)floor(o[i] + t * d[i]);
		ix[i] = k < 0 ? 0 : k >= n[i] ? n[i] - 1 : (uint32_t)k;
	}
}

/*
 * One ray: an exact voxel walk (Amanatides and Woo) from where the ray
 * enters the box to where it leaves; at a transparent voxel, a jump to the
 * exit of the coarsest transparent mip cell around it.
 */
static uint32_t cast_ray(const struct cast *c, const double *o,
    const double *d)
{
	const struct qhb_volume_shape *s = &c->v->info.shape;
	const uint32_t *n = s->lsize[0], *l0 = level(c->v, 0);
	double t0 = -INFINITY, t1 = INFINITY, inv[3], tmax[3], tdel[3], t;
	double op = c->o->opacity > 0 ? c->o->opacity : 0.1;
	double acc[4] = { 0, 0, 0, 0 };
	uint32_t mx[4] = { 0, 0, 0, 0 }, best = 0, ix[3];
	int comp = c->o->mode == QHB_RENDER_COMPOSITE, step[3];

	for (int i = 0; i < 3; i++) {
		if (d[i] == 0) {
			inv[i] = INFINITY;
			if (o[i] < 0 || o[i] >= n[i])
				return c->o->background;
			continue;
		}
		inv[i] = 1 / d[i];
		double a = -o[i] * inv[i], b = (n[i] - o[i]) * inv[i];
		if (a > b) {
			double x = a;
			a = b, b = x;
		}
		t0 = a > t0 ? a : t0;
		t1 = b < t1 ? b : t1;
	}
	if (c->cam->perspective && t0 < 0)
		t0 = 0;
	t = t0;
	if (!(t < t1))
		return c->o->background;
	locate_at(n, o, d, t + 1e-4 * (1 + fabs(t)), ix);
	for (int i = 0; i < 3; i++) {
		step[i] = d[i] > 0 ? 1 : -1;
		tdel[i] = fabs(inv[i]);
		tmax[i] = d[i] == 0 ? INFINITY :
		    ((double)ix[i] + (d[i] > 0) - o[i]) * inv[i];
	}
	while (t < t1) {
		uint32_t vx = l0[ix[0] + (uint64_t)n[0] * (ix[1] +
		    (uint64_t)n[1] * ix[2])];
		unsigned L = vx >> 24 == 0 && c->lmax ? empty_level(c, ix) : 0;
		int ax = tmax[0] < tmax[1] ? (tmax[0] < tmax[2] ? 0 : 2) :
		    (tmax[1] < tmax[2] ? 1 : 2);
		double tx = tmax[ax];

		if (L > 0) {
			/* Jump out of the empty cell and find the voxel there. */
			tx = INFINITY;
			for (int i = 0; i < 3; i++) {
				double lo, e;
				if (d[i] == 0)
					continue;
				lo = (double)((ix[i] >> L) << L);
				e = ((d[i] > 0 ? lo + (1u << L) : lo) - o[i]) * inv[i];
				tx = e < tx ? e : tx;
			}
			if (tx <= t)
				tx = t + 1e-4 * (1 + fabs(t));
			t = tx;
			if (!(t < t1))
				break;
			locate_at(n, o, d, t + 1e-4 * (1 + fabs(t)), ix);
			for (int i = 0; i < 3; i++)
				tmax[i] = d[i] == 0 ? INFINITY :
				    ((double)ix[i] + (d[i] > 0) - o[i]) * inv[i];
			continue;
		}
		if (tx > t1)
			tx = t1;
		if (vx >> 24 != 0) {
			if (comp) {
				double a = (vx >> 24) / 255.0 * op * (tx - t), f;
				a = a > 1 ? 1 : a;
				f = (1 - acc[3]) * a;
				acc[0] += f * (vx & 0xff);
				acc[1] += f * ((vx >> 8) & 0xff);
				acc[2] += f * ((vx >> 16) & 0xff);
				acc[3] += f;
				if (acc[3] >= 0.99)
					break;
			} else {
				uint32_t in = intensity(vx);
				if (in > best) {
					best = in;
					for (int i = 0; i < 4; i++)
						mx[i] = (vx >> (8 * i)) & 0xff;
				}
			}
		}
		if (tx > t)
			t = tx;
		ix[ax] += (uint32_t)step[ax];
		if (ix[ax] >= n[ax])
			break;
		tmax[ax] += tdel[ax];
	}
	if (comp) {
		if (acc[3] <= 0)
			return c->o->background;
		return over(acc[0] / acc[3], acc[1] / acc[3], acc[2] / acc[3],
		    acc[3], c->o->background);
	}
	if (mx[3] == 0)
		return c->o->background;
	if (mx[3] == 255)
		return mx[0] | mx[1] << 8 | mx[2] << 16 | 0xffu << 24;
	return over(mx[0], mx[1], mx[2], mx[3] / 255.0, c->o->background);
}

/* Threads take tiles of TILE x TILE pixels: neighbouring rays cross
 * neighbouring voxels, which then stay in cache. */
#define TILE 16

static void *cast_rows(void *arg)
{
	struct cast *c = arg;
	const struct qhb_camera *cam = c->cam;
	uint32_t *px = (uint32_t *)c->img->px;
	unsigned tw = (cam->w + TILE - 1) / TILE, th = (cam->h + TILE - 1) / TILE;

	for (;;) {
		unsigned k, i0, j0;
		pthread_mutex_lock(&c->lock);
		k = c->next++;
		pthread_mutex_unlock(&c->lock);
		if (k >= tw * th)
			break;
		i0 = k % tw * TILE, j0 = k / tw * TILE;
		for (unsigned j = j0; j < j0 + TILE && j < cam->h; j++)
			for (unsigned i = i0; i < i0 + TILE && i < cam->w; i++) {
				double u = (i + 0.5 - cam->w / 2.0) / cam->scale;
				double v = (j + 0.5 - cam->h / 2.0) / cam->scale;
				double p[3], d[3], len = 0;
				for (int q = 0; q < 3; q++)
					p[q] = cam->c[q] + u * cam->R[q] +
					    v * cam->D[q];
				if (cam->perspective) {
					for (int q = 0; q < 3; q++) {
						d[q] = p[q] - cam->eye[q];
						len += d[q] * d[q];
					}
					len = sqrt(len);
					for (int q = 0; q < 3; q++) {
						d[q] /= len;
						p[q] = cam->eye[q];
					}
				} else {
					memcpy(d, cam->F, sizeof(d));
				}
				px[(size_t)j * cam->w + i] = cast_ray(c, p, d);
			}
	}
	return NULL;
}

void qhb_render_view(const struct qhb_render_opts *o,
    const struct qhb_camera *cam, const struct qhb_volume *v,
    struct qhb_picture *img)
{
	struct cast c = { .o = o, .cam = cam, .v = v, .img = img };
	unsigned nt = ncpu(o->threads), started = 0;
	pthread_t th[64];

	c.lmax = o->no_skip ? 0 : v->info.shape.lod;
	pthread_mutex_init(&c.lock, NULL);
	if (nt > (cam->w + TILE - 1) / TILE * ((cam->h + TILE - 1) / TILE))
		nt = (cam->w + TILE - 1) / TILE * ((cam->h + TILE - 1) / TILE);
	for (unsigned i = 1; i < nt; i++)
		if (pthread_create(&th[started], NULL, cast_rows, &c) == 0)
			started++;
	cast_rows(&c);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&c.lock);
}

/*
 * Slices.
 */
unsigned qhb_render_slice_count(const struct qhb_volume *v, unsigned axis,
    unsigned *w, unsigned *h)
{
	const uint32_t *n = v->info.shape.lsize[0];

	*w = n[axis == 0 ? 1 : 0];
	*h = n[axis == 2 ? 1 : 2];
	return n[axis];
}

void qhb_render_slice(const struct qhb_volume *v, unsigned axis, unsigned k,
    uint32_t background, struct qhb_picture *img)
{
	const uint32_t *n = v->info.shape.lsize[0], *l0 = level(v, 0);
	uint32_t *px = (uint32_t *)img->px;
	unsigned w, h;

	qhb_render_slice_count(v, axis, &w, &h);
	for (unsigned j = 0; j < h; j++)
		for (unsigned i = 0; i < w; i++) {
			uint32_t x[3], vx;
			x[axis] = k;
			x[axis == 0 ? 1 : 0] = i;
			x[axis == 2 ? 1 : 2] = j;
			vx = l0[x[0] + (uint64_t)n[0] * (x[1] +
			    (uint64_t)n[1] * x[2])];
			if (vx >> 24 == 255)
				px[(size_t)j * w + i] = vx;
			else if (vx >> 24 == 0)
				px[(size_t)j * w + i] = background;
			else
				px[(size_t)j * w + i] = over(vx & 0xff,
				    (vx >> 8) & 0xff, (vx >> 16) & 0xff,
				    (vx >> 24) / 255.0, background);
		}
}

/*
 * The stream.
 */
int qhb_render_pattern_check(const char *pattern, struct qhb_err *e)
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

int qhb_render_pattern_name(const char *pattern, uint64_t n, char *buf,
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
	const struct qhb_render_job *j;
	const struct qhb_volume *v;
	const char *legend;          /* the frame's, or NULL */
	struct qhb_render_stats *st;
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
	const struct qhb_render_job *j;
	struct qhb_render_stats st;
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
	const struct qhb_render_job *j = s->j;
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
			y4m_convert(p, s->y4m_buf, ncpu(j->r.threads));
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
			if (qhb_render_pattern_name(j->pattern, s->st.pictures,
			    name, sizeof(name), e) ||
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
static void items_init(struct items *it, const struct qhb_render_job *j,
    const struct qhb_volume *v, uint64_t gen, int delta, const uint8_t *runs,
    uint64_t nruns, const char *legend, struct qhb_render_stats *st)
{
	const struct qhb_render_gpu *g = j->gpu;
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
	const struct qhb_render_job *j = it->j;
	unsigned n = j->turntable ? j->turntable : 1;

	qhb_render_camera(cam, &j->r, it->v->info.shape.lsize[0],
	    j->r.azimuth + 360.0 * i / n);
}

/* Starts view i on the GPU, when it has the volume. */
static void item_start(struct items *it, unsigned i)
{
	const struct qhb_render_gpu *g = it->j->gpu;
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
	const struct qhb_render_job *j = it->j;
	const struct qhb_render_gpu *g = j->gpu;
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
	const struct qhb_render_gpu *g = it->j->gpu;

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
    unsigned leave, qhb_render_take_fn *take, void *arg, struct qhb_err *e)
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

int qhb_render_views(const struct qhb_render_job *j,
    const struct qhb_volume *v, uint64_t gen, unsigned first, unsigned n,
    qhb_render_take_fn *take, void *arg, struct qhb_render_stats *st,
    struct qhb_err *e)
{
	struct qhb_render_stats dummy;
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
	const struct qhb_render_job *j = sh->s->j;
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
	const struct qhb_render_job *j = sh->s->j;

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
	const struct qhb_render_job *j = s->j;
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

int qhb_render_run(const struct qhb_render_job *j, struct qhb_reader *r,
    struct qhb_render_stats *st, struct qhb_err *e)
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
	if (j->pattern != NULL && qhb_render_pattern_check(j->pattern, e))
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
		qhb_err_set(e, "no volume frame");
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
