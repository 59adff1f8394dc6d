/*
 * Unit tests of the JSON writers: u64s above INT64_MAX and fixed reals
 * written as plain numbers, strings escaped (quotes, backslashes, control
 * bytes, text that looks like the mark of a number), and qhb-learn's
 * lines, which must stay valid JSON whatever their text holds.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "learn.h"
#include "unit.h"

/* What qhb_json_print writes of j (freed), in a malloc'ed string. */
static char *printed(json_t *j, size_t flags)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	if (j == NULL || qhb_json_print(j, f, flags) < 0) {
		fclose(f);
		free(buf);
		json_decref(j);
		return NULL;
	}
	fclose(f);
	json_decref(j);
	return buf;
}

static void test_u64(void)
{
	char *s;

	s = printed(json_pack("[o,o,o,o]", qhb_json_u64(0),
	    qhb_json_u64(INT64_MAX), qhb_json_u64((uint64_t)INT64_MAX + 1),
	    qhb_json_u64(UINT64_MAX)), JSON_COMPACT);
	CHECKF(s != NULL && strcmp(s, "[0,9223372036854775807,"
	    "9223372036854775808,18446744073709551615]") == 0, "%s", s);
	free(s);
	/* as an object's value, indented, and as the last byte of the dump */
	s = printed(json_pack("{s:o}", "address",
	    qhb_json_u64(0xffffffff81000000ull)), JSON_INDENT(2));
	CHECKF(s != NULL && strcmp(s, "{\n  \"address\": 18446744071578845184\n}")
	    == 0, "%s", s);
	free(s);
	s = printed(qhb_json_u64(UINT64_MAX), JSON_ENCODE_ANY);
	CHECKF(s != NULL && strcmp(s, "18446744073709551615") == 0, "%s", s);
	free(s);
	s = printed(json_pack("[o,o,o]", qhb_json_fixed(0.0008534, 6),
	    qhb_json_fixed(0, 6), qhb_json_fixed(1234567.5, 0)), JSON_COMPACT);
	CHECKF(s != NULL && strcmp(s, "[0.000853,0.000000,1234568]") == 0,
	    "%s", s);
	free(s);
	s = printed(qhb_json_hex(0xffffffff81000000ull), JSON_ENCODE_ANY);
	CHECKF(s != NULL && strcmp(s, "\"0xffffffff81000000\"") == 0, "%s", s);
	free(s);
}

/* Strings come out escaped and whole, even when they look like the mark
 * of a number; a key cannot pass for one either. */
static void test_escaping(void)
{
	char *s;

	s = printed(json_pack("[o,o,o,o]", qhb_json_text("a \"q\" \\ b"),
	    qhb_json_text("\\u0000123"), qhb_json_text("x\"\001u64:5"),
	    qhb_json_text("tab\there\n")), JSON_COMPACT);
	CHECKF(s != NULL && strcmp(s, "[\"a \\\"q\\\" \\\\ b\","
	    "\"\\\\u0000123\",\"x\\\"\\u0001u64:5\",\"tab\\there\\n\"]") == 0,
	    "%s", s);
	free(s);
	s = printed(json_pack("{s:o}", "\001k\"", qhb_json_u64(UINT64_MAX)),
	    JSON_COMPACT);
	CHECKF(s != NULL && strcmp(s, "{\"\\u0001k\\\"\":18446744073709551615}")
	    == 0, "%s", s);
	free(s);
	/* in a string that is not UTF-8, every byte from 0x80 becomes '?'; a
	 * string that is UTF-8 is kept */
	s = printed(qhb_json_text("caf\xc3\xa9 \xff!"), JSON_ENCODE_ANY);
	CHECKF(s != NULL && strcmp(s, "\"caf?? ?!\"") == 0, "%s", s);
	free(s);
	s = printed(qhb_json_text("caf\xc3\xa9"), JSON_ENCODE_ANY |
	    JSON_ENSURE_ASCII);
	CHECKF(s != NULL && strcmp(s, "\"caf\\u00E9\"") == 0, "%s", s);
	free(s);
}

/* qhb-learn's --learn line of a form whose text and reason hold quotes
 * and backslashes parses back to the same text. */
static void test_learn_line(void)
{
	struct qhb_x86sem_form f;
	struct qhb_learn_entry en;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	json_t *j;

	memset(&f, 0, sizeof(f));
	memset(&en, 0, sizeof(en));
	snprintf(f.text, sizeof(f.text), "mov \"a\", [b\\c]");
	snprintf(en.reason, sizeof(en.reason), "said \"no\" \\ twice");
	en.solver_seconds = 0.25;
	CHECK((out = open_memstream(&buf, &len)) != NULL);
	CHECK(qhb_learn_entry_write(out, &f, &en, 1) == 0);
	fclose(out);
	CHECKF(strstr(buf, "\"form\":\"mov \\\"a\\\", [b\\\\c]\"") != NULL &&
	    strstr(buf, ",\"solver_seconds\":0.250000,\"synth_seconds\":"
	    "0.000000,\"reason\":\"said \\\"no\\\" \\\\ twice\"}\n") != NULL,
	    "%s", buf);
	j = json_loads(buf, 0, NULL);
	free(buf);
	CHECK(j != NULL);
	CHECK(strcmp(json_string_value(json_object_get(j, "form")),
	    f.text) == 0);
	CHECK(strcmp(json_string_value(json_object_get(j, "reason")),
	    en.reason) == 0);
	CHECK(strcmp(json_string_value(json_object_get(j, "status")),
	    "fallback") == 0);
	json_decref(j);
}

void unit_main(void)
{
	UNIT_RUN(test_u64);
	UNIT_RUN(test_escaping);
	UNIT_RUN(test_learn_line);
}
