#include "unit.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *unit_current;
int unit_current_failed;
static int unit_failures;
static const char *unit_file;

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: %s.%s: %s:%d: ", unit_file, unit_current, file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	unit_current_failed = 1;
}

void unit_run(const char *name, void (*fn)(void))
{
	unit_current = name;
	unit_current_failed = 0;
	fn();
	if (unit_current_failed)
		unit_failures++;
	else
		printf("PASS: %s.%s\n", unit_file, name);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *slash;

	(void)argc;
	slash = strrchr(argv[0], '/');
	unit_file = slash ? slash + 1 : argv[0];
	if (strncmp(unit_file, "unit-", 5) == 0)
		unit_file += 5;
	unit_main();
	return unit_failures ? 1 : 0;
}
