#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif

/*
 * Landlock: the files still read, the directories outputs go to.
 */

/* What a directory an output is renamed into must let us do: create the
 * temporary file, write it, rename it over the old file, remove it when
 * the write fails.  Making a directory is for a path whose directory
 * does not exist yet (the pipeline cache's). */
#define LL_WRITE_DIR (LANDLOCK_ACCESS_FS_READ_FILE | \
	LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG | \
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR)
#define LL_READ_DIR (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* The rights a rule on a file (not a directory) may carry. */
#define LL_FILE (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_READ_FILE)

struct ll {
	int fd;                 /* the ruleset */
	__u64 handled;
};

/* Allows access beneath path (on the file alone when it is no directory).
 * A path that does not exist is left out: opening it later fails as it
 * would have anyway.  Any other failure is an error, not a rule left out:
 * a sandbox without the output's rule would refuse the rename, and the
 * unlink of the temporary file, only later.  Returns 0, or -1 with e. */
static int ll_allow(struct ll *l, const char *path, __u64 access,
    struct qhb_err *e)
{
	struct landlock_path_beneath_attr pb = { 0 };
	struct stat st;
	int rc = 0;

	if ((pb.parent_fd = open(path, O_PATH | O_CLOEXEC)) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 :
		    qhb_err_sys(e, "sandbox: cannot open %s", path);
	if (fstat(pb.parent_fd, &st) == 0 && !S_ISDIR(st.st_mode))
		access &= LL_FILE;
	pb.allowed_access = access & l->handled;
	if (pb.allowed_access != 0 && syscall(SYS_landlock_add_rule, l->fd,
	    LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
		rc = qhb_err_sys(e, "sandbox: landlock rule for %s", path);
	close(pb.parent_fd);
	return rc;
}

/* Allows writing files beside path: in its directory, or in the nearest
 * directory above it that exists. */
static int ll_allow_output(struct ll *l, const char *path, struct qhb_err *e)
{
	char dir[4096], *d;
	struct stat st;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return qhb_err_set(e, "sandbox: path too long: %.200s", path);
	do {
		d = dirname(dir);
		memmove(dir, d, strlen(d) + 1);
	} while (stat(dir, &st) < 0 && strcmp(dir, "/") && strcmp(dir, "."));
	return ll_allow(l, dir, LL_WRITE_DIR, e);
}

/* Applies Landlock where the kernel has it; says nothing where it has
 * not.  Returns 0, or -1 with e. */
static int ll_apply(const struct qhb_sandbox *w, struct qhb_err *e)
{
	struct landlock_ruleset_attr ra = { 0 };
	struct ll l = { -1, 0 };
	long abi;
	int rc = -1;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1)
		return 0;
	/* What this header knows; rights of later ABIs (truncate, network,
	 * scopes) stay unhandled, and the seccomp filter covers sockets. */
	l.handled = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;
	if (abi >= 2)
		l.handled |= LANDLOCK_ACCESS_FS_REFER;
	ra.handled_access_fs = l.handled;
	if ((l.fd = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof(ra),
	    0)) < 0)
		return 0;
	for (size_t i = 0; i < w->n_read; i++)
		if (w->read[i] != NULL && strcmp(w->read[i], "-") &&
		    ll_allow(&l, w->read[i], LL_READ_DIR, e))
			goto out;
	for (size_t i = 0; i < w->n_write; i++)
		if (w->write[i] != NULL && strcmp(w->write[i], "-") &&
		    ll_allow_output(&l, w->write[i], e))
			goto out;
	/* A driver opens its device files, and reads what the kernel says of
	 * the device, after the device is made (NVIDIA's /dev/nvidia-uvm). */
	if (w->gpu && (ll_allow(&l, "/dev", LL_READ_DIR |
	    LANDLOCK_ACCESS_FS_WRITE_FILE, e) || ll_allow(&l, "/sys",
	    LL_READ_DIR, e) || ll_allow(&l, "/proc", LL_READ_DIR, e)))
		goto out;
#ifdef SANDBOX_ASAN
	/* LeakSanitizer reads /proc/self/maps and /proc/self/task at exit. */
	if (!w->gpu && ll_allow(&l, "/proc", LL_READ_DIR, e))
		goto out;
#endif
	/* The CPU count that sizes the thread pools. */
	if (w->threads && ll_allow(&l, "/sys/devices/system/cpu", LL_READ_DIR, e))
		goto out;
	if (syscall(SYS_landlock_restrict_self, l.fd, 0) < 0) {
		qhb_err_sys(e, "sandbox: landlock_restrict_self");
		goto out;
	}
	rc = 0;
out:
	close(l.fd);
	return rc;
}

#if defined(__x86_64__)
/*
 * Seccomp: a list of allowed system calls, the rest kill.
 */

/* The calls every narrowed stage makes: reading and writing what is
 * open, opening what Landlock lets it open, memory, time, signals,
 * exiting, the atomic rename of an output and the removal of a failed
 * one, and abort() for an assertion. */
static const int calls_base[] = {
	SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_pread64, SYS_pwrite64,
	SYS_lseek, SYS_close, SYS_fstat, SYS_stat, SYS_lstat, SYS_newfstatat,
	SYS_statx, SYS_open, SYS_openat, SYS_fcntl, SYS_dup, SYS_dup2,
	SYS_dup3, SYS_poll, SYS_ppoll, SYS_getdents64,
	SYS_fsync, SYS_fdatasync, SYS_ftruncate, SYS_fchmod, SYS_umask,
	SYS_rename, SYS_renameat, SYS_renameat2, SYS_unlink, SYS_unlinkat,
	SYS_mmap, SYS_munmap, SYS_mremap, SYS_mprotect, SYS_madvise, SYS_brk,
	SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigreturn,
	SYS_sigaltstack, SYS_restart_syscall,
	SYS_getpid, SYS_gettid, SYS_getuid, SYS_geteuid, SYS_getgid,
	SYS_getegid, SYS_getrandom, SYS_clock_gettime, SYS_clock_getres,
	SYS_gettimeofday, SYS_nanosleep, SYS_clock_nanosleep,
	SYS_getrusage, SYS_sysinfo, SYS_uname, SYS_prlimit64,
	SYS_futex, SYS_sched_yield, SYS_sched_getaffinity,
	SYS_exit, SYS_exit_group, SYS_tgkill,
};

/* A thread's start and end (glibc), beyond clone with CLONE_THREAD. */
static const int calls_threads[] = {
	SYS_set_robust_list, SYS_get_robust_list, SYS_rseq, SYS_membarrier,
	SYS_set_tid_address,
};

/* A GPU driver after the device is made: lavapipe's threads name
 * themselves and wait on events; NVIDIA's driver talks to the kernel by
 * ioctl on its device files (any request: the driver's own), maps device
 * memory, shares it through memfds; qhb's pipeline cache is saved in a
 * directory made when missing.  Broad, because a driver's calls are
 * not ours to list one by one. */
static const int calls_gpu[] = {
	SYS_ioctl, SYS_prctl, SYS_eventfd2, SYS_memfd_create, SYS_fallocate,
	SYS_pipe2, SYS_epoll_create1, SYS_epoll_ctl, SYS_epoll_wait,
	SYS_epoll_pwait, SYS_readlink, SYS_readlinkat, SYS_access,
	SYS_faccessat, SYS_faccessat2, SYS_flock, SYS_kcmp, SYS_sched_setaffinity,
	SYS_sched_getparam, SYS_sched_getscheduler, SYS_sched_setscheduler,
	SYS_getpriority, SYS_setpriority, SYS_mlock, SYS_munlock, SYS_mincore,
	SYS_getcwd, SYS_select, SYS_pselect6, SYS_timerfd_create,
	SYS_timerfd_settime, SYS_getppid, SYS_mkdir, SYS_mkdirat,
};

#ifdef SANDBOX_ASAN
/* LeakSanitizer at exit: a tracer made by clone() without CLONE_THREAD
 * stops every thread with ptrace and reads their registers and /proc.
 * The tracer's clone flags are allowed exactly (see below), so fork()
 * still kills. */
static const int calls_asan[] = {
	SYS_ptrace, SYS_wait4, SYS_prctl, SYS_readlink, SYS_readlinkat, SYS_getdents,
	SYS_getppid, SYS_kill,
};
#define ASAN_TRACER_CLONE (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_UNTRACED)
#endif

/* The filter program, built one instruction at a time. */
struct prog {
	struct sock_filter v[512];
	unsigned n;
	int full;
};

static void emit(struct prog *p, struct sock_filter f)
{
	if (p->n == sizeof(p->v) / sizeof(p->v[0]))
		p->full = 1;
	else
		p->v[p->n++] = f;
}

#define STMT(code, k) ((struct sock_filter)BPF_STMT(code, k))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP(code, k, jt, jf))
#define LOAD(field) STMT(BPF_LD | BPF_W | BPF_ABS, \
	offsetof(struct seccomp_data, field))
