/*
 * cgroup -- the control group that holds a guest's QEMU to its limits.
 * See cgroup.h for the three ways a group is made.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#define CG_ROOT        "/sys/fs/cgroup"
#define CG2_MAGIC      0x63677270    /* CGROUP2_SUPER_MAGIC */
#define CG_SYSTEMD_RUN "/run/systemd/system"

/* The v1 controllers a group is made in; cpuacct only counts, so a host
 * without it still limits (the CPU time is then unknown). */
static const struct {
	const char *name;
	int needed;
} v1_ctl[QHB_CGROUP_MAX_DIRS] = {
	{ "cpu", 1 }, { "cpuacct", 0 }, { "memory", 1 }, { "pids", 1 },
};

/* The v1 controller a group directory belongs to ("" if none of ours):
 * the component after CG_ROOT. */
static const char *v1_name(const char *dir)
{
	size_t i, len, root = strlen(CG_ROOT "/");

	if (strncmp(dir, CG_ROOT "/", root) != 0)
		return "";
	for (i = 0; i < QHB_CGROUP_MAX_DIRS; i++) {
		len = strlen(v1_ctl[i].name);
		if (strncmp(dir + root, v1_ctl[i].name, len) == 0 &&
		    dir[root + len] == '/')
			return v1_ctl[i].name;
	}
	return "";
}

int qhb_cgroup_limited(const struct qhb_cgroup_limits *l)
{
	return l != NULL && (l->cpus > 0 || l->mem > 0 || l->pids > 0);
}

const char *qhb_cgroup_kind_name(enum qhb_cgroup_kind k)
{
	switch (k) {
	case QHB_CGROUP_SYSTEMD: return "systemd";
	case QHB_CGROUP_V2:      return "v2";
	case QHB_CGROUP_V1:      return "v1";
	default:                 return "none";
	}
}

/* 1 if dir is a cgroup2 mount, or a directory of one. */
static int is_cgroup2(const char *dir)
{
	struct statfs fs;

	return statfs(dir, &fs) == 0 && (unsigned long)fs.f_type == CG2_MAGIC;
}

/* 1 if the v1 controller ctl is mounted at CG_ROOT/ctl (a directory
 * of a v1 hierarchy, not cgroup2's). */
static int v1_has(const char *ctl)
{
	char path[128];

	snprintf(path, sizeof(path), CG_ROOT "/%s", ctl);
	if (is_cgroup2(path))
		return 0;
	snprintf(path, sizeof(path), CG_ROOT "/%s/cgroup.procs", ctl);
	return access(path, F_OK) == 0;
}

/* 1 if an executable name is in PATH. */
static int in_path(const char *name)
{
	const char *p = getenv("PATH"), *end;
	char path[4096];

	for (; p != NULL && *p != '\0'; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		if ((size_t)snprintf(path, sizeof(path), "%.*s/%s",
		    (int)(end - p), p, name) < sizeof(path) &&
		    access(path, X_OK) == 0)
			return 1;
	}
	return 0;
}

enum qhb_cgroup_kind qhb_cgroup_probe(struct qhb_err *e)
{
	char missing[64] = "";
	size_t i;

	/* systemd's own test of whether it runs the host (sd_booted): a
	 * group made behind its back could be moved or removed by it. */
	if (access(CG_SYSTEMD_RUN, F_OK) == 0 && in_path("systemd-run"))
		return QHB_CGROUP_SYSTEMD;
	if (is_cgroup2(CG_ROOT))
		return QHB_CGROUP_V2;
	for (i = 0; i < QHB_CGROUP_MAX_DIRS; i++)
		if (v1_ctl[i].needed && !v1_has(v1_ctl[i].name))
			snprintf(missing + strlen(missing), sizeof(missing) -
			    strlen(missing), "%s%s", missing[0] ? ", " : "",
			    v1_ctl[i].name);
	if (missing[0] == '\0')
		return QHB_CGROUP_V1;
	qhb_err_set(e, "no cgroup to hold the limits: systemd does not run "
	    "this host (no " CG_SYSTEMD_RUN "), " CG_ROOT " is not cgroup2, "
	    "and the cgroup v1 controller%s %s %s not mounted under " CG_ROOT,
	    strchr(missing, ',') ? "s" : "", missing,
	    strchr(missing, ',') ? "are" : "is");
	return QHB_CGROUP_NONE;
}

