/*
 * stream.c -- reading and writing qhb frames.  Layout: man/qhb-format.5.
 */
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define XXH_STATIC_LINKING_ONLY  /* XXH3_state_t on the stack */
#include <xxhash.h>
/* libxxhash's run-time dispatch to AVX2/AVX-512: same values, about 1.6x
 * the speed of its portable build on large inputs. */
#include <xxh_x86dispatch.h>
#include <zstd.h>

/* Offsets of the fixed header's fields. */
enum {
	HDR_MAGIC = 0, HDR_KIND = 4, HDR_VERSION = 6, HDR_SIZE = 8,
	HDR_FLAGS = 12, HDR_STORED = 16, HDR_CONTENT = 24, HDR_XXH3 = 32,
	HDR_HXXH3 = 56,
};
#define META_MAX_STR 4095
#define KNOWN_FLAGS QHB_FRAME_ZSTD

static int err_in_frame(struct qhb_err *e, uint64_t off, uint64_t frame);

static const char *const kind_names[] = {
	[QHB_FRAME_SNAP] = "snap",
	[QHB_FRAME_SNAP_DELTA] = "snap-delta",
	[QHB_FRAME_VOLUME] = "volume",
	[QHB_FRAME_VOLUME_DELTA] = "volume-delta",
	[QHB_FRAME_TRACE] = "trace",
};

const char *qhb_frame_kind_name(unsigned kind)
{
	if (kind < sizeof(kind_names) / sizeof(kind_names[0]))
		return kind_names[kind];
	return NULL;
}

/* Little-endian access, whatever the host. */
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}
static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/*
 * Metadata.
 */

static struct qhb_meta_entry *meta_find(const struct qhb_meta *m,
    const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].name, name) == 0)
			return &m->v[i];
	return NULL;
}

/* Returns the entry for name, new or old (its old string freed). */
static struct qhb_meta_entry *meta_slot(struct qhb_meta *m, const char *name,
    struct qhb_err *e)
{
	struct qhb_meta_entry *x;
	size_t len = strlen(name);

	if (len == 0 || len >= sizeof(x->name)) {
		qhb_err_set(e, "metadata name of %zu bytes (1..63 allowed)", len);
		return NULL;
	}
	if ((x = meta_find(m, name)) != NULL) {
		free(x->s);
		x->s = NULL;
		return x;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct qhb_meta_entry *v = realloc(m->v, cap * sizeof(*v));
		if (v == NULL) {
			qhb_err_sys(e, "metadata");
			return NULL;
		}
		m->v = v;
		m->cap = cap;
	}
	x = &m->v[m->n++];
	memset(x, 0, sizeof(*x));
	memcpy(x->name, name, len + 1);
	return x;
}

int qhb_meta_set_u64(struct qhb_meta *m, const char *name, uint64_t v,
    struct qhb_err *e)
{
	struct qhb_meta_entry *x = meta_slot(m, name, e);

	if (x == NULL)
		return -1;
	x->type = QHB_META_U64;
	x->u = v;
	return 0;
}

int qhb_meta_set_str(struct qhb_meta *m, const char *name, const char *s,
    struct qhb_err *e)
{
	struct qhb_meta_entry *x;
	char *copy;

	if (strlen(s) > META_MAX_STR)
		return qhb_err_set(e, "metadata %s: string of %zu bytes "
		    "(at most %d)", name, strlen(s), META_MAX_STR);
	if ((copy = strdup(s)) == NULL)
		return qhb_err_sys(e, "metadata");
	if ((x = meta_slot(m, name, e)) == NULL) {
		free(copy);
		return -1;
	}
	x->type = QHB_META_STR;
	x->s = copy;
	return 0;
}

int qhb_meta_get_u64(const struct qhb_meta *m, const char *name, uint64_t *v)
{
	const struct qhb_meta_entry *x = meta_find(m, name);

	if (x == NULL || x->type != QHB_META_U64)
		return -1;
	*v = x->u;
	return 0;
}

const char *qhb_meta_get_str(const struct qhb_meta *m, const char *name)
{
	const struct qhb_meta_entry *x = meta_find(m, name);

	return x != NULL && x->type == QHB_META_STR ? x->s : NULL;
}

