/*
 * qhb-vm -- start, inspect and stop QEMU guests whose RAM qhb can read.
 *
 * Each subcommand parses its own options into struct vm_cmd_opts, then
 * calls common/vm (and common/qmp for the questions QEMU answers).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "err.h"
#include "install.h"
#include "parse.h"
#include "qmp.h"
#include "trace.h"
#include "vm.h"

#define PROG "qhb-vm"
#define DEFAULT_TIMEOUT_S 180
#define QMP_TIMEOUT_MS    10000

struct vm_cmd_opts {
	struct qhb_vm_opts vm;
	const char *name;
	const char *pattern;      /* wait */
	const char *command;      /* qmp */
	const char *arguments;    /* qmp */
	int wait;                 /* start --wait */
	int timeout_s;
	char kernel[4096];
	char initrd[4096];
	char plugin[4096];        /* start --trace */
};

static const char synopsis[] =
    "usage: qhb-vm start [--wait] [--cpus N] [--mem SIZE] [--machine TYPE]\n"
    "              [--cpu MODEL] [--kernel FILE] [--initrd FILE] [--append ARGS]\n"
    "              [--trace[=OPTIONS]] [--timeout SECONDS] NAME\n"
    "       qhb-vm stop [--timeout SECONDS] NAME\n"
    "       qhb-vm list\n"
    "       qhb-vm status NAME\n"
    "       qhb-vm qmp NAME COMMAND [ARGUMENTS]\n"
    "       qhb-vm ram NAME\n"
    "       qhb-vm qmp-path NAME\n"
    "       qhb-vm log NAME\n"
    "       qhb-vm wait [--timeout SECONDS] NAME [PATTERN]\n"
    "       qhb-vm -h | -V\n";

static const char details[] =
    "\n"
    "Subcommands:\n"
    "  start NAME        boot a guest; its RAM is /dev/shm/qhb-UID-NAME.ram\n"
    "  stop NAME         quit QEMU and remove the RAM file and runtime files\n"
    "  list              one line per running guest: name, pid, mem, state\n"
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
    "  --timeout SECONDS bound on every wait (default 180; stop: 30)\n"
    "  -h, --help        this help\n"
    "  -V, --version     print the version\n";

static void usage(FILE *fp, int code)
{
	fputs(synopsis, fp);
	if (fp == stdout)
		fputs(details, fp);
	exit(code);
}

