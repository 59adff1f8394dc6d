/*
 * vm -- the guest manager behind qhb-vm.
 *
 * Starts QEMU guests whose RAM is a shared file in /dev/shm, finds them
 * again by name, and stops them.  Each guest NAME owns
 *
 *   /dev/shm/qhb-UID-NAME.ram     guest RAM, mode 0600 (0640, group qhb,
 *                                 where that group exists), made here before
 *                                 QEMU; as root, owned by QEMU's user
 *   RUNDIR/NAME/                  mode 0700, where RUNDIR is
 *                                 $XDG_RUNTIME_DIR/qhb, else /tmp/qhb-UID
 *     qmp.sock                    QMP for users and qhb-snap, mode 0600
 *     ctl.sock                    QMP kept for qhb-vm itself (QEMU serves
 *                                 one client per socket)
 *     serial.log                  the guest's serial console
 *     qemu.log                    QEMU's stdout and stderr
 *     pid                         QEMU's pid
 *     info.json                   how it was started (see struct qhb_vm_info)
 *     exit                        once QEMU is gone: how it ended, one line
 *                                 ("killed by the OOM killer ...")
 *   /dev/shm/qhb-UID-NAME.trace   with --trace: the ring of the libqhbtrace
 *                                 plugin, mode 0600 (0640 as the RAM
 *                                 file), which qhb-trace --attach NAME
 *                                 drains (common/trace.h)
 *   qhb-vm-NAME                   with limits: QEMU's control group
 *                                 (common/cgroup.h)
 *
 * A guest is running while its pid is a live process whose command line
 * names its QMP socket; a directory whose QEMU is gone is stale, and start
 * and stop clean it.  Each guest's QEMU has a watcher, a small process
 * started with it whose child it is: when QEMU dies without qhb-vm stop
 * (the OOM killer, a crash, a kill), the watcher writes the exit file and
 * removes the RAM file, the trace ring and the control group at once, so
 * that a dead guest holds no memory; its directory stays, for list, status
 * and log to say what happened, until stop or the next start cleans it.
 *
 * Started as root, QEMU runs as an unprivileged user from its first
 * instruction: its child joins the control group, then changes user, then
 * execs QEMU.  Then the RAM file and the trace ring, which QEMU opens by
 * name, are that user's; the guest's directory stays root's, and QEMU gets
 * what it needs there as descriptors: the QMP sockets listening, the
 * serial log through an fd set.  QEMU always runs under the whole of its
 * seccomp sandbox (-sandbox, elevateprivileges=deny too), root or not.
 *
 * Every QEMU qhb starts is started here: a guest's, detached, and the one
 * qhb-trace records in the foreground (qhb_vm_record).  This module uses
 * qmp and trace; it prints nothing.
 */
#ifndef QHB_VM_H
#define QHB_VM_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"
#include "err.h"
#include "trace.h"

#define QHB_VM_NAME_MAX     64
#define QHB_VM_PATH_MAX     256
#define QHB_VM_READY        "QHB-READY"      /* the demo guest's marker */
#define QHB_VM_APPEND       "console=ttyS0 panic=-1 quiet"
#define QHB_VM_QEMU         "qemu-system-x86_64"
#define QHB_VM_DEFAULT_MEM  (UINT64_C(128) << 20)
#define QHB_VM_USER         "qhb"            /* QEMU's user, run as root; */
#define QHB_VM_USER_ELSE    "nobody"         /* ... where there is none */
#define QHB_VM_GROUP        "qhb"            /* may read the RAM file */
/* What QEMU needs besides guest RAM under a memory limit: its own heap,
 * TCG's translated code and the guest RAM's page tables, measured on the
 * demo guest's boot (man/qhb-vm.1, "Limits and isolation"). */
#define QHB_VM_MEM_OVERHEAD (UINT64_C(96) << 20)

/* How to start a guest.  All zero means the defaults noted; pointers are
 * borrowed for the duration of qhb_vm_start(). */
struct qhb_vm_opts {
	const char *name;          /* letters, digits, "-", "_", "." */
	uint64_t mem;              /* bytes, a multiple of 1 MiB; 0: 128 MiB */
	int cpus;                  /* 0: 1 */
	const char *machine;       /* NULL: "q35" */
	const char *cpu_model;     /* NULL: "max" (5-level paging and all) */
	const char *kernel;        /* required */
	const char *initrd;        /* NULL: none */
	const char *append;        /* NULL: QHB_VM_APPEND */
	const char *qemu;          /* NULL: QHB_VM_QEMU, found in PATH */
	const char *const *extra;  /* nextra more QEMU arguments, appended */
	size_t nextra;
	const char *trace;         /* NULL: no tracing; else the plugin's
	                            * options, "" or a comma list of
	                            * policy=block|drop (default drop),
	                            * size=SIZE (ring bytes per slot, default
	                            * 4M), mem=on|off */
	const char *trace_plugin;  /* libqhbtrace.so, required with trace */
	int timeout_ms;            /* bound on QMP answering; 0: 60 s */
	struct qhb_cgroup_limits limits;   /* all 0: none, no group */
	const char *user;          /* run as root: QEMU's user; NULL:
	                            * QHB_VM_USER, else QHB_VM_USER_ELSE.
	                            * Refused when not root. */
};

