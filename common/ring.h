/*
 * ring -- lock-free single-producer, single-consumer record rings in a
 * shared memory file, between the libqhbtrace plugin inside QEMU and
 * qhb-trace.
 *
 * One file in /dev/shm (mode 0600, made by the consumer) holds a header
 * page, then nslots slot headers, then nslots data areas of slot_size
 * bytes each (a power of two).  Slot 0 carries translation and count
 * records, written under the plugin's lock; slot 1 + i carries vCPU i's
 * memory-access records, written only by that vCPU's thread.  Each slot is
 * a byte ring: the producer owns head, the consumer owns tail, both grow
 * forever (the offset in the data area is the value modulo slot_size).
 * The producer copies a record, then stores head with release order; the
 * consumer loads head with acquire order, copies, then stores tail with
 * release order, which the producer loads with acquire order before it
 * reuses the space.
 *
 * A record is 8-byte aligned: a struct qhb_rec header, then its body.  A
 * record never wraps: when it does not fit before the end of the area, the
 * producer fills the rest with one QHB_REC_PAD record (a gap of 8 bytes or
 * more always exists, as all lengths are multiples of 8).
 *
 * Two policies when a slot is full, applied by the producer: QHB_RING_DROP
 * counts the record in the slot's dropped_records/dropped_bytes and goes
 * on; QHB_RING_BLOCK waits for the consumer.  The record bodies are those of trace frames
 * (common/trace.h); this module knows only their lengths.
 *
 * The producer side is inline here because the plugin links no library;
 * ring.c holds the consumer's file handling.
 */
#ifndef QHB_RING_H
#define QHB_RING_H

#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "err.h"

#define QHB_RING_MAGIC     "QHBRING1"
#define QHB_RING_VERSION   1
#define QHB_RING_HDR_SIZE  4096u
#define QHB_RING_SLOT_HDR  256u
#define QHB_RING_MAX_SLOTS 257u         /* slot 0 + up to 256 vCPUs */

enum qhb_ring_policy { QHB_RING_BLOCK = 0, QHB_RING_DROP = 1 };

/* The header page.  Fields the plugin sets are marked (P). */
struct qhb_ring_hdr {
	char magic[8];
	uint32_t version;
	uint32_t nslots;
	uint64_t slot_size;
	uint32_t policy;              /* enum qhb_ring_policy */
	uint32_t attached;            /* (P) 1 once the plugin has mapped it */
	uint32_t closed;              /* (P) 1 when the plugin wrote its last */
	uint32_t system;              /* (P) 1 in system mode */
	uint64_t pid;                 /* (P) QEMU's pid */
	uint32_t vcpus;               /* (P) vCPUs seen (slots used - 1) */
	uint32_t api_version;         /* (P) the version QEMU reported */
	uint64_t consumer_alive;      /* consumer's heartbeat, ns */
	char target[32];              /* (P) QEMU's target name */
	char binary[256];             /* (P) user mode: the guest program */
	char options[256];            /* (P) the plugin's options, as given */
};

struct qhb_ring_slot {
	uint64_t head;                /* producer */
	char pad0[56];
	uint64_t tail;                /* consumer */
	char pad1[56];
	uint64_t dropped_records;     /* producer, DROP policy only */
	uint64_t dropped_bytes;
	uint64_t records;             /* producer: records written */
	uint64_t waits;               /* producer: BLOCK policy waits */
};

/* Record header; len counts the header and is a multiple of 8. */
struct qhb_rec {
	uint16_t type;
	uint16_t flags;
	uint32_t len;
};
#define QHB_REC_PAD 0

/* 1 if a slot may hold slot_size bytes: a power of two, as offsets are
 * taken modulo it; at least 64 KiB, so that half a slot (qhb_ring_try)
 * takes the largest record, a block's of under 9 KiB; at most 4 GiB.  The
 * one place these rules are written for the consumer's side. */
static inline int qhb_ring_slot_size_ok(uint64_t slot_size)
{
	return slot_size >= 65536 && slot_size <= (UINT64_C(1) << 32) &&
	    (slot_size & (slot_size - 1)) == 0;
}

static inline uint64_t qhb_ring_file_size(uint32_t nslots, uint64_t slot_size)
{
	return QHB_RING_HDR_SIZE + (uint64_t)nslots * QHB_RING_SLOT_HDR +
	    (uint64_t)nslots * slot_size;
}

static inline struct qhb_ring_slot *qhb_ring_slot(void *base, uint32_t i)
{
	return (struct qhb_ring_slot *)((char *)base + QHB_RING_HDR_SIZE +
	    (uint64_t)i * QHB_RING_SLOT_HDR);
}

