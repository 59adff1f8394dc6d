/*
 * bench.h -- timing helpers and test input for the C programs that
 * bench/hilbert.sh, bench/hilbert-diag.sh and bench/render.sh compile
 * against build/obj/libqhb.a.
 */
#ifndef QHB_BENCH_H
#define QHB_BENCH_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median seconds of reps (at most 64) runs of what. */
#define MEDIAN(reps, what) ({ double t_[64]; int n_ = (reps); \
	for (int i_ = 0; i_ < n_; i_++) { double t0_ = now(); what; \
	t_[i_] = now() - t0_; } qsort(t_, n_, sizeof(double), cmp_double); \
	t_[n_ / 2]; })

/* Guest-like RAM, the same bytes on every run: each page zero, text or
 * random words, a third of each. */
static inline void bench_guest_ram(uint8_t *r, uint64_t n)
{
	uint64_t s = 88172645463325252ull;

	for (uint64_t p = 0; p < n; p += 4096) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		switch (s % 3) {
		case 0: memset(r + p, 0, 4096); break;
		case 1:
			for (int i = 0; i < 4096; i++)
				r[p + i] = "qhb text "[i % 9];
			break;
		default:
			for (int i = 0; i < 4096; i += 8) {
				s ^= s << 13, s ^= s >> 7, s ^= s << 17;
				memcpy(r + p + i, &s, 8);
			}
		}
	}
}

#endif
