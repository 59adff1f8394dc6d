/*
 * qhbtrace -- the TCG plugin behind qhb-trace (build/lib/libqhbtrace.so).
 *
 *   -plugin file=libqhbtrace.so,ring=/dev/shm/RING[,mem=on]
 *
 * RING is a ring file made by qhb-trace or qhb-vm (common/ring.h); the
 * plugin maps it and writes records into it (common/trace.h).  It opens no
 * other file, writes none, and allocates nothing per record.
 *
 * What is recorded, and why it is exact:
 *
 * At translation, each block gets an id and one QHB_REC_TB record with its
 * addresses and raw instruction bytes; disassembly is left to qhb-trace,
 * as QEMU's own costs about 10 us a call.  The block also gets an array of
 * counters, and instructions an inline "counter += 1" that QEMU emits
 * before the instruction's own code (which ones: below).  No callback runs
 * per instruction or per block.
 *
 * Counting every instruction, rather than each block once, is what makes
 * the counts exact.  A block is left early when an instruction in it
 * faults (a page fault, a #GP that an exception table fixes up, a signal
 * in user mode): with a per-block counter the instructions after the fault
 * would be counted though they never ran.  Here an instruction counts each
 * time it starts; one that faults counts once per attempt, as valgrind
 * counts it; the ones after it are not reached and do not count.  And QEMU
 * 7.2 lists in a block an instruction that crosses into the next page,
 * which its x86 translator then takes back out of the block: the inline
 * add emitted for it is taken out with it, so its counter stays 0.
 *
 * Only where a count can differ from the previous instruction's does an
 * instruction get a counter of its own: the first of the block, every one
 * after an instruction that may fault (x86-nofault.h: anything but
 * register-only integer instructions), and the last when it starts in the
 * last 15 bytes of a page (it may be that cross-page instruction).  The
 * others start exactly as often as the one before them, which qhb-trace
 * fills in; the block record marks which instructions have counters.
 * This halves the counters (0.57 of the instructions of a traced boot of
 * the demo guest have one, 0.53 of those executed).  Inline adds cost a load, an
 * add and a store to a counter of the block's own: no call, no shared
 * cache line between blocks.  The counters are not atomic, so with several
 * vCPUs running in parallel (MTTCG) two vCPUs may lose an increment
 * between them; one vCPU, or -accel tcg,thread=single (which qhb-vm
 * --trace uses), is exact.
 *
 * The counters stay in the plugin while QEMU runs and go out as
 * QHB_REC_COUNT records when it exits (only blocks that ran; one count
 * when all of a block's counters agree).  Memory accesses
 * (mem=on) take a callback per access that writes a QHB_REC_MEM record
 * into the ring of that vCPU.
 *
 * State is one static struct, locked around translation and exit, as QEMU
 * offers plugins no other place to keep it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "qemu-api.h"
#include "ring.h"
#include "trace.h"
#include "x86-nofault.h"

__attribute__((visibility("default")))
int qemu_plugin_version = QHB_QEMU_PLUGIN_VERSION;

#define COUNTER_CHUNK  (UINT64_C(1) << 21)      /* counters per arena chunk */
#define MAX_MAPS       64
/* In BLOCK mode, a consumer whose heartbeat is older than this is taken for
 * dead and the plugin drops from then on rather than hang QEMU forever. */
#define CONSUMER_DEAD_NS  (UINT64_C(30) * 1000000000)

struct block_ref {
	uint64_t *count;
	uint32_t id;
	uint32_t n;
};

/* A host mapping seen in /proc/self/maps, to turn the host address of a
 * block's code into a guest physical address. */
struct host_map {
	uintptr_t start, end;
	uint64_t off;
	int ram;                  /* a file in /dev/shm: guest RAM */
};

static struct {
	pthread_mutex_t lock;
	void *ring;
	uint64_t ring_size;
	uint32_t nslots;
	int policy;
	int mem;
	int system;
	volatile int give_up;     /* BLOCK: the consumer is gone */
	uint64_t unplaced;        /* mem records of vCPUs past the last slot */
	uint32_t next_id;
	uint64_t *cnt;            /* arena chunk being handed out */
	uint64_t cnt_left;
	struct block_ref *refs;
	size_t nrefs, refcap;
	struct host_map maps[MAX_MAPS];
	int nmaps;
} g = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* Room for len bytes in slot i under the ring's policy, or NULL when the
 * record is dropped (and counted).  at_exit: wait even under DROP, up to
 * a bound, as the guest no longer runs. */