static inline uint8_t *qhb_ring_data(void *base, uint32_t i)
{
	const struct qhb_ring_hdr *h = base;

	return (uint8_t *)base + QHB_RING_HDR_SIZE +
	    (uint64_t)h->nslots * QHB_RING_SLOT_HDR + (uint64_t)i * h->slot_size;
}

/*
 * Producer: reserves len bytes (a multiple of 8, at most slot_size / 2)
 * in slot i and returns where to write them, or NULL when the slot is full
 * now.  Nothing is counted; the caller applies its policy: wait with
 * qhb_ring_backoff() and try again, or count the loss with
 * qhb_ring_dropped().  After writing, it calls qhb_ring_commit().
 */
static inline void *qhb_ring_try(void *base, uint32_t i, uint32_t len)
{
	struct qhb_ring_hdr *h = base;
	struct qhb_ring_slot *s = qhb_ring_slot(base, i);
	uint64_t size = h->slot_size, head, tail, off, gap;
	uint8_t *data = qhb_ring_data(base, i);

	head = __atomic_load_n(&s->head, __ATOMIC_RELAXED);
	off = head & (size - 1);
	gap = size - off < len ? size - off : 0;   /* pad to the end first */
	tail = __atomic_load_n(&s->tail, __ATOMIC_ACQUIRE);
	if (size - (head - tail) < gap + len)
		return NULL;
	if (gap) {
		struct qhb_rec pad = { QHB_REC_PAD, 0, (uint32_t)gap };

		memcpy(data + off, &pad, sizeof(pad));
		__atomic_store_n(&s->head, head + gap, __ATOMIC_RELEASE);
		off = 0;
	}
	return data + off;
}

/* Producer: counts one record of len bytes lost in slot i. */
static inline void qhb_ring_dropped(void *base, uint32_t i, uint32_t len)
{
	struct qhb_ring_slot *s = qhb_ring_slot(base, i);

	__atomic_store_n(&s->dropped_records, s->dropped_records + 1,
	    __ATOMIC_RELAXED);
	__atomic_store_n(&s->dropped_bytes, s->dropped_bytes + len,
	    __ATOMIC_RELAXED);
}

/* Producer: the spin'th wait for space in slot i (spin from 0): yields,
 * then sleeps 50 us at a time. */
static inline void qhb_ring_backoff(void *base, uint32_t i, unsigned spin)
{
	struct qhb_ring_slot *s = qhb_ring_slot(base, i);

	if (spin == 0)
		__atomic_store_n(&s->waits, s->waits + 1, __ATOMIC_RELAXED);
	if (spin < 64) {
		sched_yield();
	} else {
		struct timespec ts = { 0, 50000 };
		nanosleep(&ts, NULL);
	}
}

/* Producer: publishes the record of len bytes written at the reserved
 * place.  Cannot fail. */
static inline void qhb_ring_commit(void *base, uint32_t i, uint32_t len)
{
	struct qhb_ring_slot *s = qhb_ring_slot(base, i);

	__atomic_store_n(&s->records, s->records + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&s->head, s->head + len, __ATOMIC_RELEASE);
}

/*
 * Functions used by the consumer (ring.c).
 */
struct qhb_ring {
	void *base;
	uint64_t size;                /* bytes mapped */
	char path[256];
};

/* Creates path (O_EXCL, mode 0600) sized for nslots slots of slot_size
 * bytes (a power of two, at least 64 KiB), maps it and writes the header.
 * 0, or -1 with e and nothing left behind. */
int qhb_ring_create(struct qhb_ring *r, const char *path, uint32_t nslots,
    uint64_t slot_size, enum qhb_ring_policy policy, struct qhb_err *e);
/* Maps an existing ring file (made by qhb_ring_create) read-write and
 * checks its header.  0, or -1 with e. */
int qhb_ring_open(struct qhb_ring *r, const char *path, struct qhb_err *e);
static inline struct qhb_ring_hdr *qhb_ring_hdr(const struct qhb_ring *r)
{
	return r->base;
}
/* Copies at most max bytes of whole records (pads left out) from slot i
 * into buf; returns the count of bytes stored.  Records longer than max
 * are an error (-1 with e), which a producer following the rules above
 * cannot cause. */
long qhb_ring_drain(struct qhb_ring *r, uint32_t i, void *buf, size_t max,
    struct qhb_err *e);
/* Unmaps; with unlink_it, removes the file too.  NULL base is a no-op. */
void qhb_ring_close(struct qhb_ring *r, int unlink_it);

#endif
