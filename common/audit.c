#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

/* mkdir -p of path's directory. */
static int mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

int qhb_audit_open(struct qhb_audit *a, struct qhb_err *e)
{
	const char *env = getenv("QHB_AUDIT"), *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	struct passwd *pw = getpwuid(getuid());

	a->fd = -1;
	/* Looked up now: the name service may need a socket, which a
	 * narrowed process no longer has (common/sandbox). */
	snprintf(a->user, sizeof(a->user), "%s", pw ? pw->pw_name : "?");
	if (env && *env)
		snprintf(a->path, sizeof(a->path), "%s", env);
	else if (state && *state)
		snprintf(a->path, sizeof(a->path), "%s/qhb/audit.jsonl", state);
	else if (home && *home)
		snprintf(a->path, sizeof(a->path),
		    "%s/.local/state/qhb/audit.jsonl", home);
	else
		return qhb_err_set(e, "no audit log: set QHB_AUDIT, "
		    "XDG_STATE_HOME or HOME");
	if (mkdirs(a->path) < 0 || (a->fd = open(a->path, O_WRONLY |
	    O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		qhb_err_sys(e, "cannot open audit log");
		qhb_err_path(e, a->path);
		return -1;
	}
	return 0;
}

/* The time now, as 2026-01-02T03:04:05.678Z, into ts. */
static void audit_time(char *ts, size_t size)
{
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + strlen(ts), size - strlen(ts), ".%03ldZ",
	    now.tv_nsec / 1000000);
}

/* argv as a JSON array of strings. */
static json_t *audit_args(int argc, char **argv)
{
	json_t *args = json_array();

	for (int i = 0; i < argc; i++) {
		json_t *j = json_string(argv[i]);
		json_array_append_new(args, j ? j : json_string("?"));
	}
	return args;
}

/* Appends o (consumed) as one line, with one write(). */
static int audit_append(struct qhb_audit *a, json_t *o, struct qhb_err *e)
{
	char *line;
	size_t len;
	ssize_t w;

	line = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(o);
	if (line == NULL)
		return qhb_err_set(e, "out of memory");
	len = strlen(line);
	line[len++] = '\n';   /* json_dumps leaves room: replace the NUL */
	w = write(a->fd, line, len);
	free(line);
	if (w != (ssize_t)len) {
		qhb_err_sys(e, "cannot append to audit log");
		qhb_err_path(e, a->path);
		return -1;
	}
	return 0;
}

int qhb_audit_log(struct qhb_audit *a, int argc, char **argv,
    const char *source, uint64_t ram_hash, uint64_t frame,
    const char *outcome, struct qhb_err *e)
{
	char ts[64], hash[24];

	audit_time(ts, sizeof(ts));
	snprintf(hash, sizeof(hash), "%016" PRIx64, ram_hash);
	return audit_append(a, json_pack("{s:s,s:s,s:I,s:I,s:o,s:s,s:s,s:I,"
	    "s:s}", "time", ts, "user", a->user,
	    "uid", (json_int_t)getuid(), "pid", (json_int_t)getpid(),
	    "args", audit_args(argc, argv), "source", source ? source : "",
	    "ram_xxh3", hash, "frame", (json_int_t)frame,
	    "outcome", outcome ? outcome : "ok"), e);
}

int qhb_audit_log_start(struct qhb_audit *a, int argc, char **argv,
    const char *guest, const struct qhb_cgroup_limits *l,
    const char *qemu_user, long qemu_pid, const char *outcome,
    struct qhb_err *e)
{
	char ts[64];

	audit_time(ts, sizeof(ts));
	return audit_append(a, json_pack("{s:s,s:s,s:I,s:I,s:o,s:s,s:s,s:s,"
	    "s:I,s:{s:f,s:I,s:I},s:s}", "time", ts, "user", a->user,
	    "uid", (json_int_t)getuid(), "pid", (json_int_t)getpid(),
	    "args", audit_args(argc, argv), "event", "start",
	    "guest", guest, "qemu_user", qemu_user ? qemu_user : "",
	    "qemu_pid", (json_int_t)qemu_pid,
	    "limits", "cpus", l->cpus, "mem", (json_int_t)l->mem,
	    "pids", (json_int_t)l->pids, "outcome", outcome ? outcome : "ok"),
	    e);
}

void qhb_audit_close(struct qhb_audit *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

uint64_t qhb_audit_hash(const void *ram, size_t size)
{
	return XXH3_64bits(ram, size);
}

struct hash_arg {
	XXH3_state_t *st;
	const uint8_t *map;
	uint64_t size;          /* bytes at map */
	uint64_t pos;           /* bytes hashed so far */
};

static void hash_zeros(XXH3_state_t *st, uint64_t n)
{
	static const uint8_t zero[65536];

	while (n > 0) {
		size_t k = n > sizeof(zero) ? sizeof(zero) : n;
		XXH3_64bits_update(st, zero, k);
		n -= k;
	}
}

static int hash_run(void *arg, uint64_t first, uint64_t count)
{
	struct hash_arg *h = arg;
	uint64_t off = first * QHB_PAGE_SIZE, n = count * QHB_PAGE_SIZE;

	/* a RAM of smaller pages may end inside the last one */
	if (off >= h->size)
		return 0;
	if (n > h->size - off)
		n = h->size - off;
	hash_zeros(h->st, off - h->pos);
	XXH3_64bits_update(h->st, h->map + off, n);
	h->pos = off + n;
	return 0;
}

/* The hash of size bytes at map, of which runs lists what may hold data:
 * the rest is hashed as zeros without being touched. */
static uint64_t hash_runs(const uint8_t *map, uint64_t size,
    int (*runs)(const void *src, int (*fn)(void *, uint64_t, uint64_t),
    void *arg), const void *src)
{
	struct hash_arg h = { XXH3_createState(), map, size, 0 };
	uint64_t v;

	if (h.st == NULL)
		return 0;
	XXH3_64bits_reset(h.st);
	runs(src, hash_run, &h);
	hash_zeros(h.st, size - h.pos);
	v = XXH3_64bits_digest(h.st);
	XXH3_freeState(h.st);
	return v;
}

static int file_runs(const void *src, int (*fn)(void *, uint64_t, uint64_t),
    void *arg)
{
	return qhb_ram_data_runs(src, fn, arg);
}

static int image_runs(const void *src, int (*fn)(void *, uint64_t, uint64_t),
    void *arg)
{
	return qhb_image_data_runs(src, fn, arg);
}

uint64_t qhb_audit_hash_file(const struct qhb_ram *r)
{
	return hash_runs(r->map, r->size, file_runs, r);
}

uint64_t qhb_audit_hash_image(const struct qhb_image *im)
{
	return hash_runs(im->ram, im->size, image_runs, im);
}
