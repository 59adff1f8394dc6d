/*
 * linux -- Linux's own data structures, read through a found kernel.
 *
 * Struct offsets come from the kernel's BTF (kernel.h), so one build of
 * qhb reads any kernel that carries BTF.  What is read here: the task list
 * (processes and their threads), each process's VMAs from the maple tree
 * (6.1 and later) or the VMA list (older), file paths from dentries and
 * mounts, resident pages through a process's page tables, the buddy
 * allocator's free lists, loaded modules.
 *
 * Every walk is bounded and cycle-safe; a walk cut short by garbage ends
 * with what it had and says so (partial), it never loops or crashes.
 */
#ifndef QHB_LINUX_H
#define QHB_LINUX_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "kernel.h"

#define QHB_LINUX_MAX_TASKS 65536
#define QHB_LINUX_MAX_VMAS 65536

/* Offsets of the fields read; -1 when a kernel lacks one. */
struct qhb_linux_off {
	int64_t t_tasks, t_pid, t_tgid, t_real_parent, t_comm, t_state,
	    t_exit_state, t_flags, t_mm, t_real_cred, t_signal, t_thread_node,
	    t_stack, t_size;
	int64_t sig_nr_threads, sig_thread_head, cred_uid;
	int64_t mm_mt, mm_mmap, mm_pgd, mm_brk, mm_start_brk, mm_start_stack;
	int64_t v_start, v_end, v_mm, v_flags, v_pgoff, v_file, v_ops, v_priv,
	    v_next;
	int64_t f_path_mnt, f_path_dentry, f_inode, i_ino, i_sb, sb_dev;
	int64_t d_name, d_parent, mnt_mnt, mnt_parent, mnt_mountpoint,
	    vfsmnt_root;
	int64_t mt_root, r64_pivot, r64_slot, a64_pivot, a64_slot;
	uint32_t r64_slots, a64_slots;
	int64_t t_kthread, kt_full_name, kt_data, w_desc, w_current_work,
	    w_pool;
	int64_t mod_list, mod_name, mod_state, mod_core_base, mod_core_size;
};

struct qhb_linux {
	struct qhb_kernel *k;
	struct qhb_linux_off o;
	uint64_t init_task;
	uint64_t special_vmops;   /* &special_mapping_vmops, 0: unknown */
	/* Page-table steps left to every walk together, so that hostile
	 * tables that map everything cannot make a query run for long. */
	uint64_t budget;
	int exhausted;            /* the budget ran out: answers are partial */
};

struct qhb_task {
	uint64_t addr;            /* task_struct */
	int32_t pid, tgid, ppid;
	char comm[64];            /* as /proc shows it: kthreads' full
	                           * names, workers' "-desc" */
	char state;               /* /proc's letter: R S D T t X Z P I */
	uint32_t uid;
	uint32_t threads;         /* signal->nr_threads */
	int kthread;
	uint64_t mm, stack;
};

struct qhb_vma {
	uint64_t addr;            /* vm_area_struct */
	uint64_t start, end, flags, pgoff, ino;
	uint32_t dev;             /* the kernel's dev_t: major << 20 | minor */
	char name[512];           /* path or [heap], [stack], [vdso]; "" */
};

/* Finds the offsets and symbols the walks need.  Returns 0, or -1 with e
 * listing what the kernel's types lack. */
int qhb_linux_init(struct qhb_linux *l, struct qhb_kernel *k,
    struct qhb_err *e);

/* Every task but the idle ones (pid 0), leaders first with their threads
 * after them.  *v is malloc'd, the caller frees it.  Returns 0 (*partial
 * set when a walk was cut short by garbage) or -1 with e. */
int qhb_linux_tasks(struct qhb_linux *l, struct qhb_task **v, size_t *n,
    int *partial, struct qhb_err *e);

/* The VMAs of mm in address order.  *v is malloc'd, the caller frees it.
 * Returns 0 (*partial as above) or -1 with e. */
int qhb_linux_vmas(struct qhb_linux *l, uint64_t mm, struct qhb_vma **v,
    size_t *n, int *partial, struct qhb_err *e);

/* Calls fn for each resident run [va, va + len) -> pa of [start, end) in
 * mm's page tables (mm 0: the kernel's).  Returns 0, or fn's non-zero. */
typedef int qhb_linux_page_fn(void *arg, uint64_t va, uint64_t pa,
    uint64_t len);
int qhb_linux_pages(struct qhb_linux *l, uint64_t mm, uint64_t start,
    uint64_t end, qhb_linux_page_fn *fn, void *arg);
/* The physical address of mm's top-level page table, 0 when unreadable. */
uint64_t qhb_linux_mm_root(struct qhb_linux *l, uint64_t mm);

/* Calls fn for each page-table page reachable from root (physical) below
 * the given top-level index range; fn gets (arg, pa, 4096, 0). */
int qhb_linux_pt_pages(struct qhb_linux *l, uint64_t root, unsigned first,
    unsigned last, qhb_linux_page_fn *fn, void *arg);

/* Calls fn(arg, 0, pa, len) for each free block of the buddy allocator.
 * Returns 0, 1 when cut short (garbage), or -1 with e. */
int qhb_linux_free(struct qhb_linux *l, qhb_linux_page_fn *fn, void *arg,
    struct qhb_err *e);

struct qhb_module {
	uint64_t addr, base, size;
	char name[64];
	int state;
};
/* The loaded modules, malloc'd into *v.  Returns 0 (*partial) or -1. */
int qhb_linux_modules(struct qhb_linux *l, struct qhb_module **v, size_t *n,
    int *partial, struct qhb_err *e);

#endif
