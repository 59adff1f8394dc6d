/*
 * hilbert-diag -- where the GPU volume fill loses its time at large sizes
 * (issue 4): at 256^3, 512^3 and 1024^3 (64 MiB, 512 MiB and 4 GiB of RAM
 * and of volume), from timestamp queries, the best of REPS runs that
 * follow a second of the same work (the GPU raises its clock under load;
 * the fills: the best of a second of runs; QHB_DIAG_COLD=1: of the first
 * REPS, as bench/hilbert.sh used to time them), of
 *   fill   the plainest linear write of the volume's bytes (diag_fill),
 *   copy   the shader copy of bench/hilbert.sh (copy.comp), RAM -> volume,
 *   xfer   vkCmdCopyBuffer of the same bytes,
 *   value  qhb_volvk_fill_timed(): hilbert_place, then hilbert_value (or,
 *          with QHB_DIAG_VALUE=NAME, bench/diag/NAME.comp dispatched in
 *          its place exactly as common/volvk.c dispatches it).
 * The real shader's volume is checked against the CPU fill (a variant's
 * too with QHB_DIAG_CHECK=1).  Built by
 * bench/hilbert-diag.sh.  Usage: hilbert-diag REPS [SIZES] (SIZES: how many
 * of the three, smallest first; 3 by default).
 *
 * It includes common/vk.c, so that it can time vkCmdCopyBuffer with the
 * backend's own command buffer and query pool, and has its own shader
 * table (shaders/ and bench/diag/), so that a variant can stand in for
 * hilbert_value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/vk.c"
#include "volume.h"
#include "volvk.h"

#include "bench.h"

/* The shader called name, or QHB_DIAG_VALUE's in hilbert_value's place. */
const struct qhb_shader *qhb_shader_find(const char *name)
{
	const char *v = getenv("QHB_DIAG_VALUE");

	if (v != NULL && *v != '\0' && strcmp(name, "hilbert_value") == 0)
		name = v;
	for (const struct qhb_shader *s = qhb_shaders; s->name != NULL; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

/* Device time of one vkCmdCopyBuffer of n bytes from s to d. */
static int xfer(struct qhb_vk *vk, struct qhb_vk_buf *s, struct qhb_vk_buf *d,
    uint64_t n, uint64_t *ns, struct qhb_err *e)
{
	VkBufferCopy c = { .size = n };
	uint64_t ts[2];

	if (!vk->timestamps)
		return qhb_err_set(e, "no timestamps");
	if (begin(vk, e))
		return -1;
	vkCmdResetQueryPool(vk->cb, vk->qpool, 0, 2);
	vkCmdWriteTimestamp(vk->cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, vk->qpool, 0);
	vkCmdCopyBuffer(vk->cb, s->buf, d->buf, 1, &c);
	vkCmdWriteTimestamp(vk->cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, vk->qpool, 1);
	if (submit(vk, e))
		return -1;
	if (vkGetQueryPoolResults(vk->dev, vk->qpool, 0, 2, sizeof(ts), ts, 8,
	    VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT) != VK_SUCCESS)
		return qhb_err_set(e, "timestamps");
	*ns = (uint64_t)((double)(ts[1] - ts[0]) * vk->props.limits.timestampPeriod);
	return 0;
}

/* Best device time of reps runs of shader over n bytes, a chunk a
 * dispatch: diag_fill on d, copy from s to d. */
static int linear(struct qhb_vk *vk, const char *shader, struct qhb_vk_buf *s,
    struct qhb_vk_buf *d, uint64_t n, int reps, uint64_t *best,
    uint64_t *first, struct qhb_err *e)
{
	const struct qhb_vk_stats *st = qhb_vk_stats(vk);
	uint64_t chunk = qhb_vk_chunk(vk);
	int two = strcmp(shader, "copy") == 0;

	double w0 = now();

	/* reps timed runs after a second of them (the warm-up: the GPU's
	 * clock rises with work); *first is the very first, cold. */
	*best = UINT64_MAX;
	for (int r = 0, done = 0; done < reps; r++) {
		int timed = now() - w0 >= 1.0;
		uint64_t g0 = st->gpu_ns;
		for (uint64_t off = 0; off < n; off += chunk) {
			uint64_t k = n - off < chunk ? n - off : chunk;
			struct qhb_vk_binding bb[2] = { { s, off, k }, { d, off, k } };
			uint32_t push[2] = { (uint32_t)(off / 16), (uint32_t)(k / 16) };
			if (qhb_vk_run(vk, shader, two ? bb : bb + 1, two ? 2 : 1,
			    push, 8, (k / 16 + 255) / 256, e))
				return -1;
		}
		if (r == 0)
			*first = st->gpu_ns - g0;
		if (timed && st->gpu_ns - g0 < *best)
			*best = st->gpu_ns - g0;
		done += timed;
	}
	return 0;
}

static double gbs(uint64_t bytes, uint64_t ns)
{
	return (double)bytes / (double)ns;
}

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 5, nsizes = argc > 2 ? atoi(argv[2]) : 3;
	const char *variant = getenv("QHB_DIAG_VALUE");
	int real = variant == NULL || *variant == '\0';
	struct qhb_err e = { 0 };
	struct qhb_vk *vk;

	setenv("QHB_VK_IMPORT", "0", 0);
	if (reps < 1 || reps > 64 || (vk = qhb_vk_open(&e)) == NULL) {
		fprintf(stderr, "hilbert-diag: %s\n", reps < 1 || reps > 64 ?
		    "usage: hilbert-diag REPS [SIZES]" : e.msg);
		return 1;
	}
	printf("diag: %s, binding chunks of %llu MiB, shader %s, best of %d\n",
	    qhb_vk_device_name(vk), (unsigned long long)(qhb_vk_chunk(vk) >> 20),
	    real ? "hilbert_value" : variant, reps);
	for (int k = 0; k < nsizes && k < 3; k++) {
		uint64_t size = UINT64_C(64) << (20 + 3 * k);
		struct qhb_volume_shape s;
		struct qhb_vk_buf src, dst;
		uint64_t fill = 0, copy = 0, cb = 0, best = UINT64_MAX;
		uint64_t fill1 = 0, copy1 = 0, cb1 = 0;
		uint8_t *ram = aligned_alloc(1 << 21, size);
		uint32_t *out = aligned_alloc(1 << 21, size), *ref = NULL;

		if (ram == NULL || out == NULL ||
		    qhb_volume_shape_init(&s, 3, 4, size, 0, &e))
			return 1;
		bench_guest_ram(ram, size);
		if (getenv("QHB_DIAG_PEERS") == NULL || atoi(getenv("QHB_DIAG_PEERS"))) {
			if (qhb_vk_buf_new(vk, &src, size, NULL, &e) ||
			    qhb_vk_buf_new(vk, &dst, size, NULL, &e) ||
			    linear(vk, "diag_fill", &src, &dst, size, reps, &fill, &fill1, &e) ||
			    linear(vk, "copy", &src, &dst, size, reps, &copy, &copy1, &e))
				goto fail;
			double w0 = now();
			cb = UINT64_MAX;
			for (int r = 0, n = 0; n < reps; r++) {
				int timed = now() - w0 >= 1.0;
				uint64_t t = 0;
				if (xfer(vk, &src, &dst, size, &t, &e))
					goto fail;
				if (r == 0)
					cb1 = t;
				if (timed && t < cb)
					cb = t;
				n += timed;
			}
			qhb_vk_buf_free(vk, &src);
			qhb_vk_buf_free(vk, &dst);
			printf("diag: %4u^3 %5llu MiB  fill %.3f ms (%.0f GB/s written; first run %.3f)  copy %.3f ms (%.0f GB/s moved; first %.3f)  vkCmdCopyBuffer %.3f ms (%.0f GB/s moved; first %.3f)\n",
			    s.h.size[0], (unsigned long long)(size >> 20),
			    fill / 1e6, gbs(size, fill), fill1 / 1e6, copy / 1e6,
			    gbs(2 * size, copy), copy1 / 1e6, cb / 1e6, gbs(2 * size, cb),
			    cb1 / 1e6);
		}
		struct qhb_volume_job j = { .shape = &s, .ram = ram,
			.page_size = 4096, .value = 1, .out = out };
		/* Fills for about a second at the copy's speed, or at 2.5 TB/s
		 * (at least reps, at most 1000): the first ones warm the GPU up
		 * after the upload. */
		uint64_t runs = UINT64_C(1000000000) / (copy ? copy : 2 * size / 2500);
		if (getenv("QHB_DIAG_COLD") != NULL)
			runs = (uint64_t)reps;
		runs = runs < (uint64_t)reps ? (uint64_t)reps : runs > 1000 ? 1000 : runs;
		struct qhb_volvk_timing tm = { .repeat = (unsigned)runs };
		if (qhb_volvk_fill_timed(vk, &j, &tm, &e))
			goto fail;
		best = tm.place_ns + tm.fill_ns;
		const char *check = "not checked (a variant)";
		if (real || getenv("QHB_DIAG_CHECK") != NULL) {
			ref = aligned_alloc(1 << 21, size);
			if (ref == NULL)
				return 1;
			j.out = ref;
			qhb_volume_fill(&j);
			check = memcmp(out, ref, size) == 0 ? "the CPU fill's bytes" :
			    "DIFFERS from the CPU fill";
			free(ref);
		}
		printf("diag: %4u^3 %5llu MiB  %s %.3f ms (best of %d; placement %.3f + tiles %.3f; %.0f GB/s moved)%s%.2f x copy, %.2f x fill; %s\n",
		    s.h.size[0], (unsigned long long)(size >> 20),
		    real ? "hilbert_value" : variant, best / 1e6, (int)runs, tm.place_ns / 1e6,
		    tm.fill_ns / 1e6, gbs(2 * size, best), copy ? "  " : "  (peers not run) ",
		    copy ? (double)best / copy : 0, fill ? (double)best / fill : 0,
		    check);
		fflush(stdout);
		free(ram);
		free(out);
	}
	qhb_vk_close(vk);
	return 0;
fail:
	fprintf(stderr, "hilbert-diag: %s\n", e.msg);
	qhb_vk_close(vk);
	return 1;
}