void qhb_meta_release(struct qhb_meta *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].s);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* Each entry: type (1 byte), name length (1), value length (2), name,
 * value.  Returns the encoded size, or 0 when it would exceed max. */
static size_t meta_encode(const struct qhb_meta *m, uint8_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; m != NULL && i < m->n; i++) {
		const struct qhb_meta_entry *x = &m->v[i];
		size_t nl = strlen(x->name);
		size_t vl = x->type == QHB_META_U64 ? 8 : strlen(x->s);

		if (n + 4 + nl + vl > max)
			return SIZE_MAX;
		out[n] = (uint8_t)x->type;
		out[n + 1] = (uint8_t)nl;
		put16(out + n + 2, (uint16_t)vl);
		memcpy(out + n + 4, x->name, nl);
		if (x->type == QHB_META_U64)
			put64(out + n + 4 + nl, x->u);
		else
			memcpy(out + n + 4 + nl, x->s, vl);
		n += 4 + nl + vl;
	}
	return n;
}

/* Parses len bytes of metadata found at stream offset off. */
static int meta_decode(struct qhb_meta *m, const uint8_t *p, size_t len,
    uint64_t off, struct qhb_err *e)
{
	size_t i = 0;

	while (i < len) {
		char name[64], *s;
		size_t nl, vl;
		int type;

		if (len - i < 4)
			return qhb_err_at(e, off + i, "metadata entry header cut "
			    "short: %zu of 4 bytes", len - i);
		type = p[i];
		nl = p[i + 1];
		vl = get16(p + i + 2);
		if (type != QHB_META_U64 && type != QHB_META_STR)
			return qhb_err_at(e, off + i, "metadata entry type 0x%02x "
			    "(expected 'u' or 's')", type);
		if (nl == 0 || nl >= sizeof(name))
			return qhb_err_at(e, off + i + 1, "metadata name length "
			    "%zu (expected 1..63)", nl);
		if (len - i - 4 < nl + vl)
			return qhb_err_at(e, off + i, "metadata entry of %zu bytes "
			    "overruns the header by %zu", 4 + nl + vl,
			    4 + nl + vl - (len - i));
		memcpy(name, p + i + 4, nl);
		name[nl] = '\0';
		if (memchr(name, '\0', nl) != NULL)
			return qhb_err_at(e, off + i + 4, "metadata name "
			    "contains a NUL byte");
		if (type == QHB_META_U64) {
			if (vl != 8)
				return qhb_err_at(e, off + i + 2, "metadata %s: "
				    "integer of %zu bytes (expected 8)", name, vl);
			if (qhb_meta_set_u64(m, name, get64(p + i + 4 + nl), e))
				return -1;
		} else {
			if (memchr(p + i + 4 + nl, '\0', vl) != NULL)
				return qhb_err_at(e, off + i + 4 + nl, "metadata %s: "
				    "string contains a NUL byte", name);
			if ((s = malloc(vl + 1)) == NULL)
				return qhb_err_sys(e, "metadata");
			memcpy(s, p + i + 4 + nl, vl);
			s[vl] = '\0';
			if (qhb_meta_set_str(m, name, s, e)) {
				free(s);
				return -1;
			}
			free(s);
		}
		i += 4 + nl + vl;
	}
	return 0;
}

/*
 * Frames.
 */

void qhb_frame_init(struct qhb_frame *f)
{
	memset(f, 0, sizeof(*f));
}

void qhb_frame_release(struct qhb_frame *f)
{
	if (f == NULL)
		return;
	qhb_meta_release(&f->meta);
	free(f->data);
	qhb_frame_init(f);
}

/*
 * Reader.
 */

struct qhb_reader {
	int fd;
	int own_fd;
	char name[256];
	uint8_t buf[64 * 1024];  /* read-ahead for headers */
	size_t pos, len;
	uint64_t offset;         /* bytes consumed by the caller */
	uint64_t index;          /* next frame's number */
	uint64_t mask;
	uint64_t max_content;
	qhb_warn_fn *warn;
	void *warn_arg;
	ZSTD_DCtx *dctx;
	uint8_t *stored;         /* compressed payload staging */
	size_t stored_cap;
	uint8_t hdr[QHB_FRAME_HEADER_SIZE + QHB_FRAME_MAX_META];
};

