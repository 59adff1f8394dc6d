/*
 * trace -- execution traces: the records the libqhbtrace plugin writes,
 * the trace frames qhb-trace stores them in, and the reports made from
 * them (text, drcov, hot blocks, hot pages, summary).
 *
 * A trace frame (QHB_FRAME_TRACE) carries a payload of records exactly as
 * they moved through the ring (common/ring.h): 8-byte aligned, each a
 * struct qhb_rec header and a body.  The layout is in man/qhb-format.5.
 *
 *   QHB_REC_TB     a translation block, once per translation: id, guest
 *                  virtual and physical address, instruction lengths and
 *                  raw bytes
 *   QHB_REC_COUNT  how often each instruction of block id started, sent
 *                  when QEMU exits
 *   QHB_REC_MEM    one memory access (mem=on): address, size, read/write
 *   QHB_REC_DROP   written by qhb-trace: records a ring slot dropped
 *
 * The record structs are shared with plugin/, which links nothing.
 */
#ifndef QHB_TRACE_H
#define QHB_TRACE_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "ring.h"

enum qhb_rec_type {
	QHB_REC_TB = 1,
	QHB_REC_COUNT = 2,
	QHB_REC_MEM = 3,
	QHB_REC_DROP = 4,
};

#define QHB_TB_PHYS       0x1u   /* flags: paddr is known */
#define QHB_TB_MAX_INSNS  512u
#define QHB_TB_MAX_BYTES  8192u

/* len[k] is instruction k's length in bytes (1..15), or'ed with
 * QHB_TB_COUNTED when it has a counter of its own; the first always has.
 * One without starts as often as the instruction before it. */
#define QHB_TB_COUNTED    0x80u
#define QHB_TB_LEN(b)     ((b) & 0x7fu)

struct qhb_rec_tb {
	struct qhb_rec h;
	uint32_t id;          /* from 0, in translation order */
	uint16_t ninsns;      /* as QEMU lists them (see below) */
	uint16_t nbytes;      /* sum of the lengths */
	uint64_t vaddr;
	uint64_t paddr;       /* flags & QHB_TB_PHYS, else 0 */
	/* uint8_t len[ninsns]; uint8_t code[nbytes]; zero padding to 8 */
};

/* n == 1: every counter of the block (see QHB_TB_COUNTED) read count[0];
 * otherwise n is the number of counters and count[j] the j-th one's. */
struct qhb_rec_count {
	struct qhb_rec h;
	uint32_t id;
	uint32_t n;
	/* uint64_t count[n]; */
};

#define QHB_MEM_STORE     0x1u   /* flags */
#define QHB_MEM_SHIFT(f)  (((f) >> 1) & 7u)   /* size is 1 << shift */
#define QHB_MEM_IO        0x10u
#define QHB_MEM_PHYS      0x20u  /* addr is physical (system mode) */

struct qhb_rec_mem {
	struct qhb_rec h;
	uint64_t addr;
};

struct qhb_rec_drop {
	struct qhb_rec h;
	uint32_t slot;
	uint32_t pad;
	uint64_t records;
	uint64_t bytes;
};

/*
 * Functions used to read traces into memory.
 */
struct qhb_trace_block {
	uint32_t id;
	uint16_t ninsns;      /* instructions that are real (see x86 check) */
	uint16_t listed;      /* as QEMU listed them */
	uint16_t nbytes;
	uint32_t flags;
	uint64_t vaddr, paddr;
	uint8_t *len;         /* lengths, QHB_TB_COUNTED masked off */
	uint8_t *code;
	uint8_t *counted;     /* 1 where the instruction had a counter */
	uint16_t ncounters;
	uint64_t *count;      /* per instruction, NULL until counted */
	uint64_t execs;       /* times the block was entered */
	uint64_t insns;       /* instructions started in it */
};

struct qhb_trace_page {
	uint64_t page;        /* address >> 12 (+ 1 inside the table) */
	uint64_t reads, writes;
	uint64_t insns;       /* instructions executed in it (hotpages) */
};

struct qhb_trace {
	struct qhb_trace_block *blocks;   /* in arrival order */
	size_t nblocks, cap;
	uint32_t *idx;                    /* id -> index + 1; 0 empty */
	size_t icap;
	struct qhb_trace_page *pages;     /* hash table, open addressing */
	size_t npages, pcap;
	uint64_t instructions;            /* sum of insns */
	uint64_t executions;              /* sum of execs */
	uint64_t mem_reads, mem_writes;
	uint64_t dropped, dropped_bytes;
	uint64_t records, frames;
	uint64_t phantoms;                /* cross-page insns QEMU listed */
	uint64_t uncounted;               /* count records for unknown ids */
	int system;                       /* 1 in system mode */
	char target[32];
	char binary[256];
};

