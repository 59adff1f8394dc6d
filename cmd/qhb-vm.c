/*
 * qhb-vm -- start, inspect and stop QEMU guests whose RAM qhb can read.
 *
 * Each subcommand is a row of cmds[]: its options, operands, usage and
 * handler.  main() finds the row, parses into struct vm_cmd_opts and calls
 * the handler, which calls common/vm (and common/qmp for the questions
 * QEMU answers); what fails, main() reports, in one place.
 */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "cgroup.h"
#include "err.h"
#include "install.h"
#include "opt.h"
#include "outfile.h"
#include "qmp.h"
#include "trace.h"
#include "vm.h"

#define PROG "qhb-vm"
#define DEFAULT_TIMEOUT_S 180
#define STOP_TIMEOUT_S    30
#define QMP_TIMEOUT_MS    10000

struct vm_cmd_opts {
	struct qhb_vm_opts vm;
	const char *name;         /* the first operand, a guest's name */
	char **args;              /* the operands */
	int nargs;
	int wait;                 /* start --wait */
	int timeout_s;
	char kernel[4096];
	char initrd[4096];
	char plugin[4096];        /* start --trace */
	int argc;                 /* the whole command line, for the audit */
	char **argv;
};

/* The options a subcommand takes. */
enum vm_optset { OPTS_PLAIN, OPTS_TIMEOUT, OPTS_START };

/* Each handler returns 0, or -1 with e for main() to report. */
typedef int vm_cmd_fn(struct vm_cmd_opts *o, struct qhb_err *e);
static int start(struct vm_cmd_opts *o, struct qhb_vm_info *ip,
    struct qhb_err *e);
static vm_cmd_fn cmd_start, cmd_stop, cmd_list, cmd_status, cmd_qmp,
    cmd_ram, cmd_qmp_path, cmd_log, cmd_wait;

