/*
 * cgroup -- the control group that holds a guest's QEMU to its limits.
 *
 * A guest started with a CPU, memory or task limit runs, with every thread
 * it starts, in a group of its own, qhb-vm-NAME, made one of three ways:
 *
 *   systemd     when systemd manages the host's cgroups (/run/systemd/system
 *               exists): QEMU is run through systemd-run --scope, with
 *               CPUQuota, MemoryMax and TasksMax; the scope goes with QEMU
 *   v2          /sys/fs/cgroup is cgroup2: qhb-vm-NAME under its root, with
 *               cpu.max, memory.max and pids.max
 *   v1          the cpu, memory and pids controllers are mounted under
 *               /sys/fs/cgroup/NAME: qhb-vm-NAME in each, under the group
 *               the caller is in, with cpu.cfs_quota_us and cfs_period_us,
 *               memory.limit_in_bytes and pids.max (and cpuacct, when
 *               mounted, for the CPU time used)
 *
 * Where none can be made the limit is refused, never dropped.  The group's
 * directories are recorded by the caller (vm keeps them in info.json) so
 * that whoever stops the guest removes them, and its use is read back from
 * them.  This module prints nothing.
 */
#ifndef QHB_CGROUP_H
#define QHB_CGROUP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define QHB_CGROUP_PERIOD_US 100000   /* the CPU quota's period */
#define QHB_CGROUP_MAX_DIRS  4        /* v1: cpu, cpuacct, memory, pids */

/* Limits; 0 is none. */
struct qhb_cgroup_limits {
	double cpus;               /* cores, may be fractional: 0.5 */
	uint64_t mem;              /* bytes */
	uint64_t pids;             /* tasks (threads) */
};

enum qhb_cgroup_kind {
	QHB_CGROUP_NONE,
	QHB_CGROUP_SYSTEMD,
	QHB_CGROUP_V2,
	QHB_CGROUP_V1,
};

/* A made group.  dir[i] are its directories ("" past ndirs); procs[i] the
 * cgroup.procs files, open for writing, that qhb_cgroup_enter writes. */
struct qhb_cgroup {
	enum qhb_cgroup_kind kind;
	char dir[QHB_CGROUP_MAX_DIRS][256];
	int procs[QHB_CGROUP_MAX_DIRS];
	int ndirs;
};

/* systemd-run's part of a command line: argv[0 .. argc-1] go before
 * QEMU's words, and strings they point into live here. */
struct qhb_cgroup_scope {
	char unit[96];
	char quota[48], mem[48], tasks[48];
	const char *argv[16];
	int argc;
};

/* What a group uses now; -1 where it could not be read. */
struct qhb_cgroup_use {
	int64_t cpu_ns;            /* CPU time used by all its tasks */
	int64_t mem;               /* bytes charged now */
	int64_t pids;              /* tasks now */
	int64_t oom_kills;         /* tasks the OOM killer ended in it */
};

/* Functions used to choose and build. */

/* 1 if any limit in l is set. */
int qhb_cgroup_limited(const struct qhb_cgroup_limits *l);
/* The way this host's groups are made: kind, or QHB_CGROUP_NONE with e
 * saying what is missing.  Reads only. */
enum qhb_cgroup_kind qhb_cgroup_probe(struct qhb_err *e);
/* The name of a kind: "systemd", "v2", "v1", "none". */
const char *qhb_cgroup_kind_name(enum qhb_cgroup_kind k);
/* Fills s with "systemd-run --scope --quiet --collect --unit qhb-vm-NAME
 * -p CPUQuota=P% -p MemoryMax=B -p TasksMax=N --" (the properties of the
 * limits set).  0, or -1 with e when name is too long. */
int qhb_cgroup_scope_argv(struct qhb_cgroup_scope *s, const char *name,
    const struct qhb_cgroup_limits *l, struct qhb_err *e);

/* Functions used on a directly made group (v1, v2). */

/* Makes qhb-vm-NAME of kind (V1 or V2) with the limits l written, a
 * leftover empty group of that name replaced, and its cgroup.procs files
 * opened.  0, or -1 with e naming the file that could not be made or
 * written and nothing left. */
int qhb_cgroup_create(struct qhb_cgroup *g, enum qhb_cgroup_kind kind,
    const char *name, const struct qhb_cgroup_limits *l, struct qhb_err *e);
/* Moves the calling process into g: for a child between fork and exec,
 * so it only writes to the open files.  0, or -1 (errno set). */
int qhb_cgroup_enter(const struct qhb_cgroup *g);
/* Closes g's cgroup.procs files; the group stays. */
void qhb_cgroup_close(struct qhb_cgroup *g);
/* Removes the directories dirs[0 .. n-1] (empty strings skipped), each
 * once its last task is gone, waiting up to a second for one that is
 * still emptying.  0, or -1 with e naming one that stayed. */
int qhb_cgroup_remove(const char dirs[][256], int n, struct qhb_err *e);
/* The directory of pid's group of controller ("memory", "cpu", ...; NULL
 * for cgroup2) as the process's /proc/PID/cgroup names it, into buf.
 * 0, or -1. */
int qhb_cgroup_of_pid(long pid, const char *controller, char *buf,
    size_t size);
/* Reads what the group in dirs uses (of kind V1 or V2). */
void qhb_cgroup_use(enum qhb_cgroup_kind kind, const char dirs[][256], int n,
    struct qhb_cgroup_use *u);

#endif
