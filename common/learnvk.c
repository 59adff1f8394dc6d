/*
 * learnvk.c -- the Pixel CPU's Vulkan path (see learnvk.h).
 */
#include "learnvk.h"

#include <string.h>

int qhb_learnvk_run(struct qhb_vk *vk, const struct qhb_pcpu_insn *p,
    size_t n, struct qhb_pcpu_state *s, size_t count, uint64_t *gpu_ns,
    struct qhb_err *e)
{
	struct qhb_vk_buf pb = { 0 }, sb = { 0 };
	struct qhb_vk_binding bind[2];
	struct qhb_pcpu_insn one = { .op = QHB_PCPU_NOP };
	uint64_t per = qhb_vk_chunk(vk) / sizeof(*s), t0;
	uint32_t push[2];
	int rv = -1;

	if (qhb_pcpu_check(p, n, e) < 0)
		return -1;
	if (per > count)
		per = count;
	if (per == 0)
		return 0;
	t0 = qhb_vk_stats(vk)->gpu_ns;
	/* a program buffer is never empty */
	if (qhb_vk_buf_new(vk, &pb, (n ? n : 1) * sizeof(*p), NULL, e) < 0)
		return -1;
	if (qhb_vk_write(vk, &pb, 0, n ? (const void *)p : (const void *)&one,
	    (n ? n : 1) * sizeof(*p), e) < 0 ||
	    qhb_vk_buf_new(vk, &sb, per * sizeof(*s), NULL, e) < 0)
		goto out;
	bind[0] = (struct qhb_vk_binding){ &pb, 0, pb.size };
	bind[1] = (struct qhb_vk_binding){ &sb, 0, sb.size };
	for (size_t i = 0; i < count; i += per) {
		size_t k = count - i < per ? count - i : per;

		push[0] = (uint32_t)k;
		push[1] = (uint32_t)n;
		if (qhb_vk_write(vk, &sb, 0, s + i, k * sizeof(*s), e) < 0 ||
		    qhb_vk_run(vk, "pixelcpu", bind, 2, push, sizeof(push),
		    (k + 63) / 64, e) < 0 ||
		    qhb_vk_read(vk, &sb, 0, s + i, k * sizeof(*s), e) < 0)
			goto out;
	}
	if (gpu_ns != NULL)
		*gpu_ns = qhb_vk_stats(vk)->gpu_ns - t0;
	rv = 0;
out:
	qhb_vk_buf_free(vk, &sb);
	qhb_vk_buf_free(vk, &pb);
	return rv;
}
