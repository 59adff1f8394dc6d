#!/bin/sh
# Benchmark of qhb-render, in one run on the same input:
#   CPU: frames per second of a 256^3 volume at 1024x1024, maximum-intensity
#   projection and compositing, our CPU path against the same shader
#   (shaders/render.comp) on the Vulkan device present (lavapipe on CI);
#   PNG encoding throughput of the same pixels: ours (zlib level 1, "sub"
#   filter, run-length strategy, pictures encoded in parallel) against
#   libpng's defaults and against ImageMagick's convert writing them
#   (when `convert -version` says ImageMagick; apt-get install imagemagick).
#   GPU (with "gpu"): 256^3 and 1024^3 volumes at 1920x1080 and 1024x1024
#   on the device, per frame: on-device time from timestamp queries, and
#   wall time of a turntable through qhb_renderjob_views(), the call
#   qhb-render makes for each volume frame, with every picture read back
#   into host memory (views pipelined, three in flight), and the same views
#   one at a time (goals: 1024^3 at most 16.7 ms a frame, 256^3 at 500
#   frames a second or more, read-back included).
#
#   sh bench/render.sh [REPEATS] [gpu [big]]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/qhb-bench-render.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

cat >"$work/b.c" <<'END'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <png.h>
#include "png.h"
#include "render.h"
#include "renderjob.h"
#include "rendervk.h"
#include "vk.h"
#include "volume.h"

#include "bench.h"

/* Guest-like RAM in 1 MiB runs: half zero (empty space), the rest text,
 * pointers or random bytes; as a value-scheme volume with mip levels. */
static int make_volume(struct qhb_volume *v, uint64_t size, unsigned lod)
{
	struct qhb_err e = { 0 };
	uint8_t *ram = malloc(size);
	uint64_t s = 88172645463325252ull;

	memset(v, 0, sizeof(*v));
	if (ram == NULL || qhb_volume_shape_init(&v->info.shape, 3, 4, size, lod, &e) ||
	    (v->vox = calloc(v->info.shape.total, 4)) == NULL)
		return -1;
	for (uint64_t p = 0; p < size; p += 1 << 20) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		switch (s % 6) {
		case 0: case 1: case 2: memset(ram + p, 0, 1 << 20); break;
		case 3: for (int i = 0; i < 1 << 20; i++) ram[p + i] = "qhb text "[i % 9]; break;
		default:
			for (int i = 0; i < 1 << 20; i += 8) {
				s ^= s << 13, s ^= s >> 7, s ^= s << 17;
				if (s % 5 == 0)
					s &= 0xffff888000ffffffull;
				memcpy(ram + p + i, &s, 8);
			}
		}
	}
	struct qhb_volume_job j = { .shape = &v->info.shape, .ram = ram,
		.page_size = 4096, .value = 1, .out = v->vox };
	qhb_volume_fill(&j);
	qhb_volume_mip(&v->info.shape, v->vox);
	free(ram);
	return 0;
}

static struct qhb_render_opts opts(enum qhb_render_mode m, unsigned w, unsigned h)
{
	struct qhb_render_opts o;
	memset(&o, 0, sizeof(o));
	o.mode = m, o.width = w, o.height = h;
	o.azimuth = 30, o.elevation = 20, o.zoom = 1, o.opacity = 0.1;
	o.background = 0xff000000u;
	return o;
}

static const char *mname(int m)
{
	return m ? "composite" : "mip";
}

/* Where the pictures go: their first byte summed (so that the read-back
 * is used), then freed, as qhb-render's encoder frees them. */
static unsigned long sink_sum;
static int sink(void *arg, unsigned i, struct qhb_picture *p, struct qhb_err *e)
{
	(void)arg, (void)i, (void)e;
	sink_sum += p->px[0];
	qhb_picture_release(p);
	return 0;
}

static struct qhb_renderjob job(struct qhb_render_opts o, const struct qhb_renderjob_gpu *g,
    unsigned views)
{
	struct qhb_renderjob j;
	memset(&j, 0, sizeof(j));
	j.r = o, j.gpu = g, j.turntable = views;
	return j;
}

