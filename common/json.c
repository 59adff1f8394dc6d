#include "json.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* A number's text behind a NUL: what jansson dumps as "\u0000TEXT". */
static json_t *number(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static json_t *number(const char *fmt, ...)
{
	char buf[64];
	va_list ap;
	int n;

	buf[0] = '\0';
	va_start(ap, fmt);
	n = vsnprintf(buf + 1, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf) - 1)
		return NULL;
	return json_stringn(buf, (size_t)n + 1);
}

json_t *qhb_json_u64(uint64_t v)
{
	if (v <= (uint64_t)INT64_MAX)
		return json_integer((json_int_t)v);
	return number("%" PRIu64, v);
}

json_t *qhb_json_fixed(double v, int decimals)
{
	return number("%.*f", decimals, v);
}

json_t *qhb_json_hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_string(buf);
}

json_t *qhb_json_text(const char *s)
{
	json_t *j = json_string(s);
	char *copy;

	if (j != NULL || (copy = strdup(s)) == NULL)
		return j;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

/*
 * The printer: jansson's dump passes through a filter that finds each
 * marked number ("\u0000 opens it, the string's closing quote ends it)
 * and writes its text bare.  jansson escapes a string's quotes and
 * backslashes, so the mark cannot start inside another string.  Dumping
 * through a callback allocates nothing more than json_dumpf does.
 */
static const char mark[] = "\"\\u0000";

struct filter {
	FILE *f;
	size_t held;            /* bytes of mark matched so far, held back */
	int number;             /* inside a marked number's text */
};

static int filter_put(const char *buf, size_t size, void *arg)
{
	struct filter *t = arg;

	for (size_t i = 0; i < size; i++) {
		char c = buf[i];
		if (t->number) {
			if (c == '"')
				t->number = 0;
			else if (putc(c, t->f) == EOF)
				return -1;
			continue;
		}
		if (c == mark[t->held]) {
			if (++t->held == sizeof(mark) - 1) {
				t->held = 0;
				t->number = 1;
			}
			continue;
		}
		/* the mark's first byte occurs only there: no overlap */
		if (t->held > 0 && fwrite(mark, 1, t->held, t->f) != t->held)
			return -1;
		t->held = c == mark[0];
		if (!t->held && putc(c, t->f) == EOF)
			return -1;
	}
	return 0;
}

int qhb_json_print(json_t *j, FILE *f, size_t flags)
{
	struct filter t = { f, 0, 0 };

	if (json_dump_callback(j, filter_put, &t, flags) < 0 ||
	    (t.held > 0 && fwrite(mark, 1, t.held, f) != t.held) || ferror(f))
		return -1;
	return 0;
}

int qhb_json_line(json_t *j, FILE *f, size_t flags)
{
	return qhb_json_print(j, f, flags) < 0 || putc('\n', f) == EOF ? -1 : 0;
}

void qhb_json_put(json_t *o, const char *key, json_t *v, int *ok)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0)
		*ok = 0;
}
