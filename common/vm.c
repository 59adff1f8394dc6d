/*
 * vm -- the guest manager behind qhb-vm.  See vm.h for the files a guest
 * owns.  Starts, stops and cleaning hold an flock on the runtime directory,
 * so that two qhb-vm runs never build or tear down the same guest at once.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE    /* close_range, memmem, pipe2 */
#endif
#include "vm.h"

#include <ctype.h>
#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "parse.h"
#include "qmp.h"
#include "ring.h"
#include "trace.h"

#define VM_QMP_TIMEOUT_MS    60000   /* start: QMP must answer by then */
#define VM_STOP_TIMEOUT_MS   30000   /* stop: "quit" must end QEMU by then */
#define VM_SIGNAL_WAIT_MS    5000    /* after SIGTERM, after SIGKILL */
#define VM_LOCK_WAIT_MS      60000
#define VM_SHM_DIR           "/dev/shm"
#define VM_EXIT_WAIT_MS      3000    /* for the watcher's word on a death */
/* QEMU's seccomp sandbox: no obsolete calls, no new processes, no
 * scheduling or affinity changes, and no set*uid.  The whole of it always:
 * QEMU starts as its user (vm_child_drop), never needing to change user. */
#define VM_SANDBOX           "on,obsolete=deny,elevateprivileges=deny," \
                             "spawn=deny,resourcecontrol=deny"
#define VM_SERIAL_FDSET      "1"     /* -add-fd's set for the serial log */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Opens path, one of a guest's runtime files (or /proc's), for reading,
 * only when it is a regular file: a FIFO put in its place would block
 * open() and a device (/dev/zero) never end.  Returns the descriptor, in
 * blocking mode, or -1 with errno set (EINVAL: not a regular file). */