int qhb_cgroup_scope_argv(struct qhb_cgroup_scope *s, const char *name,
    const struct qhb_cgroup_limits *l, struct qhb_err *e)
{
	int n = 0;

	memset(s, 0, sizeof(*s));
	if ((size_t)snprintf(s->unit, sizeof(s->unit), "qhb-vm-%s", name) >=
	    sizeof(s->unit))
		return qhb_err_set(e, "guest name too long for a unit name");
	s->argv[n++] = "systemd-run";
	s->argv[n++] = "--scope";
	s->argv[n++] = "--quiet";
	/* a scope whose QEMU was killed is removed all the same */
	s->argv[n++] = "--collect";
	s->argv[n++] = "--unit";
	s->argv[n++] = s->unit;
	if (l->cpus > 0) {
		/* CPUQuota counts percent of one core */
		snprintf(s->quota, sizeof(s->quota), "CPUQuota=%g%%",
		    l->cpus * 100);
		s->argv[n++] = "-p";
		s->argv[n++] = s->quota;
	}
	if (l->mem > 0) {
		snprintf(s->mem, sizeof(s->mem), "MemoryMax=%" PRIu64, l->mem);
		s->argv[n++] = "-p";
		s->argv[n++] = s->mem;
	}
	if (l->pids > 0) {
		snprintf(s->tasks, sizeof(s->tasks), "TasksMax=%" PRIu64,
		    l->pids);
		s->argv[n++] = "-p";
		s->argv[n++] = s->tasks;
	}
	s->argv[n++] = "--";
	s->argc = n;
	return 0;
}

/* 1 if name is one of the comma-separated list's ("cpu,cpuacct"). */
static int in_list(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p;

	for (p = list; (p = strstr(p, name)) != NULL; p += len)
		if ((p == list || p[-1] == ',') && (p[len] == ',' ||
		    p[len] == '\0'))
			return 1;
	return 0;
}

