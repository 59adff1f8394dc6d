/*
 * volvk -- the volume fill on a Vulkan device.  See volvk.h.
 */
#include <stdlib.h>
#include <string.h>

#include "volvk.h"

int qhb_volvk_fill(void *arg, const struct qhb_volume_job *j,
    struct qhb_err *e)
{
	struct qhb_vk *vk = arg;
	const struct qhb_volume_shape *s = j->shape;
	const struct qhb_hilbert *h = &s->h;
	uint64_t chunk = qhb_vk_chunk(vk), ram_bytes = (s->ram_size + 3) & ~3ull;
	uint64_t pages = (s->ram_size + j->page_size - 1) / j->page_size;
	struct qhb_vk_buf ram, rgba, tint, prm, out, inv, place;
	struct qhb_vk_binding b[10];
	struct qhb_hilbert_tile *t = NULL;
	uint32_t p[50], *iv = NULL;
	unsigned ps = 0, cs = 0;
	uint64_t plane = (uint64_t)h->size[0] * h->size[1], tiles = 0;
	int rc = -1, tiled;

	memset(&ram, 0, sizeof(ram));
	rgba = tint = prm = out = inv = place = ram;
	if (h->voxels > (UINT64_C(1) << 31) || ram_bytes > 4 * chunk ||
	    j->page_size < s->unit)
		return qhb_err_set(e, "volume too large for the device's bindings");
	while ((UINT64_C(1) << ps) < j->page_size / s->unit)
		ps++;
	while ((UINT64_C(1) << cs) < chunk / 4)
		cs++;
	memset(p, 0, sizeof(p));
	p[0] = h->dim, p[1] = h->order, p[2] = h->cubes;
	p[3] = (uint32_t)h->side, p[4] = h->size[0], p[5] = h->size[1];
	p[6] = (uint32_t)s->ram_voxels;
	p[7] = s->unit == 1 ? 0 : (uint32_t)(s->unit / 4);
	p[8] = ps, p[9] = j->value != 0, p[10] = j->page_tint != NULL;
	p[11] = cs, p[12] = h->order * h->dim;
	for (unsigned c = 0; c < h->cubes; c++) {
		const struct qhb_hilbert_place *pl = &h->place[c];
		uint32_t *q = p + 13 + 8 * c;
		q[0] = pl->perm[0], q[1] = pl->perm[1], q[2] = pl->perm[2];
		q[3] = pl->flip, q[4] = (uint32_t)pl->reverse;
		q[5] = pl->origin[0], q[6] = pl->origin[1], q[7] = pl->origin[2];
	}
	/* A workgroup per tile when tiles are 4096 voxels and none straddles
	 * two output chunks; a thread per voxel otherwise. */
	if ((t = malloc(sizeof(*t))) == NULL ||
	    (iv = malloc(QHB_HILBERT_TILE_MAX * 4)) == NULL) {
		qhb_err_sys(e, "malloc");
		goto done;
	}
	qhb_hilbert_tile_init(t, h);
	tiled = t->n == QHB_HILBERT_TILE_MAX && (h->voxels * 4 <= chunk ||
	    (chunk / 4) % (h->dim == 3 ? plane << t->bits :
	    (uint64_t)h->size[0] << t->bits) == 0) && !getenv("QHB_VK_PER_VOXEL");
	if (tiled) {
		unsigned T = 1u << t->bits;
		for (uint32_t k = 0; k < t->n; k++)
			iv[t->c[k][0] + T * (t->c[k][1] + T * t->c[k][2])] = k;
		tiles = h->voxels / t->n;
		p[45] = t->bits;
		p[46] = t->ref[0], p[47] = t->ref[1], p[48] = t->ref[2];
		p[49] = (uint32_t)tiles;
	}
	if (qhb_vk_buf_new(vk, &ram, ram_bytes, j->ram, e) ||
	    qhb_vk_buf_new(vk, &prm, sizeof(p), p, e) ||
	    qhb_vk_buf_new(vk, &rgba, j->value ? 4 : pages * 4,
	    j->value ? NULL : j->page_rgba, e) ||
	    qhb_vk_buf_new(vk, &tint, j->page_tint ? pages * 4 : 4,
	    j->page_tint, e) ||
	    qhb_vk_buf_new(vk, &out, h->voxels * 4, NULL, e) ||
	    qhb_vk_buf_new(vk, &inv, tiled ? QHB_HILBERT_TILE_MAX * 4 : 4,
	    tiled ? iv : NULL, e) ||
	    qhb_vk_buf_new(vk, &place, tiled ? tiles * 16 : 16, NULL, e))
		goto done;
	b[6] = (struct qhb_vk_binding){ &prm, 0, prm.size };
	b[7] = (struct qhb_vk_binding){ &place, 0, place.size };
	if (tiled && qhb_vk_run(vk, "hilbert_place", b + 6, 2, NULL, 0,
	    (tiles + 255) / 256, e))
		goto done;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t off = i * chunk < ram_bytes ? i * chunk : 0;
		b[i].b = &ram;
		b[i].off = off;
		b[i].range = ram_bytes - off < chunk ? ram_bytes - off : chunk;
	}
	b[4] = (struct qhb_vk_binding){ &rgba, 0, rgba.size };
	b[5] = (struct qhb_vk_binding){ &tint, 0, tint.size };
	b[6] = (struct qhb_vk_binding){ &prm, 0, prm.size };
	for (uint64_t base = 0; base < h->voxels; base += chunk / 4) {
		uint64_t n = h->voxels - base < chunk / 4 ? h->voxels - base :
		    chunk / 4;
		uint32_t push[2] = { (uint32_t)base, (uint32_t)n };
		b[7] = (struct qhb_vk_binding){ &out, base * 4, n * 4 };
		b[8] = (struct qhb_vk_binding){ &inv, 0, inv.size };
		b[9] = (struct qhb_vk_binding){ &place, 0, place.size };
		if (tiled ? qhb_vk_run(vk, "hilbert_tile", b, 10, push,
		    sizeof(push), n / QHB_HILBERT_TILE_MAX, e) : qhb_vk_run(vk, "hilbert", b, 8, push,
		    sizeof(push), (n + 255) / 256, e))
			goto done;
	}
	if (qhb_vk_read(vk, &out, 0, j->out, h->voxels * 4, e))
		goto done;
	rc = 0;
done:
	qhb_vk_buf_free(vk, &place);
	qhb_vk_buf_free(vk, &inv);
	qhb_vk_buf_free(vk, &out);
	qhb_vk_buf_free(vk, &tint);
	qhb_vk_buf_free(vk, &rgba);
	qhb_vk_buf_free(vk, &prm);
	qhb_vk_buf_free(vk, &ram);
	free(iv);
	free(t);
	return rc;
}
