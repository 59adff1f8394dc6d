/*
 * learnvk.c -- the Pixel CPU's Vulkan path (see learnvk.h).
 */
#include "learnvk.h"

#include <stdlib.h>
#include <string.h>

/* Words of one state's window record: base, size, fault, bytes. */
static size_t window_words(const struct qhb_pcpu_mem *mem, size_t count)
{
	size_t max = 0;

	for (size_t i = 0; mem != NULL && i < count; i++)
		if (mem[i].size > max)
			max = mem[i].size;
	return mem != NULL ? 4 + (max + 3) / 4 : 0;
}

static void pack(uint32_t *w, size_t stride, const struct qhb_pcpu_mem *m,
    size_t k)
{
	memset(w, 0, k * stride * 4);
	for (size_t i = 0; i < k; i++) {
		uint32_t *r = w + i * stride;

		r[0] = (uint32_t)m[i].base;
		r[1] = (uint32_t)(m[i].base >> 32);
		r[2] = m[i].bytes != NULL ? m[i].size : 0;
		r[3] = m[i].fault;
		if (m[i].bytes != NULL)
			memcpy(r + 4, m[i].bytes, m[i].size);
	}
}

static void unpack(const uint32_t *w, size_t stride, struct qhb_pcpu_mem *m,
    size_t k)
{
	for (size_t i = 0; i < k; i++) {
		const uint32_t *r = w + i * stride;

		m[i].fault = r[3];
		if (m[i].bytes != NULL)
			memcpy(m[i].bytes, r + 4, m[i].size);
	}
}

int qhb_learnvk_run(struct qhb_vk *vk, const struct qhb_pcpu_insn *p,
    size_t n, struct qhb_pcpu_state *s, struct qhb_pcpu_mem *mem,
    size_t count, uint64_t *gpu_ns, struct qhb_err *e)
{
	struct qhb_vk_buf pb = { 0 }, sb = { 0 }, mb = { 0 };
	struct qhb_vk_binding bind[3];
	struct qhb_pcpu_insn one = { .op = QHB_PCPU_NOP };
	size_t stride = window_words(mem, count);
	uint64_t per = qhb_vk_chunk(vk) / sizeof(*s), t0;
	uint32_t push[3], *w = NULL;
	int rv = -1;

	if (qhb_pcpu_check(p, n, e) < 0)
		return -1;
	if (stride && qhb_vk_chunk(vk) / (stride * 4) < per)
		per = qhb_vk_chunk(vk) / (stride * 4);
	if (per > count)
		per = count;
	if (per == 0)
		return count ? qhb_err_set(e, "a memory window of %zu bytes is "
		    "larger than a binding", stride * 4) : 0;
	t0 = qhb_vk_stats(vk)->gpu_ns;
	/* a program buffer is never empty, nor the window buffer */
	if (qhb_vk_buf_new(vk, &pb, (n ? n : 1) * sizeof(*p), NULL, e) < 0)
		return -1;
	if (stride && (w = malloc(per * stride * 4)) == NULL) {
		qhb_err_set(e, "out of memory");
		goto out;
	}
	if (qhb_vk_write(vk, &pb, 0, n ? (const void *)p : (const void *)&one,
	    (n ? n : 1) * sizeof(*p), e) < 0 ||
	    qhb_vk_buf_new(vk, &sb, per * sizeof(*s), NULL, e) < 0 ||
	    qhb_vk_buf_new(vk, &mb, stride ? per * stride * 4 : 16, NULL, e) < 0)
		goto out;
	bind[0] = (struct qhb_vk_binding){ &pb, 0, pb.size };
	bind[1] = (struct qhb_vk_binding){ &sb, 0, sb.size };
	bind[2] = (struct qhb_vk_binding){ &mb, 0, mb.size };
	for (size_t i = 0; i < count; i += per) {
		size_t k = count - i < per ? count - i : per;

		push[0] = (uint32_t)k;
		push[1] = (uint32_t)n;
		push[2] = (uint32_t)stride;
		if (stride) {
			pack(w, stride, mem + i, k);
			if (qhb_vk_write(vk, &mb, 0, w, k * stride * 4, e) < 0)
				goto out;
		}
		if (qhb_vk_write(vk, &sb, 0, s + i, k * sizeof(*s), e) < 0 ||
		    qhb_vk_run(vk, "pixelcpu", bind, 3, push, sizeof(push),
		    (k + 63) / 64, e) < 0 ||
		    qhb_vk_read(vk, &sb, 0, s + i, k * sizeof(*s), e) < 0)
			goto out;
		if (stride) {
			if (qhb_vk_read(vk, &mb, 0, w, k * stride * 4, e) < 0)
				goto out;
			unpack(w, stride, mem + i, k);
		}
	}
	if (gpu_ns != NULL)
		*gpu_ns = qhb_vk_stats(vk)->gpu_ns - t0;
	rv = 0;
out:
	free(w);
	qhb_vk_buf_free(vk, &mb);
	qhb_vk_buf_free(vk, &sb);
	qhb_vk_buf_free(vk, &pb);
	return rv;
}

int qhb_learnvk_run_entry(struct qhb_vk *vk, const struct qhb_learn_entry *en,
    struct qhb_pcpu_state *s, struct qhb_pcpu_mem *mem, size_t count,
    uint64_t *gpu_ns, struct qhb_err *e)
{
	if (!qhb_learn_entry_runnable(en, e))
		return -1;
	return qhb_learnvk_run(vk, en->prog, en->n, s, mem, count, gpu_ns, e);
}