static void *ring_reserve(uint32_t i, uint32_t len, int at_exit)
{
	struct qhb_ring_hdr *h = g.ring;
	uint64_t deadline = 0;
	unsigned spin = 0;
	void *p;

	while ((p = qhb_ring_try(g.ring, i, len)) == NULL) {
		if (g.give_up || (g.policy == QHB_RING_DROP && !at_exit))
			break;
		if ((spin & 255) == 255) {
			uint64_t t = now_ns();
			uint64_t beat = __atomic_load_n(&h->consumer_alive,
			    __ATOMIC_ACQUIRE);
			if (deadline == 0)
				deadline = t + (at_exit ? UINT64_C(10) *
				    1000000000 : UINT64_MAX / 2);
			if (t > deadline || (beat && t > beat + CONSUMER_DEAD_NS)) {
				g.give_up = 1;
				break;
			}
		}
		qhb_ring_backoff(g.ring, i, spin++);
	}
	if (p == NULL)
		qhb_ring_dropped(g.ring, i, len);
	return p;
}

/* len[] and code[] of a block record follow the fixed part. */
static uint32_t tb_rec_len(size_t n, size_t nbytes)
{
	return (uint32_t)((sizeof(struct qhb_rec_tb) + n + nbytes + 7) & ~7u);
}

static int map_lookup(uintptr_t a, struct host_map *out)
{
	char line[512], path[384];
	FILE *f;
	int i;

	for (i = 0; i < g.nmaps; i++)
		if (a >= g.maps[i].start && a < g.maps[i].end) {
			*out = g.maps[i];
			return 0;
		}
	f = fopen("/proc/self/maps", "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e, off;
		struct host_map m;

		path[0] = 0;
		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %383s", &s, &e, &off,
		    path) < 3 || a < s || a >= e)
			continue;
		m.start = s;
		m.end = e;
		m.off = off;
		m.ram = strncmp(path, "/dev/shm/", 9) == 0;
		if (g.nmaps == MAX_MAPS)
			g.nmaps = 0;          /* start over; rare */
		g.maps[g.nmaps++] = m;
		*out = m;
		fclose(f);
		return 0;
	}
	fclose(f);
	return -1;
}

/* A guest physical address for the block's code, when QEMU's RAM is a
 * file in /dev/shm (as qhb-vm makes it): its offset in that file. */
static int block_paddr(struct qemu_plugin_insn *insn, uint64_t *paddr)
{
	struct host_map m;
	void *ha;

	if (!g.system || (ha = qemu_plugin_insn_haddr(insn)) == NULL ||
	    map_lookup((uintptr_t)ha, &m) < 0 || !m.ram)
		return -1;
	*paddr = m.off + ((uintptr_t)ha - m.start);
	return 0;
}

