/*
 * unit -- the smallest test harness that does the job.
 *
 * A unit test file defines functions "static void test_x(void)" and a
 * unit_main() that runs them with UNIT_RUN(test_x).  Each test prints
 * "PASS: file.test" or "FAIL: file.test: where: what" for tests/run.sh
 * to count; CHECK() ends the test at its first failed condition.
 */
#ifndef QHB_UNIT_H
#define QHB_UNIT_H

#include <stdio.h>

extern const char *unit_current;
extern int unit_current_failed;

void unit_run(const char *name, void (*fn)(void));
void unit_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Defined by each test file. */
void unit_main(void);

#define UNIT_RUN(fn) unit_run(#fn, fn)
#define CHECK(cond) do { \
	if (!(cond)) { unit_fail(__FILE__, __LINE__, "%s", #cond); return; } \
} while (0)
#define CHECKF(cond, ...) do { \
	if (!(cond)) { unit_fail(__FILE__, __LINE__, __VA_ARGS__); return; } \
} while (0)

#endif
