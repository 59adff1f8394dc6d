/*
 * volvk -- the volume fill on a Vulkan device.  See volvk.h.
 */
#include <stdlib.h>
#include <string.h>

#include "volvk.h"

int qhb_volvk_fill(void *arg, const struct qhb_volume_job *j,
    struct qhb_err *e)
{
	return qhb_volvk_fill_timed(arg, j, NULL, e);
}

/* The strides of rows and planes of the canonical tile in
 * hilbert_value.comp's shared memory, padded so that the words a warp
 * writes (32 consecutive curve indices) or reads (voxels along x of the
 * volume, in any of the tile's turns) fall at most two or three to a
 * bank of the 32: the least padding that does so, found by counting them
 * for every turn.  Unpadded (16 and 256), an earlier form of the shader
 * took 1.36 times as long on an H100 at 1024^3. */
static void tile_strides(unsigned dim, uint32_t *row, uint32_t *plane)
{
	*row = dim == 3 ? 17 : 69;
	*plane = dim == 3 ? 278 : 0;
}

/* Runs the passes of a fill on the bindings b (b[7] the whole output):
 * with tiles, the placement and then shader on a workgroup per tile, else
 * hilbert.comp on a thread per voxel; an output binding chunk at a time.
 * ns[0] and ns[1] get the device time of the placement and of the fill. */
static int dispatch(struct qhb_vk *vk, const char *shader,
    const struct qhb_vk_binding *b, uint64_t tiles, uint64_t voxels,
    uint64_t *ns, struct qhb_err *e)
{
	const struct qhb_vk_stats *st = qhb_vk_stats(vk);
	uint64_t chunk = qhb_vk_chunk(vk), g0 = st->gpu_ns;
	struct qhb_vk_binding cb[10], pb[2] = { b[6], b[9] };

	if (tiles && qhb_vk_run(vk, "hilbert_place", pb, 2, NULL, 0,
	    (tiles + 255) / 256, e))
		return -1;
	ns[0] = st->gpu_ns - g0;
	g0 = st->gpu_ns;
	memcpy(cb, b, sizeof(cb));
	for (uint64_t base = 0; base < voxels; base += chunk / 4) {
		uint64_t n = voxels - base < chunk / 4 ? voxels - base :
		    chunk / 4;
		uint32_t push[2] = { (uint32_t)base, (uint32_t)n };
		cb[7] = (struct qhb_vk_binding){ b[7].b, base * 4, n * 4 };
		if (tiles ? qhb_vk_run(vk, shader, cb, 10, push, sizeof(push),
		    n / QHB_HILBERT_TILE_MAX, e) : qhb_vk_run(vk, "hilbert", cb,
		    8, push, sizeof(push), (n + 255) / 256, e))
			return -1;
	}
	ns[1] = st->gpu_ns - g0;
	return 0;
}

int qhb_volvk_fill_timed(struct qhb_vk *vk, const struct qhb_volume_job *j,
    struct qhb_volvk_timing *tm, struct qhb_err *e)
{
	const struct qhb_volume_shape *s = j->shape;
	const struct qhb_hilbert *h = &s->h;
	uint64_t chunk = qhb_vk_chunk(vk), ram_bytes = (s->ram_size + 15) & ~15ull;
	uint64_t pages = (s->ram_size + j->page_size - 1) / j->page_size;
	struct qhb_vk_buf ram, rgba, tint, prm, out, inv, place;
	struct qhb_vk_binding b[10];
	struct qhb_hilbert_tile *t = NULL;
	uint32_t p[52], *iv = NULL;
	unsigned ps = 0, cs = 0;
	uint64_t plane = (uint64_t)h->size[0] * h->size[1], tiles = 0;
	const char *shader = "hilbert_tile";
	int rc = -1, tiled;

	if (tm != NULL)
		tm->place_ns = tm->fill_ns = 0;
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
	    (iv = malloc(2 * QHB_HILBERT_TILE_MAX * 4)) == NULL) {
		qhb_err_sys(e, "malloc");
		goto done;
	}
	qhb_hilbert_tile_init(t, h);
	tiled = t->n == QHB_HILBERT_TILE_MAX && (h->voxels * 4 <= chunk ||
	    (chunk / 4) % (h->dim == 3 ? plane << t->bits :
	    (uint64_t)h->size[0] << t->bits) == 0) && !getenv("QHB_VK_PER_VOXEL");
	if (tiled) {
		unsigned T = 1u << t->bits;
		tile_strides(h->dim, &p[50], &p[51]);
		for (uint32_t k = 0; k < t->n; k++) {
			iv[t->c[k][0] + T * (t->c[k][1] + T * t->c[k][2])] = k;
			iv[t->n + k] = t->c[k][0] + p[50] * t->c[k][1] +
			    p[51] * t->c[k][2];
		}
		tiles = h->voxels / t->n;
		p[45] = t->bits;
		p[46] = t->ref[0], p[47] = t->ref[1], p[48] = t->ref[2];
		p[49] = (uint32_t)tiles;
		/* Its own shader for value colours of 4-byte voxels without
		 * tint, which reads the RAM in 16-byte words: when the RAM is
		 * a whole number of them, else the last would hold bytes past
		 * it. */
		if (j->value && s->unit == 4 && j->page_tint == NULL &&
		    s->ram_size % 16 == 0)
			shader = "hilbert_value";
	}
	/* The RAM in 16-byte words: a size that is not a multiple of 16 is
	 * copied, not imported, so that nothing past it is read. */
	if ((ram_bytes == s->ram_size ? qhb_vk_buf_new(vk, &ram, ram_bytes,
	    j->ram, e) : qhb_vk_buf_new(vk, &ram, ram_bytes, NULL, e) ||
	    qhb_vk_write(vk, &ram, 0, j->ram, s->ram_size, e)) ||
	    qhb_vk_buf_new(vk, &prm, sizeof(p), p, e) ||
	    qhb_vk_buf_new(vk, &rgba, j->value ? 4 : pages * 4,
	    j->value ? NULL : j->page_rgba, e) ||
	    qhb_vk_buf_new(vk, &tint, j->page_tint ? pages * 4 : 4,
	    j->page_tint, e) ||
	    qhb_vk_buf_new(vk, &out, h->voxels * 4, NULL, e) ||
	    qhb_vk_buf_new(vk, &inv, tiled ? 2 * QHB_HILBERT_TILE_MAX * 4 : 16,
	    tiled ? iv : NULL, e) ||
	    qhb_vk_buf_new(vk, &place, tiled ? tiles * 16 : 16, NULL, e))
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
	b[7] = (struct qhb_vk_binding){ &out, 0, out.size };
	b[8] = (struct qhb_vk_binding){ &inv, 0, inv.size };
	b[9] = (struct qhb_vk_binding){ &place, 0, place.size };
	for (unsigned r = 0; r < (tm && tm->repeat > 1 ? tm->repeat : 1); r++) {
		uint64_t ns[2];
		if (dispatch(vk, shader, b, tiled ? tiles : 0, h->voxels, ns, e))
			goto done;
		if (tm != NULL && (r == 0 || ns[0] + ns[1] <
		    tm->place_ns + tm->fill_ns))
			tm->place_ns = ns[0], tm->fill_ns = ns[1];
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
