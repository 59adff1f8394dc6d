#include "linux.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PF_KTHREAD 0x00200000u
#define PF_WQ_WORKER 0x00000020u
#define PTE_ADDR 0x000ffffffffff000ull

/*
 * A set of addresses seen, to stop a walk that comes back on itself.
 */
struct seen {
	uint64_t *v;
	size_t cap, n;
};

/* Returns 1 if a was there, 0 if added, -1 when out of memory. */
static int seen_add(struct seen *s, uint64_t a)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct seen t = { NULL, s->cap ? 2 * s->cap : 1024, 0 };
		if ((t.v = calloc(t.cap, 8)) == NULL)
			return -1;
		for (size_t j = 0; j < s->cap; j++)
			if (s->v[j])
				seen_add(&t, s->v[j]);
		free(s->v);
		*s = t;
	}
	a |= 1;   /* keep 0 for empty slots; addresses are aligned */
	for (i = (a * 0x9e3779b97f4a7c15ull) >> 20 & (s->cap - 1); s->v[i];
	    i = (i + 1) & (s->cap - 1))
		if (s->v[i] == a)
			return 1;
	s->v[i] = a;
	s->n++;
	return 0;
}

static void seen_free(struct seen *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/*
 * Reading fields.
 */

static int rd(struct qhb_linux *l, uint64_t a, int64_t off, void *buf,
    size_t n)
{
	if (off < 0 || a == 0)
		return -1;
	return qhb_kernel_read(l->k, a + (uint64_t)off, buf, n, NULL);
}

static int rd64(struct qhb_linux *l, uint64_t a, int64_t off, uint64_t *v)
{
	*v = 0;
	return rd(l, a, off, v, 8);
}

static int rd32(struct qhb_linux *l, uint64_t a, int64_t off, uint32_t *v)
{
	*v = 0;
	return rd(l, a, off, v, 4);
}

/*
 * Offsets.
 */

static int64_t off(struct qhb_linux *l, const char *s, const char *m)
{
	return qhb_btf_offsetof(&l->k->btf, s, m);
}

static uint32_t slots(struct qhb_linux *l, const char *s, const char *m)
{
	struct qhb_btf_member mb;
	uint32_t id = qhb_btf_find(&l->k->btf, QHB_BTF_STRUCT, s), el, n;

	if (id == 0 || qhb_btf_member(&l->k->btf, id, m, &mb) ||
	    qhb_btf_array(&l->k->btf, qhb_btf_resolve(&l->k->btf, mb.type),
	    &el, &n))
		return 0;
	return n;
}

int qhb_linux_init(struct qhb_linux *l, struct qhb_kernel *k,
    struct qhb_err *e)
{
	struct qhb_linux_off *o = &l->o;
	uint32_t id;

	memset(l, 0, sizeof(*l));
	l->k = k;
	o->t_tasks = off(l, "task_struct", "tasks");
	o->t_pid = off(l, "task_struct", "pid");
	o->t_tgid = off(l, "task_struct", "tgid");
	o->t_real_parent = off(l, "task_struct", "real_parent");
	o->t_comm = off(l, "task_struct", "comm");
	if ((o->t_state = off(l, "task_struct", "__state")) < 0)
		o->t_state = off(l, "task_struct", "state");
	o->t_exit_state = off(l, "task_struct", "exit_state");
	o->t_flags = off(l, "task_struct", "flags");
	o->t_mm = off(l, "task_struct", "mm");
	o->t_real_cred = off(l, "task_struct", "real_cred");
	o->t_signal = off(l, "task_struct", "signal");
	o->t_thread_node = off(l, "task_struct", "thread_node");
	o->t_stack = off(l, "task_struct", "stack");
	if ((o->t_kthread = off(l, "task_struct", "worker_private")) < 0)
		o->t_kthread = off(l, "task_struct", "set_child_tid");
	o->kt_full_name = off(l, "kthread", "full_name");
	o->kt_data = off(l, "kthread", "data");
	o->w_desc = off(l, "worker", "desc");
	o->w_current_work = off(l, "worker", "current_work");
	o->w_pool = off(l, "worker", "pool");
	id = qhb_btf_find(&k->btf, QHB_BTF_STRUCT, "task_struct");
	o->t_size = id ? qhb_btf_size(&k->btf, id) : -1;
	o->sig_nr_threads = off(l, "signal_struct", "nr_threads");
	o->sig_thread_head = off(l, "signal_struct", "thread_head");
	o->cred_uid = off(l, "cred", "uid");
	o->mm_mt = off(l, "mm_struct", "mm_mt");
	o->mm_mmap = off(l, "mm_struct", "mmap");
	o->mm_pgd = off(l, "mm_struct", "pgd");
	o->mm_brk = off(l, "mm_struct", "brk");
	o->mm_start_brk = off(l, "mm_struct", "start_brk");
	o->mm_start_stack = off(l, "mm_struct", "start_stack");
	o->v_start = off(l, "vm_area_struct", "vm_start");
	o->v_end = off(l, "vm_area_struct", "vm_end");
	o->v_mm = off(l, "vm_area_struct", "vm_mm");
	o->v_flags = off(l, "vm_area_struct", "vm_flags");
	o->v_pgoff = off(l, "vm_area_struct", "vm_pgoff");
	o->v_file = off(l, "vm_area_struct", "vm_file");
	o->v_ops = off(l, "vm_area_struct", "vm_ops");
	o->v_priv = off(l, "vm_area_struct", "vm_private_data");
	o->v_next = off(l, "vm_area_struct", "vm_next");
	o->f_path_mnt = off(l, "file", "f_path.mnt");
	o->f_path_dentry = off(l, "file", "f_path.dentry");
	o->f_inode = off(l, "file", "f_inode");
	o->i_ino = off(l, "inode", "i_ino");
	o->i_sb = off(l, "inode", "i_sb");
	o->sb_dev = off(l, "super_block", "s_dev");
	o->d_name = off(l, "dentry", "d_name.name");
	o->d_parent = off(l, "dentry", "d_parent");
	o->mnt_mnt = off(l, "mount", "mnt");
	o->mnt_parent = off(l, "mount", "mnt_parent");
	o->mnt_mountpoint = off(l, "mount", "mnt_mountpoint");
	o->vfsmnt_root = off(l, "vfsmount", "mnt_root");
	o->mt_root = off(l, "maple_tree", "ma_root");
	o->r64_pivot = off(l, "maple_range_64", "pivot");
	o->r64_slot = off(l, "maple_range_64", "slot");
	o->a64_pivot = off(l, "maple_arange_64", "pivot");
	o->a64_slot = off(l, "maple_arange_64", "slot");
	o->r64_slots = slots(l, "maple_range_64", "slot");
	o->a64_slots = slots(l, "maple_arange_64", "slot");
	o->mod_list = off(l, "module", "list");
	o->mod_name = off(l, "module", "name");
	o->mod_state = off(l, "module", "state");
	o->mod_core_base = off(l, "module", "core_layout.base");
	o->mod_core_size = off(l, "module", "core_layout.size");
	if (o->t_tasks < 0 || o->t_pid < 0 || o->t_tgid < 0 ||
	    o->t_comm < 0 || o->t_real_parent < 0 || o->t_mm < 0)
		return qhb_err_set(e, "the kernel's BTF lacks task_struct's "
		    "tasks, pid, tgid, comm, real_parent or mm (%s)",
		    k->type_source);
	if (qhb_kernel_sym(k, "init_task", &l->init_task))
		return qhb_err_set(e, "no symbol init_task (%s)",
		    k->sym_source);
	qhb_kernel_sym(k, "special_mapping_vmops", &l->special_vmops);
	l->budget = (k->phys->ram_size >> 12) * 8 + (1u << 20);
	return 0;
}

/*
 * Tasks.
 */

static char state_letter(uint32_t st, uint32_t exit_state)
{
	static const char letters[] = "RSDTtXZPI";
	uint32_t s = (st | exit_state) & 0x7f;
	int i = 0;

	if ((st & 0x402) == 0x402)
		s = 0x80;
	if (st == 0x1000)   /* TASK_RTLOCK_WAIT shows as D */
		s = 2;
	while (s) {
		i++;
		s >>= 1;
	}
	return letters[i];
}

/* What proc_task_name() shows for a kernel thread: a worker's comm with
 * "+desc" (busy) or "-desc" appended, another's full name. */
static void kthread_comm(struct qhb_linux *l, uint64_t t, uint32_t flags,
    char *buf, size_t size)
{
	const struct qhb_linux_off *o = &l->o;
	uint64_t kt, p, pool, cur;
	char more[64];
	size_t n = strlen(buf);

	if (rd64(l, t, o->t_kthread, &kt) || kt == 0)
		return;
	if (flags & PF_WQ_WORKER) {
		if (rd64(l, kt, o->kt_data, &p) || p == 0 ||
		    rd64(l, p, o->w_pool, &pool) || pool == 0 ||
		    rd(l, p, o->w_desc, more, 24))
			return;
		more[23] = '\0';
		if (more[0] == '\0')
			return;
		rd64(l, p, o->w_current_work, &cur);
		snprintf(buf + n, size - n, "%c%s", cur ? '+' : '-', more);
	} else if (rd64(l, kt, o->kt_full_name, &p) == 0 && p != 0 &&
	    qhb_kernel_str(l->k, p, more, sizeof(more), NULL) == 0) {
		snprintf(buf, size, "%s", more);
	}
}

static int read_task(struct qhb_linux *l, uint64_t t, struct qhb_task *x)
{
	const struct qhb_linux_off *o = &l->o;
	uint32_t st = 0, ex = 0, flags = 0, pid, tgid;
	uint64_t parent, cred, sig;

	memset(x, 0, sizeof(*x));
	x->addr = t;
	if (rd32(l, t, o->t_pid, &pid) || rd32(l, t, o->t_tgid, &tgid) ||
	    rd(l, t, o->t_comm, x->comm, 16))
		return -1;
	x->pid = (int32_t)pid;
	x->tgid = (int32_t)tgid;
	x->comm[16] = '\0';
	rd32(l, t, o->t_state, &st);
	rd32(l, t, o->t_exit_state, &ex);
	rd32(l, t, o->t_flags, &flags);
	x->state = state_letter(st, ex);
	x->kthread = (flags & PF_KTHREAD) != 0;
	if (x->kthread)
		kthread_comm(l, t, flags, x->comm, sizeof(x->comm));
	rd64(l, t, o->t_mm, &x->mm);
	rd64(l, t, o->t_stack, &x->stack);
	if (rd64(l, t, o->t_real_parent, &parent) == 0 && parent != 0) {
		uint32_t pp = 0;
		rd32(l, parent, o->t_tgid, &pp);
		x->ppid = (int32_t)pp;
	}
	if (rd64(l, t, o->t_real_cred, &cred) == 0)
		rd32(l, cred, o->cred_uid, &x->uid);
	if (rd64(l, t, o->t_signal, &sig) == 0)
		rd32(l, sig, o->sig_nr_threads, &x->threads);
	return 0;
}

struct tasks {
	struct qhb_task *v;
	size_t n, cap;
};

static int tasks_add(struct tasks *ts, const struct qhb_task *x)
{
	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? 2 * ts->cap : 64;
		void *v = realloc(ts->v, cap * sizeof(*ts->v));
		if (v == NULL)
			return -1;
		ts->v = v;
		ts->cap = cap;
	}
	ts->v[ts->n++] = *x;
	return 0;
}