/* A guest as found on disk (info.json) and in /proc. */
struct qhb_vm_info {
	char name[QHB_VM_NAME_MAX + 1];
	long pid;                  /* QEMU's pid; 0 if never recorded */
	int alive;                 /* 1 while that QEMU runs */
	uint64_t mem;              /* bytes */
	int cpus;
	char machine[32];
	char cpu_model[64];
	char dir[QHB_VM_PATH_MAX];
	char ram[QHB_VM_PATH_MAX];
	char qmp[QHB_VM_PATH_MAX];
	char ctl[QHB_VM_PATH_MAX];
	char serial[QHB_VM_PATH_MAX];
	char qemu_log[QHB_VM_PATH_MAX];
	char kernel[QHB_VM_PATH_MAX];
	char initrd[QHB_VM_PATH_MAX];
	char user[64];             /* who QEMU runs as */
	struct qhb_cgroup_limits limits;
	enum qhb_cgroup_kind cgroup;       /* how its group was made */
	enum qhb_cgroup_kind cgroup_fs;    /* its directories' kind, V1 or V2 */
	char cgroup_dirs[QHB_CGROUP_MAX_DIRS][256];
	int ncgroup_dirs;
	char exit[160];            /* how QEMU ended, from the exit file; ""
	                            * while it runs or when unknown */
};

/* Functions used to name things. */

/* 0 if name is a valid guest name, else -1 with e saying why. */
int qhb_vm_name_check(const char *name, struct qhb_err *e);
/* Stores the runtime directory in buf, creating it (mode 0700) when
 * missing; refuses one that is not a directory owned by us, or is open to
 * others.  0, or -1 with e set and buf unspecified. */
int qhb_vm_rundir(char *buf, size_t size, struct qhb_err *e);
/* Parses "128M", "1G", "512K", "65536B"; a bare number is MiB, as with
 * QEMU's -m.  0, or -1 with e set and *bytes unchanged. */
int qhb_vm_parse_size(const char *s, uint64_t *bytes, struct qhb_err *e);

/* Functions used to manage guests. */

/* Starts a guest and returns once its QMP socket answers, with info filled.
 * Fails if a guest of that name runs; cleans a stale one first.  Refuses,
 * before anything is made, a memory limit below mem + QHB_VM_MEM_OVERHEAD,
 * limits where no control group can be made, and a user that is root,
 * unknown, or asked for when not root.  When QEMU cannot start, e carries
 * its stderr and nothing of the guest is left: no RAM file, no directory,
 * no control group.  0, or -1 with e set. */
int qhb_vm_start(const struct qhb_vm_opts *o, struct qhb_vm_info *info,
    struct qhb_err *e);
/* Finds the guest called name.  0 with info filled (info->alive says
 * whether QEMU still runs), or -1 with e set when there is none. */
int qhb_vm_find(const char *name, struct qhb_vm_info *info,
    struct qhb_err *e);
/* Stops a guest: QMP "quit", waiting up to timeout_ms (0: 30 s), then
 * SIGTERM and SIGKILL, each for a bounded time; then removes its RAM file
 * and directory.  A stale guest is only cleaned.  Stores in *was_running
 * (may be NULL) whether QEMU ran.  0, or -1 with e set: no such guest, or
 * QEMU would not die (then its files stay). */
int qhb_vm_stop(const char *name, int timeout_ms, int *was_running,
    struct qhb_err *e);
/* Lists running guests, and those whose QEMU died and left word of how
 * (info->exit), sorted by name, into a malloc'd array the caller free()s
 * (NULL when none).  0, or -1 with e set and *list unchanged. */
int qhb_vm_list(struct qhb_vm_info **list, size_t *n, struct qhb_err *e);
/* Waits until the guest's serial log contains pattern (a plain string), up
 * to timeout_ms.  0, or -1 with e saying whether time ran out or QEMU
 * exited first. */
int qhb_vm_wait(const struct qhb_vm_info *info, const char *pattern,
    int timeout_ms, struct qhb_err *e);

/* What the guest's control group uses now (all -1 without one). */
void qhb_vm_use(const struct qhb_vm_info *info, struct qhb_cgroup_use *u);

/* Functions used to record what QEMU executes (qhb-trace -- QEMU). */

/* How to run QEMU under the plugin.  Pointers are borrowed for the
 * duration of qhb_vm_record(). */
struct qhb_vm_record_opts {
	char *const *argv;         /* QEMU-COMMAND: argc words, argv[0] found
	                            * in PATH */
	int argc;
	const char *plugin;        /* libqhbtrace.so, an absolute path */
	struct qhb_trace_ring_opts ring;
	int out_to_err;            /* QEMU's stdout goes to our stderr, as a
	                            * trace goes to our stdout */
	/* NULL, or where the caller's signal handler stores a signal's
	 * number: it is sent on to QEMU and *signal reset to 0. */
	volatile sig_atomic_t *signal;
};

/* Runs QEMU with the plugin on a fresh ring of its own (common/trace.h),
 * as our child in the foreground (it keeps our stdin, stderr, signals and
 * descriptors), and copies what it executes into w
 * (qhb_trace_record) until QEMU exits; then removes the ring.  Fills st.
 * 0, with st->closed 1 when the plugin finished, else 0 and e saying how
 * QEMU ended (then counts are missing); or -1 with e (QEMU could not run
 * or exited before loading the plugin, a malformed ring, a write error),
 * QEMU then ended and reaped. */
int qhb_vm_record(const struct qhb_vm_record_opts *o, struct qhb_writer *w,
    struct qhb_trace_stats *st, struct qhb_err *e);

#endif