int main(int argc, char **argv)
{
	int reps = atoi(argv[1]), gpu = argc > 2, big = argc > 3;
	struct qhb_err e = { 0 };
	struct qhb_volume v;
	struct qhb_camera cam;
	struct qhb_picture pic[16];
	struct qhb_vk *vk = NULL;
	struct qhb_rendervk *rv = NULL;
	struct qhb_renderjob_gpu g, one;

	if ((vk = qhb_vk_open(&e)) != NULL && (rv = qhb_rendervk_new(vk, &e)) != NULL) {
		qhb_rendervk_gpu(rv, &g);
		one = g, one.slots = 1;
	}
	if (!gpu) {
		unsigned W = 1024, H = 1024;
		if (make_volume(&v, UINT64_C(64) << 20, 4))
			return 1;
		printf("cpu: 256^3 volume (64 MiB guest-like RAM, value scheme, lod 4) at %ux%u, %ld CPUs\n",
		    W, H, sysconf(_SC_NPROCESSORS_ONLN));
		for (int m = 0; m < 2; m++) {
			struct qhb_render_opts o = opts(m ? QHB_RENDER_COMPOSITE : QHB_RENDER_MIP, W, H);
			qhb_render_camera(&cam, &o, v.info.shape.lsize[0], o.azimuth);
			struct qhb_picture *pp = &pic[m];
			qhb_picture_init(pp, W, H, 0, &e);
			double cpu = MEDIAN(reps, qhb_render_view(&o, &cam, &v, pp));
			o.no_skip = 1;
			double noskip = MEDIAN(reps > 3 ? 3 : reps, qhb_render_view(&o, &cam, &v, pp));
			o.no_skip = 0;
			printf("cpu: %-9s CPU path %.1f ms (%.2f fps); without empty-space skipping %.1f ms (%.2fx)\n",
			    mname(m), cpu * 1e3, 1 / cpu, noskip * 1e3, noskip / cpu);
			if (rv != NULL) {
				struct qhb_renderjob j = job(o, &g, 0);
				double gt = MEDIAN(reps, qhb_renderjob_views(&j, &v, 1, 0, 1, sink, NULL, NULL, &e));
				printf("cpu: %-9s same shader on %s %.1f ms (%.2f fps): CPU path %.2fx its speed\n",
				    mname(m), qhb_vk_device_name(vk), gt * 1e3, 1 / gt, gt / cpu);
			}
			if (m == 0) {
				FILE *f = fopen("pic.raw", "wb");
				fwrite(pic[0].px, 1, (size_t)W * H * 4, f);
				fclose(f);
			} else {
				qhb_picture_release(pp);
			}
		}
		/* PNG: the MIP picture, opaque (written as RGB). */
		struct qhb_png p[16];
		double mb = W * H * 4 / 1e6;
		double one = MEDIAN(reps, (qhb_png_encode(&pic[0], 1, &p[0], &e), qhb_png_release(&p[0])));
		qhb_png_encode(&pic[0], 1, &p[0], &e);
		size_t ours_len = p[0].len;
		qhb_png_release(&p[0]);
		for (int i = 1; i < 16; i++)
			pic[i] = pic[0];
		double par = MEDIAN(reps, ({ qhb_png_encode_many(pic, 16, 1, p, 0, &e);
			for (int i = 0; i < 16; i++) qhb_png_release(&p[i]); }));
		png_image pi;
		void *mem = malloc((size_t)W * H * 8);
		png_alloc_size_t len = 0;
		double def = MEDIAN(reps, ({ memset(&pi, 0, sizeof(pi)); pi.version = PNG_IMAGE_VERSION;
			pi.width = W, pi.height = H, pi.format = PNG_FORMAT_RGBA; len = (size_t)W * H * 8;
			png_image_write_to_memory(&pi, mem, &len, 0, pic[0].px, 0, NULL); }));
		printf("png: %ux%u picture (%.1f MB of rgba): ours %.1f ms (%.0f MB/s, %zu bytes) on one thread, "
		    "16 pictures on all CPUs %.0f MB/s; libpng defaults %.1f ms (%.0f MB/s, %zu bytes): ours %.1fx\n",
		    W, H, mb, one * 1e3, mb / one, ours_len, 16 * mb / par, def * 1e3, mb / def,
		    (size_t)len, def / one);
		printf("png-ours-ms %.3f\n", one * 1e3);
		free(mem);
		qhb_picture_release(&pic[0]);
		free(v.vox);
		goto out;
	}
	if (rv == NULL) {
		printf("gpu: no Vulkan device (%s): skipped\n", e.msg);
		return 0;
	}
	printf("gpu: %s\n", qhb_vk_device_name(vk));
	for (int k = 0; k < (big ? 2 : 1); k++) {
		uint64_t size = k ? UINT64_C(4) << 30 : UINT64_C(64) << 20;
		double t0 = now();
		if (make_volume(&v, size, k ? 6 : 4)) {
			printf("gpu: no memory for the volume\n");
			return 1;
		}
		printf("gpu: %ux%ux%u volume made in %.1f s\n", v.info.shape.lsize[0][0],
		    v.info.shape.lsize[0][1], v.info.shape.lsize[0][2], now() - t0);
		for (int res = 0; res < 2; res++) {
			unsigned W = res ? 1024 : 1920, H = res ? 1024 : 1080;
			for (int m = 0; m < 2; m++) {
				struct qhb_render_opts o = opts(m ? QHB_RENDER_COMPOSITE : QHB_RENDER_MIP, W, H);
				const struct qhb_vk_stats *st = qhb_vk_stats(vk);
				struct qhb_renderjob j1 = job(o, &one, 1);
				struct qhb_renderjob_stats rs;
				int n = reps * 40;
				double t1 = now(), wall[2];
				/* the first view: the volume goes up, the pipeline is built */
				memset(&rs, 0, sizeof(rs));
				if (qhb_renderjob_views(&j1, &v, 1, 0, 1, sink, NULL, &rs, &e) ||
				    rs.gpu_views != 1) {
					printf("gpu: failed: %s\n", e.msg);
					return 1;
				}
				double first = now() - t1;
				uint64_t g0 = st->gpu_ns, d0 = st->dispatches;
				/* a turntable of n views, pipelined as qhb-render runs it,
				 * then the same views one at a time */
				for (int p = 0; p < 2; p++) {
					struct qhb_renderjob j = job(o, p ? &one : &g, (unsigned)n);
					memset(&rs, 0, sizeof(rs));
					t1 = now();
					if (qhb_renderjob_views(&j, &v, 1, 0, (unsigned)n, sink, NULL, &rs, &e) ||
					    rs.gpu_views != (uint64_t)n) {
						printf("gpu: failed: %s\n", e.msg);
						return 1;
					}
					wall[p] = (now() - t1) / n;
				}
				double dev = (st->gpu_ns - g0) / 1e9 / (double)(st->dispatches - d0);
				printf("gpu: %ux%ux%u %-9s %ux%u: %.3f ms a frame on the device (%.0f fps); "
				    "with read-back, pipelined %.3f ms (%.0f fps), one at a time %.3f ms (%.0f fps); "
				    "first frame with upload %.0f ms\n",
				    v.info.shape.lsize[0][0], v.info.shape.lsize[0][1], v.info.shape.lsize[0][2],
				    mname(m), W, H, dev * 1e3, 1 / dev, wall[0] * 1e3, 1 / wall[0],
				    wall[1] * 1e3, 1 / wall[1], first * 1e3);
			}
		}
		free(v.vox);
		/* upload again for the next volume */
		qhb_rendervk_free(rv);
		if ((rv = qhb_rendervk_new(vk, &e)) == NULL)
			return 1;
		qhb_rendervk_gpu(rv, &g);
		one = g, one.slots = 1;
	}
out:
	qhb_rendervk_free(rv);
	qhb_vk_close(vk);
	return 0;
}
END
# Built here into build/bench/ (kept, so that a machine without a compiler
# can run a carried copy).
bin=$top/build/bench/render
if command -v cc >/dev/null && [ -f "$top/build/obj/libqhb.a" ]; then
	mkdir -p "$top/build/bench"
	cc -O2 -std=gnu11 -D_GNU_SOURCE -iquote "$top/common" -iquote "$top/bench" -o "$bin" "$work/b.c" \
		"$top/build/obj/libqhb.a" -Wl,--as-needed -lpng -lzstd -lxxhash -ljansson \
		-lvulkan -lm -lpthread
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
cd "$work"
if [ "${2:-}" = gpu ]; then
	"$bin" "$reps" gpu ${3:-}
	exit 0