/* The threads of leader t other than itself, through signal->thread_head. */
static int add_threads(struct qhb_linux *l, const struct qhb_task *leader,
    struct tasks *ts, struct seen *seen, int *partial)
{
	const struct qhb_linux_off *o = &l->o;
	uint64_t sig, head, p;

	if (o->t_thread_node < 0 || o->sig_thread_head < 0 ||
	    rd64(l, leader->addr, o->t_signal, &sig) || sig == 0)
		return 0;
	head = sig + (uint64_t)o->sig_thread_head;
	if (rd64(l, head, 0, &p))
		return 0;
	for (unsigned i = 0; p != head; i++) {
		struct qhb_task x;
		uint64_t t = p - (uint64_t)o->t_thread_node;
		int r;
		if (i >= QHB_LINUX_MAX_TASKS || ts->n >= QHB_LINUX_MAX_TASKS) {
			*partial = 1;
			break;
		}
		if (t != leader->addr) {
			if ((r = seen_add(seen, t)) < 0)
				return -1;
			if (r == 1 || read_task(l, t, &x) || x.tgid != leader->tgid) {
				*partial = 1;
				break;
			}
			if (tasks_add(ts, &x))
				return -1;
		}
		if (rd64(l, p, 0, &p)) {
			*partial = 1;
			break;
		}
	}
	return 0;
}