int qhb_cgroup_of_pid(long pid, const char *controller, char *buf,
    size_t size)
{
	char path[64], line[1024], *c, *p;
	FILE *fp;
	int rc = -1;

	snprintf(path, sizeof(path), "/proc/%ld/cgroup", pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	while (rc < 0 && fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		/* ID:CONTROLLERS:PATH; cgroup2's is "0::PATH" */
		if ((c = strchr(line, ':')) == NULL ||
		    (p = strchr(c + 1, ':')) == NULL)
			continue;
		*p++ = '\0';
		c++;
		if (controller == NULL ? *c != '\0' : !in_list(c, controller))
			continue;
		if (controller == NULL)
			rc = snprintf(buf, size, CG_ROOT "%s", p);
		else
			rc = snprintf(buf, size, CG_ROOT "/%s%s", controller,
			    strcmp(p, "/") == 0 ? "" : p);
		rc = rc > 0 && (size_t)rc < size ? 0 : -1;
	}
	fclose(fp);
	return rc;
}

/* Writes s to dir/file.  0, or -1 with e naming the file. */
static int cg_write(const char *dir, const char *file, const char *s,
    struct qhb_err *e)
{
	char path[512];
	size_t len = strlen(s);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, s, len) != (ssize_t)len) {
		qhb_err_path(e, path);
		qhb_err_sys(e, "cannot write \"%s\"", s);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Reads the first number of dir/file after key (NULL: the file's first
 * number), or -1. */
static int64_t cg_read(const char *dir, const char *file, const char *key)
{
	char path[512], buf[4096], *p;
	ssize_t n;
	int fd;

	if (dir[0] == '\0')
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = buf;
	if (key != NULL) {
		for (p = buf; (p = strstr(p, key)) != NULL; p++)
			if ((p == buf || p[-1] == '\n') &&
			    p[strlen(key)] == ' ')
				break;
		if (p == NULL)
			return -1;
		p += strlen(key);
	}
	return strtoll(p, NULL, 10);
}

/* The limits of l into the group at dir, of kind. */
static int cg_limits(enum qhb_cgroup_kind kind, const char *dir,
    const char *ctl, const struct qhb_cgroup_limits *l, struct qhb_err *e)
{
	char v[64];
	long long quota = (long long)(l->cpus * QHB_CGROUP_PERIOD_US + 0.5);

	if (kind == QHB_CGROUP_V2) {
		if (l->cpus > 0) {
			snprintf(v, sizeof(v), "%lld %d", quota,
			    QHB_CGROUP_PERIOD_US);
			if (cg_write(dir, "cpu.max", v, e) < 0)
				return -1;
		}
		snprintf(v, sizeof(v), "%" PRIu64, l->mem);
		if (l->mem > 0 && cg_write(dir, "memory.max", v, e) < 0)
			return -1;
		snprintf(v, sizeof(v), "%" PRIu64, l->pids);
		if (l->pids > 0 && cg_write(dir, "pids.max", v, e) < 0)
			return -1;
		return 0;
	}
	if (strcmp(ctl, "cpu") == 0 && l->cpus > 0) {
		snprintf(v, sizeof(v), "%d", QHB_CGROUP_PERIOD_US);
		if (cg_write(dir, "cpu.cfs_period_us", v, e) < 0)
			return -1;
		snprintf(v, sizeof(v), "%lld", quota);
		return cg_write(dir, "cpu.cfs_quota_us", v, e);
	}
	if (strcmp(ctl, "memory") == 0 && l->mem > 0) {
		snprintf(v, sizeof(v), "%" PRIu64, l->mem);
		return cg_write(dir, "memory.limit_in_bytes", v, e);
	}
	if (strcmp(ctl, "pids") == 0 && l->pids > 0) {
		snprintf(v, sizeof(v), "%" PRIu64, l->pids);
		return cg_write(dir, "pids.max", v, e);
	}
	return 0;
}

/* 1 if the controller of g->dir[n] is mounted with one of dir[0 .. n-1]'s,
 * so that both name one hierarchy. */
static int same_hierarchy(const struct qhb_cgroup *g, int n)
{
	char a[128], b[128], *ra, *rb;
	const char *na = v1_name(g->dir[n]);
	int i, same = 0;

	snprintf(a, sizeof(a), CG_ROOT "/%s", na);
	if ((ra = realpath(a, NULL)) == NULL)
		return 0;
	for (i = 0; i < n && !same; i++) {
		snprintf(b, sizeof(b), CG_ROOT "/%s", v1_name(g->dir[i]));
		if ((rb = realpath(b, NULL)) != NULL) {
			same = strcmp(ra, rb) == 0;
			free(rb);
		}
	}
	free(ra);
	return same;
}

/* mkdir of a group; an empty leftover of the same name (its QEMU died
 * before anyone removed it) is taken over.  0, or -1 with e. */
static int cg_mkdir(const char *dir, struct qhb_err *e)
{
	if (mkdir(dir, 0755) == 0)
		return 0;
	if (errno == EEXIST && rmdir(dir) == 0 && mkdir(dir, 0755) == 0)
		return 0;
	qhb_err_path(e, dir);
	return qhb_err_sys(e, "cannot create the guest's cgroup%s",
	    errno == EACCES || errno == EPERM || errno == EROFS ?
	    " (limits need write access to the cgroup filesystem: run as "
	    "root, or under systemd)" : "");
}

int qhb_cgroup_create(struct qhb_cgroup *g, enum qhb_cgroup_kind kind,
    const char *name, const struct qhb_cgroup_limits *l, struct qhb_err *e)
{
	char parent[256], path[300];
	int i, n = 0;

	memset(g, 0, sizeof(*g));
	g->kind = kind;
	for (i = 0; i < QHB_CGROUP_MAX_DIRS; i++)
		g->procs[i] = -1;
	if (kind == QHB_CGROUP_V2) {
		/* Under the root: a group with processes may not also give
		 * its controllers to children (cgroup2's "no internal
		 * processes"), and ours holds us. */
		if (cg_write(CG_ROOT, "cgroup.subtree_control",
		    "+cpu +memory +pids", e) < 0)
			return -1;
		snprintf(g->dir[0], sizeof(g->dir[0]), CG_ROOT "/qhb-vm-%s",
		    name);
		n = 1;
	} else if (kind == QHB_CGROUP_V1) {
		/* Under the caller's own group of each controller, so that
		 * limits set above it still hold. */
		for (i = 0; i < QHB_CGROUP_MAX_DIRS; i++) {
			if (!v1_has(v1_ctl[i].name))
				continue;
			if (qhb_cgroup_of_pid((long)getpid(), v1_ctl[i].name,
			    parent, sizeof(parent)) < 0)
				snprintf(parent, sizeof(parent), CG_ROOT "/%s",
				    v1_ctl[i].name);
			if ((size_t)snprintf(g->dir[n], sizeof(g->dir[n]),
			    "%s/qhb-vm-%s", parent, name) >= sizeof(g->dir[n]))
				return qhb_err_set(e, "cgroup path too long");
			/* co-mounted controllers (cpu,cpuacct) share one
			 * hierarchy: one group there, made once */
			if (!same_hierarchy(g, n))
				n++;
		}
	} else {
		return qhb_err_set(e, "no cgroup kind to make");
	}
	for (i = n; i < QHB_CGROUP_MAX_DIRS; i++)
		g->dir[i][0] = '\0';
	for (i = 0; i < n; i++) {
		if (cg_mkdir(g->dir[i], e) < 0)
			goto fail;
		g->ndirs = i + 1;
		if (cg_limits(kind, g->dir[i], v1_name(g->dir[i]), l, e) < 0)
			goto fail;
		snprintf(path, sizeof(path), "%s/cgroup.procs", g->dir[i]);
		if ((g->procs[i] = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
			qhb_err_path(e, path);
			qhb_err_sys(e, "open");
			goto fail;
		}
	}
	return 0;
fail:
	qhb_cgroup_close(g);
	qhb_cgroup_remove(g->dir, g->ndirs, NULL);
	g->ndirs = 0;
	return -1;
}

int qhb_cgroup_enter(const struct qhb_cgroup *g)
{
	int i;

	/* "0" is the writer itself, in v1 and v2 alike */
	for (i = 0; i < g->ndirs; i++)
		if (g->procs[i] >= 0 && write(g->procs[i], "0", 1) != 1)
			return -1;
	return 0;
}

void qhb_cgroup_close(struct qhb_cgroup *g)
{
	int i;

	for (i = 0; i < QHB_CGROUP_MAX_DIRS; i++) {
		if (g->procs[i] >= 0)
			close(g->procs[i]);
		g->procs[i] = -1;
	}
}

int qhb_cgroup_remove(const char dirs[][256], int n, struct qhb_err *e)
{
	struct timespec ts = { 0, 20 * 1000000 };
	int i, tries, rc = 0;

	for (i = 0; i < n; i++) {
		if (dirs[i][0] == '\0')
			continue;
		/* a killed QEMU's threads leave the group a moment after
		 * the process is reaped */
		for (tries = 0; rmdir(dirs[i]) < 0 && errno == EBUSY &&
		    tries < 50; tries++)
			nanosleep(&ts, NULL);
		if (access(dirs[i], F_OK) == 0) {
			qhb_err_path(e, dirs[i]);
			rc = qhb_err_sys(e, "cannot remove the guest's cgroup");
		}
	}
	return rc;
}

void qhb_cgroup_use(enum qhb_cgroup_kind kind, const char dirs[][256], int n,
    struct qhb_cgroup_use *u)
{
	int64_t v;
	int i;

	u->cpu_ns = u->mem = u->pids = u->oom_kills = -1;
	if (kind == QHB_CGROUP_V2 && n > 0) {
		if ((v = cg_read(dirs[0], "cpu.stat", "usage_usec")) >= 0)
			u->cpu_ns = v * 1000;
		u->mem = cg_read(dirs[0], "memory.current", NULL);
		u->pids = cg_read(dirs[0], "pids.current", NULL);
		u->oom_kills = cg_read(dirs[0], "memory.events", "oom_kill");
		return;
	}
	for (i = 0; i < n; i++) {
		const char *c = v1_name(dirs[i]);

		/* cpuacct, on its own or mounted with cpu */
		if ((strcmp(c, "cpuacct") == 0 || strcmp(c, "cpu") == 0) &&
		    u->cpu_ns < 0)
			u->cpu_ns = cg_read(dirs[i], "cpuacct.usage", NULL);
		else if (strcmp(c, "memory") == 0) {
			u->mem = cg_read(dirs[i], "memory.usage_in_bytes", NULL);
			u->oom_kills = cg_read(dirs[i], "memory.oom_control",
			    "oom_kill");
		} else if (strcmp(c, "pids") == 0)
			u->pids = cg_read(dirs[i], "pids.current", NULL);
	}
}