static const struct vm_cmd {
	const char *name;
	vm_cmd_fn *run;
	enum vm_optset opts;
	int min, max;             /* operands */
	int timeout_s;            /* --timeout when not given; 0: the default */
	const char *usage;        /* its synopsis, after "qhb-vm " */
} cmds[] = {
	{ "start", cmd_start, OPTS_START, 1, 1, 0,
	    "start [--wait] [--cpus N] [--mem SIZE] [--machine TYPE]\n"
	    "              [--cpu MODEL] [--kernel FILE] [--initrd FILE] "
	    "[--append ARGS]\n"
	    "              [--trace[=OPTIONS]] [--cpu-limit CORES] "
	    "[--mem-limit SIZE]\n"
	    "              [--pids-limit N] [--user NAME] [--timeout SECONDS] "
	    "NAME" },
	{ "stop", cmd_stop, OPTS_TIMEOUT, 1, 1, STOP_TIMEOUT_S,
	    "stop [--timeout SECONDS] NAME" },
	{ "list", cmd_list, OPTS_PLAIN, 0, 0, 0, "list" },
	{ "status", cmd_status, OPTS_PLAIN, 1, 1, 0, "status NAME" },
	{ "qmp", cmd_qmp, OPTS_PLAIN, 2, 3, 0, "qmp NAME COMMAND [ARGUMENTS]" },
	{ "ram", cmd_ram, OPTS_PLAIN, 1, 1, 0, "ram NAME" },
	{ "qmp-path", cmd_qmp_path, OPTS_PLAIN, 1, 1, 0, "qmp-path NAME" },
	{ "log", cmd_log, OPTS_PLAIN, 1, 1, 0, "log NAME" },
	{ "wait", cmd_wait, OPTS_TIMEOUT, 1, 2, 0,
	    "wait [--timeout SECONDS] NAME [PATTERN]" },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const char details[] =
    "\n"
    "Subcommands:\n"
    "  start NAME        boot a guest; its RAM is /dev/shm/qhb-UID-NAME.ram\n"
    "  stop NAME         quit QEMU and remove the RAM file and runtime files\n"
    "  list              one line per guest: name, pid, mem, state, the\n"
    "                    user QEMU runs as, limits and use; a guest\n"
    "                    whose QEMU died: dead and how\n"
    "  status NAME       the guest as JSON\n"
    "  qmp NAME COMMAND  run a QMP command (a name, or {\"execute\": ...})\n"
    "                    and print its \"return\" as JSON; ARGUMENTS is a\n"
    "                    JSON object\n"
    "  ram NAME          print the RAM file's path\n"
    "  qmp-path NAME     print the QMP socket's path\n"
    "  log NAME          print the serial console log\n"
    "  wait NAME         wait until the serial log contains PATTERN\n"
    "                    (default \"" QHB_VM_READY "\")\n"
    "\n"
    "Options:\n"
    "  --mem SIZE        guest RAM, e.g. 128M, 1G (default 128M)\n"
    "  --cpus N          virtual CPUs (default 1)\n"
    "  --machine TYPE    q35 (default) or pc\n"
    "  --cpu MODEL       QEMU CPU model (default max: 5-level paging;\n"
    "                    max,la57=off for 4-level)\n"
    "  --kernel FILE     kernel (default: the demo guest, see make guest)\n"
    "  --initrd FILE     initramfs (default: the demo guest's with its "
    "kernel)\n"
    "  --append ARGS     kernel command line (default \"" QHB_VM_APPEND
    "\")\n"
    "  --wait            start: return once the guest prints "
    QHB_VM_READY "\n"
    "  --trace[=OPTIONS] start: load the libqhbtrace plugin (found beside\n"
    "                    this program, or $QHB_PLUGIN) on a ring that\n"
    "                    qhb-trace --attach NAME drains; OPTIONS is a comma\n"
    "                    list of policy=drop (default) or policy=block,\n"
    "                    size=SIZE (ring bytes per slot, default 4M) and\n"
    "                    mem=on (memory accesses too)\n"
    "  --cpu-limit CORES start: QEMU and its threads get at most CORES\n"
    "                    of CPU time (0.5: half a core)\n"
    "  --mem-limit SIZE  start: at most SIZE of memory, guest RAM\n"
    "                    included (at least --mem + 96M)\n"
    "  --pids-limit N    start: at most N tasks (QEMU's threads)\n"
    "  --user NAME       start, as root: QEMU's user (default qhb, else\n"
    "                    nobody)\n"
    "  --timeout SECONDS bound on every wait (default 180; stop: 30)\n"
    "  -h, --help        this help\n"
    "  -V, --version     print the version\n";

/* The synopsis, from cmds[], on fp; on stdout (--help), the subcommands
 * and options too.  Exits with code. */
static void usage(FILE *fp, int code)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		fprintf(fp, "%s" PROG " %s\n", i ? "       " : "usage: ",
		    cmds[i].usage);
	fputs("       " PROG " -h | -V\n", fp);
	if (fp == stdout) {
		struct qhb_err e = { 0 };

		fputs(details, fp);
		/* help > /dev/full is a lost output like any other */
		if (qhb_outfile_close_stdout(&e) < 0) {
			qhb_err_report(&e);
			code = 1;
		}
	}
	exit(code);
}

/* --mem SIZE: as QEMU's -m, a plain number counts MiB. */
static int parse_mem(const char *arg, void *to, struct qhb_err *e)
{
	return qhb_vm_parse_size(arg, to, e);
}

/* Parses the options of subcommand argv[0], those of set, into o.  Exits
 * on usage errors and -h; returns the index of the first operand, or -1
 * with e (a bad value). */