/* Frees everything in t; t is left empty.  NULL is a no-op. */
void qhb_trace_release(struct qhb_trace *t);
/* Adds the records of one payload to t.  0, or -1 with e naming the byte
 * offset in the payload of a malformed record (t keeps what came before). */
int qhb_trace_add(struct qhb_trace *t, const void *data, size_t size,
    struct qhb_err *e);
/* Reads a whole stream (path "-": standard input) of trace frames into t;
 * other frame kinds are skipped.  0, or -1 with e: "no trace frame in the
 * input" when the stream held none. */
int qhb_trace_read(struct qhb_trace *t, const char *path, struct qhb_err *e);

/*
 * Functions used to report.  Each writes to f and returns 0, or -1 with e
 * on a write error.
 */
enum qhb_trace_format {
	QHB_TRACE_TEXT, QHB_TRACE_DRCOV, QHB_TRACE_HOTBLOCKS,
	QHB_TRACE_HOTPAGES, QHB_TRACE_SUMMARY,
};
/* Parses "text", "drcov", ...; -1 when unknown. */
int qhb_trace_format_parse(const char *s);
int qhb_trace_report(const struct qhb_trace *t, enum qhb_trace_format fmt,
    unsigned limit, FILE *f, struct qhb_err *e);

/*
 * Functions used to make the plugin's ring: its name, its size, the
 * argument that loads the plugin on it.  Both qhb-trace (a recording of
 * its own) and qhb-vm start --trace (a guest's ring, drained by qhb-trace
 * --attach) make theirs here.
 */
#define QHB_TRACE_SLOT_DEFAULT  (UINT64_C(4) << 20)   /* bytes per slot */

struct qhb_trace_ring_opts {
	enum qhb_ring_policy policy;
	uint64_t slot_size;       /* bytes per slot; 0: QHB_TRACE_SLOT_DEFAULT */
	int mem;                  /* the plugin records memory accesses too */
};

/* Parses the bytes per slot a user asks for ("64K", "4M"; the size rules
 * of common/ring.h).  0, or -1 with e saying what is expected and
 * *size unchanged. */
int qhb_trace_slot_size(const char *s, uint64_t *size, struct qhb_err *e);
/* Stores in buf the path of a ring: /dev/shm/qhb-UID-NAME.trace for guest
 * name, or /dev/shm/qhb-UID--PID.trace for a recording of this process
 * when name is NULL.  0, or -1 with e when it does not fit. */
int qhb_trace_ring_path(const char *name, char *buf, size_t size,
    struct qhb_err *e);
/* Creates the ring of qhb_trace_ring_path(name) (a file left there is
 * replaced: see trace.c), mapped in r, with a slot for every vCPU
 * QEMU may have, and stores in arg the -plugin argument that loads plugin
 * (an absolute path) on it.  The caller closes r with qhb_ring_close().
 * 0, or -1 with e and no ring left. */
int qhb_trace_ring_create(struct qhb_ring *r, const char *name,
    const char *plugin, const struct qhb_trace_ring_opts *o, char *arg,
    size_t size, struct qhb_err *e);

/*
 * Functions used to record: find the plugin, drain a ring into trace
 * frames.
 */
/* Stores in buf the absolute path of the plugin: given when not NULL, else
 * $QHB_PLUGIN, else ../lib/libqhbtrace.so or ../lib/qhb/libqhbtrace.so
 * beside the running program.  0, or -1 with e. */
int qhb_trace_plugin_find(const char *given, char *buf, size_t size,
    struct qhb_err *e);

struct qhb_writer;

struct qhb_trace_stats {
	uint64_t records, bytes, frames;
	uint64_t dropped, dropped_bytes;  /* summed over the slots */
	uint64_t waits;                   /* times the producer waited */
	int closed;                       /* the plugin finished cleanly */
};

/* Returns 0 once the producer is gone for good (QEMU exited), else 1. */
typedef int qhb_trace_alive_fn(void *arg);

/* Copies records from ring r into w as trace frames (a frame per slot and
 * up to about 1 MiB of records) until the plugin closes the ring and it is
 * empty, or alive() says QEMU is gone and it is empty, or *stop becomes
 * nonzero.  Waits for the plugin to attach first.  Ends with a frame of
 * QHB_REC_DROP records for the slots that dropped any.  Fills st.  0, or
 * -1 with e (a malformed ring, a write error, or QEMU gone before it ever
 * attached). */
int qhb_trace_record(struct qhb_ring *r, struct qhb_writer *w,
    qhb_trace_alive_fn *alive, void *arg, const volatile int *stop,
    struct qhb_trace_stats *st, struct qhb_err *e);

#endif