/* Checks that stdout took everything.  Returns 0 or 1. */
static int close_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		fprintf(stderr, PROG ": stdout: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

/* Parses the options of subcommand argv[0] into o.  Exits on usage
 * errors; returns the index of the first operand. */
static int parse(int argc, char **argv, struct vm_cmd_opts *o)
{
	enum { O_MEM = 256, O_CPUS, O_MACHINE, O_KERNEL, O_INITRD, O_APPEND,
	    O_WAIT, O_TIMEOUT, O_CPU, O_TRACE };
	static const struct option start_opts[] = {
		{ "mem", required_argument, NULL, O_MEM },
		{ "cpus", required_argument, NULL, O_CPUS },
		{ "machine", required_argument, NULL, O_MACHINE },
		{ "cpu", required_argument, NULL, O_CPU },
		{ "kernel", required_argument, NULL, O_KERNEL },
		{ "initrd", required_argument, NULL, O_INITRD },
		{ "append", required_argument, NULL, O_APPEND },
		{ "wait", no_argument, NULL, O_WAIT },
		{ "trace", optional_argument, NULL, O_TRACE },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct option timeout_opts[] = {
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct option plain_opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct option *longopts = plain_opts;
	struct qhb_err e = { 0 };
	int c;

	if (strcmp(argv[0], "start") == 0)
		longopts = start_opts;
	else if (strcmp(argv[0], "stop") == 0 || strcmp(argv[0], "wait") == 0)
		longopts = timeout_opts;
	optind = 1;
	/* "+" would stop at NAME; options may follow it, as in the examples,
	 * but QMP arguments and patterns are never options: "--" ends them. */
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_MEM:
			if (qhb_vm_parse_size(optarg, &o->vm.mem, &e) < 0) {
				fprintf(stderr, PROG ": --mem: %s\n", e.msg);
				exit(1);
			}
			break;
		case O_CPUS:
			if (qhb_parse_int(optarg, 1, 256, &o->vm.cpus, "--cpus", &e))
				goto bad;
			break;
		case O_MACHINE:
			o->vm.machine = optarg;
			break;
		case O_CPU:
			o->vm.cpu_model = optarg;
			break;
		case O_KERNEL:
			o->vm.kernel = optarg;
			break;
		case O_INITRD:
			o->vm.initrd = optarg;
			break;
		case O_APPEND:
			o->vm.append = optarg;
			break;
		case O_WAIT:
			o->wait = 1;
			break;
		case O_TRACE:
			o->vm.trace = optarg ? optarg : "";
			break;
		case O_TIMEOUT:
			if (qhb_parse_int(optarg, 1, 86400, &o->timeout_s,
			    "--timeout", &e))
				goto bad;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		default:
			usage(stderr, 1);
		}
	}
	return optind;
bad:
	qhb_err_report(&e);
	exit(1);
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

/* Fills in the demo guest when no kernel was given. */
static int default_guest(struct vm_cmd_opts *o)
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
		fprintf(stderr, PROG ": %s: guest directory path too long\n",
		    dir);
		return -1;
	}
	if (stat(o->kernel, &st) < 0 || stat(o->initrd, &st) < 0) {
		fprintf(stderr, PROG ": %s: no demo guest; run make guest, or "
		    "give --kernel\n", stat(o->kernel, &st) < 0 ? o->kernel :
		    o->initrd);
		return -1;
	}
	o->vm.kernel = o->kernel;
	if (o->vm.initrd == NULL)
		o->vm.initrd = o->initrd;
	return 0;
}

/* Finds a guest that must be running.  0, or -1 after saying why. */
static int find_running(const char *name, struct qhb_vm_info *info)
{
	struct qhb_err e = { 0 };

	if (qhb_vm_find(name, info, &e) < 0) {
		qhb_err_report(&e);
		return -1;
	}
	if (!info->alive) {
		fprintf(stderr, PROG ": %s: not running (QEMU pid %ld is gone; "
		    "see qhb-vm log %s, clean up with qhb-vm stop %s)\n",
		    name, info->pid, name, name);
		return -1;
	}
	return 0;
}

static int cmd_start(struct vm_cmd_opts *o)
{
	struct qhb_vm_info info, now;
	struct qhb_err e = { 0 };
	int timeout_ms = o->timeout_s * 1000;

	if (default_guest(o) < 0)
		return 1;
	o->vm.name = o->name;
	o->vm.timeout_ms = timeout_ms;
	if (o->vm.trace != NULL) {
		if (qhb_trace_plugin_find(NULL, o->plugin, sizeof(o->plugin),
		    &e) < 0) {
			qhb_err_report(&e);
			return 1;
		}
		o->vm.trace_plugin = o->plugin;
	}
	o->vm.qemu = getenv("QHB_QEMU");
	if (o->vm.qemu != NULL && *o->vm.qemu == '\0')
		o->vm.qemu = NULL;
	if (qhb_vm_start(&o->vm, &info, &e) < 0) {
		qhb_err_report(&e);
		return 1;
	}
	if (o->wait && qhb_vm_wait(&info, QHB_VM_READY, timeout_ms, &e) < 0) {
		qhb_err_report(&e);
		if (qhb_vm_find(o->name, &now, NULL) == 0)
			fprintf(stderr, PROG ": %s: %s; see qhb-vm log %s, then "
			    "qhb-vm stop %s\n", o->name, now.alive ?
			    "left running" : "its files are kept", o->name,
			    o->name);
		return 1;
	}
	return 0;
}