static int parse(int argc, char **argv, enum vm_optset set,
    struct vm_cmd_opts *o, struct qhb_err *e)
{
	struct qhb_vm_opts *vm = &o->vm;
	const struct qhb_opt start_opts[] = {
		{ "mem", 0, QHB_OPT_CALL, .to = &vm->mem, .call = parse_mem },
		{ "cpus", 0, QHB_OPT_INT, .to = &vm->cpus, .min = 1, .max = 256 },
		{ "machine", 0, QHB_OPT_STRING, .to = &vm->machine },
		{ "cpu", 0, QHB_OPT_STRING, .to = &vm->cpu_model },
		{ "kernel", 0, QHB_OPT_STRING, .to = &vm->kernel },
		{ "initrd", 0, QHB_OPT_STRING, .to = &vm->initrd },
		{ "append", 0, QHB_OPT_STRING, .to = &vm->append },
		{ "wait", 0, QHB_OPT_FLAG, .to = &o->wait },
		{ "trace", 0, QHB_OPT_OPTIONAL, .to = &vm->trace },
		{ "cpu-limit", 0, QHB_OPT_DOUBLE, .to = &vm->limits.cpus,
		    .lo = 0.01, .hi = 1024 },
		{ "mem-limit", 0, QHB_OPT_CALL, .to = &vm->limits.mem,
		    .call = parse_mem },
		{ "pids-limit", 0, QHB_OPT_U64, .to = &vm->limits.pids,
		    .min = 1, .max = 4194304 },
		{ "user", 0, QHB_OPT_STRING, .to = &vm->user },
		{ "timeout", 0, QHB_OPT_INT, .to = &o->timeout_s,
		    .min = 1, .max = 86400 },
		{ 0 }
	};
	const struct qhb_opt timeout_opts[] = {
		{ "timeout", 0, QHB_OPT_INT, .to = &o->timeout_s,
		    .min = 1, .max = 86400 },
		{ 0 }
	};
	const struct qhb_opt plain_opts[] = { { 0 } };
	const struct qhb_opt *t = set == OPTS_START ? start_opts :
	    set == OPTS_TIMEOUT ? timeout_opts : plain_opts;
	int first;

	/* Not in order, so options may follow NAME, as in the examples; QMP
	 * arguments and patterns are never options: "--" ends them. */
	switch (qhb_opt_parse(t, QHB_OPT_NO_VERSION, argc, argv, &first, e)) {
	case QHB_OPT_OK:
		return first;
	case QHB_OPT_HELP:
		usage(stdout, 0);
		break;
	case QHB_OPT_USAGE:
		usage(stderr, 1);
		break;
	}
	return -1;
}

/*
 * The demo guest's directory: $QHB_GUEST_DIR, else share/qhb/guest beside
 * an installed program (bin/../share/qhb/guest), else the build tree this
 * program was built in.
 */
static const char *guest_dir(char *buf, size_t size)
{
	const char *env = getenv("QHB_GUEST_DIR");

	if (env != NULL && *env != '\0')
		return env;
	if (qhb_install_path("share/qhb/guest", R_OK | X_OK, buf, size) == 0)
		return buf;
	return QHB_GUEST_DIR;
}

/* Fills in the demo guest when no kernel was given.  0, or -1 with e. */
static int default_guest(struct vm_cmd_opts *o, struct qhb_err *e)
{
	char buf[PATH_MAX];
	const char *dir;
	struct stat st;

	if (o->vm.kernel != NULL)
		return 0;
	dir = guest_dir(buf, sizeof(buf));
	if ((size_t)snprintf(o->kernel, sizeof(o->kernel), "%s/vmlinuz",
	    dir) >= sizeof(o->kernel) || (size_t)snprintf(o->initrd,
	    sizeof(o->initrd), "%s/initrd.img", dir) >= sizeof(o->initrd)) {
		qhb_err_path(e, dir);
		return qhb_err_set(e, "guest directory path too long");
	}
	if (stat(o->kernel, &st) < 0 || stat(o->initrd, &st) < 0) {
		qhb_err_path(e, stat(o->kernel, &st) < 0 ? o->kernel :
		    o->initrd);
		return qhb_err_set(e, "no demo guest; run make guest, or give "
		    "--kernel");
	}
	o->vm.kernel = o->kernel;
	if (o->vm.initrd == NULL)
		o->vm.initrd = o->initrd;
	return 0;
}

/* Finds a guest that must be running.  0, or -1 with e. */
static int find_running(const char *name, struct qhb_vm_info *info,
    struct qhb_err *e)
{
	if (qhb_vm_find(name, info, e) < 0)
		return -1;
	if (!info->alive) {
		qhb_err_path(e, name);
		return qhb_err_set(e, "not running (QEMU pid %ld is gone%s%s; "
		    "see qhb-vm log %s, clean up with qhb-vm stop %s)",
		    info->pid, info->exit[0] ? ": " : "", info->exit, name,
		    name);
	}
	return 0;
}

/* The audit record of a start, ok or why not: a start the log cannot
 * hold fails, as a query does. */