int qhb_linux_tasks(struct qhb_linux *l, struct qhb_task **v, size_t *n,
    int *partial, struct qhb_err *e)
{
	const struct qhb_linux_off *o = &l->o;
	uint64_t head = l->init_task + (uint64_t)o->t_tasks, p;
	struct tasks ts = { 0 };
	struct seen seen = { 0 };
	int rc = -1;

	*partial = 0;
	if (rd64(l, head, 0, &p)) {
		qhb_err_set(e, "init_task at %#" PRIx64 " is not readable",
		    l->init_task);
		return -1;
	}
	while (p != head) {
		uint64_t t = p - (uint64_t)o->t_tasks;
		struct qhb_task x;
		int r;
		if (ts.n >= QHB_LINUX_MAX_TASKS || (r = seen_add(&seen, t)) == 1 ||
		    read_task(l, t, &x)) {
			*partial = 1;
			break;
		}
		if (r < 0)
			goto oom;
		if (x.pid != 0) {
			if (tasks_add(&ts, &x) || add_threads(l, &x, &ts, &seen,
			    partial))
				goto oom;
		}
		if (rd64(l, p, 0, &p)) {
			*partial = 1;
			break;
		}
	}
	*v = ts.v;
	*n = ts.n;
	ts.v = NULL;
	rc = 0;
	goto out;
oom:
	qhb_err_set(e, "out of memory");
out:
	free(ts.v);
	seen_free(&seen);
	return rc;
}