struct qhb_reader *qhb_reader_fdopen(int fd, const char *name,
    struct qhb_err *e)
{
	struct qhb_reader *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		qhb_err_sys(e, "%s", name);
		return NULL;
	}
	r->fd = fd;
	r->max_content = QHB_FRAME_MAX_CONTENT;
	snprintf(r->name, sizeof(r->name), "%s", name);
	return r;
}

struct qhb_reader *qhb_reader_open(const char *path, struct qhb_err *e)
{
	struct qhb_reader *r;
	int fd;

	if (strcmp(path, "-") == 0)
		return qhb_reader_fdopen(STDIN_FILENO, "<stdin>", e);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		qhb_err_sys(e, "cannot open");
		qhb_err_path(e, path);
		return NULL;
	}
	if ((r = qhb_reader_fdopen(fd, path, e)) == NULL) {
		close(fd);
		return NULL;
	}
	r->own_fd = 1;
	return r;
}

void qhb_reader_filter(struct qhb_reader *r, uint64_t kind_mask,
    qhb_warn_fn *warn, void *arg)
{
	r->mask = kind_mask;
	r->warn = warn;
	r->warn_arg = arg;
}

void qhb_reader_limit(struct qhb_reader *r, uint64_t max_content)
{
	r->max_content = max_content < QHB_FRAME_MAX_CONTENT ? max_content :
	    QHB_FRAME_MAX_CONTENT;
}

uint64_t qhb_reader_offset(const struct qhb_reader *r)
{
	return r->offset;
}

const char *qhb_reader_name(const struct qhb_reader *r)
{
	return r->name;
}

void qhb_reader_close(struct qhb_reader *r)
{
	if (r == NULL)
		return;
	if (r->own_fd)
		close(r->fd);
	ZSTD_freeDCtx(r->dctx);
	free(r->stored);
	free(r);
}

/* Reads up to n bytes into dst: buffered bytes first, then straight from
 * the fd.  Returns the count, short only at end of input, or -1. */
static ssize_t rd(struct qhb_reader *r, void *dst, size_t n, int direct,
    struct qhb_err *e)
{
	uint8_t *out = dst;
	size_t got = 0;

	while (got < n) {
		ssize_t k;

		if (r->pos < r->len) {
			size_t c = r->len - r->pos;
			if (c > n - got)
				c = n - got;
			memcpy(out + got, r->buf + r->pos, c);
			r->pos += c;
			got += c;
			continue;
		}
		if (direct && n - got >= sizeof(r->buf))
			k = read(r->fd, out + got, n - got > (1u << 30) ?
			    (1u << 30) : n - got);
		else
			k = read(r->fd, r->buf, sizeof(r->buf));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return qhb_err_sys(e, "read");
		}
		if (k == 0)
			break;
		if (direct && n - got >= sizeof(r->buf)) {
			got += (size_t)k;
		} else {
			r->pos = 0;
			r->len = (size_t)k;
		}
	}
	r->offset += got;
	return (ssize_t)got;
}

/* Reads exactly n bytes into *buf, growing it (capacity *cap) as bytes
 * arrive, so that a header that lies about its size costs no more memory
 * than the input holds.  what names the part for errors. */
static int rd_grow(struct qhb_reader *r, uint8_t **buf, size_t *cap,
    uint64_t n, uint64_t frame, uint64_t frame_off, const char *what,
    struct qhb_err *e)
{
	uint64_t got = 0, start = r->offset;

	while (got < n) {
		size_t want = n - got;
		ssize_t k;

		if (*cap < n) {
			size_t grow = *cap ? *cap * 2 : 1u << 20;
			uint8_t *p;
			if (grow > n)
				grow = n;
			if (grow < got + 1)
				grow = n;
			if ((p = realloc(*buf, grow)) == NULL)
				return qhb_err_at(e, frame_off, "frame %" PRIu64
				    ": cannot allocate %zu bytes for its %s",
				    frame, grow, what);
			*buf = p;
			*cap = grow;
		}
		if (want > *cap - got)
			want = *cap - got;
		if ((k = rd(r, *buf + got, want, 1, e)) < 0)
			return err_in_frame(e, r->offset, frame);
		got += (uint64_t)k;
		if ((size_t)k < want)
			return qhb_err_at(e, start, "frame %" PRIu64 ": truncated "
			    "%s: expected %" PRIu64 " bytes, got %" PRIu64,
			    frame, what, n, got);
	}
	return 0;
}