static int audit_start(struct vm_cmd_opts *o, struct qhb_audit *a,
    const struct qhb_vm_info *info, int rc, struct qhb_err *e)
{
	char why[800];
	struct qhb_err le = { 0 };

	if (rc < 0)
		qhb_err_str(e, why, sizeof(why));
	if (qhb_audit_log_start(a, o->argc, o->argv, o->name, &o->vm.limits,
	    rc == 0 ? info->user : NULL, rc == 0 ? info->pid : 0,
	    rc == 0 ? "ok" : why, &le) < 0) {
		if (rc == 0) {
			*e = le;
			qhb_vm_stop(o->name, STOP_TIMEOUT_S * 1000, NULL, NULL);
		}
		rc = -1;
	}
	qhb_audit_close(a);
	return rc;
}

static int cmd_start(struct vm_cmd_opts *o, struct qhb_err *e)
{
	struct qhb_vm_info info = { .pid = 0 };
	struct qhb_audit a;

	if (qhb_audit_open(&a, e) < 0)
		return -1;
	return audit_start(o, &a, &info, start(o, &info, e), e);
}

/* start, once the audit log is open. */
static int start(struct vm_cmd_opts *o, struct qhb_vm_info *ip,
    struct qhb_err *e)
{
	struct qhb_vm_info info, now;
	int timeout_ms = o->timeout_s * 1000;
	size_t n;

	if (default_guest(o, e) < 0)
		return -1;
	o->vm.name = o->name;
	o->vm.timeout_ms = timeout_ms;
	if (o->vm.trace != NULL) {
		if (qhb_trace_plugin_find(NULL, o->plugin, sizeof(o->plugin),
		    e) < 0)
			return -1;
		o->vm.trace_plugin = o->plugin;
	}
	o->vm.qemu = getenv("QHB_QEMU");
	if (o->vm.qemu != NULL && *o->vm.qemu == '\0')
		o->vm.qemu = NULL;
	if (qhb_vm_start(&o->vm, &info, e) < 0)
		return -1;
	*ip = info;
	if (o->wait && qhb_vm_wait(&info, QHB_VM_READY, timeout_ms, e) < 0) {
		/* What is left of the guest, and what to do about it. */
		n = strlen(e->msg);
		if (qhb_vm_find(o->name, &now, NULL) == 0)
			snprintf(e->msg + n, sizeof(e->msg) - n, "; %s %s: see "
			    "qhb-vm log %s, then qhb-vm stop %s", o->name,
			    now.alive ? "is left running" : "has its files kept",
			    o->name, o->name);
		return -1;
	}
	return 0;
}

static int cmd_stop(struct vm_cmd_opts *o, struct qhb_err *e)
{
	return qhb_vm_stop(o->name, o->timeout_s * 1000, NULL, e);
}

/* QEMU's run state ("running", "paused", ...) into buf, or "unknown". */
static void run_state(const struct qhb_vm_info *info, char *buf, size_t size,
    int *running)
{
	struct qhb_qmp *q;
	json_t *ret;
	const char *s;

	snprintf(buf, size, "unknown");
	*running = 0;
	q = qhb_qmp_open(info->ctl, 2000, NULL);
	if (q == NULL)
		return;
	ret = qhb_qmp_execute(q, "query-status", NULL, NULL);
	if ((s = json_string_value(json_object_get(ret, "status"))) != NULL)
		snprintf(buf, size, "%s", s);
	*running = json_is_true(json_object_get(ret, "running"));
	json_decref(ret);
	qhb_qmp_close(q);
}

/* list's words after the state: who QEMU runs as, its limits, and what
 * its control group uses now. */
static void print_isolation(const struct qhb_vm_info *info)
{
	const struct qhb_cgroup_limits *l = &info->limits;
	struct qhb_cgroup_use u;

	printf(" user=%s", info->user[0] ? info->user : "?");
	if (l->cpus > 0)
		printf(" cpu-limit=%g", l->cpus);
	if (l->mem > 0)
		printf(" mem-limit=%" PRIu64 "M", l->mem >> 20);
	if (l->pids > 0)
		printf(" pids-limit=%" PRIu64, l->pids);
	qhb_vm_use(info, &u);
	if (u.cpu_ns >= 0)
		printf(" cpu=%.2fs", (double)u.cpu_ns / 1e9);
	if (u.mem >= 0)
		printf(" mem=%" PRId64 "M", u.mem >> 20);
	if (u.pids >= 0)
		printf(" pids=%" PRId64, u.pids);
}