/*
 * VMAs.
 */

struct vmas {
	struct qhb_vma *v;
	size_t n, cap;
	uint64_t mm, brk, start_brk, start_stack;
	int partial;
	struct seen seen;
	unsigned nodes;
};

/* The path of (mnt, dentry) as d_path() writes it, into buf. */
static void dpath(struct qhb_linux *l, uint64_t vfsmnt, uint64_t dentry,
    char *buf, size_t size)
{
	const struct qhb_linux_off *o = &l->o;
	char tmp[512], name[256];
	size_t pos = sizeof(tmp) - 1;
	uint64_t mnt = vfsmnt - (uint64_t)o->mnt_mnt, root, parent;

	tmp[pos] = '\0';
	for (int i = 0; i < 64; i++) {
		uint64_t np;
		size_t len;
		rd64(l, vfsmnt, o->vfsmnt_root, &root);
		if (dentry == root) {
			uint64_t pm;
			if (rd64(l, mnt, o->mnt_parent, &pm) || pm == mnt || pm == 0)
				break;
			rd64(l, mnt, o->mnt_mountpoint, &dentry);
			mnt = pm;
			vfsmnt = mnt + (uint64_t)o->mnt_mnt;
			continue;
		}
		if (rd64(l, dentry, o->d_parent, &parent) || parent == dentry)
			break;
		if (rd64(l, dentry, o->d_name, &np) ||
		    qhb_kernel_str(l->k, np, name, sizeof(name), NULL))
			break;
		len = strlen(name);
		if (len + 1 > pos)
			break;
		pos -= len;
		memcpy(tmp + pos, name, len);
		tmp[--pos] = '/';
		dentry = parent;
	}
	snprintf(buf, size, "%s", tmp[pos] ? tmp + pos : "/");
}