fi
"$bin" "$reps" | tee "$work/out" | grep -v '^png-ours-ms'
# ImageMagick writing the same pixels, as the peer: at its defaults, and
# at our settings (-quality 11: zlib level 1, "sub" filter).  One process
# a picture, start included; /usr/bin/convert directly when it is there.
im=convert
[ -x /usr/bin/convert ] && im=/usr/bin/convert
if command -v "$im" >/dev/null && "$im" -version 2>/dev/null | grep -q ImageMagick; then
	ours=$(sed -n 's/^png-ours-ms //p' "$work/out")
	for q in "" "-quality 11"; do
		t0=$(date +%s%N)
		for i in $(seq "$reps"); do
			"$im" -size 1024x1024 -depth 8 rgba:pic.raw $q png:im.png
		done
		t1=$(date +%s%N)
		us=$(( (t1 - t0) / reps / 1000 ))
		awk -v us="$us" -v ours="$ours" -v sz="$(wc -c <im.png)" -v q="${q:-defaults}" 'BEGIN {
			printf "png: ImageMagick %s (%s), same pixels: %.1f ms a picture (%.0f MB/s, %d bytes): ours %.1fx faster\n",
			    "convert", q, us / 1000, 4.194304 / (us / 1e6), sz, us / 1000 / ours }'
	done
	echo "png: $("$im" -version | head -n 1)"
else
	echo "png: ImageMagick convert not installed (apt-get install imagemagick): peer skipped"
fi