static uint64_t *counters_new(uint32_t n)
{
	uint64_t *c;

	if (g.cnt_left < n) {
		void *p = mmap(NULL, COUNTER_CHUNK * sizeof(uint64_t),
		    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		g.cnt = p;
		g.cnt_left = COUNTER_CHUNK;
	}
	c = g.cnt;
	g.cnt += n;
	g.cnt_left -= n;
	return c;
}

static void mem_cb(unsigned int vcpu, qemu_plugin_meminfo_t info,
    uint64_t vaddr, void *udata)
{
	struct qhb_rec_mem *r;
	uint32_t slot = vcpu + 1;
	uint16_t flags;

	(void)udata;
	if (slot >= g.nslots) {
		__atomic_fetch_add(&g.unplaced, 1, __ATOMIC_RELAXED);
		return;
	}
	flags = (uint16_t)((qemu_plugin_mem_is_store(info) ? QHB_MEM_STORE : 0) |
	    (qemu_plugin_mem_size_shift(info) & 7) << 1);
	if (g.system) {
		struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, vaddr);
		if (hw != NULL) {
			if (qemu_plugin_hwaddr_is_io(hw))
				flags |= QHB_MEM_IO;
			vaddr = qemu_plugin_hwaddr_phys_addr(hw);
			flags |= QHB_MEM_PHYS;
		}
	}
	if ((r = ring_reserve(slot, sizeof(*r), 0)) == NULL)
		return;
	r->h.type = QHB_REC_MEM;
	r->h.flags = flags;
	r->h.len = sizeof(*r);
	r->addr = vaddr;
	qhb_ring_commit(g.ring, slot, sizeof(*r));
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), nbytes = 0, i, j;
	uint8_t counted[QHB_TB_MAX_INSNS];
	uint32_t ncount = 0;
	struct qhb_rec_tb *r;
	uint64_t *count, paddr = 0;
	uint8_t *p;
	uint32_t len;
	int phys;

	(void)id;
	if (n == 0)
		return;
	if (n > QHB_TB_MAX_INSNS)
		n = QHB_TB_MAX_INSNS;
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		size_t sz = qemu_plugin_insn_size(insn);

		/* A counter where the count may differ from the previous
		 * instruction's (see the top of this file). */
		counted[i] = i == 0 || !qhb_x86_nofault(
		    qemu_plugin_insn_data(qemu_plugin_tb_get_insn(tb, i - 1)),
		    qemu_plugin_insn_size(qemu_plugin_tb_get_insn(tb, i - 1))) ||
		    (i == n - 1 && (qemu_plugin_insn_vaddr(insn) & 4095) > 4096 - 16);
		ncount += counted[i];
		nbytes += sz;
	}
	if (nbytes > QHB_TB_MAX_BYTES)
		return;        /* cannot happen with x86's 15-byte limit */
	len = tb_rec_len(n, nbytes);

	pthread_mutex_lock(&g.lock);
	/* Known only once the program is loaded, in user mode. */
	if (!g.system && ((struct qhb_ring_hdr *)g.ring)->binary[0] == 0) {
		char *path = (char *)qemu_plugin_path_to_binary();
		if (path)
			snprintf(((struct qhb_ring_hdr *)g.ring)->binary, sizeof(((struct qhb_ring_hdr *)g.ring)->binary), "%s", path);
		free(path);    /* QEMU hands over a copy */
	}
	if (g.nrefs == g.refcap) {
		size_t cap = g.refcap ? g.refcap * 2 : 65536;
		struct block_ref *nr = realloc(g.refs, cap * sizeof(*nr));
		if (nr == NULL)
			goto out;
		g.refs = nr;
		g.refcap = cap;
	}
	if ((count = counters_new(ncount)) == NULL)
		goto out;
	g.refs[g.nrefs].count = count;
	g.refs[g.nrefs].n = ncount;
	g.refs[g.nrefs].id = g.next_id;
	g.nrefs++;
	for (i = j = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		if (counted[i])
			qemu_plugin_register_vcpu_insn_exec_inline(insn,
			    QEMU_PLUGIN_INLINE_ADD_U64, &count[j++], 1);
		if (g.mem)
			qemu_plugin_register_vcpu_mem_cb(insn, mem_cb,
			    QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
	}
	phys = block_paddr(qemu_plugin_tb_get_insn(tb, 0), &paddr) == 0;
	if ((r = ring_reserve(0, len, 0)) != NULL) {
		memset(r, 0, len);
		r->h.type = QHB_REC_TB;
		r->h.flags = phys ? QHB_TB_PHYS : 0;
		r->h.len = len;
		r->id = g.next_id;
		r->ninsns = (uint16_t)n;
		r->nbytes = (uint16_t)nbytes;
		r->vaddr = qemu_plugin_tb_vaddr(tb);
		r->paddr = paddr;
		p = (uint8_t *)(r + 1);
		for (i = 0; i < n; i++)
			p[i] = (uint8_t)(qemu_plugin_insn_size(
			    qemu_plugin_tb_get_insn(tb, i)) |
			    (counted[i] ? QHB_TB_COUNTED : 0));
		p += n;
		for (i = 0; i < n; i++) {
			struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
			size_t sz = qemu_plugin_insn_size(insn);

			memcpy(p, qemu_plugin_insn_data(insn), sz);
			p += sz;
		}
		qhb_ring_commit(g.ring, 0, len);
	}
	g.next_id++;
out:
	pthread_mutex_unlock(&g.lock);
}

static void vcpu_init(qemu_plugin_id_t id, unsigned int vcpu)
{
	struct qhb_ring_hdr *h = g.ring;

	(void)id;
	pthread_mutex_lock(&g.lock);
	if (vcpu + 1 > h->vcpus)
		h->vcpus = vcpu + 1;
	pthread_mutex_unlock(&g.lock);
}