static int read_vma(struct qhb_linux *l, struct vmas *vs, uint64_t a,
    uint64_t lo, uint64_t hi, int check_range)
{
	const struct qhb_linux_off *o = &l->o;
	struct qhb_vma x;
	uint64_t mm, file, ops, priv, sb, inode;

	memset(&x, 0, sizeof(x));
	x.addr = a;
	if (rd64(l, a, o->v_start, &x.start) || rd64(l, a, o->v_end, &x.end) ||
	    rd64(l, a, o->v_mm, &mm) || mm != vs->mm || x.start >= x.end ||
	    (check_range && (x.start != lo || x.end - 1 != hi)))
		return -1;
	rd64(l, a, o->v_flags, &x.flags);
	rd64(l, a, o->v_file, &file);
	if (file) {
		uint64_t mnt, dentry;
		rd64(l, a, o->v_pgoff, &x.pgoff);
		x.pgoff <<= 12;
		if (rd64(l, file, o->f_inode, &inode) == 0) {
			rd64(l, inode, o->i_ino, &x.ino);
			if (rd64(l, inode, o->i_sb, &sb) == 0)
				rd32(l, sb, o->sb_dev, &x.dev);
		}
		if (rd64(l, file, o->f_path_mnt, &mnt) == 0 &&
		    rd64(l, file, o->f_path_dentry, &dentry) == 0)
			dpath(l, mnt, dentry, x.name, sizeof(x.name));
	} else if (rd64(l, a, o->v_ops, &ops) == 0 && ops != 0 &&
	    ops == l->special_vmops && rd64(l, a, o->v_priv, &priv) == 0 &&
	    rd64(l, priv, 0, &priv) == 0) {
		qhb_kernel_str(l->k, priv, x.name, sizeof(x.name), NULL);
	} else if (x.start <= vs->brk && x.end >= vs->start_brk) {
		strcpy(x.name, "[heap]");
	} else if (x.start <= vs->start_stack && x.end >= vs->start_stack) {
		strcpy(x.name, "[stack]");
	}
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? 2 * vs->cap : 32;
		void *v = realloc(vs->v, cap * sizeof(*vs->v));
		if (v == NULL)
			return -2;
		vs->v = v;
		vs->cap = cap;
	}
	vs->v[vs->n++] = x;
	return 0;
}

/* Walks maple node enode covering [min, max]. */
static int maple_walk(struct qhb_linux *l, struct vmas *vs, uint64_t enode,
    uint64_t min, uint64_t max, int depth)
{
	const struct qhb_linux_off *o = &l->o;
	uint64_t node = enode & ~0xffull, piv[32], slot[32];
	unsigned type = (enode >> 3) & 0xf, ns, np;
	int64_t po, so;
	int r;

	if (depth > 24 || ++vs->nodes > 1u << 16 || (r = seen_add(&vs->seen,
	    node)) == 1) {
		vs->partial = 1;
		return 0;
	}
	if (r < 0)
		return -2;
	if (type == 3) {
		po = o->a64_pivot, so = o->a64_slot, ns = o->a64_slots;
	} else if (type == 1 || type == 2) {
		po = o->r64_pivot, so = o->r64_slot, ns = o->r64_slots;
	} else {
		vs->partial = 1;
		return 0;
	}
	if (ns == 0 || ns > 32 || rd(l, node, po, piv, 8 * (ns - 1)) ||
	    rd(l, node, so, slot, 8 * ns)) {
		vs->partial = 1;
		return 0;
	}
	np = ns - 1;
	for (unsigned i = 0; i < ns; i++) {
		uint64_t lo = min, hi;
		if (i < np && (piv[i] == 0 && i > 0))
			break;
		hi = i < np ? piv[i] : max;
		if (hi > max || hi < lo) {
			vs->partial = 1;
			break;
		}
		if (slot[i] != 0) {
			if (type == 1) {
				if ((r = read_vma(l, vs, slot[i], lo, hi, 1)) == -2)
					return -2;
				if (r < 0)
					vs->partial = 1;
			} else if ((slot[i] & 3) == 2 && slot[i] > 4096) {
				if ((r = maple_walk(l, vs, slot[i], lo, hi,
				    depth + 1)) < 0)
					return r;
			} else
				vs->partial = 1;
		}
		if (hi == max)
			break;
		min = hi + 1;
	}
	return 0;
}

