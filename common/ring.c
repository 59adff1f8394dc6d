/*
 * ring.c -- the consumer's side of the plugin's shared-memory rings.
 */
#include "ring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int ring_map(struct qhb_ring *r, int fd, uint64_t size,
    struct qhb_err *e)
{
	r->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r->base == MAP_FAILED) {
		r->base = NULL;
		return qhb_err_sys(e, "mmap");
	}
	r->size = size;
	return 0;
}

int qhb_ring_create(struct qhb_ring *r, const char *path, uint32_t nslots,
    uint64_t slot_size, enum qhb_ring_policy policy, struct qhb_err *e)
{
	struct qhb_ring_hdr *h;
	uint64_t size;
	int fd;

	memset(r, 0, sizeof(*r));
	if (nslots < 2 || nslots > QHB_RING_MAX_SLOTS)
		return qhb_err_set(e, "ring slots: expected 2..%u, got %u",
		    QHB_RING_MAX_SLOTS, nslots);
	if (!qhb_ring_slot_size_ok(slot_size))
		return qhb_err_set(e, "ring size: expected a power of two "
		    "from 64K to 4G, got %llu", (unsigned long long)slot_size);
	snprintf(r->path, sizeof(r->path), "%s", path);
	size = qhb_ring_file_size(nslots, slot_size);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		qhb_err_sys(e, "create");
		qhb_err_path(e, path);
		return -1;
	}
	/* Sparse: a slot no vCPU uses costs no memory. */
	if (ftruncate(fd, (off_t)size) < 0 || ring_map(r, fd, size, e) < 0) {
		if (errno)
			qhb_err_sys(e, "size the ring");
		qhb_err_path(e, path);
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	h = r->base;
	h->version = QHB_RING_VERSION;
	h->nslots = nslots;
	h->slot_size = slot_size;
	h->policy = policy;
	memcpy(h->magic, QHB_RING_MAGIC, 8);
	return 0;
}

int qhb_ring_open(struct qhb_ring *r, const char *path, struct qhb_err *e)
{
	struct qhb_ring_hdr h;
	struct stat st;
	int fd;

	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "%s", path);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		qhb_err_sys(e, "open");
		qhb_err_path(e, path);
		return -1;
	}
	if (fstat(fd, &st) < 0 || pread(fd, &h, sizeof(h), 0) != sizeof(h)) {
		qhb_err_set(e, "not a qhb ring: too short");
		goto fail;
	}
	if (memcmp(h.magic, QHB_RING_MAGIC, 8) || h.version != QHB_RING_VERSION ||
	    h.nslots < 2 || h.nslots > QHB_RING_MAX_SLOTS ||
	    h.slot_size < 65536 || (h.slot_size & (h.slot_size - 1)) ||
	    (uint64_t)st.st_size != qhb_ring_file_size(h.nslots, h.slot_size)) {
		qhb_err_set(e, "not a qhb ring: expected magic %s version %d "
		    "and a matching size", QHB_RING_MAGIC, QHB_RING_VERSION);
		goto fail;
	}
	if (ring_map(r, fd, (uint64_t)st.st_size, e) < 0)
		goto fail;
	close(fd);
	return 0;
fail:
	qhb_err_path(e, path);
	close(fd);
	return -1;
}

long qhb_ring_drain(struct qhb_ring *r, uint32_t i, void *buf, size_t max,
    struct qhb_err *e)
{
	struct qhb_ring_hdr *h = r->base;
	struct qhb_ring_slot *s = qhb_ring_slot(r->base, i);
	const uint8_t *data = qhb_ring_data(r->base, i);
	uint64_t size = h->slot_size, head, tail;
	size_t n = 0;

	head = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE);
	tail = s->tail;
	while (tail < head) {
		struct qhb_rec rec;
		uint64_t off = tail & (size - 1);

		memcpy(&rec, data + off, sizeof(rec));
		if (rec.len < sizeof(rec) || rec.len % 8 || rec.len > size - off ||
		    rec.len > head - tail) {
			qhb_err_set(e, "ring slot %u: bad record length %u at %llu",
			    i, rec.len, (unsigned long long)tail);
			return -1;
		}
		if (rec.type != QHB_REC_PAD) {
			if (rec.len > max - n) {
				if (n == 0) {
					qhb_err_set(e, "ring slot %u: record of "
					    "%u bytes exceeds buffer", i, rec.len);
					return -1;
				}
				break;
			}
			memcpy((uint8_t *)buf + n, data + off, rec.len);
			n += rec.len;
		}
		tail += rec.len;
	}
	__atomic_store_n(&s->tail, tail, __ATOMIC_RELEASE);
	return (long)n;
}

void qhb_ring_close(struct qhb_ring *r, int unlink_it)
{
	if (r->base == NULL)
		return;
	munmap(r->base, r->size);
	r->base = NULL;
	if (unlink_it)
		unlink(r->path);
}