/* Prefixes e's message with "frame N: " and sets its offset. */
static int err_in_frame(struct qhb_err *e, uint64_t off, uint64_t frame)
{
	char tmp[sizeof(e->msg)];

	if (e == NULL)
		return -1;
	memcpy(tmp, e->msg, sizeof(tmp));
	return qhb_err_at(e, off, "frame %" PRIu64 ": %s", frame, tmp);
}

static void hex4(char *out, const uint8_t *p, size_t n)
{
	out[0] = '\0';
	for (size_t i = 0; i < n && i < 4; i++)
		sprintf(out + strlen(out), "%s%02x", i ? " " : "", p[i]);
}

static int reader_next(struct qhb_reader *r, struct qhb_frame *f,
    struct qhb_err *e)
{
	for (;;) {
		uint64_t off = r->offset, idx = r->index;
		uint64_t stored, content, want_hash, have_hash;
		unsigned kind, version;
		uint32_t hsize, flags;
		const char *kname;
		uint8_t *h = r->hdr;
		ssize_t k;
		char got[16];
		int skip;

		if ((k = rd(r, h, QHB_FRAME_HEADER_SIZE, 0, e)) < 0)
			return err_in_frame(e, off, idx);
		if (k == 0)
			return 0;
		if (k < QHB_FRAME_HEADER_SIZE)
			return qhb_err_at(e, off, "frame %" PRIu64 ": truncated "
			    "header: expected %d bytes, got %zd", idx,
			    QHB_FRAME_HEADER_SIZE, k);
		if (memcmp(h + HDR_MAGIC, QHB_STREAM_MAGIC, 4) != 0) {
			hex4(got, h, 4);
			return qhb_err_at(e, off, "frame %" PRIu64 ": expected "
			    "frame magic \"QHB1\", got %s", idx, got);
		}
		kind = get16(h + HDR_KIND);
		version = get16(h + HDR_VERSION);
		hsize = get32(h + HDR_SIZE);
		flags = get32(h + HDR_FLAGS);
		stored = get64(h + HDR_STORED);
		content = get64(h + HDR_CONTENT);
		if (hsize < QHB_FRAME_HEADER_SIZE ||
		    hsize > QHB_FRAME_HEADER_SIZE + QHB_FRAME_MAX_META)
			return qhb_err_at(e, off + HDR_SIZE, "frame %" PRIu64
			    ": header size %" PRIu32 " out of range %d..%d", idx,
			    hsize, QHB_FRAME_HEADER_SIZE,
			    QHB_FRAME_HEADER_SIZE + QHB_FRAME_MAX_META);
		if ((k = rd(r, h + QHB_FRAME_HEADER_SIZE,
		    hsize - QHB_FRAME_HEADER_SIZE, 0, e)) < 0)
			return err_in_frame(e, off, idx);
		if ((size_t)k < hsize - QHB_FRAME_HEADER_SIZE)
			return qhb_err_at(e, off, "frame %" PRIu64 ": truncated "
			    "header: expected %" PRIu32 " bytes, got %zd", idx,
			    hsize, QHB_FRAME_HEADER_SIZE + k);
		want_hash = get64(h + HDR_HXXH3);
		put64(h + HDR_HXXH3, 0);
		have_hash = XXH3_64bits(h, hsize);
		if (want_hash != have_hash)
			return qhb_err_at(e, off + HDR_HXXH3, "frame %" PRIu64
			    ": header checksum mismatch: header says %016" PRIx64
			    ", bytes hash to %016" PRIx64, idx, want_hash,
			    have_hash);
		if (flags & ~KNOWN_FLAGS)
			return qhb_err_at(e, off + HDR_FLAGS, "frame %" PRIu64
			    ": unknown flags 0x%" PRIx32, idx, flags & ~KNOWN_FLAGS);
		if (content > r->max_content)
			return qhb_err_at(e, off + HDR_CONTENT, "frame %" PRIu64
			    ": absurd payload size %" PRIu64 " (at most %" PRIu64
			    ")", idx, content, r->max_content);
		if (!(flags & QHB_FRAME_ZSTD) && stored != content)
			return qhb_err_at(e, off + HDR_STORED, "frame %" PRIu64
			    ": raw payload of %" PRIu64 " bytes stored in %" PRIu64,
			    idx, content, stored);
		if ((flags & QHB_FRAME_ZSTD) &&
		    stored > ZSTD_compressBound(content) + 64)
			return qhb_err_at(e, off + HDR_STORED, "frame %" PRIu64
			    ": absurd compressed size %" PRIu64 " for %" PRIu64
			    " bytes", idx, stored, content);
		if (version == 0)
			return qhb_err_at(e, off + HDR_VERSION, "frame %" PRIu64
			    ": format version 0", idx);

		kname = qhb_frame_kind_name(kind);
		skip = kname == NULL || version > QHB_STREAM_VERSION ||
		    (r->mask != 0 && (kind >= 64 || !(r->mask >> kind & 1)));
		qhb_frame_release(f);
		f->kind = kind;
		f->version = version;
		f->flags = flags;
		f->index = idx;
		f->offset = off;
		f->stored_size = stored;
		f->xxh3 = get64(h + HDR_XXH3);
		if (meta_decode(&f->meta, h + QHB_FRAME_HEADER_SIZE,
		    hsize - QHB_FRAME_HEADER_SIZE, off + QHB_FRAME_HEADER_SIZE,
		    e)) {
			uint64_t at = e ? e->off : off;
			return err_in_frame(e, at, idx);
		}

		/* Raw payloads land in the frame, compressed ones in staging. */
		if (flags & QHB_FRAME_ZSTD || skip) {
			if (rd_grow(r, &r->stored, &r->stored_cap, stored, idx,
			    off, "payload", e))
				return -1;
			have_hash = XXH3_64bits(r->stored, stored);
		} else {
			if (rd_grow(r, &f->data, &f->cap, stored, idx, off,
			    "payload", e))
				return -1;
			have_hash = XXH3_64bits(f->data, stored);
		}
		if (have_hash != f->xxh3)
			return qhb_err_at(e, off + hsize, "frame %" PRIu64
			    ": payload checksum mismatch: header says %016" PRIx64
			    ", payload hashes to %016" PRIx64, idx, f->xxh3,
			    have_hash);
		r->index++;
		if (skip) {
			if (r->warn != NULL) {
				struct qhb_err w;
				qhb_err_clear(&w);
				qhb_err_path(&w, r->name);
				if (kname == NULL)
					qhb_err_at(&w, off, "frame %" PRIu64 ": "
					    "skipping frame of unknown kind %u",
					    idx, kind);
				else if (version > QHB_STREAM_VERSION)
					qhb_err_at(&w, off, "frame %" PRIu64 ": "
					    "skipping %s frame of format version "
					    "%u (this reader knows %d)", idx, kname,
					    version, QHB_STREAM_VERSION);
				else
					qhb_err_at(&w, off, "frame %" PRIu64 ": "
					    "skipping %s frame", idx, kname);
				r->warn(r->warn_arg, &w);
			}
			qhb_frame_release(f);
			continue;
		}
		if (flags & QHB_FRAME_ZSTD) {
			unsigned long long fcs =
			    ZSTD_getFrameContentSize(r->stored, stored);
			size_t n;
			/* Two sizes near 2^64 are zstd's sentinels, not sizes. */
			if (fcs == ZSTD_CONTENTSIZE_ERROR)
				return qhb_err_at(e, off + hsize, "frame %" PRIu64
				    ": zstd payload is not a zstd frame", idx);
			if (fcs == ZSTD_CONTENTSIZE_UNKNOWN)
				return qhb_err_at(e, off + hsize, "frame %" PRIu64
				    ": zstd frame does not declare its size, "
				    "header %" PRIu64, idx, content);
			if (fcs != content)
				return qhb_err_at(e, off + hsize, "frame %" PRIu64
				    ": zstd frame declares %llu bytes, header "
				    "%" PRIu64, idx, fcs, content);
			if (f->cap < content) {
				uint8_t *p = realloc(f->data, content ? content : 1);
				if (p == NULL)
					return qhb_err_at(e, off, "frame %" PRIu64
					    ": cannot allocate %" PRIu64 " bytes",
					    idx, content);
				f->data = p;
				f->cap = content;
			}
			if (r->dctx == NULL && (r->dctx = ZSTD_createDCtx()) == NULL)
				return qhb_err_sys(e, "zstd");
			n = ZSTD_decompressDCtx(r->dctx, f->data, content,
			    r->stored, stored);
			if (ZSTD_isError(n) || n != content)
				return qhb_err_at(e, off + hsize, "frame %" PRIu64
				    ": zstd payload does not decompress: %s", idx,
				    ZSTD_isError(n) ? ZSTD_getErrorName(n) :
				    "short output");
		}
		f->size = content;
		return 1;
	}
}