static int cmd_stop(struct vm_cmd_opts *o)
{
	struct qhb_err e = { 0 };

	if (qhb_vm_stop(o->name, o->timeout_s * 1000, NULL, &e) < 0) {
		qhb_err_report(&e);
		return 1;
	}
	return 0;
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

static int cmd_list(void)
{
	struct qhb_vm_info *list = NULL;
	struct qhb_err e = { 0 };
	char state[64];
	size_t n = 0, i;
	int running;

	if (qhb_vm_list(&list, &n, &e) < 0) {
		qhb_err_report(&e);
		return 1;
	}
	for (i = 0; i < n; i++) {
		run_state(&list[i], state, sizeof(state), &running);
		printf("%s %ld %" PRIu64 "M %s\n", list[i].name, list[i].pid,
		    list[i].mem >> 20, state);
	}
	free(list);
	return 0;
}

static int cmd_status(struct vm_cmd_opts *o)
{
	struct qhb_vm_info info;
	char state[64];
	int running;
	json_t *j;

	if (find_running(o->name, &info) < 0)
		return 1;
	run_state(&info, state, sizeof(state), &running);
	j = json_pack("{s:s, s:I, s:s, s:b, s:I, s:i, s:s, s:s, s:s, s:s, s:s,"
	    " s:s, s:s, s:s}",
	    "name", info.name, "pid", (json_int_t)info.pid, "status", state,
	    "running", running, "mem", (json_int_t)info.mem,
	    "cpus", info.cpus, "machine", info.machine,
	    "cpu", info.cpu_model, "ram", info.ram,
	    "qmp", info.qmp, "serial", info.serial, "qemu_log", info.qemu_log,
	    "kernel", info.kernel, "initrd", info.initrd);
	if (j == NULL || json_dumpf(j, stdout, JSON_INDENT(2)) < 0) {
		fprintf(stderr, PROG ": %s: cannot encode the status\n",
		    o->name);
		json_decref(j);
		return 1;
	}
	putchar('\n');
	json_decref(j);
	return 0;
}

static int cmd_qmp(struct vm_cmd_opts *o)
{
	struct qhb_vm_info info;
	struct qhb_err e = { 0 };
	struct qhb_qmp *q;
	json_error_t jerr;
	json_t *ret, *args = NULL;
	int rc = 1;

	if (find_running(o->name, &info) < 0)
		return 1;
	if (o->arguments != NULL) {
		args = json_loads(o->arguments, 0, &jerr);
		if (!json_is_object(args)) {
			fprintf(stderr, PROG ": ARGUMENTS: byte %d: expected a "
			    "JSON object%s%s\n", args ? 0 : jerr.position,
			    args ? "" : ": ", args ? "" : jerr.text);
			json_decref(args);
			return 1;
		}
	}
	q = qhb_qmp_open(info.ctl, QMP_TIMEOUT_MS, &e);
	if (q == NULL) {
		qhb_err_report(&e);
		goto out;
	}
	if (o->command[strspn(o->command, " \t\n")] == '{') {
		if (args != NULL) {
			fprintf(stderr, PROG ": give ARGUMENTS inside the JSON "
			    "command, not after it\n");
			goto out;
		}
		ret = qhb_qmp_execute_text(q, o->command, &e);
	} else {
		ret = qhb_qmp_execute(q, o->command, args, &e);
	}
	if (ret == NULL) {
		qhb_err_report(&e);
		goto out;
	}
	if (json_dumpf(ret, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY) == 0 &&
	    putchar('\n') != EOF)
		rc = 0;
	json_decref(ret);
out:
	qhb_qmp_close(q);
	json_decref(args);
	return rc;
}

static int cmd_log(struct vm_cmd_opts *o)
{
	struct qhb_vm_info info;
	struct qhb_err e = { 0 };
	char buf[65536];
	size_t n;
	FILE *fp;
	int rc = 0;

	if (qhb_vm_find(o->name, &info, &e) < 0) {
		qhb_err_report(&e);
		return 1;
	}
	fp = fopen(info.serial, "re");
	if (fp == NULL) {
		if (errno == ENOENT)
			return 0;   /* QEMU has not opened it yet */
		fprintf(stderr, PROG ": %s: %s\n", info.serial,
		    strerror(errno));
		return 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		if (fwrite(buf, 1, n, stdout) != n)
			break;
	if (ferror(fp)) {
		fprintf(stderr, PROG ": %s: read error\n", info.serial);
		rc = 1;
	}
	fclose(fp);
	return rc;
}

static int cmd_wait(struct vm_cmd_opts *o)
{
	struct qhb_vm_info info;
	struct qhb_err e = { 0 };

	if (qhb_vm_find(o->name, &info, &e) < 0) {
		qhb_err_report(&e);
		return 1;
	}
	if (qhb_vm_wait(&info, o->pattern ? o->pattern : QHB_VM_READY,
	    o->timeout_s * 1000, &e) < 0) {
		qhb_err_report(&e);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const cmds[] = { "start", "stop", "list", "status",
	    "qmp", "ram", "qmp-path", "log", "wait", NULL };
	struct vm_cmd_opts o;
	struct qhb_vm_info info;
	struct qhb_err e = { 0 };
	const char *cmd;
	int i, nargs, min, max, rc;

	memset(&o, 0, sizeof(o));
	if (argc < 2)
		usage(stderr, 1);
	cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0)
		usage(stdout, 0);
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		printf(PROG " " QHB_VERSION "\n");
		return close_stdout();
	}
	for (i = 0; cmds[i] != NULL && strcmp(cmds[i], cmd) != 0; i++)
		;
	if (cmds[i] == NULL) {
		fprintf(stderr, PROG ": unknown subcommand \"%s\"\n", cmd);
		usage(stderr, 1);
	}
	argc--;
	argv++;
	i = parse(argc, argv, &o);
	nargs = argc - i;
	min = 1;
	max = 1;
	if (strcmp(cmd, "list") == 0)
		min = max = 0;
	else if (strcmp(cmd, "qmp") == 0)
		min = 2, max = 3;
	else if (strcmp(cmd, "wait") == 0)
		max = 2;
	if (nargs < min || nargs > max) {
		fprintf(stderr, PROG ": %s: %s\n", cmd, nargs < min ?
		    "missing operand" : "too many operands");
		usage(stderr, 1);
	}
	if (o.timeout_s == 0)
		o.timeout_s = strcmp(cmd, "stop") == 0 ? 30 : DEFAULT_TIMEOUT_S;
	if (nargs > 0) {
		o.name = argv[i];
		if (qhb_vm_name_check(o.name, &e) < 0) {
			qhb_err_report(&e);
			return 1;
		}
	}
	if (strcmp(cmd, "qmp") == 0) {
		o.command = argv[i + 1];
		o.arguments = nargs > 2 ? argv[i + 2] : NULL;
	} else if (strcmp(cmd, "wait") == 0 && nargs > 1) {
		o.pattern = argv[i + 1];
	}

	if (strcmp(cmd, "start") == 0)
		rc = cmd_start(&o);
	else if (strcmp(cmd, "stop") == 0)
		rc = cmd_stop(&o);
	else if (strcmp(cmd, "list") == 0)
		rc = cmd_list();
	else if (strcmp(cmd, "status") == 0)
		rc = cmd_status(&o);
	else if (strcmp(cmd, "qmp") == 0)
		rc = cmd_qmp(&o);
	else if (strcmp(cmd, "log") == 0)
		rc = cmd_log(&o);
	else if (strcmp(cmd, "wait") == 0)
		rc = cmd_wait(&o);
	else if (find_running(o.name, &info) < 0)
		rc = 1;
	else {
		puts(strcmp(cmd, "ram") == 0 ? info.ram : info.qmp);
		rc = 0;
	}
	return close_stdout() | rc;
}