#define RET(v) STMT(BPF_RET | BPF_K, v)

/* if (nr == call) return ALLOW; for each call of the list. */
static void emit_allow(struct prog *p, const int *calls, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)calls[i], 0, 1));
		emit(p, RET(SECCOMP_RET_ALLOW));
	}
}

static void build(struct prog *p, const struct qhb_sandbox *w)
{
	/* Another ABI's numbers mean other calls: x86-64 only, and none of
	 * the x32 numbers (which share the architecture). */
	emit(p, LOAD(arch));
	emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
	emit(p, RET(SECCOMP_RET_KILL_PROCESS));
	emit(p, LOAD(nr));
	emit(p, JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));
	emit(p, RET(SECCOMP_RET_KILL_PROCESS));
	emit_allow(p, calls_base, sizeof(calls_base) / sizeof(calls_base[0]));
	if (w->threads || w->gpu) {
		emit_allow(p, calls_threads, sizeof(calls_threads) /
		    sizeof(calls_threads[0]));
		/* clone3's flags sit in memory a filter cannot read. */
		emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1));
		emit(p, RET(SECCOMP_RET_ERRNO | ENOSYS));
	}
	if (w->gpu)
		emit_allow(p, calls_gpu, sizeof(calls_gpu) / sizeof(calls_gpu[0]));
	else {
		/* isatty() and nothing else. */
		emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 4));
		emit(p, LOAD(args[1]));
		emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, TCGETS, 0, 1));
		emit(p, RET(SECCOMP_RET_ALLOW));
		emit(p, RET(SECCOMP_RET_KILL_PROCESS));
	}