int qhb_reader_next(struct qhb_reader *r, struct qhb_frame *f,
    struct qhb_err *e)
{
	int rc = reader_next(r, f, e);

	if (rc < 0)
		qhb_err_path(e, r->name);
	return rc;
}

/*
 * Writer.
 */

struct qhb_writer {
	int fd;
	char name[256];
	int level;
	int threads;
	int can_patch;          /* see qhb_writer_can_patch() */
	/* The frame being written piecewise. */
	int open_frame;
	unsigned open_kind;
	off_t frame_off;        /* where its header goes */
	size_t frame_mlen;      /* its encoded metadata size */
	uint64_t frame_content;
	XXH3_state_t frame_hash;
	ZSTD_CCtx *cctx;
	uint8_t *zbuf;
	size_t zcap;
	uint64_t offset;
	uint8_t hdr[QHB_FRAME_HEADER_SIZE + QHB_FRAME_MAX_META];
};

/* A regular file not opened for appending, or /dev/null: where pwrite()
 * lands at the offset it is given. */
static int output_can_patch(int fd)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (fl & O_APPEND) || fstat(fd, &st) < 0 ||
	    lseek(fd, 0, SEEK_CUR) < 0)
		return 0;
	return S_ISREG(st.st_mode) ||
	    (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
}