static int open_regular(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* Reads up to size-1 bytes of path into buf, NUL-terminated.  Returns the
 * count, or -1 with errno set. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	ssize_t n, got = 0;
	int fd;

	fd = open_regular(path);
	if (fd < 0)
		return -1;
	while ((size_t)got < size - 1) {
		n = read(fd, buf + got, size - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

/* 1 if pid is a live (not zombie) process whose command line names the
 * guest's QMP socket or RAM file, which tells our QEMU from a process that
 * reused its pid.  QEMU is handed its QMP sockets as descriptors, but opens
 * its RAM file by name. */
static int pid_is_guest(long pid, const struct qhb_vm_info *info)
{
	static char cmdline[65536];
	char path[64], stat[512], *p;
	ssize_t n;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (read_small(path, stat, sizeof(stat)) <= 0)
		return 0;
	p = strrchr(stat, ')');
	if (p == NULL || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	n = read_small(path, cmdline, sizeof(cmdline));
	if (n <= 0)
		return 0;
	return memmem(cmdline, (size_t)n, info->qmp, strlen(info->qmp)) !=
	    NULL || memmem(cmdline, (size_t)n, info->ram, strlen(info->ram)) !=
	    NULL;
}

/* Reaps pid if it is our child, and waits up to ms for it to be gone. */
static int wait_gone(long pid, const struct qhb_vm_info *info, int ms)
{
	int64_t deadline = now_ms() + ms;

	for (;;) {
		waitpid((pid_t)pid, NULL, WNOHANG);
		if (!pid_is_guest(pid, info))
			return 1;
		if (now_ms() >= deadline)
			return 0;
		sleep_ms(20);
	}
}

/* The last line(s) of a log, on one line, into buf (empty if none). */
static void log_tail(const char *path, char *buf, size_t size)
{
	char tail[400], *p;
	off_t len;
	ssize_t n = 0;
	int fd;

	buf[0] = '\0';
	fd = open_regular(path);
	if (fd < 0)
		return;
	len = lseek(fd, 0, SEEK_END);
	if (len > 0 && lseek(fd, len > (off_t)sizeof(tail) - 1 ?
	    len - (off_t)sizeof(tail) + 1 : 0, SEEK_SET) >= 0)
		n = read(fd, tail, sizeof(tail) - 1);
	close(fd);
	if (n <= 0)
		return;
	tail[n] = '\0';
	while (n > 0 && isspace((unsigned char)tail[n - 1]))
		tail[--n] = '\0';
	for (p = tail; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	snprintf(buf, size, "%s", tail);
}

/* Removes everything in dir, then dir.  Errors are ignored: a half-removed
 * directory is stale and the next start cleans it. */
static void remove_dir(const char *dir)
{
	char path[QHB_VM_PATH_MAX + 300];
	struct dirent *d;
	DIR *dp;

	dp = opendir(dir);
	if (dp != NULL) {
		while ((d = readdir(dp)) != NULL) {
			if (strcmp(d->d_name, ".") == 0 ||
			    strcmp(d->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
			unlink(path);
		}
		closedir(dp);
	}
	rmdir(dir);
}

/* Copies s into dst for a QEMU option value: commas doubled. */
static int qemu_escape(char *dst, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (n + 3 > size)
			return -1;
		if (*s == ',')
			dst[n++] = ',';
		dst[n++] = *s;
	}
	dst[n] = '\0';
	return 0;
}

int qhb_vm_name_check(const char *name, struct qhb_err *e)
{
	const char *p;

	if (name == NULL || *name == '\0')
		return qhb_err_set(e, "empty guest name");
	if (strlen(name) > QHB_VM_NAME_MAX)
		return qhb_err_set(e, "guest name longer than %d characters",
		    QHB_VM_NAME_MAX);
	if (name[0] == '.' || name[0] == '-')
		return qhb_err_set(e, "invalid guest name \"%s\": must not "
		    "start with \"%c\"", name, name[0]);
	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			return qhb_err_set(e, "invalid guest name \"%s\": only "
			    "letters, digits, \"-\", \"_\" and \".\" are allowed",
			    name);
	return 0;
}

int qhb_vm_rundir(char *buf, size_t size, struct qhb_err *e)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	int n;

	if (xdg != NULL && xdg[0] == '/' && access(xdg, W_OK | X_OK) == 0)
		n = snprintf(buf, size, "%s/qhb", xdg);
	else
		n = snprintf(buf, size, "/tmp/qhb-%ld", (long)geteuid());
	if (n < 0 || (size_t)n >= size)
		return qhb_err_set(e, "runtime directory path too long");
	if (mkdir(buf, 0700) < 0 && errno != EEXIST) {
		qhb_err_path(e, buf);
		return qhb_err_sys(e, "cannot create the runtime directory");
	}
	if (lstat(buf, &st) < 0) {
		qhb_err_path(e, buf);
		return qhb_err_sys(e, "lstat");
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		qhb_err_path(e, buf);
		return qhb_err_set(e, "expected a directory owned by uid %ld "
		    "with mode 0700, found %s owned by uid %ld, mode %04o; "
		    "remove it", (long)geteuid(), S_ISDIR(st.st_mode) ?
		    "a directory" : "something else", (long)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
	}
	return 0;
}

int qhb_vm_parse_size(const char *s, uint64_t *bytes, struct qhb_err *e)
{
	uint64_t mib;

	/* As QEMU's -m: a plain number counts MiB. */
	if (s[0] != '\0' && strspn(s, "0123456789") == strlen(s)) {
		if (qhb_parse_uint(s, 1, UINT64_MAX >> 20, &mib, NULL, e))
			return -1;
		*bytes = mib << 20;
		return 0;
	}
	if (qhb_parse_size(s, bytes, NULL, e))
		return -1;
	if (*bytes == 0)
		return qhb_err_set(e, "'%s': a guest needs some memory", s);
	return 0;
}

/* Fills the name and every path of info; the rest is zeroed. */
static int vm_paths(const char *name, struct qhb_vm_info *info,
    struct qhb_err *e)
{
	char dir[QHB_VM_PATH_MAX];
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path);
	int n;

	memset(info, 0, sizeof(*info));
	if (qhb_vm_name_check(name, e) < 0)
		return -1;
	if (qhb_vm_rundir(dir, sizeof(dir), e) < 0)
		return -1;
	snprintf(info->name, sizeof(info->name), "%s", name);
	n = snprintf(info->dir, sizeof(info->dir), "%s/%s", dir, name);
	if (n < 0 || (size_t)n + sizeof("/serial.log") > max) {
		qhb_err_path(e, dir);
		return qhb_err_set(e, "runtime directory too long for a Unix "
		    "socket path (%zu bytes); set XDG_RUNTIME_DIR to a shorter "
		    "directory", max - 1);
	}
	/* info->dir is short enough (checked above) for these to fit. */
	if (snprintf(info->qmp, sizeof(info->qmp), "%s/qmp.sock",
	    info->dir) < 0 ||
	    snprintf(info->ctl, sizeof(info->ctl), "%s/ctl.sock",
	    info->dir) < 0 ||
	    snprintf(info->serial, sizeof(info->serial), "%s/serial.log",
	    info->dir) < 0 ||
	    snprintf(info->qemu_log, sizeof(info->qemu_log), "%s/qemu.log",
	    info->dir) < 0)
		return qhb_err_sys(e, "snprintf");
	snprintf(info->ram, sizeof(info->ram), VM_SHM_DIR "/qhb-%ld-%s.ram",
	    (long)geteuid(), name);
	return 0;
}

/* Takes the runtime directory's lock.  Returns its fd (the caller closes it
 * to unlock), or -1 with e set. */
static int vm_lock(struct qhb_err *e)
{
	char dir[QHB_VM_PATH_MAX];
	int64_t deadline = now_ms() + VM_LOCK_WAIT_MS;
	int fd;

	if (qhb_vm_rundir(dir, sizeof(dir), e) < 0)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		qhb_err_path(e, dir);
		return qhb_err_sys(e, "open");
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			qhb_err_path(e, dir);
			qhb_err_sys(e, "flock");
			close(fd);
			return -1;
		}
		if (now_ms() >= deadline) {
			qhb_err_path(e, dir);
			qhb_err_set(e, "another qhb-vm held the lock for %d s",
			    VM_LOCK_WAIT_MS / 1000);
			close(fd);
			return -1;
		}
		sleep_ms(50);
	}
	return fd;
}

/* The limits, user and control group of info.json j into info. */
static void vm_read_isolation(struct qhb_vm_info *info, json_t *j)
{
	json_t *l = json_object_get(j, "limits"), *d;
	const char *s;
	size_t i;

	info->limits.cpus = json_number_value(json_object_get(l, "cpus"));
	info->limits.mem = (uint64_t)json_integer_value(json_object_get(l,
	    "mem"));
	info->limits.pids = (uint64_t)json_integer_value(json_object_get(l,
	    "pids"));
	if ((s = json_string_value(json_object_get(j, "user"))))
		snprintf(info->user, sizeof(info->user), "%s", s);
	info->cgroup = (enum qhb_cgroup_kind)json_integer_value(
	    json_object_get(j, "cgroup"));
	info->cgroup_fs = (enum qhb_cgroup_kind)json_integer_value(
	    json_object_get(j, "cgroup_fs"));
	json_array_foreach(json_object_get(j, "cgroup_dirs"), i, d) {
		if (i >= QHB_CGROUP_MAX_DIRS || !json_is_string(d))
			break;
		snprintf(info->cgroup_dirs[i], sizeof(info->cgroup_dirs[i]),
		    "%s", json_string_value(d));
		info->ncgroup_dirs = (int)i + 1;
	}
}

/* Reads info.json (else the pid file) into info, whose paths are set, and
 * sets info->alive. */
static void vm_read_state(struct qhb_vm_info *info)
{
	char path[QHB_VM_PATH_MAX + 16], buf[64];
	const char *s;
	json_t *j;

	snprintf(path, sizeof(path), "%s/info.json", info->dir);
	j = json_load_file(path, 0, NULL);
	if (json_is_object(j)) {
		info->pid = (long)json_integer_value(json_object_get(j, "pid"));
		info->mem = (uint64_t)json_integer_value(json_object_get(j,
		    "mem"));
		info->cpus = (int)json_integer_value(json_object_get(j,
		    "cpus"));
		if ((s = json_string_value(json_object_get(j, "machine"))))
			snprintf(info->machine, sizeof(info->machine), "%s", s);
		if ((s = json_string_value(json_object_get(j, "cpu"))))
			snprintf(info->cpu_model, sizeof(info->cpu_model), "%s", s);
		if ((s = json_string_value(json_object_get(j, "kernel"))))
			snprintf(info->kernel, sizeof(info->kernel), "%s", s);
		if ((s = json_string_value(json_object_get(j, "initrd"))))
			snprintf(info->initrd, sizeof(info->initrd), "%s", s);
		vm_read_isolation(info, j);
	}
	json_decref(j);
	snprintf(path, sizeof(path), "%s/exit", info->dir);
	if (read_small(path, info->exit, sizeof(info->exit)) > 0)
		info->exit[strcspn(info->exit, "\n")] = '\0';
	if (info->pid == 0) {
		snprintf(path, sizeof(path), "%s/pid", info->dir);
		if (read_small(path, buf, sizeof(buf)) > 0)
			info->pid = strtol(buf, NULL, 10);
	}
	info->alive = pid_is_guest(info->pid, info);
}

/* Removes the guest's RAM file and directory. */
static void vm_clean(const struct qhb_vm_info *info)
{
	char trace[QHB_VM_PATH_MAX];

	unlink(info->ram);
	if (qhb_trace_ring_path(info->name, trace, sizeof(trace), NULL) == 0)
		unlink(trace);
	if (info->cgroup == QHB_CGROUP_V1 || info->cgroup == QHB_CGROUP_V2)
		qhb_cgroup_remove(info->cgroup_dirs,
		    info->ncgroup_dirs, NULL);
	remove_dir(info->dir);
}

/* Makes the trace ring for opts (see struct qhb_vm_opts) and fills arg
 * with the -plugin argument that loads libqhbtrace on it.  0, or -1 with
 * e and no ring left. */
static int vm_make_trace(const struct qhb_vm_opts *o, const char *plugin,
    const char *name, char *arg, size_t size, struct qhb_err *e)
{
	struct qhb_trace_ring_opts ro = { .policy = QHB_RING_DROP };
	char opts[256], *tok, *save = NULL;
	struct qhb_err se = { 0 };
	struct qhb_ring r;

	if (o->trace_plugin == NULL)
		return qhb_err_set(e, "--trace: no plugin (libqhbtrace.so) found");
	if (strlen(o->trace) >= sizeof(opts))
		return qhb_err_set(e, "--trace: options too long");
	snprintf(opts, sizeof(opts), "%s", o->trace);
	for (tok = strtok_r(opts, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "policy=block") == 0)
			ro.policy = QHB_RING_BLOCK;
		else if (strcmp(tok, "policy=drop") == 0)
			ro.policy = QHB_RING_DROP;
		else if (strcmp(tok, "mem=on") == 0)
			ro.mem = 1;
		else if (strcmp(tok, "mem=off") == 0)
			ro.mem = 0;
		else if (strncmp(tok, "size=", 5) == 0) {
			if (qhb_trace_slot_size(tok + 5, &ro.slot_size, &se) < 0)
				return qhb_err_set(e, "--trace: size: %s", se.msg);
		} else
			return qhb_err_set(e, "--trace: expected policy=block|"
			    "drop, size=SIZE or mem=on|off, got \"%s\"", tok);
	}
	if (qhb_trace_ring_create(&r, name, plugin, &ro, arg, size, e) < 0)
		return -1;
	qhb_ring_close(&r, 0);
	return 0;
}

static int vm_write_info(const struct qhb_vm_info *info, const char *append,
    struct qhb_err *e)
{
	char path[QHB_VM_PATH_MAX + 16], tmp[QHB_VM_PATH_MAX + 16];
	json_t *j, *dirs = json_array();
	FILE *fp;
	int rc, i;

	snprintf(path, sizeof(path), "%s/pid", info->dir);
	fp = fopen(path, "we");
	if (fp == NULL || fprintf(fp, "%ld\n", info->pid) < 0 ||
	    fclose(fp) != 0) {
		json_decref(dirs);
		qhb_err_path(e, path);
		return qhb_err_sys(e, "write");
	}
	for (i = 0; i < info->ncgroup_dirs; i++)
		json_array_append_new(dirs, json_string(info->cgroup_dirs[i]));
	j = json_pack("{s:s, s:I, s:I, s:i, s:s, s:s, s:s, s:s, s:s, s:s,"
	    " s:s, s:s, s:s, s:s, s:I, s:s, s:{s:f, s:I, s:I}, s:i, s:i,"
	    " s:o}",
	    "name", info->name, "pid", (json_int_t)info->pid,
	    "mem", (json_int_t)info->mem, "cpus", info->cpus,
	    "machine", info->machine, "cpu", info->cpu_model,
	    "ram", info->ram, "qmp", info->qmp,
	    "ctl", info->ctl, "serial", info->serial,
	    "qemu_log", info->qemu_log, "kernel", info->kernel,
	    "initrd", info->initrd, "append", append,
	    "started", (json_int_t)time(NULL), "user", info->user,
	    "limits", "cpus", info->limits.cpus,
	    "mem", (json_int_t)info->limits.mem,
	    "pids", (json_int_t)info->limits.pids,
	    "cgroup", (int)info->cgroup, "cgroup_fs", (int)info->cgroup_fs,
	    "cgroup_dirs", dirs);
	if (j == NULL)
		return qhb_err_set(e, "cannot encode info.json");
	snprintf(path, sizeof(path), "%s/info.json", info->dir);
	snprintf(tmp, sizeof(tmp), "%s/info.json.new", info->dir);
	rc = json_dump_file(j, tmp, JSON_INDENT(2));
	json_decref(j);
	if (rc < 0 || rename(tmp, path) < 0) {
		qhb_err_path(e, path);
		return qhb_err_sys(e, "write");
	}
	return 0;
}

/* Creates the RAM file, size bytes of zeros, mode 0600.  A leftover file of
 * ours (its guest is known not to run) is replaced; root's names are
 * root's, whoever its QEMU left the file to. */
static int vm_make_ram(const char *path, uint64_t size, struct qhb_err *e)
{
	struct statvfs vfs;
	struct stat st;
	int fd, tries;

	if (statvfs(VM_SHM_DIR, &vfs) == 0 &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize < size) {
		qhb_err_path(e, path);
		return qhb_err_set(e, "%" PRIu64 " MiB of guest RAM do not fit "
		    "in " VM_SHM_DIR " (%" PRIu64 " MiB free)", size >> 20,
		    ((uint64_t)vfs.f_bavail * vfs.f_frsize) >> 20);
	}
	for (tries = 0;; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
		if (fd >= 0)
			break;
		qhb_err_path(e, path);
		if (errno != EEXIST || tries > 0)
			return qhb_err_sys(e, "create");
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
		    (st.st_uid != geteuid() && geteuid() != 0))
			return qhb_err_set(e, "exists and is not a RAM file of "
			    "ours; remove it");
		unlink(path);
		qhb_err_clear(e);
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		qhb_err_path(e, path);
		qhb_err_sys(e, "ftruncate to %" PRIu64 " bytes", size);
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

/* The least guest RAM an x86 bzImage can unpack in: where it loads plus
 * its init_size (boot protocol 2.10+).  0 when path is no such kernel. */
static uint64_t kernel_min_mem(const char *path)
{
	unsigned char h[0x268];
	uint64_t pref = 0;
	uint32_t init = 0;
	ssize_t n;
	int fd, i;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (n != (ssize_t)sizeof(h) || memcmp(h + 0x202, "HdrS", 4) != 0 ||
	    (h[0x206] | h[0x207] << 8) < 0x020a)
		return 0;
	for (i = 7; i >= 0; i--)
		pref = pref << 8 | h[0x258 + i];
	for (i = 3; i >= 0; i--)
		init = init << 8 | h[0x260 + i];
	return pref + init;
}

/* What a spawn tells its caller through the close-on-exec pipe: QEMU's
 * pid once it runs (a guest's, from its watcher), or why it could not. */
struct vm_spawned {
	long pid;
	int err;                   /* errno; 0 when it runs */
};

/* What a guest's watcher cleans after QEMU: the guest as it was started,
 * and the group QEMU joins (NULL: none made here); and what QEMU is handed:
 * the user it runs as (other: 1 when not us; drop: 1 when QEMU's child
 * changes to it, 0 when it is us or systemd-run changes) and the
 * descriptors opened for it (vm_open_fds, vm_open_boot; -1: none). */
struct vm_watch {
	const struct qhb_vm_info *info;
	const struct qhb_cgroup *cg;
	int other, drop;
	uid_t uid;
	gid_t gid;
	const int *fds;
	int nfds;
};

/* In QEMU's child, as root, last before exec: becomes w's user, its
 * groups only its own, for good, so that QEMU never runs as root and
 * needs no set*uid under its sandbox.  0, or -1 with errno set. */
static int vm_child_drop(const struct vm_watch *w)
{
	if (!w->drop)
		return 0;
	if (setgroups(1, &w->gid) < 0 || setgid(w->gid) < 0 ||
	    setuid(w->uid) < 0)
		return -1;
	/* a setuid that left a way back to root must not go unnoticed */
	if (setuid(0) == 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* In a guest's QEMU between fork and exec: a session of its own, default
 * signals, stdin /dev/null, stdout and stderr to logpath, no descriptor of
 * ours but those opened for it, in its control group, as its user.  0, or
 * -1 with errno set. */
static int vm_child_detach(const char *logpath, const struct vm_watch *w)
{
	sigset_t all;
	int null, fd, i;

	setsid();
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	null = open("/dev/null", O_RDONLY);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (null < 0 || fd < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 ||
	    dup2(fd, 2) < 0)
		return -1;
	/* Inherited descriptors must not stay open in QEMU. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		for (fd = 3; fd < 1024; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	for (i = 0; i < w->nfds; i++)
		if (w->fds[i] >= 0 && fcntl(w->fds[i], F_SETFD, 0) < 0)
			return -1;
	/* before exec, so that every thread QEMU starts is held too; and
	 * as root still, who may write the group's cgroup.procs */
	if (w->cg != NULL && qhb_cgroup_enter(w->cg) < 0)
		return -1;
	return vm_child_drop(w);
}

/* Writes the whole of m to fd; what fails, the reader sees as EOF. */
static void vm_tell(int fd, const struct vm_spawned *m)
{
	ssize_t n;

	do
		n = write(fd, m, sizeof(*m));
	while (n < 0 && errno == EINTR);
}

/* In a child: runs argv if ready, else (or when exec fails) tells fd the
 * errno.  Never returns. */
static __attribute__((noreturn)) void vm_exec(char *const argv[], int ready,
    int fd)
{
	struct vm_spawned m = { 0, 0 };

	if (ready)
		execvp(argv[0], argv);
	m.err = errno;
	vm_tell(fd, &m);
	_exit(127);
}

/* Reads what a child told through fd into m, then closes fd.  Returns
 * the bytes read: 0 when exec closed the pipe unsaid. */
static ssize_t vm_hear(int fd, struct vm_spawned *m)
{
	ssize_t n;

	do
		n = read(fd, m, sizeof(*m));
	while (n < 0 && errno == EINTR);
	close(fd);
	return n;
}

/* The watcher, once QEMU (pid q) ended with status: under the lock, and
 * only if the guest is still that QEMU's (stop, or a new start, may have
 * cleaned it meanwhile), says how it ended in the exit file and removes
 * what holds memory: the RAM file, the trace ring, the control group. */
static void vm_watch_end(const struct vm_watch *w, pid_t q, int status)
{
	const struct qhb_vm_info *info = w->info;
	char path[QHB_VM_PATH_MAX + 16], buf[64], why[160];
	struct qhb_cgroup_use u;
	int lockfd = vm_lock(NULL), fd;

	snprintf(path, sizeof(path), "%s/pid", info->dir);
	if (read_small(path, buf, sizeof(buf)) <= 0 ||
	    strtol(buf, NULL, 10) != (long)q)
		goto out;
	qhb_cgroup_use(info->cgroup_fs, info->cgroup_dirs, info->ncgroup_dirs,
	    &u);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
	    u.oom_kills > 0)
		snprintf(why, sizeof(why), "killed by the OOM killer at its "
		    "memory limit (%" PRIu64 " MiB)", info->limits.mem >> 20);
	else if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "killed by signal %d",
		    WTERMSIG(status));
	else
		snprintf(why, sizeof(why), "exited with status %d",
		    WEXITSTATUS(status));
	snprintf(path, sizeof(path), "%s/exit", info->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, why, strlen(why)) < 0 || write(fd, "\n", 1) < 0)
			unlink(path);
		close(fd);
	}
	unlink(info->ram);
	if (qhb_trace_ring_path(info->name, path, sizeof(path), NULL) == 0)
		unlink(path);
	if (w->cg != NULL)
		qhb_cgroup_remove(info->cgroup_dirs, info->ncgroup_dirs, NULL);
out:
	if (lockfd >= 0)
		close(lockfd);
}

/* The watcher: the child of vm_spawn for a guest.  Starts QEMU as its own
 * child, tells the caller its pid (or why it could not run) through out,
 * lets go of everything of the caller's (the lock, its stdout: a pipe
 * must not wait on us), and waits for QEMU to end.  Never returns. */
static __attribute__((noreturn)) void vm_watch(char *const argv[],
    const char *logpath, const struct vm_watch *w, int out)
{
	struct vm_spawned m = { 0, 0 };
	int xfd[2], status, null;
	ssize_t n;
	pid_t q;

	setsid();
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(xfd, O_CLOEXEC) < 0 || (q = fork()) < 0) {
		m.err = errno;
		vm_tell(out, &m);
		_exit(127);
	}
	if (q == 0)
		vm_exec(argv, vm_child_detach(logpath, w) == 0, xfd[1]);
	close(xfd[1]);
	if ((n = vm_hear(xfd[0], &m)) == (ssize_t)sizeof(m)) {
		while (waitpid(q, NULL, 0) < 0 && errno == EINTR)
			;
		vm_tell(out, &m);
		_exit(127);
	}
	m.pid = (long)q;
	vm_tell(out, &m);
	if (close_range(0, ~0U, 0) < 0)
		for (n = 0; n < 1024; n++)
			close((int)n);
	null = open("/dev/null", O_RDWR);
	if (null == 0) {
		dup2(0, 1);
		dup2(0, 2);
	}
	while (waitpid(q, &status, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	vm_watch_end(w, q, status);
	_exit(0);
}

/* Every QEMU qhb starts, it starts here.  Forks and runs argv[0] (found
 * in PATH) with argv.  With w, a guest: QEMU is the child of a watcher
 * (vm_watch), detached (vm_child_detach), its output to logpath.
 * Without, qhb-trace's QEMU: our child in the foreground, with our stdin,
 * stderr, signals and descriptors (a user may hand QEMU some), and our
 * stdout unless out_to_err, when a trace goes there.  Returns QEMU's pid,
 * or -1 with e set (also when exec fails: the child reports errno through
 * a close-on-exec pipe). */
static long vm_spawn(char *const argv[], const char *logpath, int out_to_err,
    const struct vm_watch *w, struct qhb_err *e)
{
	struct vm_spawned m = { 0, 0 };
	int pfd[2];
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return qhb_err_sys(e, "pipe");
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return qhb_err_sys(e, "fork");
	}
	if (pid == 0 && w != NULL) {
		close(pfd[0]);
		vm_watch(argv, logpath, w, pfd[1]);
	}
	if (pid == 0)
		vm_exec(argv, !out_to_err || dup2(2, 1) >= 0, pfd[1]);
	close(pfd[1]);
	n = vm_hear(pfd[0], &m);
	if (w == NULL && n == 0)
		return (long)pid;       /* exec closed the pipe */
	if (w != NULL && n == (ssize_t)sizeof(m) && m.err == 0)
		return m.pid;           /* the watcher is reaped by init */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	errno = n == (ssize_t)sizeof(m) ? m.err : ECHILD;
	qhb_err_path(e, argv[0]);
	if (errno == ENOENT && strchr(argv[0], '/') == NULL)
		return qhb_err_set(e, "not found in PATH (apt-get install %s)",
		    logpath != NULL || strncmp(argv[0], "qemu-system-", 12) ==
		    0 ? "qemu-system-x86" : "qemu-user");
	return qhb_err_sys(e, "cannot run");
}

/* Waits until QMP answers on info->qmp.  0, or -1 with e set (QEMU died,
 * or the time ran out); QEMU is then dead. */
static int vm_wait_qmp(const struct qhb_vm_info *info, int timeout_ms,
    struct qhb_err *e)
{
	int64_t deadline = now_ms() + timeout_ms, end;
	char tail[400], path[QHB_VM_PATH_MAX + 16], why[160];
	struct qhb_qmp *q;
	struct stat st;

	snprintf(path, sizeof(path), "%s/exit", info->dir);
	for (;;) {
		if (!pid_is_guest(info->pid, info)) {
			/* the watcher says how, once it has the lock */
			why[0] = '\0';
			for (end = now_ms() + VM_EXIT_WAIT_MS; now_ms() < end &&
			    read_small(path, why, sizeof(why)) <= 0;)
				sleep_ms(20);
			why[strcspn(why, "\n")] = '\0';
			log_tail(info->qemu_log, tail, sizeof(tail));
			qhb_err_path(e, QHB_VM_QEMU);
			return qhb_err_set(e, "%s while starting: %s",
			    why[0] ? why : "ended", tail[0] ? tail :
			    "(no message)");
		}
		if (stat(info->qmp, &st) == 0 && S_ISSOCK(st.st_mode)) {
			q = qhb_qmp_open(info->qmp, 2000, NULL);
			if (q != NULL) {
				qhb_qmp_close(q);
				return 0;
			}
		}
		if (now_ms() >= deadline) {
			kill((pid_t)info->pid, SIGKILL);
			wait_gone(info->pid, info, VM_SIGNAL_WAIT_MS);
			qhb_err_path(e, info->qmp);
			return qhb_err_set(e, "QEMU's QMP socket did not answer "
			    "within %d s; QEMU killed", timeout_ms / 1000);
		}
		sleep_ms(50);
	}
}

/* The absolute path of an existing file, into buf. */
static int abs_path(const char *path, char *buf, size_t size,
    struct qhb_err *e)
{
	char *r;

	r = realpath(path, NULL);
	if (r == NULL || strlen(r) >= size) {
		qhb_err_path(e, path);
		if (r == NULL)
			return qhb_err_sys(e, "realpath");
		free(r);
		return qhb_err_set(e, "path longer than %zu bytes", size - 1);
	}
	memcpy(buf, r, strlen(r) + 1);
	free(r);
	return 0;
}

/* Gives a file QEMU opens by name (RAM, trace ring) to QEMU's user, when
 * w says it runs as one (QEMU must write it; root still may), and lets the
 * qhb group read it, where that group exists and we may give it files:
 * mode 0640, group qhb; else it stays 0600.  0, or -1 with e. */
static int vm_share(const char *path, const struct vm_watch *w,
    struct qhb_err *e)
{
	struct group *g = getgrnam(QHB_VM_GROUP);

	if (w->other && chown(path, w->uid, (gid_t)-1) < 0) {
		qhb_err_path(e, path);
		return qhb_err_sys(e, "cannot give it to QEMU's user");
	}
	if (g == NULL)
		return 0;
	/* only root, or a member of the group, may give it the file */
	if (chown(path, (uid_t)-1, g->gr_gid) < 0 && errno == EPERM)
		return 0;
	if (chown(path, (uid_t)-1, g->gr_gid) < 0 || chmod(path, 0640) < 0) {
		qhb_err_path(e, path);
		return qhb_err_sys(e, "cannot give it to group " QHB_VM_GROUP);
	}
	return 0;
}

/* A socket listening at path, mode 0600, at a descriptor above 2 (QEMU's
 * child puts its stdio there).  The descriptor, or -1 with e. */
static int vm_listen(const char *path, struct qhb_err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, hi;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		qhb_err_path(e, path);
		return qhb_err_set(e, "socket path too long");
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return qhb_err_sys(e, "socket");
	hi = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	/* the guest's directory is ours alone (0700) until the chmod */
	if (hi < 0 || bind(hi, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0600) < 0 || listen(hi, 8) < 0) {
		qhb_err_path(e, path);
		qhb_err_sys(e, "listen");
		if (hi >= 0)
			close(hi);
		return -1;
	}
	return hi;
}

/* Opens what QEMU, as its user, could not reach in our guest directory:
 * its two QMP sockets, listening, and its serial log, into fds[0..2]
 * (close-on-exec here; vm_child_detach hands them on).  0, or -1 with e
 * and none left open. */
static int vm_open_fds(const struct qhb_vm_info *info, int fds[3],
    struct qhb_err *e)
{
	int fd;

	fds[0] = vm_listen(info->qmp, e);
	fds[1] = fds[0] < 0 ? -1 : vm_listen(info->ctl, e);
	fds[2] = -1;
	if (fds[1] >= 0) {
		fd = open(info->serial, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC | O_NOFOLLOW, 0600);
		fds[2] = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (fd >= 0)
			close(fd);
		if (fds[2] < 0) {
			qhb_err_path(e, info->serial);
			qhb_err_sys(e, "create");
		}
	}
	if (fds[2] >= 0)
		return 0;
	for (fd = 0; fd < 2; fd++) {
		if (fds[fd] >= 0)
			close(fds[fd]);
		fds[fd] = -1;
	}
	return -1;
}

/* Opens path, a file QEMU reads by name, for a QEMU that changes user:
 * its user may not reach it (a checkout under a 0700 home), so QEMU is
 * handed the descriptor as /proc/self/fd/N in name, which it opens again
 * past the directories; the file's own mode still holds.  0, or -1 with
 * e. */
static int vm_open_boot(const char *path, int *fd, char *name, size_t size,
    struct qhb_err *e)
{
	int f = open(path, O_RDONLY | O_CLOEXEC);

	*fd = f < 0 ? -1 : fcntl(f, F_DUPFD_CLOEXEC, 3);
	if (f >= 0)
		close(f);
	if (*fd < 0) {
		qhb_err_path(e, path);
		return qhb_err_sys(e, "open");
	}
	snprintf(name, size, "/proc/self/fd/%d", *fd);
	return 0;
}

/* Who QEMU runs as and what holds it, into info (and scope, for
 * systemd): as root, an unprivileged user; limits only where a control
 * group can be made, and a memory limit only above what the guest needs.
 * 0, or -1 with e. */
static int vm_isolation(const struct qhb_vm_opts *o, struct qhb_vm_info *info,
    struct qhb_cgroup_scope *scope, struct qhb_err *e)
{
	const char *user = o->user;
	struct passwd *pw;
	uint64_t need = info->mem + QHB_VM_MEM_OVERHEAD;

	if (geteuid() != 0) {
		if (user != NULL)
			return qhb_err_set(e, "--user %s: only root starts QEMU "
			    "as another user", user);
		pw = getpwuid(geteuid());
		snprintf(info->user, sizeof(info->user), "%s", pw ?
		    pw->pw_name : "?");
	} else {
		if (user == NULL)
			user = getpwnam(QHB_VM_USER) ? QHB_VM_USER :
			    QHB_VM_USER_ELSE;
		if ((pw = getpwnam(user)) == NULL)
			return qhb_err_set(e, "--user %s: no such user", user);
		if (pw->pw_uid == 0)
			return qhb_err_set(e, "--user %s: is root; QEMU runs as "
			    "an unprivileged user", user);
		if (strlen(user) >= sizeof(info->user) || strchr(user, ','))
			return qhb_err_set(e, "--user %s: invalid name", user);
		snprintf(info->user, sizeof(info->user), "%s", user);
	}
	info->limits = o->limits;
	if (!qhb_cgroup_limited(&o->limits))
		return 0;
	if (o->limits.mem > 0 && o->limits.mem < need)
		return qhb_err_set(e, "--mem-limit %" PRIu64 " MiB is below what "
		    "the guest needs: %" PRIu64 " MiB (%" PRIu64 " MiB of guest "
		    "RAM + %" PRIu64 " MiB for QEMU)", o->limits.mem >> 20,
		    need >> 20, info->mem >> 20, QHB_VM_MEM_OVERHEAD >> 20);
	info->cgroup = qhb_cgroup_probe(e);
	if (info->cgroup == QHB_CGROUP_NONE)
		return -1;
	if (info->cgroup == QHB_CGROUP_SYSTEMD)
		return qhb_cgroup_scope_argv(scope, info->name, &o->limits, e);
	return 0;
}

/* Under systemd, the scope's directories, as QEMU's /proc/PID/cgroup
 * names them once systemd-run has moved into it. */
static void vm_scope_dirs(struct qhb_vm_info *info, const char *append)
{
	static const char *ctl[] = { "cpuacct", "memory", "pids" };
	int i;

	if (qhb_cgroup_of_pid(info->pid, NULL, info->cgroup_dirs[0],
	    sizeof(info->cgroup_dirs[0])) == 0 &&
	    strstr(info->cgroup_dirs[0], "qhb-vm-") != NULL) {
		info->cgroup_fs = QHB_CGROUP_V2;
		info->ncgroup_dirs = 1;
	} else {
		info->cgroup_fs = QHB_CGROUP_V1;
		for (i = 0; i < 3; i++)
			if (qhb_cgroup_of_pid(info->pid, ctl[i],
			    info->cgroup_dirs[i], sizeof(info->cgroup_dirs[i])) <
			    0)
				info->cgroup_dirs[i][0] = '\0';
		info->ncgroup_dirs = 3;
	}
	vm_write_info(info, append, NULL);
}

void qhb_vm_use(const struct qhb_vm_info *info, struct qhb_cgroup_use *u)
{
	qhb_cgroup_use(info->cgroup_fs, info->cgroup_dirs, info->ncgroup_dirs,
	    u);
	if (info->cgroup == QHB_CGROUP_NONE || !info->alive)
		u->cpu_ns = u->mem = u->pids = u->oom_kills = -1;
}

int qhb_vm_start(const struct qhb_vm_opts *o, struct qhb_vm_info *info,
    struct qhb_err *e)
{
	char a_mem[32], a_smp[16], a_ram[QHB_VM_PATH_MAX * 2 + 128],
	    a_machine[96], a_serial[QHB_VM_PATH_MAX * 2 + 8],
	    a_qmp[QHB_VM_PATH_MAX * 2 + 32], a_ctl[QHB_VM_PATH_MAX * 2 + 32],
	    esc[QHB_VM_PATH_MAX * 2], a_trace[4096 + QHB_VM_PATH_MAX + 64],
	    a_fdqmp[64], a_fdctl[64], a_fdser[48], a_uid[32], a_gid[32];
	const char *append = o->append ? o->append : QHB_VM_APPEND;
	char ring[QHB_VM_PATH_MAX];
	const char **argv = NULL;
	struct qhb_vm_info old;
	struct qhb_cgroup cg = { .procs = { -1, -1, -1, -1 } };
	struct qhb_cgroup_scope scope;
	struct vm_watch watch = { .info = info };
	struct passwd *pw;
	/* for QEMU: QMP, control, serial log; kernel, initrd, plugin */
	int lockfd, rc = -1, made = 0, fds[6] = { -1, -1, -1, -1, -1, -1 };
	char f_kernel[32], f_initrd[32], f_plugin[32];
	const char *kernel = info->kernel, *initrd = info->initrd;
	const char *plugin = o->trace_plugin;
	struct stat st;
	size_t n = 0, i;
	uint64_t need;
	long pid;

	if (vm_paths(o->name, info, e) < 0)
		return -1;
	info->mem = o->mem ? o->mem : QHB_VM_DEFAULT_MEM;
	info->cpus = o->cpus > 0 ? o->cpus : 1;
	snprintf(info->machine, sizeof(info->machine), "%s",
	    o->machine ? o->machine : "q35");
	snprintf(info->cpu_model, sizeof(info->cpu_model), "%s",
	    o->cpu_model ? o->cpu_model : "max");
	if (info->mem % (UINT64_C(1) << 20) != 0 || info->mem < (16u << 20))
		return qhb_err_set(e, "guest memory must be a multiple of "
		    "1 MiB and at least 16 MiB, got %" PRIu64 " bytes",
		    info->mem);
	if (info->cpus > 256)
		return qhb_err_set(e, "%d CPUs: at most 256", info->cpus);
	if (strspn(info->machine, "abcdefghijklmnopqrstuvwxyz0123456789-._") !=
	    strlen(info->machine) || info->machine[0] == '\0')
		return qhb_err_set(e, "invalid machine type \"%s\"",
		    info->machine);
	if (strspn(info->cpu_model, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._,=+") !=
	    strlen(info->cpu_model) || info->cpu_model[0] == '\0')
		return qhb_err_set(e, "invalid CPU model \"%s\"",
		    info->cpu_model);
	if (o->kernel == NULL)
		return qhb_err_set(e, "no kernel given");
	if (stat(o->kernel, &st) < 0 || !S_ISREG(st.st_mode)) {
		qhb_err_path(e, o->kernel);
		return stat(o->kernel, &st) < 0 ?
		    qhb_err_sys(e, "kernel") : qhb_err_set(e, "kernel: not a "
		    "regular file");
	}
	if (o->initrd != NULL && (stat(o->initrd, &st) < 0 ||
	    !S_ISREG(st.st_mode))) {
		qhb_err_path(e, o->initrd);
		return stat(o->initrd, &st) < 0 ?
		    qhb_err_sys(e, "initrd") : qhb_err_set(e, "initrd: not a "
		    "regular file");
	}
	need = kernel_min_mem(o->kernel);
	if (need > 0 && o->initrd != NULL)
		need += (uint64_t)st.st_size;
	if (need > info->mem) {
		qhb_err_path(e, o->kernel);
		return qhb_err_set(e, "needs more than %" PRIu64 " MiB of guest "
		    "RAM to unpack itself%s, got %" PRIu64 " MiB; use --mem",
		    (need + (1u << 20) - 1) >> 20, o->initrd ?
		    " and its initrd" : "", info->mem >> 20);
	}
	if (abs_path(o->kernel, info->kernel, sizeof(info->kernel), e) < 0 ||
	    (o->initrd != NULL && abs_path(o->initrd, info->initrd,
	    sizeof(info->initrd), e) < 0))
		return -1;
	if (vm_isolation(o, info, &scope, e) < 0)
		return -1;
	if (geteuid() == 0) {
		if ((pw = getpwnam(info->user)) == NULL)
			return qhb_err_set(e, "--user %s: no such user",
			    info->user);
		watch.other = 1;
		watch.uid = pw->pw_uid;
		watch.gid = pw->pw_gid;
		/* systemd-run changes user itself, once in the scope */
		watch.drop = info->cgroup != QHB_CGROUP_SYSTEMD;
	}

	lockfd = vm_lock(e);
	if (lockfd < 0)
		return -1;
	if (lstat(info->dir, &st) == 0) {
		old = *info;
		vm_read_state(&old);
		if (old.alive) {
			qhb_err_path(e, info->name);
			qhb_err_set(e, "already running (QEMU pid %ld); stop it "
			    "first with qhb-vm stop %s", old.pid, info->name);
			goto out;
		}
		vm_clean(&old);   /* stale: its QEMU is gone */
	}
	if (mkdir(info->dir, 0700) < 0) {
		qhb_err_path(e, info->dir);
		qhb_err_sys(e, "mkdir");
		goto out;
	}
	made = 1;
	if (vm_make_ram(info->ram, info->mem, e) < 0 ||
	    vm_share(info->ram, &watch, e) < 0)
		goto out;
	if (watch.drop && (vm_open_boot(info->kernel, &fds[3], f_kernel,
	    sizeof(f_kernel), e) < 0 || (o->initrd != NULL &&
	    vm_open_boot(info->initrd, &fds[4], f_initrd, sizeof(f_initrd),
	    e) < 0) || (o->trace != NULL && o->trace_plugin != NULL &&
	    vm_open_boot(o->trace_plugin, &fds[5], f_plugin,
	    sizeof(f_plugin), e) < 0)))
		goto out;
	if (fds[3] >= 0)
		kernel = f_kernel;
	if (fds[4] >= 0)
		initrd = f_initrd;
	if (fds[5] >= 0)
		plugin = f_plugin;
	if (o->trace != NULL && (vm_make_trace(o, plugin, info->name, a_trace,
	    sizeof(a_trace), e) < 0 || (qhb_trace_ring_path(info->name,
	    ring, sizeof(ring), e) == 0 && vm_share(ring, &watch, e) < 0)))
		goto out;
	if (info->cgroup == QHB_CGROUP_V1 || info->cgroup == QHB_CGROUP_V2) {
		if (qhb_cgroup_create(&cg, info->cgroup, info->name,
		    &info->limits, e) < 0)
			goto out;
		info->cgroup_fs = info->cgroup;
		info->ncgroup_dirs = cg.ndirs;
		memcpy(info->cgroup_dirs, cg.dir, sizeof(cg.dir));
	}
	if (vm_open_fds(info, fds, e) < 0)
		goto out;
	watch.fds = fds;
	watch.nfds = 6;

	snprintf(a_mem, sizeof(a_mem), "%" PRIu64 "M", info->mem >> 20);
	snprintf(a_smp, sizeof(a_smp), "%d", info->cpus);
	qemu_escape(esc, sizeof(esc), info->ram);
	snprintf(a_ram, sizeof(a_ram), "memory-backend-file,id=ram,size=%"
	    PRIu64 ",mem-path=%s,share=on", info->mem, esc);
	snprintf(a_machine, sizeof(a_machine), "%s,memory-backend=ram",
	    info->machine);
	/* QEMU as its user reaches nothing in our directory: it gets the
	 * serial log through an fd set (QEMU's qemu_open knows
	 * /dev/fdset/N) and the QMP sockets listening */
	snprintf(a_fdser, sizeof(a_fdser), "fd=%d,set=" VM_SERIAL_FDSET,
	    fds[2]);
	snprintf(a_serial, sizeof(a_serial), "file:/dev/fdset/"
	    VM_SERIAL_FDSET);
	snprintf(a_fdqmp, sizeof(a_fdqmp), "socket,id=qmp,fd=%d,server=on,"
	    "wait=off", fds[0]);
	snprintf(a_fdctl, sizeof(a_fdctl), "socket,id=ctl,fd=%d,server=on,"
	    "wait=off", fds[1]);
	snprintf(a_qmp, sizeof(a_qmp), "chardev=qmp,mode=control");
	snprintf(a_ctl, sizeof(a_ctl), "chardev=ctl,mode=control");
	argv = calloc(60 + o->nextra, sizeof(*argv));
	if (argv == NULL) {
		qhb_err_sys(e, "argv");
		goto out;
	}
	if (info->cgroup == QHB_CGROUP_SYSTEMD) {
		/* all but its closing "--" */
		for (i = 0; i + 1 < (size_t)scope.argc; i++)
			argv[n++] = scope.argv[i];
		if (watch.other) {
			snprintf(a_uid, sizeof(a_uid), "--uid=%ld",
			    (long)watch.uid);
			snprintf(a_gid, sizeof(a_gid), "--gid=%ld",
			    (long)watch.gid);
			argv[n++] = a_uid;
			argv[n++] = a_gid;
		}
		argv[n++] = scope.argv[scope.argc - 1];
	}
	argv[n++] = o->qemu ? o->qemu : QHB_VM_QEMU;
	argv[n++] = "-name";      argv[n++] = info->name;
	/* Traced: one thread for all vCPUs, since the plugin's inline
	 * counters are exact only when no two vCPUs run at once. */
	argv[n++] = "-accel";
	argv[n++] = o->trace != NULL ? "tcg,thread=single" : "tcg";
	argv[n++] = "-cpu";       argv[n++] = info->cpu_model;
	argv[n++] = "-smp";       argv[n++] = a_smp;
	argv[n++] = "-m";         argv[n++] = a_mem;
	argv[n++] = "-object";    argv[n++] = a_ram;
	argv[n++] = "-machine";   argv[n++] = a_machine;
	argv[n++] = "-kernel";    argv[n++] = kernel;
	if (o->initrd != NULL) {
		argv[n++] = "-initrd";
		argv[n++] = initrd;
	}
	argv[n++] = "-append";    argv[n++] = append;
	argv[n++] = "-nodefaults";
	argv[n++] = "-display";   argv[n++] = "none";
	argv[n++] = "-add-fd";    argv[n++] = a_fdser;
	argv[n++] = "-serial";    argv[n++] = a_serial;
	argv[n++] = "-chardev";   argv[n++] = a_fdqmp;
	argv[n++] = "-mon";       argv[n++] = a_qmp;
	argv[n++] = "-chardev";   argv[n++] = a_fdctl;
	argv[n++] = "-mon";       argv[n++] = a_ctl;
	argv[n++] = "-no-reboot";
	argv[n++] = "-sandbox";   argv[n++] = VM_SANDBOX;
	if (o->trace != NULL) {
		argv[n++] = "-plugin";
		argv[n++] = a_trace;
	}
	for (i = 0; i < o->nextra; i++)
		argv[n++] = o->extra[i];
	argv[n] = NULL;

	watch.info = info;
	watch.cg = cg.ndirs > 0 ? &cg : NULL;
	pid = vm_spawn((char *const *)argv, info->qemu_log, 0, &watch, e);
	qhb_cgroup_close(&cg);
	for (i = 0; i < 6; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
	if (pid < 0)
		goto out;
	info->pid = pid;
	if (vm_write_info(info, append, e) < 0) {
		kill((pid_t)pid, SIGKILL);
		wait_gone(pid, info, VM_SIGNAL_WAIT_MS);
		goto out;
	}
	/* Others may look now: the pid file tells them it is ours. */
	close(lockfd);
	lockfd = -1;
	if (vm_wait_qmp(info, o->timeout_ms > 0 ? o->timeout_ms :
	    VM_QMP_TIMEOUT_MS, e) < 0)
		goto out;
	if (info->cgroup == QHB_CGROUP_SYSTEMD)
		vm_scope_dirs(info, append);
	info->alive = 1;
	rc = 0;
out:
	if (rc < 0 && made) {
		if (lockfd < 0)
			lockfd = vm_lock(NULL);
		vm_clean(info);
	}
	for (i = 0; i < 6; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (lockfd >= 0)
		close(lockfd);
	free(argv);
	return rc;
}

int qhb_vm_find(const char *name, struct qhb_vm_info *info,
    struct qhb_err *e)
{
	struct stat st;

	if (vm_paths(name, info, e) < 0)
		return -1;
	if (lstat(info->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		qhb_err_path(e, name);
		return qhb_err_set(e, "no such guest (see qhb-vm list)");
	}
	vm_read_state(info);
	return 0;
}

int qhb_vm_stop(const char *name, int timeout_ms, int *was_running,
    struct qhb_err *e)
{
	struct qhb_vm_info info;
	struct qhb_qmp *q;
	struct stat st;
	int lockfd, rc = -1, have_dir;
	json_t *ret;

	if (was_running != NULL)
		*was_running = 0;
	if (vm_paths(name, &info, e) < 0)
		return -1;
	lockfd = vm_lock(e);
	if (lockfd < 0)
		return -1;
	have_dir = lstat(info.dir, &st) == 0;
	if (!have_dir && lstat(info.ram, &st) < 0) {
		qhb_err_path(e, name);
		qhb_err_set(e, "no such guest (see qhb-vm list)");
		goto out;
	}
	if (have_dir)
		vm_read_state(&info);
	if (info.alive) {
		if (was_running != NULL)
			*was_running = 1;
		q = qhb_qmp_open(info.ctl, 5000, NULL);
		if (q != NULL) {
			ret = qhb_qmp_execute(q, "quit", NULL, NULL);
			json_decref(ret);
			qhb_qmp_close(q);
		}
		if (!wait_gone(info.pid, &info, timeout_ms > 0 ?
		    timeout_ms : VM_STOP_TIMEOUT_MS)) {
			kill((pid_t)info.pid, SIGTERM);
			if (!wait_gone(info.pid, &info, VM_SIGNAL_WAIT_MS)) {
				kill((pid_t)info.pid, SIGKILL);
				if (!wait_gone(info.pid, &info,
				    VM_SIGNAL_WAIT_MS)) {
					qhb_err_path(e, name);
					qhb_err_set(e, "QEMU (pid %ld) survived "
					    "quit, SIGTERM and SIGKILL",
					    info.pid);
					goto out;
				}
			}
		}
	}
	vm_clean(&info);
	rc = 0;
out:
	close(lockfd);
	return rc;
}

static int info_cmp(const void *a, const void *b)
{
	return strcmp(((const struct qhb_vm_info *)a)->name,
	    ((const struct qhb_vm_info *)b)->name);
}

int qhb_vm_list(struct qhb_vm_info **list, size_t *n, struct qhb_err *e)
{
	struct qhb_vm_info info, *out = NULL, *nl;
	char dir[QHB_VM_PATH_MAX];
	size_t count = 0, cap = 0;
	struct dirent *d;
	DIR *dp;

	if (qhb_vm_rundir(dir, sizeof(dir), e) < 0)
		return -1;
	dp = opendir(dir);
	if (dp == NULL) {
		qhb_err_path(e, dir);
		return qhb_err_sys(e, "opendir");
	}
	while ((d = readdir(dp)) != NULL) {
		if (qhb_vm_name_check(d->d_name, NULL) < 0 ||
		    qhb_vm_find(d->d_name, &info, NULL) < 0 ||
		    (!info.alive && info.exit[0] == '\0'))
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			nl = realloc(out, cap * sizeof(*out));
			if (nl == NULL) {
				free(out);
				closedir(dp);
				return qhb_err_sys(e, "guest list");
			}
			out = nl;
		}
		out[count++] = info;
	}
	closedir(dp);
	if (count > 1)
		qsort(out, count, sizeof(*out), info_cmp);
	*list = out;
	*n = count;
	return 0;
}

int qhb_vm_wait(const struct qhb_vm_info *info, const char *pattern,
    int timeout_ms, struct qhb_err *e)
{
	static char buf[65536];
	int64_t deadline = now_ms() + timeout_ms;
	size_t plen = strlen(pattern), carry = 0, keep;
	char tail[400];
	int fd = -1, alive, rc = -1;
	ssize_t n;

	qhb_err_path(e, info->serial);
	if (plen == 0)
		return 0;
	if (plen > sizeof(buf) / 2)
		return qhb_err_set(e, "pattern longer than %zu bytes",
		    sizeof(buf) / 2);
	for (;;) {
		alive = pid_is_guest(info->pid, info);
		if (fd < 0 && (fd = open_regular(info->serial)) < 0 &&
		    errno != ENOENT) {
			/* not yet there is waited for; not a file is wrong */
			if (errno == EINVAL)
				qhb_err_set(e, "not QEMU's serial log: expected a "
				    "regular file");
			else
				qhb_err_sys(e, "cannot open");
			goto out;
		}
		/* the deadline holds while reading too: a log that grows
		 * without end is read no longer than it */
		while (fd >= 0 && now_ms() < deadline && (n = read(fd,
		    buf + carry, sizeof(buf) - carry)) > 0) {
			carry += (size_t)n;
			if (memmem(buf, carry, pattern, plen) != NULL) {
				rc = 0;
				goto out;
			}
			keep = carry < plen - 1 ? carry : plen - 1;
			memmove(buf, buf + carry - keep, keep);
			carry = keep;
		}
		if (!alive) {
			log_tail(info->qemu_log, tail, sizeof(tail));
			qhb_err_set(e, "QEMU (pid %ld) exited before \"%s\" "
			    "appeared%s%s", info->pid, pattern,
			    tail[0] ? "; QEMU said: " : "", tail);
			goto out;
		}
		if (now_ms() >= deadline) {
			qhb_err_set(e, "timed out after %d s waiting for \"%s\" "
			    "(QEMU pid %ld still running)", timeout_ms / 1000,
			    pattern, info->pid);
			goto out;
		}
		sleep_ms(100);
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* qhb_vm_record's QEMU, as its record loop sees it. */
struct vm_child {
	pid_t pid;
	int status;
	int exited;
	volatile sig_atomic_t *signal;
};

/* Sends on a signal that came to us, so that QEMU ends; its exit ends
 * the recording, as the plugin's counts come at its exit. */
static void vm_child_forward(struct vm_child *c)
{
	int sig;

	if (c->signal != NULL && (sig = *c->signal) != 0) {
		*c->signal = 0;
		kill(c->pid, sig);
	}
}

static int vm_child_alive(void *arg)
{
	struct vm_child *c = arg;

	if (!c->exited && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
		c->exited = 1;
	if (!c->exited)
		vm_child_forward(c);
	return !c->exited;
}

int qhb_vm_record(const struct qhb_vm_record_opts *o, struct qhb_writer *w,
    struct qhb_trace_stats *st, struct qhb_err *e)
{
	static const int never;
	char arg[4096 + QHB_VM_PATH_MAX + 64];
	struct vm_child c = { .signal = o->signal };
	struct qhb_ring r;
	char **argv;
	long pid;
	int rc;

	memset(st, 0, sizeof(*st));
	if (o->argc < 1)
		return qhb_err_set(e, "no QEMU command");
	if ((argv = calloc((size_t)o->argc + 3, sizeof(*argv))) == NULL)
		return qhb_err_sys(e, "argv");
	if (qhb_trace_ring_create(&r, NULL, o->plugin, &o->ring, arg,
	    sizeof(arg), e) < 0) {
		free(argv);
		return -1;
	}
	argv[0] = o->argv[0];
	argv[1] = "-plugin";
	argv[2] = arg;
	memcpy(argv + 3, o->argv + 1, (size_t)(o->argc - 1) * sizeof(*argv));
	pid = vm_spawn(argv, NULL, o->out_to_err, NULL, e);
	free(argv);
	if (pid < 0) {
		qhb_ring_close(&r, 1);
		return -1;
	}
	c.pid = (pid_t)pid;
	rc = qhb_trace_record(&r, w, vm_child_alive, &c, &never, st, e);
	if (!c.exited && !st->closed && rc < 0)
		kill(c.pid, SIGTERM);
	while (!c.exited) {
		if (waitpid(c.pid, &c.status, 0) == c.pid)
			c.exited = 1;
		else if (errno == EINTR)
			vm_child_forward(&c);
		else
			break;
	}
	qhb_ring_close(&r, 1);
	if (rc < 0)
		return -1;
	if (!st->closed) {
		qhb_err_path(e, o->argv[0]);
		qhb_err_set(e, "the plugin did not finish (QEMU %s %d): counts "
		    "are missing", WIFSIGNALED(c.status) ? "killed by signal" :
		    "exited with", WIFSIGNALED(c.status) ?
		    WTERMSIG(c.status) : WEXITSTATUS(c.status));
	}
	return 0;
}