#ifdef SANDBOX_ASAN
	emit_allow(p, calls_asan, sizeof(calls_asan) / sizeof(calls_asan[0]));
#endif
	/* clone: a thread (CLONE_THREAD set), never a process. */
#ifdef SANDBOX_ASAN
	emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 5));
#else
	emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3));
#endif
	emit(p, LOAD(args[0]));
	emit(p, JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 1));
	emit(p, RET(w->threads || w->gpu ? SECCOMP_RET_ALLOW :
	    SECCOMP_RET_KILL_PROCESS));
#ifdef SANDBOX_ASAN
	emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, ASAN_TRACER_CLONE, 0, 1));
	emit(p, RET(SECCOMP_RET_ALLOW));
#endif
	emit(p, RET(SECCOMP_RET_KILL_PROCESS));
}

/* Installs the filter on every thread of the process.  Returns 0, or -1
 * with e. */
static int seccomp_apply(const struct qhb_sandbox *w, struct qhb_err *e)
{
	struct prog p = { .n = 0 };
	struct sock_fprog fp;
	long r;

	build(&p, w);
	if (p.full)
		return qhb_err_set(e, "sandbox: the seccomp filter is too long");
	fp.len = (unsigned short)p.n;
	fp.filter = p.v;
	/* TSYNC: a thread a driver started is bound too; a positive return
	 * names a thread that could not be. */
	if ((r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_TSYNC, &fp)) > 0)
		return qhb_err_set(e, "sandbox: seccomp: thread %ld has another "
		    "filter", r);
	if (r < 0)
		return qhb_err_sys(e, "sandbox: seccomp");
	return 0;
}

#endif

int qhb_sandbox_narrow(const struct qhb_sandbox *what, struct qhb_err *e)
{
	const char *env = getenv("QHB_NO_SANDBOX");

	if (env != NULL && strcmp(env, "1") == 0)
		return 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return qhb_err_sys(e, "sandbox: no_new_privs");
	if (ll_apply(what, e))
		return -1;
#if defined(__x86_64__)
	return seccomp_apply(what, e);
#else
	return 0;
#endif
}