struct qhb_writer *qhb_writer_new(int fd, const char *name, int level,
    int threads, struct qhb_err *e)
{
	struct qhb_writer *w;

	if (level < 0 || level > ZSTD_maxCLevel()) {
		qhb_err_set(e, "compression level %d out of range 0..%d", level,
		    ZSTD_maxCLevel());
		return NULL;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		qhb_err_sys(e, "%s", name);
		return NULL;
	}
	w->fd = fd;
	w->level = level;
	w->threads = threads;
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->can_patch = level == 0 && output_can_patch(fd);
	if (level > 0) {
		if ((w->cctx = ZSTD_createCCtx()) == NULL)
			goto err;
		ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, level);
		ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1);
		/* Fewer threads than asked when zstd was built without them. */
		if (threads > 0)
			ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_nbWorkers, threads);
	}
	return w;
err:
	qhb_err_set(e, "cannot set up zstd");
	qhb_writer_free(w);
	return NULL;
}

void qhb_writer_free(struct qhb_writer *w)
{
	if (w == NULL)
		return;
	ZSTD_freeCCtx(w->cctx);
	free(w->zbuf);
	free(w);
}

uint64_t qhb_writer_offset(const struct qhb_writer *w)
{
	return w->offset;
}

/* Writes all of iov, resuming after short writes. */
static int write_all(struct qhb_writer *w, struct iovec *iov, int n,
    struct qhb_err *e)
{
	while (n > 0) {
		ssize_t k = writev(w->fd, iov, n > IOV_MAX ? IOV_MAX : n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return qhb_err_sys(e, "write");
		}
		w->offset += (uint64_t)k;
		while (n > 0 && (size_t)k >= iov->iov_len) {
			k -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + k;
			iov->iov_len -= (size_t)k;
		}
	}
	return 0;
}

