/*
 * rendervk -- volume views on a Vulkan device.  See rendervk.h.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "rendervk.h"

#define NPARAM 136
/* Delta uploads go in aligned blocks of this many voxels. */
#define BLOCK 64

struct slot {
	struct qhb_vk_buf prm;         /* parameters, host-visible */
	struct qhb_vk_buf out;         /* the picture the shader writes */
	struct qhb_vk_buf back;        /* read-back, host-visible; or none
	                                  when out is host-visible itself */
	uint64_t cap;                  /* bytes of out (and back) */
	uint64_t bytes;                /* bytes of the view in flight */
	int busy;
};

struct qhb_rendervk {
	struct qhb_vk *vk;
	struct qhb_vk_buf vol;
	const struct qhb_volume *v;    /* the volume vol holds */
	uint64_t gen;
	uint64_t uploaded;
	struct slot slot[QHB_RENDERVK_SLOTS];
};

static void slot_free(struct qhb_rendervk *rv, struct slot *s)
{
	qhb_vk_buf_free(rv->vk, &s->back);
	qhb_vk_buf_free(rv->vk, &s->out);
	qhb_vk_buf_free(rv->vk, &s->prm);
	memset(s, 0, sizeof(*s));
}

struct qhb_rendervk *qhb_rendervk_new(struct qhb_vk *vk, struct qhb_err *e)
{
	struct qhb_rendervk *rv;

	if ((rv = calloc(1, sizeof(*rv))) == NULL) {
		qhb_err_sys(e, "calloc");
		return NULL;
	}
	rv->vk = vk;
	for (unsigned i = 0; i < QHB_RENDERVK_SLOTS; i++)
		if (qhb_vk_buf_new_host(vk, &rv->slot[i].prm, NPARAM * 4, 1,
		    e)) {
			qhb_rendervk_free(rv);
			return NULL;
		}
	return rv;
}

/* Waits for every slot in flight. */
static int drain(struct qhb_rendervk *rv, struct qhb_err *e)
{
	int rc = 0;

	for (unsigned i = 0; i < QHB_RENDERVK_SLOTS; i++)
		if (rv->slot[i].busy) {
			rv->slot[i].busy = 0;
			if (qhb_vk_wait(rv->vk, i, e))
				rc = -1;
		}
	return rc;
}

/* The blocks of BLOCK voxels that nruns runs (16 bytes each: start and
 * count, little-endian) touch, below total: into off[] as byte offsets,
 * ascending, each once.  Returns how many. */
static uint64_t delta_blocks(const uint8_t *runs, uint64_t nruns,
    uint64_t total, uint64_t *off)
{
	uint64_t n = 0, next = 0;      /* first block not yet listed */

	for (uint64_t r = 0; r < nruns; r++) {
		uint64_t st, cnt, b, end;
		memcpy(&st, runs + 16 * r, 8);
		memcpy(&cnt, runs + 16 * r + 8, 8);
		st = le64toh(st), cnt = le64toh(cnt);
		if (cnt == 0 || st >= total)
			continue;
		end = total - st < cnt ? total : st + cnt;
		b = st / BLOCK > next ? st / BLOCK : next;
		for (; b * BLOCK < end; b++)
			off[n++] = b * BLOCK * 4;
		next = b;
	}
	return n;
}

