/*
 * stream -- the qhb stream: a sequence of self-describing frames.
 *
 * Every qhb program reads and writes this container.  A frame is a fixed
 * 64-byte little-endian header, a metadata area of named values, and a
 * payload that is stored raw or zstd-compressed and checked with xxh3-64.
 * Streams are read front to back without seeking, so they flow through
 * pipes, and two streams concatenated are one stream.  The byte layout is
 * documented in man/qhb-format.5; keep the two in step.
 *
 * This module knows frames, not what is in them: snapshot payloads are
 * encoded by snap.c, volumes and traces by their own modules.
 */
#ifndef QHB_STREAM_H
#define QHB_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "err.h"

#define QHB_STREAM_MAGIC        "QHB1"
#define QHB_STREAM_VERSION      1
#define QHB_FRAME_HEADER_SIZE   64
/* Limits past which a header is rejected as absurd rather than trusted. */
#define QHB_FRAME_MAX_META      (64u * 1024)
#define QHB_FRAME_MAX_CONTENT   (UINT64_C(1) << 40)

/* Frame kinds.  Readers skip kinds they do not handle, with a warning. */
enum qhb_frame_kind {
	QHB_FRAME_SNAP = 1,        /* snapshot: every page of guest RAM */
	QHB_FRAME_SNAP_DELTA = 2,  /* pages changed since the previous one */
	QHB_FRAME_VOLUME = 3,      /* voxel volume (qhb-hilbert) */
	QHB_FRAME_VOLUME_DELTA = 4,/* voxels changed since the previous one */
	QHB_FRAME_TRACE = 5,       /* execution trace records (qhb-trace) */
};

/* Header flags. */
#define QHB_FRAME_ZSTD  0x1u   /* payload is one zstd frame */

/* Returns "snap", "snap-delta", ... or NULL for a kind this build lacks. */
const char *qhb_frame_kind_name(unsigned kind);

/*
 * Metadata: named unsigned integers and strings carried in the frame
 * header.  Names are 1..63 bytes; strings are at most 4095 bytes.
 */
enum qhb_meta_type { QHB_META_U64 = 'u', QHB_META_STR = 's' };

struct qhb_meta_entry {
	char name[64];
	int type;              /* enum qhb_meta_type */
	uint64_t u;            /* QHB_META_U64 */
	char *s;               /* QHB_META_STR, NUL-terminated, owned */
};

struct qhb_meta {
	struct qhb_meta_entry *v;
	size_t n, cap;
};

/* Functions used to build and read metadata.  Setting a name that exists
 * replaces its value.  The setters return 0, or -1 with e filled when out of
 * memory or the name or value is too long; the metadata is then unchanged. */
int qhb_meta_set_u64(struct qhb_meta *m, const char *name, uint64_t v,
    struct qhb_err *e);
int qhb_meta_set_str(struct qhb_meta *m, const char *name, const char *s,
    struct qhb_err *e);
/* Return 0 and store the value, or -1 when absent or of the other type. */
int qhb_meta_get_u64(const struct qhb_meta *m, const char *name, uint64_t *v);
const char *qhb_meta_get_str(const struct qhb_meta *m, const char *name);
/* Frees the entries; m is left empty and reusable.  NULL is a no-op. */
void qhb_meta_release(struct qhb_meta *m);

/* One frame as read.  The reader owns nothing in it: the caller releases
 * the frame with qhb_frame_release(), which leaves it reusable. */
struct qhb_frame {
	unsigned kind, version;
	uint32_t flags;
	uint64_t index;        /* frame number in the stream, from 0 */
	uint64_t offset;       /* byte offset of the frame's header */
	uint64_t stored_size;  /* payload bytes in the stream */
	uint64_t xxh3;         /* checksum of the stored payload */
	struct qhb_meta meta;
	uint8_t *data;         /* payload, decompressed */
	size_t size;
	size_t cap;            /* allocated bytes at data, reused by reads */
};

void qhb_frame_init(struct qhb_frame *f);
void qhb_frame_release(struct qhb_frame *f);

/*
 * Functions used to read a stream.
 */
struct qhb_reader;

/* Called for each frame the reader skips; err says which and why. */
typedef void qhb_warn_fn(void *arg, const struct qhb_err *warning);

/* Opens path for reading ("-" is standard input).  NULL on error. */
struct qhb_reader *qhb_reader_open(const char *path, struct qhb_err *e);
/* Reads from fd, which the reader does not close; name labels errors. */
struct qhb_reader *qhb_reader_fdopen(int fd, const char *name,
    struct qhb_err *e);
/* Frames of kinds not in the mask (bit k for kind k, 0 for "all") are
 * skipped and reported through warn, which may be NULL. */
void qhb_reader_filter(struct qhb_reader *r, uint64_t kind_mask,
    qhb_warn_fn *warn, void *arg);
/* Lowers the largest payload the reader accepts (default
 * QHB_FRAME_MAX_CONTENT); larger frames are rejected as absurd. */
void qhb_reader_limit(struct qhb_reader *r, uint64_t max_content);
/* Reads the next frame into f (whose old contents are replaced).  Returns 1
 * with a frame, 0 at a clean end of stream, -1 with e naming the frame number
 * and byte offset of a truncated, corrupt or absurd frame. */
int qhb_reader_next(struct qhb_reader *r, struct qhb_frame *f,
    struct qhb_err *e);
/* Bytes consumed so far. */
uint64_t qhb_reader_offset(const struct qhb_reader *r);
/* The name that labels the reader's errors ("<stdin>" for "-"). */
const char *qhb_reader_name(const struct qhb_reader *r);
void qhb_reader_close(struct qhb_reader *r);

/*
 * Functions used to write a stream.
 */
struct qhb_writer;

/* Writes to fd (not closed by the writer); name labels errors.  level 0
 * stores payloads raw; 1..22 compresses with zstd at that level, on
 * threads worker threads (0: in the calling thread). */
struct qhb_writer *qhb_writer_new(int fd, const char *name, int level,
    int threads, struct qhb_err *e);
/* Writes one frame whose payload is the concatenation of iov[0..iovcnt).
 * Returns 0, or -1 with e filled; a failed write leaves the stream cut
 * short, so the caller should give up on it. */
int qhb_writer_put(struct qhb_writer *w, unsigned kind,
    const struct qhb_meta *meta, const struct iovec *iov, int iovcnt,
    struct qhb_err *e);
/*
 * A frame can also be written piecewise when its payload is produced as it
 * goes, so that it need not be held in memory: begin writes a placeholder
 * header, append writes payload bytes, end writes the real header over the
 * placeholder.  That needs an output that can be written at an earlier
 * offset (a regular file, not opened for appending, or /dev/null) and a
 * writer that stores payloads raw (level 0).
 */
/* Returns 1 when qhb_writer_begin() can be used. */
int qhb_writer_can_patch(const struct qhb_writer *w);
/* meta holds every name the frame will carry, with placeholder values of
 * the final lengths: end may change values but not the encoded size. */
int qhb_writer_begin(struct qhb_writer *w, unsigned kind,
    const struct qhb_meta *meta, struct qhb_err *e);
int qhb_writer_append(struct qhb_writer *w, const struct iovec *iov,
    int iovcnt, struct qhb_err *e);
int qhb_writer_end(struct qhb_writer *w, const struct qhb_meta *meta,
    struct qhb_err *e);
/* Bytes written so far. */
uint64_t qhb_writer_offset(const struct qhb_writer *w);
void qhb_writer_free(struct qhb_writer *w);

#endif