/* Fills the fixed header in front of mlen bytes of encoded metadata. */
static void fill_header(uint8_t *h, unsigned kind, size_t mlen, uint32_t flags,
    uint64_t stored, uint64_t content, uint64_t hash)
{
	memset(h, 0, QHB_FRAME_HEADER_SIZE);
	memcpy(h + HDR_MAGIC, QHB_STREAM_MAGIC, 4);
	put16(h + HDR_KIND, (uint16_t)kind);
	put16(h + HDR_VERSION, QHB_STREAM_VERSION);
	put32(h + HDR_SIZE, (uint32_t)(QHB_FRAME_HEADER_SIZE + mlen));
	put32(h + HDR_FLAGS, flags);
	put64(h + HDR_STORED, stored);
	put64(h + HDR_CONTENT, content);
	put64(h + HDR_XXH3, hash);
	put64(h + HDR_HXXH3, XXH3_64bits(h, QHB_FRAME_HEADER_SIZE + mlen));
}

/* Compresses the payload into w->zbuf; returns its size, or 0 when it did
 * not shrink (the frame is then stored raw), or -1. */
static int64_t compress_payload(struct qhb_writer *w, const struct iovec *iov,
    int iovcnt, uint64_t content, struct qhb_err *e)
{
	size_t bound = ZSTD_compressBound(content);
	ZSTD_outBuffer out;
	size_t rc;

	if (w->zcap < bound) {
		uint8_t *p = realloc(w->zbuf, bound);
		if (p == NULL)
			return qhb_err_sys(e, "cannot allocate %zu bytes", bound);
		w->zbuf = p;
		w->zcap = bound;
	}
	ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_only);
	ZSTD_CCtx_setPledgedSrcSize(w->cctx, content);
	out.dst = w->zbuf;
	out.size = bound;
	out.pos = 0;
	for (int i = 0; i <= iovcnt; i++) {
		ZSTD_EndDirective end = i == iovcnt ? ZSTD_e_end : ZSTD_e_continue;
		ZSTD_inBuffer in = { i < iovcnt ? iov[i].iov_base : "",
		    i < iovcnt ? iov[i].iov_len : 0, 0 };
		do {
			rc = ZSTD_compressStream2(w->cctx, &out, &in, end);
			if (ZSTD_isError(rc))
				return qhb_err_set(e, "zstd: %s",
				    ZSTD_getErrorName(rc));
		} while (end == ZSTD_e_end ? rc != 0 : in.pos < in.size);
	}
	return out.pos < content ? (int64_t)out.pos : 0;
}

static int writer_put(struct qhb_writer *w, unsigned kind,
    const struct qhb_meta *meta, const struct iovec *iov, int iovcnt,
    struct qhb_err *e)
{
	uint64_t content = 0, stored, hash;
	uint8_t *h = w->hdr;
	uint32_t flags = 0;
	size_t mlen;
	int64_t z = 0;
	struct iovec *out;
	int nout;

	for (int i = 0; i < iovcnt; i++)
		content += iov[i].iov_len;
	mlen = meta_encode(meta, h + QHB_FRAME_HEADER_SIZE, QHB_FRAME_MAX_META);
	if (mlen == SIZE_MAX)
		return qhb_err_set(e, "frame metadata over %u bytes",
		    QHB_FRAME_MAX_META);
	if (w->level > 0 && content > 0 &&
	    (z = compress_payload(w, iov, iovcnt, content, e)) < 0)
		return -1;
	if (z > 0) {
		flags |= QHB_FRAME_ZSTD;
		stored = (uint64_t)z;
		hash = XXH3_64bits(w->zbuf, stored);
	} else {
		XXH3_state_t st;
		XXH3_64bits_reset(&st);
		for (int i = 0; i < iovcnt; i++)
			XXH3_64bits_update(&st, iov[i].iov_base, iov[i].iov_len);
		hash = XXH3_64bits_digest(&st);
		stored = content;
	}
	fill_header(h, kind, mlen, flags, stored, content, hash);

	nout = 1 + (z > 0 ? 1 : iovcnt);
	if ((out = malloc((size_t)nout * sizeof(*out))) == NULL)
		return qhb_err_sys(e, "write");
	out[0].iov_base = h;
	out[0].iov_len = QHB_FRAME_HEADER_SIZE + mlen;
	if (z > 0) {
		out[1].iov_base = w->zbuf;
		out[1].iov_len = (size_t)z;
	} else {
		memcpy(out + 1, iov, (size_t)iovcnt * sizeof(*iov));
	}
	if (write_all(w, out, nout, e)) {
		free(out);
		return -1;
	}
	free(out);
	return 0;
}