static int volume(void *arg, const struct qhb_volume *v, uint64_t gen,
    int delta, const uint8_t *runs, uint64_t nruns, struct qhb_err *e)
{
	struct qhb_rendervk *rv = arg;
	uint64_t total = v->info.shape.total, bytes = total * 4;
	uint64_t *off = NULL, n, nblocks = 0, tail;
	int rc = -1;

	if (drain(rv, e))
		return -1;
	if (rv->v == v && rv->gen == gen && rv->vol.buf != VK_NULL_HANDLE)
		return 0;
	if (bytes > 4 * qhb_vk_chunk(rv->vk) || total > UINT32_MAX)
		return qhb_err_set(e, "volume of %llu bytes: past the device's "
		    "four binding chunks", (unsigned long long)bytes);
	if (delta && rv->v == v && rv->gen + 1 == gen &&
	    rv->vol.size == bytes) {
		for (uint64_t r = 0; r < nruns; r++) {
			uint64_t cnt;
			memcpy(&cnt, runs + 16 * r + 8, 8);
			nblocks += le64toh(cnt) / BLOCK + 2;
		}
		if (nblocks > total / BLOCK + 1)
			nblocks = total / BLOCK + 1;
		if ((off = malloc((nblocks ? nblocks : 1) * 8)) == NULL)
			return qhb_err_sys(e, "malloc");
		n = delta_blocks(runs, nruns, total, off);
		/* A block past the end goes up alone, cut short. */
		tail = n > 0 && off[n - 1] + BLOCK * 4 > bytes;
		if (n - tail > 0 && qhb_vk_write_blocks(rv->vk, &rv->vol, off,
		    (const uint8_t *)v->vox, off, BLOCK * 4, n - tail, e))
			goto done;
		if (tail && qhb_vk_write(rv->vk, &rv->vol, off[n - 1],
		    (const uint8_t *)v->vox + off[n - 1], bytes - off[n - 1], e))
			goto done;
		rv->uploaded += (n - tail) * BLOCK * 4 +
		    (tail ? bytes - off[n - 1] : 0);
	} else {
		rv->v = NULL;
		if (rv->vol.size != bytes) {
			qhb_vk_buf_free(rv->vk, &rv->vol);
			if (qhb_vk_buf_new(rv->vk, &rv->vol, bytes, NULL, e))
				goto done;
		}
		if (qhb_vk_write(rv->vk, &rv->vol, 0, v->vox, bytes, e))
			goto done;
		rv->uploaded += bytes;
	}
	rv->v = v, rv->gen = gen;
	rc = 0;
done:
	if (rc)
		rv->v = NULL;          /* the device's copy is no generation */
	free(off);
	return rc;
}

static int submit(void *arg, unsigned k, const struct qhb_render_opts *o,
    const struct qhb_camera *cam, struct qhb_err *e)
{
	struct qhb_rendervk *rv = arg;
	struct slot *sl = &rv->slot[k];
	const struct qhb_volume_shape *s;
	uint64_t chunk = qhb_vk_chunk(rv->vk), pixels = (uint64_t)cam->w * cam->h;
	struct qhb_vk_binding b[6];
	uint32_t *p = sl->prm.map, push[2] = { 0, (uint32_t)pixels };
	float f[17];
	unsigned cs = 0;

	if (o->mode == QHB_RENDER_SLICES)
		return qhb_err_set(e, "slices are CPU work");
	if (rv->v == NULL)
		return qhb_err_set(e, "no volume on the device");
	if (k >= QHB_RENDERVK_SLOTS || sl->busy)
		return qhb_err_set(e, "slot %u: not free", k);
	s = &rv->v->info.shape;
	if (sl->cap < pixels * 4) {
		qhb_vk_buf_free(rv->vk, &sl->back);
		qhb_vk_buf_free(rv->vk, &sl->out);
		sl->cap = 0;
		if (qhb_vk_buf_new(rv->vk, &sl->out, pixels * 4, NULL, e))
			return -1;
		if (sl->out.map == NULL &&
		    qhb_vk_buf_new_host(rv->vk, &sl->back, pixels * 4, 0, e)) {
			qhb_vk_buf_free(rv->vk, &sl->out);
			return -1;
		}
		sl->cap = pixels * 4;
	}
	while ((UINT64_C(1) << cs) < chunk / 4)
		cs++;
	memset(p, 0, NPARAM * 4);
	p[0] = cam->w, p[1] = cam->h;
	p[2] = o->mode == QHB_RENDER_COMPOSITE;
	p[3] = o->no_skip ? 0 : s->lod;
	p[4] = (uint32_t)cam->perspective;
	p[5] = o->background;
	p[6] = cs;
	for (unsigned l = 0; l <= s->lod && l < 25; l++) {
		p[10 + 4 * l] = s->lsize[l][0];
		p[11 + 4 * l] = s->lsize[l][1];
		p[12 + 4 * l] = s->lsize[l][2];
		p[13 + 4 * l] = (uint32_t)s->loff[l];
	}
	for (int i = 0; i < 3; i++) {
		f[i] = (float)cam->c[i], f[3 + i] = (float)cam->R[i];
		f[6 + i] = (float)cam->D[i], f[9 + i] = (float)cam->F[i];
		f[12 + i] = (float)cam->eye[i];
	}
	f[15] = (float)cam->scale;
	f[16] = (float)(o->opacity > 0 ? o->opacity : 0.1);
	memcpy(p + 112, f, sizeof(f));
	for (unsigned i = 0; i < 4; i++) {
		uint64_t off = i * chunk < rv->vol.size ? i * chunk : 0;
		b[i].b = &rv->vol;
		b[i].off = off;
		b[i].range = rv->vol.size - off < chunk ? rv->vol.size - off :
		    chunk;
	}
	b[4] = (struct qhb_vk_binding){ &sl->prm, 0, sl->prm.size };
	b[5] = (struct qhb_vk_binding){ &sl->out, 0, pixels * 4 };
	if (qhb_vk_run_async(rv->vk, k, "render", b, 6, push, sizeof(push),
	    (pixels + 63) / 64, sl->out.map ? NULL : &sl->out, &sl->back,
	    pixels * 4, e))
		return -1;
	sl->bytes = pixels * 4;
	sl->busy = 1;
	return 0;
}