static int vma_cmp(const void *a, const void *b)
{
	const struct qhb_vma *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int qhb_linux_vmas(struct qhb_linux *l, uint64_t mm, struct qhb_vma **v,
    size_t *n, int *partial, struct qhb_err *e)
{
	const struct qhb_linux_off *o = &l->o;
	struct vmas vs = { .mm = mm };
	uint64_t root;
	int rc = 0;

	*partial = 0;
	*v = NULL;
	*n = 0;
	if (mm == 0)
		return 0;
	rd64(l, mm, o->mm_brk, &vs.brk);
	rd64(l, mm, o->mm_start_brk, &vs.start_brk);
	rd64(l, mm, o->mm_start_stack, &vs.start_stack);
	if (o->mm_mt >= 0 && o->mt_root >= 0) {
		if (rd64(l, mm + (uint64_t)o->mm_mt, o->mt_root, &root))
			return qhb_err_set(e, "mm_struct at %#" PRIx64
			    " is not readable", mm);
		if ((root & 3) == 2 && root > 4096)
			rc = maple_walk(l, &vs, root, 0, UINT64_MAX, 0);
		else if (root != 0)
			rc = read_vma(l, &vs, root, 0, 0, 0);
	} else if (o->mm_mmap >= 0 && o->v_next >= 0) {
		uint64_t p;
		if (rd64(l, mm, o->mm_mmap, &p))
			return qhb_err_set(e, "mm_struct at %#" PRIx64
			    " is not readable", mm);
		for (unsigned i = 0; p != 0; i++) {
			int r;
			if (i >= QHB_LINUX_MAX_VMAS || (r = seen_add(&vs.seen,
			    p)) == 1) {
				vs.partial = 1;
				break;
			}
			if (r < 0 || (r = read_vma(l, &vs, p, 0, 0, 0)) == -2) {
				rc = -2;
				break;
			}
			if (r < 0 || rd64(l, p, o->v_next, &p)) {
				vs.partial = 1;
				break;
			}
		}
	} else {
		seen_free(&vs.seen);
		return qhb_err_set(e, "the kernel's BTF has neither mm_struct."
		    "mm_mt nor mm_struct.mmap");
	}
	seen_free(&vs.seen);
	if (rc == -2) {
		free(vs.v);
		return qhb_err_set(e, "out of memory");
	}
	if (vs.n > 0)
		qsort(vs.v, vs.n, sizeof(*vs.v), vma_cmp);
	/* overlapping VMAs are garbage: keep the first */
	for (size_t i = 1; i < vs.n; i++)
		if (vs.v[i].start < vs.v[i - 1].end) {
			memmove(&vs.v[i], &vs.v[i + 1],
			    (vs.n - i - 1) * sizeof(*vs.v));
			vs.n--;
			i--;
			vs.partial = 1;
		}
	*v = vs.v;
	*n = vs.n;
	*partial = vs.partial;
	return 0;
}

/*
 * Pages.
 */

uint64_t qhb_linux_mm_root(struct qhb_linux *l, uint64_t mm)
{
	uint64_t pgd, pa;

	if (mm == 0)
		return l->k->top_pgt;
	if (rd64(l, mm, l->o.mm_pgd, &pgd) ||
	    qhb_kernel_v2p(l->k, 0, pgd, &pa, NULL))
		return 0;
	return pa & ~0xfffull;
}

int qhb_linux_pages(struct qhb_linux *l, uint64_t mm, uint64_t start,
    uint64_t end, qhb_linux_page_fn *fn, void *arg)
{
	uint64_t root = qhb_linux_mm_root(l, mm), va = start;
	uint64_t run_va = 0, run_pa = 0, run_len = 0;
	int r;

	if (root == 0)
		return 0;
	while (va < end) {
		uint64_t pa, ps = 4096, n;
		if (l->budget == 0) {
			l->exhausted = 1;
			break;
		}
		l->budget--;
		if (qhb_kernel_v2p(l->k, root, va, &pa, &ps)) {
			uint64_t next = (va & ~(ps - 1)) + ps;
			if (next <= va)
				break;
			va = next;
			continue;
		}
		n = ps - (va & (ps - 1));
		if (n > end - va)
			n = end - va;
		if (run_len && run_va + run_len == va && run_pa + run_len == pa) {
			run_len += n;
		} else {
			if (run_len && (r = fn(arg, run_va, run_pa, run_len)))
				return r;
			run_va = va, run_pa = pa, run_len = n;
		}
		va += n;
	}
	if (run_len)
		return fn(arg, run_va, run_pa, run_len);
	return 0;
}

static int pt_walk(struct qhb_linux *l, uint64_t table, int level,
    unsigned first, unsigned last, qhb_linux_page_fn *fn, void *arg,
    unsigned *budget)
{
	uint64_t ent[512];
	int r;

	if (*budget == 0)
		return 0;
	(*budget)--;
	if ((r = fn(arg, 0, table, 4096)))
		return r;
	if (level == 1 || qhb_phys_read(l->k->phys, table, ent, sizeof(ent)))
		return 0;
	for (unsigned i = first; i <= last && i < 512; i++) {
		if (!(ent[i] & 1) || (level <= 3 && (ent[i] & 0x80)))
			continue;
		if ((r = pt_walk(l, ent[i] & PTE_ADDR, level - 1, 0, 511, fn,
		    arg, budget)))
			return r;
	}
	return 0;
}

int qhb_linux_pt_pages(struct qhb_linux *l, uint64_t root, unsigned first,
    unsigned last, qhb_linux_page_fn *fn, void *arg)
{
	unsigned budget = l->budget > (1u << 20) ? 1u << 20 :
	    (unsigned)l->budget;
	int r = pt_walk(l, root, l->k->levels, first, last, fn, arg, &budget);

	if (budget == 0)
		l->exhausted = 1;
	l->budget = l->budget > (1u << 20) ? l->budget - ((1u << 20) - budget) :
	    budget;
	return r;
}

/*
 * Free memory: the buddy allocator's free lists.
 */

int qhb_linux_free(struct qhb_linux *l, qhb_linux_page_fn *fn, void *arg,
    struct qhb_err *e)
{
	struct qhb_kernel *k = l->k;
	uint64_t node, vmemmap, nodes[64], a;
	int64_t zones, zsize, fa, fasize, fl, lru, psize, nzones, norder, nmt;
	unsigned nn = 0;
	int partial = 0;
	/* every free block is a distinct page: more steps than pages is a
	 * loop */
	uint64_t steps = 0, max_steps = (k->phys->ram_size >> 12) + 1024;
	uint32_t el, cnt;
	struct qhb_btf_member m;
	uint32_t id;

	zones = off(l, "pglist_data", "node_zones");
	fa = off(l, "zone", "free_area");
	fl = off(l, "free_area", "free_list");
	if ((lru = off(l, "page", "buddy_list")) < 0)
		lru = off(l, "page", "lru");
	id = qhb_btf_find(&k->btf, QHB_BTF_STRUCT, "zone");
	zsize = id ? qhb_btf_size(&k->btf, id) : -1;
	id = qhb_btf_find(&k->btf, QHB_BTF_STRUCT, "free_area");
	fasize = id ? qhb_btf_size(&k->btf, id) : -1;
	id = qhb_btf_find(&k->btf, QHB_BTF_STRUCT, "page");
	psize = id ? qhb_btf_size(&k->btf, id) : -1;
	nzones = slots(l, "pglist_data", "node_zones");
	norder = slots(l, "zone", "free_area");
	nmt = slots(l, "free_area", "free_list");
	if (zones < 0 || fa < 0 || fl < 0 || lru < 0 || zsize <= 0 ||
	    fasize <= 0 || psize <= 0 || !nzones || !norder || !nmt)
		return qhb_err_set(e, "the kernel's BTF lacks the buddy "
		    "allocator's types");
	if (qhb_kernel_sym(k, "vmemmap_base", &a) == 0) {
		if (qhb_kernel_u64(k, a, &vmemmap, e))
			return -1;
	} else
		vmemmap = k->levels == 5 ? 0xffd4000000000000ull :
		    0xffffea0000000000ull;
	if (qhb_kernel_sym(k, "node_data", &a) == 0) {
		id = 0;
		for (nn = 0; nn < 64; nn++)
			if (qhb_kernel_u64(k, a + 8 * nn, &nodes[nn], NULL) ||
			    nodes[nn] == 0)
				break;
	} else if (qhb_kernel_sym(k, "contig_page_data", &a) == 0) {
		nodes[0] = a;
		nn = 1;
	}
	if (nn == 0)
		return qhb_err_set(e, "no node_data or contig_page_data");
	(void)el;
	(void)cnt;
	(void)m;
	for (unsigned ni = 0; ni < nn; ni++) {
		node = nodes[ni];
		for (int64_t z = 0; z < nzones; z++)
		for (int64_t ord = 0; ord < norder; ord++)
		for (int64_t mt = 0; mt < nmt; mt++) {
			uint64_t head = node + zones + z * zsize + fa +
			    ord * fasize + fl + mt * 16, p;
			if (rd64(l, head, 0, &p))
				continue;
			for (; p != head && p != 0; steps++) {
				uint64_t page = p - (uint64_t)lru, pfn;
				int r;
				if (steps > max_steps || page < vmemmap) {
					partial = 1;
					break;
				}
				pfn = (page - vmemmap) / (uint64_t)psize;
				if ((r = fn(arg, 0, pfn << 12, 4096ull << ord)))
					return r;
				if (rd64(l, p, 0, &p)) {
					partial = 1;
					break;
				}
			}
		}
	}
	return partial;
}

/*
 * Modules.
 */

int qhb_linux_modules(struct qhb_linux *l, struct qhb_module **v, size_t *n,
    int *partial, struct qhb_err *e)
{
	const struct qhb_linux_off *o = &l->o;
	struct qhb_module *mv = NULL;
	struct seen seen = { 0 };
	uint64_t head, p;
	size_t cap = 0;

	*v = NULL;
	*n = 0;
	*partial = 0;
	if (o->mod_list < 0 || o->mod_name < 0)
		return qhb_err_set(e, "the kernel's BTF has no struct module");
	if (qhb_kernel_sym(l->k, "modules", &head) || rd64(l, head, 0, &p))
		return qhb_err_set(e, "no readable symbol modules");
	for (unsigned i = 0; p != head; i++) {
		uint64_t m = p - (uint64_t)o->mod_list;
		struct qhb_module x = { .addr = m };
		uint32_t st = 0, sz = 0;
		if (i > 4096 || seen_add(&seen, p) != 0 ||
		    rd(l, m, o->mod_name, x.name, sizeof(x.name) - 1)) {
			*partial = 1;
			break;
		}
		rd32(l, m, o->mod_state, &st);
		x.state = (int)st;
		rd64(l, m, o->mod_core_base, &x.base);
		rd32(l, m, o->mod_core_size, &sz);
		x.size = sz;
		if (*n == cap) {
			void *nv = realloc(mv, (cap = cap ? 2 * cap : 16) * sizeof(*mv));
			if (nv == NULL) {
				free(mv);
				seen_free(&seen);
				return qhb_err_set(e, "out of memory");
			}
			mv = nv;
		}
		mv[(*n)++] = x;
		if (rd64(l, p, 0, &p)) {
			*partial = 1;
			break;
		}
	}
	seen_free(&seen);
	*v = mv;
	return 0;
}