int qhb_writer_put(struct qhb_writer *w, unsigned kind,
    const struct qhb_meta *meta, const struct iovec *iov, int iovcnt,
    struct qhb_err *e)
{
	int rc = writer_put(w, kind, meta, iov, iovcnt, e);

	if (rc < 0)
		qhb_err_path(e, w->name);
	return rc;
}

int qhb_writer_can_patch(const struct qhb_writer *w)
{
	return w->can_patch;
}

int qhb_writer_begin(struct qhb_writer *w, unsigned kind,
    const struct qhb_meta *meta, struct qhb_err *e)
{
	struct iovec iov;
	size_t mlen;

	if (!w->can_patch || w->open_frame)
		return qhb_err_set(e, "%s: cannot write a frame piecewise here",
		    w->name);
	mlen = meta_encode(meta, w->hdr + QHB_FRAME_HEADER_SIZE,
	    QHB_FRAME_MAX_META);
	if (mlen == SIZE_MAX)
		return qhb_err_set(e, "frame metadata over %u bytes",
		    QHB_FRAME_MAX_META);
	if ((w->frame_off = lseek(w->fd, 0, SEEK_CUR)) < 0) {
		qhb_err_sys(e, "seek");
		goto err;
	}
	/* A placeholder that no reader takes for a frame. */
	memset(w->hdr, 0, QHB_FRAME_HEADER_SIZE + mlen);
	iov.iov_base = w->hdr;
	iov.iov_len = QHB_FRAME_HEADER_SIZE + mlen;
	if (write_all(w, &iov, 1, e))
		goto err;
	w->open_frame = 1;
	w->open_kind = kind;
	w->frame_mlen = mlen;
	w->frame_content = 0;
	XXH3_64bits_reset(&w->frame_hash);
	return 0;
err:
	qhb_err_path(e, w->name);
	return -1;
}

int qhb_writer_append(struct qhb_writer *w, const struct iovec *iov,
    int iovcnt, struct qhb_err *e)
{
	struct iovec *copy;
	int rc;

	if (!w->open_frame)
		return qhb_err_set(e, "%s: no frame begun", w->name);
	for (int i = 0; i < iovcnt; i++) {
		XXH3_64bits_update(&w->frame_hash, iov[i].iov_base,
		    iov[i].iov_len);
		w->frame_content += iov[i].iov_len;
	}
	/* write_all advances the iovecs it is given. */
	if ((copy = malloc((size_t)(iovcnt ? iovcnt : 1) * sizeof(*copy))) == NULL)
		return qhb_err_sys(e, "write");
	memcpy(copy, iov, (size_t)iovcnt * sizeof(*iov));
	rc = write_all(w, copy, iovcnt, e);
	free(copy);
	if (rc)
		qhb_err_path(e, w->name);
	return rc;
}

int qhb_writer_end(struct qhb_writer *w, const struct qhb_meta *meta,
    struct qhb_err *e)
{
	size_t mlen, hsize;
	uint8_t *h = w->hdr;

	if (!w->open_frame)
		return qhb_err_set(e, "%s: no frame begun", w->name);
	w->open_frame = 0;
	mlen = meta_encode(meta, h + QHB_FRAME_HEADER_SIZE, QHB_FRAME_MAX_META);
	if (mlen != w->frame_mlen)
		return qhb_err_set(e, "%s: frame metadata changed size from %zu "
		    "to %zu bytes while the frame was written", w->name,
		    w->frame_mlen, mlen);
	fill_header(h, w->open_kind, mlen, 0, w->frame_content,
	    w->frame_content, XXH3_64bits_digest(&w->frame_hash));
	hsize = QHB_FRAME_HEADER_SIZE + mlen;
	for (size_t done = 0; done < hsize; ) {
		ssize_t k = pwrite(w->fd, h + done, hsize - done,
		    w->frame_off + (off_t)done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			qhb_err_sys(e, "write");
			qhb_err_path(e, w->name);
			return -1;
		}
		done += (size_t)k;
	}
	return 0;
}