static int cmd_list(struct vm_cmd_opts *o, struct qhb_err *e)
{
	struct qhb_vm_info *list = NULL;
	char state[64];
	size_t n = 0, i;
	int running;

	(void)o;
	if (qhb_vm_list(&list, &n, e) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		printf("%s %ld %" PRIu64 "M ", list[i].name, list[i].pid,
		    list[i].mem >> 20);
		if (!list[i].alive) {
			printf("dead (%s)\n", list[i].exit);
			continue;
		}
		run_state(&list[i], state, sizeof(state), &running);
		fputs(state, stdout);
		print_isolation(&list[i]);
		putchar('\n');
	}
	free(list);
	return 0;
}

/* A count for status: null where unset (0) or unknown (-1). */
static json_t *count_or_null(int64_t v)
{
	return v > 0 ? json_integer(v) : json_null();
}

/* status's "user", "limits", "cgroup" and "use" into j. */
static int status_isolation(json_t *j, const struct qhb_vm_info *info)
{
	const struct qhb_cgroup_limits *l = &info->limits;
	struct qhb_cgroup_use u;

	qhb_vm_use(info, &u);
	return json_object_set_new(j, "user", json_string(info->user)) |
	    json_object_set_new(j, "cgroup", json_string(
	    qhb_cgroup_kind_name(info->cgroup))) |
	    json_object_set_new(j, "limits", json_pack("{s:o, s:o, s:o}",
	    "cpus", l->cpus > 0 ? json_real(l->cpus) : json_null(),
	    "mem", count_or_null((int64_t)l->mem),
	    "pids", count_or_null((int64_t)l->pids))) |
	    json_object_set_new(j, "use", json_pack("{s:o, s:o, s:o}",
	    "cpu_s", u.cpu_ns >= 0 ? json_real((double)u.cpu_ns / 1e9) :
	    json_null(), "mem", u.mem >= 0 ? json_integer(u.mem) : json_null(),
	    "pids", u.pids >= 0 ? json_integer(u.pids) : json_null()));
}

static int cmd_status(struct vm_cmd_opts *o, struct qhb_err *e)
{
	struct qhb_vm_info info;
	char state[64];
	int running, rc = 0;
	json_t *j;

	if (find_running(o->name, &info, e) < 0)
		return -1;
	run_state(&info, state, sizeof(state), &running);
	j = json_pack("{s:s, s:I, s:s, s:b, s:I, s:i, s:s, s:s, s:s, s:s, s:s,"
	    " s:s, s:s, s:s}",
	    "name", info.name, "pid", (json_int_t)info.pid, "status", state,
	    "running", running, "mem", (json_int_t)info.mem,
	    "cpus", info.cpus, "machine", info.machine,
	    "cpu", info.cpu_model, "ram", info.ram,
	    "qmp", info.qmp, "serial", info.serial, "qemu_log", info.qemu_log,
	    "kernel", info.kernel, "initrd", info.initrd);
	if (j == NULL || status_isolation(j, &info) != 0 ||
	    json_dumpf(j, stdout, JSON_INDENT(2)) < 0) {
		qhb_err_path(e, o->name);
		rc = qhb_err_set(e, "cannot encode the status");
	} else {
		putchar('\n');
	}
	json_decref(j);
	return rc;
}

static int cmd_qmp(struct vm_cmd_opts *o, struct qhb_err *e)
{
	const char *command = o->args[1];
	const char *arguments = o->nargs > 2 ? o->args[2] : NULL;
	struct qhb_vm_info info;
	struct qhb_qmp *q = NULL;
	json_error_t jerr;
	json_t *ret, *args = NULL;
	int rc = -1;

	if (find_running(o->name, &info, e) < 0)
		return -1;
	if (arguments != NULL) {
		args = json_loads(arguments, 0, &jerr);
		if (!json_is_object(args)) {
			qhb_err_path(e, "ARGUMENTS");
			qhb_err_at(e, args ? 0 : (uint64_t)jerr.position,
			    "expected a JSON object%s%s", args ? "" : ": ",
			    args ? "" : jerr.text);
			goto out;
		}
	}
	q = qhb_qmp_open(info.ctl, QMP_TIMEOUT_MS, e);
	if (q == NULL)
		goto out;
	if (command[strspn(command, " \t\n")] == '{') {
		if (args != NULL) {
			qhb_err_set(e, "give ARGUMENTS inside the JSON command, "
			    "not after it");
			goto out;
		}
		ret = qhb_qmp_execute_text(q, command, e);
	} else {
		ret = qhb_qmp_execute(q, command, args, e);
	}
	if (ret == NULL)
		goto out;
	/* A write error is qhb_outfile_close_stdout's to report. */
	if (json_dumpf(ret, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY) < 0 &&
	    !ferror(stdout)) {
		qhb_err_set(e, "cannot encode QMP's answer");
	} else {
		putchar('\n');
		rc = 0;
	}
	json_decref(ret);
out:
	qhb_qmp_close(q);
	json_decref(args);
	return rc;
}

