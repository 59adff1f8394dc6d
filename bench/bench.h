/*
 * bench.h -- timing helpers for the C programs that bench/hilbert.sh and
 * bench/render.sh compile against build/obj/libqhb.a.
 */
#ifndef QHB_BENCH_H
#define QHB_BENCH_H

#include <stdlib.h>
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

#endif
