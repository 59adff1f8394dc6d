#include "cat.h"

#include <inttypes.h>
#include <string.h>

#include "json.h"
#include "nrrd.h"
#include "snap.h"

json_t *qhb_cat_frame_json(const char *name, const struct qhb_frame *f,
    struct qhb_err *e)
{
	json_t *o = json_object(), *m = json_object();
	char hash[17];
	int ok = o != NULL && m != NULL;

	if (!ok) {
		json_decref(o);
		json_decref(m);
		qhb_err_set(e, "out of memory");
		return NULL;
	}
	snprintf(hash, sizeof(hash), "%016" PRIx64, f->xxh3);
	qhb_json_put(o, "file", qhb_json_text(name), &ok);
	qhb_json_put(o, "frame", qhb_json_u64(f->index), &ok);
	qhb_json_put(o, "offset", qhb_json_u64(f->offset), &ok);
	qhb_json_put(o, "kind", json_string(qhb_frame_kind_name(f->kind)), &ok);
	qhb_json_put(o, "version", json_integer(f->version), &ok);
	qhb_json_put(o, "compression",
	    json_string(f->flags & QHB_FRAME_ZSTD ? "zstd" : "none"), &ok);
	qhb_json_put(o, "stored_size", qhb_json_u64(f->stored_size), &ok);
	qhb_json_put(o, "size", qhb_json_u64(f->size), &ok);
	qhb_json_put(o, "xxh3", json_string(hash), &ok);
	for (size_t i = 0; i < f->meta.n; i++) {
		const struct qhb_meta_entry *x = &f->meta.v[i];
		qhb_json_put(m, x->name, x->type == QHB_META_U64 ? qhb_json_u64(x->u) :
		    qhb_json_text(x->s), &ok);
	}
	qhb_json_put(o, "meta", m, &ok);
	if (f->kind == QHB_FRAME_SNAP || f->kind == QHB_FRAME_SNAP_DELTA) {
		struct qhb_snap_info in;
		if (qhb_snap_check(f, &in, e)) {
			json_decref(o);
			return NULL;
		}
		qhb_json_put(o, "pages", json_pack("{s:o,s:o,s:o}",
		    "given", qhb_json_u64(in.given_pages),
		    "data", qhb_json_u64(in.data_pages),
		    "zero", qhb_json_u64(in.zero_pages)), &ok);
	}
	if (!ok) {
		json_decref(o);
		qhb_err_set(e, "frame %" PRIu64 ": out of memory", f->index);
		return NULL;
	}
	return o;
}

/* The name a path goes by in messages and in the JSON. */
static const char *shown(const char *path)
{
	return strcmp(path, "-") ? path : "<stdin>";
}

static int print_json(struct qhb_cat *c, const char *name,
    const struct qhb_frame *f, struct qhb_err *e)
{
	json_t *o = qhb_cat_frame_json(name, f, e);
	int rc = 0;

	if (o == NULL)
		return -1;
	if (qhb_json_line(o, c->json_out, JSON_COMPACT | JSON_ENSURE_ASCII) < 0)
		rc = qhb_err_sys(e, "<stdout>: write");
	json_decref(o);
	return rc;
}

int qhb_cat_file(struct qhb_cat *c, const char *path, struct qhb_err *e)
{
	struct qhb_reader *r;
	struct qhb_frame f;
	int rc;

	c->last = shown(path);
	if ((r = qhb_reader_open(path, e)) == NULL)
		return -1;
	qhb_reader_filter(r, c->mode == QHB_CAT_RAW ? (1u << QHB_FRAME_SNAP |
	    1u << QHB_FRAME_SNAP_DELTA) : c->mode == QHB_CAT_NRRD ?
	    (1u << QHB_FRAME_VOLUME | 1u << QHB_FRAME_VOLUME_DELTA) : 0,
	    c->warn, c->warn_arg);
	qhb_frame_init(&f);
	while ((rc = qhb_reader_next(r, &f, e)) == 1) {
		if (c->mode == QHB_CAT_JSON)
			rc = print_json(c, shown(path), &f, e);
		else if (c->mode == QHB_CAT_RAW)
			rc = qhb_image_apply(&c->im, &f, e);
		else
			rc = qhb_volume_apply(&c->vol, &f, e);
		if (rc != 0) {
			qhb_err_path(e, shown(path));
			rc = -1;
			break;
		}
	}
	qhb_frame_release(&f);
	qhb_reader_close(r);
	return rc;
}

int qhb_cat_finish(struct qhb_cat *c, struct qhb_err *e)
{
	if (c->mode == QHB_CAT_JSON)
		return 0;
	if (c->mode == QHB_CAT_RAW ? c->im.frames == 0 : c->vol.frames == 0) {
		qhb_err_path(e, c->last);
		return qhb_err_set(e, "no %s frame in the input",
		    c->mode == QHB_CAT_RAW ? "snapshot" : "volume");
	}
	if ((c->mode == QHB_CAT_RAW ?
	    qhb_write_all(c->out->fd, c->im.ram, c->im.size, e) :
	    qhb_nrrd_write(c->out->fd, &c->vol, e)) ||
	    qhb_outfile_commit(c->out, e)) {
		qhb_err_path(e, c->out->path);
		return -1;
	}
	return 0;
}

void qhb_cat_release(struct qhb_cat *c)
{
	qhb_image_release(&c->im);
	qhb_volume_release(&c->vol);
}