/* ram, qmp-path: a path of a running guest's. */
static int print_path(struct vm_cmd_opts *o, int qmp, struct qhb_err *e)
{
	struct qhb_vm_info info;

	if (find_running(o->name, &info, e) < 0)
		return -1;
	puts(qmp ? info.qmp : info.ram);
	return 0;
}

static int cmd_ram(struct vm_cmd_opts *o, struct qhb_err *e)
{
	return print_path(o, 0, e);
}

static int cmd_qmp_path(struct vm_cmd_opts *o, struct qhb_err *e)
{
	return print_path(o, 1, e);
}

static int cmd_log(struct vm_cmd_opts *o, struct qhb_err *e)
{
	struct qhb_vm_info info;
	char buf[65536];
	size_t n;
	FILE *fp;
	int rc = 0;

	if (qhb_vm_find(o->name, &info, e) < 0)
		return -1;
	fp = fopen(info.serial, "re");
	if (fp == NULL) {
		if (errno == ENOENT)
			return 0;   /* QEMU has not opened it yet */
		qhb_err_path(e, info.serial);
		return qhb_err_set(e, "%s", strerror(errno));
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		if (fwrite(buf, 1, n, stdout) != n)
			break;   /* qhb_outfile_close_stdout says why */
	if (ferror(fp)) {
		qhb_err_path(e, info.serial);
		rc = qhb_err_set(e, "read error");
	}
	fclose(fp);
	return rc;
}

static int cmd_wait(struct vm_cmd_opts *o, struct qhb_err *e)
{
	struct qhb_vm_info info;

	if (qhb_vm_find(o->name, &info, e) < 0)
		return -1;
	return qhb_vm_wait(&info, o->nargs > 1 ? o->args[1] : QHB_VM_READY,
	    o->timeout_s * 1000, e);
}

int main(int argc, char **argv)
{
	const struct vm_cmd *c = NULL;
	struct vm_cmd_opts o;
	struct qhb_err e = { 0 };
	size_t k;
	int i;

	memset(&o, 0, sizeof(o));
	o.argc = argc;
	o.argv = argv;
	if (argc < 2)
		usage(stderr, 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		usage(stdout, 0);
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf(PROG " " QHB_VERSION "\n");
		goto out;
	}
	for (k = 0; k < NCMDS && c == NULL; k++)
		if (strcmp(cmds[k].name, argv[1]) == 0)
			c = &cmds[k];
	if (c == NULL) {
		warnx("unknown subcommand \"%s\"", argv[1]);
		usage(stderr, 1);
	}
	argc--;
	argv++;
	if ((i = parse(argc, argv, c->opts, &o, &e)) < 0)
		goto fail;
	o.args = argv + i;
	o.nargs = argc - i;
	if (o.nargs < c->min || o.nargs > c->max) {
		warnx("%s: %s", c->name, o.nargs < c->min ?
		    "missing operand" : "too many operands");
		usage(stderr, 1);
	}
	if (o.timeout_s == 0)
		o.timeout_s = c->timeout_s ? c->timeout_s : DEFAULT_TIMEOUT_S;
	if (o.nargs > 0)
		o.name = o.args[0];
	if ((o.name != NULL && qhb_vm_name_check(o.name, &e) < 0) ||
	    c->run(&o, &e) < 0)
		goto fail;
out:
	if (qhb_outfile_close_stdout(&e) == 0)
		return 0;
fail:
	qhb_err_report(&e);
	return 1;
}
