/*
 * regions -- labelled physical address ranges from JSON.  See regions.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "infile.h"
#include "regions.h"

/* A regions file is read whole: a bound on what a device or a wrong file
 * can make us read.  qhb-query writes some hundred bytes a region. */
#define REGIONS_MAX (64ull << 20)

static int get_addr(json_t *o, const char *key, uint64_t *v)
{
	json_t *j = json_object_get(o, key);
	const char *s;
	char *end;

	if (j == NULL)
		return 1;
	if (json_is_integer(j)) {
		if (json_integer_value(j) < 0)
			return -1;
		*v = (uint64_t)json_integer_value(j);
		return 0;
	}
	if (!json_is_string(j))
		return -1;
	s = json_string_value(j);
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || *s == '-' ? -1 : 0;
}

int qhb_regions_load(struct qhb_regions *r, const char *path,
    struct qhb_err *e)
{
	json_error_t je;
	json_t *root, *arr;
	char *text;
	size_t i, len;
	int rc = -1;

	r->v = NULL;
	r->n = 0;
	/* Opened without blocking (a FIFO with no writer reads as empty) and
	 * read within a limit, as every side file is (infile.h). */
	if (qhb_infile_load(path, REGIONS_MAX, "a regions file", &text, &len,
	    e) < 0)
		return -1;
	root = json_loadb(text, len, 0, &je);
	free(text);
	if (root == NULL) {
		if (je.line < 1)
			qhb_err_set(e, "%s", je.text);
		else
			qhb_err_set(e, "line %d: %s", je.line, je.text);
		qhb_err_path(e, path);
		return -1;
	}
	arr = json_is_array(root) ? root : json_object_get(root, "regions");
	if (!json_is_array(arr)) {
		qhb_err_set(e, "expected an array of regions, or an object with "
		    "\"regions\"");
		goto done;
	}
	if ((r->v = calloc(json_array_size(arr) + 1, sizeof(*r->v))) == NULL) {
		qhb_err_sys(e, "malloc");
		goto done;
	}
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i);
		struct qhb_region *g = &r->v[i];
		uint64_t size = 0;
		const char *s;
		int a, b, c;
		unsigned rgb;

		if (!json_is_object(o) || get_addr(o, "start", &g->start) != 0) {
			qhb_err_set(e, "region %zu: expected \"start\" as an "
			    "address", i);
			goto done;
		}
		a = get_addr(o, "end", &g->end);
		b = get_addr(o, "size", &size);
		if (a < 0 || b < 0 || (a == 1 && b == 1) || (a == 0 && b == 0)) {
			qhb_err_set(e, "region %zu: expected one of \"end\" or "
			    "\"size\"", i);
			goto done;
		}
		if (a == 1)
			g->end = g->start + size;
		if (g->end < g->start) {
			qhb_err_set(e, "region %zu: end before start", i);
			goto done;
		}
		g->rgb[0] = 255, g->rgb[1] = 0, g->rgb[2] = 255;
		if ((s = json_string_value(json_object_get(o, "color"))) != NULL) {
			c = 0;
			if (sscanf(s, "#%6x%n", &rgb, &c) != 1 || c != 7 || s[7]) {
				qhb_err_set(e, "region %zu: color \"%.16s\": expected "
				    "#rrggbb", i, s);
				goto done;
			}
			g->rgb[0] = (uint8_t)(rgb >> 16);
			g->rgb[1] = (uint8_t)(rgb >> 8);
			g->rgb[2] = (uint8_t)rgb;
		}
		if ((s = json_string_value(json_object_get(o, "label"))) != NULL)
			snprintf(g->label, sizeof(g->label), "%s", s);
	}
	r->n = i;
	rc = 0;
done:
	if (rc != 0) {
		qhb_err_path(e, path);
		free(r->v);
		r->v = NULL;
	}
	json_decref(root);
	return rc;
}

void qhb_regions_release(struct qhb_regions *r)
{
	if (r == NULL)
		return;
	free(r->v);
	r->v = NULL;
	r->n = 0;
}