static int collect(void *arg, unsigned k, struct qhb_picture *img,
    struct qhb_err *e)
{
	struct qhb_rendervk *rv = arg;
	struct slot *sl = &rv->slot[k];
	const struct qhb_vk_buf *from;

	if (k >= QHB_RENDERVK_SLOTS || !sl->busy)
		return qhb_err_set(e, "slot %u: nothing in flight", k);
	sl->busy = 0;
	if (qhb_vk_wait(rv->vk, k, e))
		return -1;
	if (img == NULL)
		return 0;
	if ((uint64_t)img->w * img->h * 4 != sl->bytes)
		return qhb_err_set(e, "picture of %ux%u: not the view's size",
		    img->w, img->h);
	from = sl->out.map ? &sl->out : &sl->back;
	memcpy(img->px, from->map, sl->bytes);
	return 0;
}

void qhb_rendervk_gpu(struct qhb_rendervk *rv, struct qhb_renderjob_gpu *g)
{
	memset(g, 0, sizeof(*g));
	g->arg = rv;
	g->slots = QHB_RENDERVK_SLOTS;
	g->volume = volume;
	g->submit = submit;
	g->collect = collect;
}

uint64_t qhb_rendervk_uploaded(const struct qhb_rendervk *rv)
{
	return rv->uploaded;
}

uint64_t qhb_rendervk_compare(struct qhb_rendervk *rv,
    const struct qhb_volume *v, struct qhb_err *e)
{
	uint64_t total = v->info.shape.total, i = UINT64_MAX;
	uint32_t *dev;

	if (rv->vol.size != total * 4)
		return qhb_err_set(e, "no volume of that size on the device"),
		    UINT64_MAX;
	if ((dev = malloc(total * 4)) == NULL)
		return qhb_err_sys(e, "malloc"), UINT64_MAX;
	if (drain(rv, e) == 0 &&
	    qhb_vk_read(rv->vk, &rv->vol, 0, dev, total * 4, e) == 0)
		for (i = 0; i < total && dev[i] == v->vox[i]; i++)
			;
	free(dev);
	return i;
}

void qhb_rendervk_free(struct qhb_rendervk *rv)
{
	struct qhb_err e = { 0 };

	if (rv == NULL)
		return;
	drain(rv, &e);
	for (unsigned i = 0; i < QHB_RENDERVK_SLOTS; i++)
		slot_free(rv, &rv->slot[i]);
	qhb_vk_buf_free(rv->vk, &rv->vol);
	free(rv);
}
