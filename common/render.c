/*
 * render -- pictures of a qhb volume.  See render.h.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "render.h"

#define DEG (M_PI / 180.0)

unsigned qhb_render_threads(unsigned want)
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
	unsigned nt = qhb_render_threads(o->threads), started = 0;
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
