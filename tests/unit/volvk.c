/* Unit tests of common/volvk: the Vulkan fill (lavapipe here) gives the
 * CPU fill's bytes for RAM sizes that end inside a tile, inside a 16-byte
 * word, or on a page, in 2D and 3D, and with the passes repeated for
 * benchmarks.  Skipped (passes) without a Vulkan device. */
#include <stdlib.h>
#include <string.h>

#include "volume.h"
#include "volvk.h"
#include "unit.h"

/* The driver (lavapipe) leaks a little at exit; leaks of our own code are
 * checked by the other suites. */
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

/* Words a quarter of them zero (voxels that stay 0 in the value scheme),
 * the rest from a fixed xorshift sequence. */
static void fill_ram(uint8_t *r, uint64_t n)
{
	uint64_t s = 88172645463325252ull;

	for (uint64_t i = 0; i + 4 <= n; i += 4) {
		uint32_t w;
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		w = s % 4 == 0 ? 0 : (uint32_t)(s >> 16);
		memcpy(r + i, &w, 4);
	}
}

static void test_same_bytes(void)
{
	static const uint64_t sizes[] = {
		(1u << 20),             /* whole tiles */
		(1u << 20) + 4096,      /* ends inside a tile, then padding */
		(1u << 20) + 16,        /* ends inside a tile, on a 16-byte word */
		(1u << 20) + 8,         /* ends inside a 16-byte word */
	};
	struct qhb_err e = { 0 };
	struct qhb_vk *vk = qhb_vk_open(&e);
	uint8_t *ram = malloc((1u << 20) + 4096);
	uint32_t *cpu = NULL, *gpu = NULL;

	if (vk == NULL) {
		printf("# no Vulkan device: %s: skipped\n", e.msg);
		free(ram);
		return;
	}
	CHECK(ram != NULL);
	fill_ram(ram, (1u << 20) + 4096);
	for (unsigned k = 0; k < 8; k++) {
		struct qhb_volume_shape s;
		struct qhb_volvk_timing tm = { .repeat = k == 0 ? 3 : 1 };
		unsigned dim = 2 + k % 2;
		uint64_t size = sizes[k / 2];

		CHECK(qhb_volume_shape_init(&s, dim, 4, size, 0, &e) == 0);
		free(cpu);
		free(gpu);
		cpu = malloc(s.h.voxels * 4);
		gpu = malloc(s.h.voxels * 4);
		CHECK(cpu != NULL && gpu != NULL);
		struct qhb_volume_job j = { .shape = &s, .ram = ram,
			.page_size = 4096, .value = 1, .out = cpu, .threads = 1 };
		qhb_volume_fill(&j);
		memset(gpu, 0x55, s.h.voxels * 4);
		j.out = gpu;
		CHECKF(qhb_volvk_fill_timed(vk, &j, &tm, &e) == 0, "%s", e.msg);
		CHECKF(memcmp(cpu, gpu, s.h.voxels * 4) == 0,
		    "%uD, RAM of %llu bytes: GPU and CPU differ", dim,
		    (unsigned long long)size);
		/* the first voxel past the RAM is padding: 0 */
		if (s.ram_voxels < s.h.voxels) {
			uint32_t x[3] = { 0, 0, 0 };
			qhb_hilbert_d2xyz(&s.h, s.ram_voxels, x);
			CHECK(gpu[x[0] + (uint64_t)s.h.size[0] * (x[1] +
			    (uint64_t)s.h.size[1] * x[2])] == 0);
		}
	}
	free(cpu);
	free(gpu);
	free(ram);
	qhb_vk_close(vk);
}

void unit_main(void)
{
	UNIT_RUN(test_same_bytes);
}
