/*
 * rendervk -- volume views on a Vulkan device.  See rendervk.h.
 */
#include <stdlib.h>
#include <string.h>

#include "rendervk.h"

#define NPARAM 136

struct qhb_rendervk {
	struct qhb_vk *vk;
	struct qhb_vk_buf vol, prm, out;
	const struct qhb_volume *v;    /* the volume vol holds */
	uint64_t gen;
	uint64_t out_cap;              /* bytes */
};

struct qhb_rendervk *qhb_rendervk_new(struct qhb_vk *vk, struct qhb_err *e)
{
	struct qhb_rendervk *rv;

	if ((rv = calloc(1, sizeof(*rv))) == NULL) {
		qhb_err_sys(e, "calloc");
		return NULL;
	}
	rv->vk = vk;
	if (qhb_vk_buf_new(vk, &rv->prm, NPARAM * 4, NULL, e)) {
		free(rv);
		return NULL;
	}
	return rv;
}

static int upload(struct qhb_rendervk *rv, const struct qhb_volume *v,
    uint64_t gen, struct qhb_err *e)
{
	uint64_t bytes = v->info.shape.total * 4;

	if (rv->v == v && rv->gen == gen && rv->vol.buf != VK_NULL_HANDLE)
		return 0;
	if (bytes > 4 * qhb_vk_chunk(rv->vk) ||
	    v->info.shape.total > UINT32_MAX)
		return qhb_err_set(e, "volume of %llu bytes: past the device's "
		    "four binding chunks", (unsigned long long)bytes);
	if (rv->vol.size != bytes) {
		qhb_vk_buf_free(rv->vk, &rv->vol);
		memset(&rv->vol, 0, sizeof(rv->vol));
		if (qhb_vk_buf_new(rv->vk, &rv->vol, bytes, NULL, e))
			return -1;
	}
	if (qhb_vk_write(rv->vk, &rv->vol, 0, v->vox, bytes, e))
		return -1;
	rv->v = v, rv->gen = gen;
	return 0;
}

int qhb_rendervk_view(void *arg, const struct qhb_render_opts *o,
    const struct qhb_camera *cam, const struct qhb_volume *v, uint64_t gen,
    struct qhb_picture *img, struct qhb_err *e)
{
	struct qhb_rendervk *rv = arg;
	const struct qhb_volume_shape *s = &v->info.shape;
	uint64_t chunk = qhb_vk_chunk(rv->vk), pixels = (uint64_t)cam->w * cam->h;
	struct qhb_vk_binding b[6];
	uint32_t p[NPARAM], push[2] = { 0, (uint32_t)pixels };
	float f[17];
	unsigned cs = 0;

	if (o->mode == QHB_RENDER_SLICES)
		return qhb_err_set(e, "slices are CPU work");
	if (upload(rv, v, gen, e))
		return -1;
	if (rv->out_cap < pixels * 4) {
		qhb_vk_buf_free(rv->vk, &rv->out);
		memset(&rv->out, 0, sizeof(rv->out));
		rv->out_cap = 0;
		if (qhb_vk_buf_new(rv->vk, &rv->out, pixels * 4, NULL, e))
			return -1;
		rv->out_cap = pixels * 4;
	}
	while ((UINT64_C(1) << cs) < chunk / 4)
		cs++;
	memset(p, 0, sizeof(p));
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
	if (qhb_vk_write(rv->vk, &rv->prm, 0, p, sizeof(p), e))
		return -1;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t off = i * chunk < rv->vol.size ? i * chunk : 0;
		b[i].b = &rv->vol;
		b[i].off = off;
		b[i].range = rv->vol.size - off < chunk ? rv->vol.size - off :
		    chunk;
	}
	b[4] = (struct qhb_vk_binding){ &rv->prm, 0, rv->prm.size };
	b[5] = (struct qhb_vk_binding){ &rv->out, 0, pixels * 4 };
	if (qhb_vk_run(rv->vk, "render", b, 6, push, sizeof(push),
	    (pixels + 63) / 64, e))
		return -1;
	return qhb_vk_read(rv->vk, &rv->out, 0, img->px, pixels * 4, e);
}

void qhb_rendervk_free(struct qhb_rendervk *rv)
{
	if (rv == NULL)
		return;
	qhb_vk_buf_free(rv->vk, &rv->out);
	qhb_vk_buf_free(rv->vk, &rv->vol);
	qhb_vk_buf_free(rv->vk, &rv->prm);
	free(rv);
}