/* Sends the counts of every block that ran, then closes the ring. */
static void at_exit(qemu_plugin_id_t id, void *udata)
{
	struct qhb_ring_hdr *h = g.ring;
	size_t i, k;

	(void)id;
	(void)udata;
	pthread_mutex_lock(&g.lock);
	/* Wait for room only for a consumer that is there: none ever came,
	 * or under DROP none beat in the last second, and QEMU would hang
	 * on exit for nothing. */
	{
		uint64_t beat = __atomic_load_n(&h->consumer_alive,
		    __ATOMIC_ACQUIRE);
		if (beat == 0 || (g.policy == QHB_RING_DROP &&
		    now_ns() > beat + 1000000000))
			g.give_up = 1;
	}
	for (i = 0; i < g.nrefs; i++) {
		const struct block_ref *b = &g.refs[i];
		struct qhb_rec_count *r;
		uint32_t n = 1, len;

		if (b->count[0] == 0)
			continue;
		for (k = 1; k < b->n; k++)
			if (b->count[k] != b->count[0]) {
				n = b->n;
				break;
			}
		len = (uint32_t)(sizeof(*r) + n * sizeof(uint64_t));
		if ((r = ring_reserve(0, len, 1)) == NULL)
			continue;
		r->h.type = QHB_REC_COUNT;
		r->h.flags = 0;
		r->h.len = len;
		r->id = b->id;
		r->n = n;
		memcpy(r + 1, b->count, n * sizeof(uint64_t));
		qhb_ring_commit(g.ring, 0, len);
	}
	/* mem records no slot could take count as slot 0's drops. */
	if (g.unplaced) {
		struct qhb_ring_slot *s = qhb_ring_slot(g.ring, 0);
		s->dropped_records += g.unplaced;
		s->dropped_bytes += g.unplaced * sizeof(struct qhb_rec_mem);
	}
	__atomic_store_n(&h->closed, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&g.lock);
}

static int ring_attach(const char *path)
{
	struct qhb_ring_hdr hdr;
	struct stat st;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || pread(fd, &hdr, sizeof(hdr), 0) !=
	    (ssize_t)sizeof(hdr) || memcmp(hdr.magic, QHB_RING_MAGIC, 8) ||
	    hdr.version != QHB_RING_VERSION || hdr.nslots < 2 ||
	    hdr.nslots > QHB_RING_MAX_SLOTS || hdr.slot_size < 65536 ||
	    (hdr.slot_size & (hdr.slot_size - 1)) ||
	    (uint64_t)st.st_size != qhb_ring_file_size(hdr.nslots, hdr.slot_size)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	g.ring = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	close(fd);
	if (g.ring == MAP_FAILED) {
		g.ring = NULL;
		return -1;
	}
	g.ring_size = (uint64_t)st.st_size;
	g.nslots = hdr.nslots;
	g.policy = (int)hdr.policy;
	return 0;
}

static int fail(const char *fmt, const char *a)
{
	char msg[512];

	/* QEMU's log (qemu_plugin_outs) is off unless -d plugin: say it on
	 * QEMU's stderr, where its own "Could not load plugin" goes. */
	snprintf(msg, sizeof(msg), fmt, a);
	fputs(msg, stderr);
	return -1;
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
    int argc, char **argv)
{
	const char *ring = NULL;
	struct qhb_ring_hdr *h;
	char opts[256] = "";
	int i;

	if (info->version.min > QHB_QEMU_PLUGIN_VERSION ||
	    info->version.cur < QHB_QEMU_PLUGIN_VERSION) {
		char v[64];
		snprintf(v, sizeof(v), "%d..%d", info->version.min,
		    info->version.cur);
		return fail("libqhbtrace: QEMU plugin API %s does not include "
		    "version 1\n", v);
	}
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strncmp(a, "ring=", 5) == 0 && a[5])
			ring = a + 5;
		else if (strcmp(a, "mem=on") == 0)
			g.mem = 1;
		else if (strcmp(a, "mem=off") == 0)
			g.mem = 0;
		else
			return fail("libqhbtrace: unknown option '%s' (expected "
			    "ring=PATH, mem=on|off)\n", a);
		if (strlen(opts) + strlen(a) + 2 < sizeof(opts)) {
			if (opts[0])
				strcat(opts, ",");
			strcat(opts, a);
		}
	}
	if (ring == NULL)
		return fail("libqhbtrace: %s\n", "missing option ring=PATH");
	if (ring_attach(ring) < 0) {
		char msg[400];
		snprintf(msg, sizeof(msg), "%s: %s", ring, errno == EINVAL ?
		    "not a qhb ring" : strerror(errno));
		return fail("libqhbtrace: %s\n", msg);
	}
	g.system = info->system_emulation;
	h = g.ring;
	if (__atomic_exchange_n(&h->attached, 1, __ATOMIC_ACQ_REL))
		return fail("libqhbtrace: %s: in use by another QEMU\n", ring);
	h->system = (uint32_t)g.system;
	h->pid = (uint64_t)getpid();
	h->api_version = (uint32_t)info->version.cur;
	snprintf(h->target, sizeof(h->target), "%s", info->target_name);
	snprintf(h->options, sizeof(h->options), "%s", opts);
	qemu_plugin_register_vcpu_init_cb(id, vcpu_init);
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
