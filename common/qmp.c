/*
 * qmp -- a client for the QEMU Machine Protocol over a Unix socket.
 *
 * The socket is non-blocking and every read or write waits in poll() for at
 * most what is left of the operation's deadline.  Bytes received are kept in
 * a buffer and parsed one JSON value at a time, so a message split across
 * reads, or several messages in one read, come out the same.
 */
#include "qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define QMP_DEFAULT_TIMEOUT_MS  10000
#define QMP_MAX_MESSAGE         (64u * 1024 * 1024)

struct qhb_qmp {
	int fd;
	int timeout_ms;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *buf;            /* received, not yet parsed: buf[0..len) */
	size_t len;
	size_t cap;
	json_int_t next_id;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before deadline, at least 0. */
static int left_ms(int64_t deadline)
{
	int64_t left = deadline - now_ms();

	return left < 0 ? 0 : left > 0x7fffffff ? 0x7fffffff : (int)left;
}

/* Waits until fd is ready for events.  0, or -1 with e set on timeout. */
static int qmp_poll(struct qhb_qmp *q, short events, int64_t deadline,
    const char *what, struct qhb_err *e)
{
	struct pollfd pfd = { .fd = q->fd, .events = events };
	int n;

	for (;;) {
		n = poll(&pfd, 1, left_ms(deadline));
		if (n > 0)
			return 0;
		if (n == 0)
			return qhb_err_set(e, "no answer from QEMU within %d ms "
			    "while %s (hung, or another QMP client connected?)",
			    q->timeout_ms, what);
		if (errno != EINTR)
			return qhb_err_sys(e, "poll");
	}
}

static int qmp_send(struct qhb_qmp *q, const char *text, int64_t deadline,
    struct qhb_err *e)
{
	size_t len = strlen(text), done = 0;
	ssize_t n;

	while (done < len) {
		n = send(q->fd, text + done, len - done, MSG_NOSIGNAL);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (qmp_poll(q, POLLOUT, deadline, "sending", e) < 0)
				return -1;
			continue;
		}
		return qhb_err_sys(e, "send to QEMU");
	}
	return 0;
}

/* Reads whatever is there, waiting until deadline for at least one byte.
 * 0, or -1 with e set (timeout, EOF, error); the buffer keeps what it had. */
static int qmp_fill(struct qhb_qmp *q, int64_t deadline, struct qhb_err *e)
{
	ssize_t n;
	char *nb;

	if (q->cap - q->len < 4096) {
		if (q->cap >= QMP_MAX_MESSAGE)
			return qhb_err_set(e, "QMP message longer than %u bytes",
			    QMP_MAX_MESSAGE);
		nb = realloc(q->buf, q->cap ? q->cap * 2 : 16384);
		if (nb == NULL)
			return qhb_err_sys(e, "QMP buffer");
		q->buf = nb;
		q->cap = q->cap ? q->cap * 2 : 16384;
	}
	for (;;) {
		n = recv(q->fd, q->buf + q->len, q->cap - q->len, 0);
		if (n > 0) {
			q->len += (size_t)n;
			return 0;
		}
		if (n == 0)
			return qhb_err_set(e, "QEMU closed the QMP connection");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return qhb_err_sys(e, "recv from QEMU");
		if (qmp_poll(q, POLLIN, deadline, "waiting for a reply", e) < 0)
			return -1;
	}
}

/* Returns the next whole JSON object QEMU sent, a new reference, waiting
 * until deadline for it; NULL with e set on error or timeout. */
static json_t *qmp_read(struct qhb_qmp *q, int64_t deadline, struct qhb_err *e)
{
	json_error_t jerr;
	json_t *msg;
	size_t skip;

	for (;;) {
		skip = 0;
		while (skip < q->len && strchr(" \t\r\n", q->buf[skip]) != NULL)
			skip++;
		if (skip > 0) {
			memmove(q->buf, q->buf + skip, q->len - skip);
			q->len -= skip;
		}
		if (q->len > 0) {
			msg = json_loadb(q->buf, q->len, JSON_DISABLE_EOF_CHECK,
			    &jerr);
			if (msg != NULL) {
				skip = (size_t)jerr.position;
				if (skip > q->len)
					skip = q->len;
				memmove(q->buf, q->buf + skip, q->len - skip);
				q->len -= skip;
				if (json_is_object(msg))
					return msg;
				json_decref(msg);
				return qhb_err_set(e, "QEMU sent a JSON value "
				    "that is not an object"), NULL;
			}
			if (json_error_code(&jerr) !=
			    json_error_premature_end_of_input)
				return qhb_err_set(e, "QEMU sent invalid JSON: "
				    "%s", jerr.text), NULL;
		}
		if (qmp_fill(q, deadline, e) < 0)
			return NULL;
	}
}

/* Sends cmd (borrowed) and returns its "return", a new reference, or NULL
 * with e set.  Events and answers to other ids are skipped. */
static json_t *qmp_call(struct qhb_qmp *q, json_t *cmd, struct qhb_err *e)
{
	int64_t deadline = now_ms() + q->timeout_ms;
	json_int_t id = q->next_id++;
	json_t *msg = NULL, *ret = NULL, *mid, *err;
	const char *name;
	char *text;

	name = json_string_value(json_object_get(cmd, "execute"));
	if (name == NULL)
		name = json_string_value(json_object_get(cmd, "exec-oob"));
	if (name == NULL)
		name = "?";
	if (json_object_set_new(cmd, "id", json_integer(id)) < 0)
		return qhb_err_set(e, "out of memory"), NULL;
	text = json_dumps(cmd, JSON_COMPACT);
	if (text == NULL)
		return qhb_err_set(e, "cannot encode the QMP command"), NULL;
	if (qmp_send(q, text, deadline, e) < 0 || qmp_send(q, "\n", deadline,
	    e) < 0)
		goto out;
	for (;;) {
		json_decref(msg);
		msg = qmp_read(q, deadline, e);
		if (msg == NULL)
			goto out;
		if (json_object_get(msg, "event") != NULL)
			continue;
		mid = json_object_get(msg, "id");
		if (mid != NULL && !(json_is_integer(mid) &&
		    json_integer_value(mid) == id))
			continue;
		if ((ret = json_object_get(msg, "return")) != NULL) {
			json_incref(ret);
			goto out;
		}
		if ((err = json_object_get(msg, "error")) != NULL) {
			qhb_err_set(e, "%s: %s: %s", name,
			    json_string_value(json_object_get(err, "class")) ?
			    json_string_value(json_object_get(err, "class")) :
			    "Error",
			    json_string_value(json_object_get(err, "desc")) ?
			    json_string_value(json_object_get(err, "desc")) :
			    "(no description)");
			goto out;
		}
		/* Neither event nor answer: not for us. */
	}
out:
	json_decref(msg);
	free(text);
	return ret;
}

/* A connection not yet set up on fd (-1), named name in errors; NULL with
 * e set when out of memory. */
static struct qhb_qmp *qmp_new(const char *name, int timeout_ms,
    struct qhb_err *e)
{
	struct qhb_qmp *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return qhb_err_sys(e, "QMP connection"), NULL;
	q->fd = -1;
	q->timeout_ms = timeout_ms > 0 ? timeout_ms : QMP_DEFAULT_TIMEOUT_MS;
	q->next_id = 1;
	snprintf(q->path, sizeof(q->path), "%s", name);
	return q;
}

/* Reads QEMU's greeting and negotiates capabilities by deadline.  0, or
 * -1 with e set. */
static int qmp_handshake(struct qhb_qmp *q, int64_t deadline,
    struct qhb_err *e)
{
	json_t *msg, *ret;

	msg = qmp_read(q, deadline, e);
	if (msg == NULL)
		return -1;
	if (json_object_get(msg, "QMP") == NULL) {
		json_decref(msg);
		return qhb_err_set(e, "expected a QMP greeting {\"QMP\": ...}, "
		    "got something else: not a QMP socket?");
	}
	json_decref(msg);
	msg = json_pack("{s:s}", "execute", "qmp_capabilities");
	ret = msg != NULL ? qmp_call(q, msg, e) : NULL;
	json_decref(msg);
	if (ret == NULL)
		return -1;
	json_decref(ret);
	return 0;
}

struct qhb_qmp *qhb_qmp_open(const char *path, int timeout_ms,
    struct qhb_err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct qhb_qmp *q;
	int64_t deadline;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		qhb_err_path(e, path);
		return qhb_err_set(e, "socket path longer than %zu bytes",
		    sizeof(sa.sun_path) - 1), NULL;
	}
	if ((q = qmp_new(path, timeout_ms, e)) == NULL)
		return NULL;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	deadline = now_ms() + q->timeout_ms;
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (q->fd < 0) {
		qhb_err_sys(e, "socket");
		goto err;
	}
	/* A full listen queue gives EAGAIN on a Unix socket: retry. */
	while (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && left_ms(deadline) > 0) {
			usleep(10000);
			continue;
		}
		qhb_err_sys(e, "connect");
		goto err;
	}
	if (qmp_handshake(q, deadline, e) < 0)
		goto err;
	return q;
err:
	qhb_err_path(e, path);
	qhb_qmp_close(q);
	return NULL;
}

struct qhb_qmp *qhb_qmp_fdopen(int fd, const char *name, int timeout_ms,
    struct qhb_err *e)
{
	struct qhb_qmp *q;
	int fl;

	if ((q = qmp_new(name, timeout_ms, e)) == NULL) {
		close(fd);
		return NULL;
	}
	q->fd = fd;
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		qhb_err_sys(e, "fcntl");
		goto err;
	}
	if (qmp_handshake(q, now_ms() + q->timeout_ms, e) < 0)
		goto err;
	return q;
err:
	qhb_err_path(e, name);
	qhb_qmp_close(q);
	return NULL;
}

void qhb_qmp_close(struct qhb_qmp *q)
{
	if (q == NULL)
		return;
	if (q->fd >= 0)
		close(q->fd);
	free(q->buf);
	free(q);
}

json_t *qhb_qmp_execute(struct qhb_qmp *q, const char *command,
    json_t *arguments, struct qhb_err *e)
{
	json_t *cmd, *ret;

	cmd = json_pack("{s:s}", "execute", command);
	if (cmd == NULL || (arguments != NULL &&
	    json_object_set(cmd, "arguments", arguments) < 0)) {
		json_decref(cmd);
		return qhb_err_set(e, "out of memory"), NULL;
	}
	ret = qmp_call(q, cmd, e);
	json_decref(cmd);
	if (ret == NULL)
		qhb_err_path(e, q->path);
	return ret;
}

json_t *qhb_qmp_execute_text(struct qhb_qmp *q, const char *json_text,
    struct qhb_err *e)
{
	json_error_t jerr;
	json_t *cmd, *ret = NULL, *args;

	cmd = json_loads(json_text, 0, &jerr);
	if (cmd == NULL) {
		qhb_err_path(e, "QMP command");
		return qhb_err_at(e, (uint64_t)jerr.position, "invalid JSON: %s",
		    jerr.text), NULL;
	}
	if (!json_is_object(cmd) || (!json_is_string(json_object_get(cmd,
	    "execute")) && !json_is_string(json_object_get(cmd, "exec-oob")))) {
		qhb_err_path(e, "QMP command");
		qhb_err_set(e, "expected {\"execute\": \"NAME\", \"arguments\": "
		    "{...}}, got %s", json_is_object(cmd) ?
		    "an object without a string \"execute\"" : "another JSON value");
		goto out;
	}
	args = json_object_get(cmd, "arguments");
	if (args != NULL && !json_is_object(args)) {
		qhb_err_path(e, "QMP command");
		qhb_err_set(e, "expected \"arguments\" to be an object");
		goto out;
	}
	ret = qmp_call(q, cmd, e);
	if (ret == NULL)
		qhb_err_path(e, q->path);
out:
	json_decref(cmd);
	return ret;
}

/* qom-get PATH PROPERTY, a new reference or NULL with e set. */
static json_t *qom_get(struct qhb_qmp *q, const char *path, const char *prop,
    struct qhb_err *e)
{
	json_t *args, *ret;

	args = json_pack("{s:s, s:s}", "path", path, "property", prop);
	if (args == NULL)
		return qhb_err_set(e, "out of memory"), NULL;
	ret = qhb_qmp_execute(q, "qom-get", args, e);
	json_decref(args);
	return ret;
}

#define RAM_FILE_HINT "start QEMU with -object memory-backend-file,id=ram," \
	"size=SIZE,mem-path=/dev/shm/FILE,share=on -machine memory-backend=ram"

/* Checks the memory-backend-file object name: 0 with path and size
 * stored, 1 with why saying what is wrong with it, -1 on a QMP error. */
static int ram_backend(struct qhb_qmp *q, const char *name, char *path,
    size_t pathsize, uint64_t *size, char *why, size_t whysize,
    struct qhb_err *e)
{
	char obj[512];
	const char *mp;
	struct stat st;
	json_int_t sz;
	json_t *v;
	int share, rc = 1;

	snprintf(obj, sizeof(obj), "/objects/%s", name);
	v = qom_get(q, obj, "share", e);
	if (v == NULL)
		return -1;
	share = json_is_true(v);
	json_decref(v);
	v = qom_get(q, obj, "size", e);
	if (v == NULL)
		return -1;
	sz = json_is_integer(v) ? json_integer_value(v) : -1;
	json_decref(v);
	v = qom_get(q, obj, "mem-path", e);
	if (v == NULL)
		return -1;
	mp = json_string_value(v);
	if (mp == NULL)
		snprintf(why, whysize, "memory-backend-file '%s' has no "
		    "mem-path", name);
	else if (!share)
		snprintf(why, whysize, "memory-backend-file '%s' (%s) has "
		    "share=off, so the file does not see guest writes", name, mp);
	else if (stat(mp, &st) < 0)
		snprintf(why, whysize, "memory-backend-file '%s': mem-path %s: "
		    "%s", name, mp, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(why, whysize, "memory-backend-file '%s': mem-path %s is "
		    "not a regular file (a directory makes QEMU use a hidden "
		    "file in it)", name, mp);
	else if (sz <= 0)
		snprintf(why, whysize, "memory-backend-file '%s': no usable "
		    "size", name);
	else if (strlen(mp) >= pathsize)
		snprintf(why, whysize, "memory-backend-file '%s': mem-path "
		    "longer than %zu bytes", name, pathsize - 1);
	else {
		memcpy(path, mp, strlen(mp) + 1);
		*size = (uint64_t)sz;
		rc = 0;
	}
	json_decref(v);
	return rc;
}

int qhb_qmp_ram_file(struct qhb_qmp *q, char *path, size_t pathsize,
    uint64_t *size, struct qhb_err *e)
{
	char why[768] = "", ram[256] = "", mtype[300] = "";
	const char *type, *name;
	json_t *list, *args, *item, *v;
	int rc = -1, r, nfile = 0;
	size_t i;

	/* The backend the machine uses as RAM, when QEMU says (7.0+):
	 * "/objects/NAME".  Other backends are not guest RAM. */
	v = qom_get(q, "/machine", "memory-backend", NULL);
	if (json_is_string(v))
		snprintf(ram, sizeof(ram), "%s", json_string_value(v));
	json_decref(v);
	if (strncmp(ram, "/objects/", 9) == 0)
		memmove(ram, ram + 9, strlen(ram) - 8);

	args = json_pack("{s:s}", "path", "/objects");
	list = args != NULL ? qhb_qmp_execute(q, "qom-list", args, e) : NULL;
	json_decref(args);
	if (list == NULL)
		return -1;
	if (!json_is_array(list)) {
		qhb_err_path(e, q->path);
		qhb_err_set(e, "qom-list /objects: expected an array");
		goto out;
	}
	json_array_foreach(list, i, item) {
		type = json_string_value(json_object_get(item, "type"));
		name = json_string_value(json_object_get(item, "name"));
		if (type == NULL || name == NULL)
			continue;
		if (ram[0] != '\0' && strcmp(name, ram) == 0)
			snprintf(mtype, sizeof(mtype), "%s", type);
		if (strcmp(type, "child<memory-backend-file>") != 0 ||
		    (ram[0] != '\0' && strcmp(name, ram) != 0))
			continue;
		nfile++;
		r = ram_backend(q, name, path, pathsize, size, why, sizeof(why),
		    e);
		if (r < 0)
			goto out;
		if (r == 0) {
			rc = 0;
			goto out;
		}
	}
	qhb_err_path(e, q->path);
	if (nfile > 0)
		qhb_err_set(e, "%s; " RAM_FILE_HINT, why);
	else if (mtype[0] != '\0')
		qhb_err_set(e, "guest RAM is '%s', a %.*s, not a file that qhb "
		    "can map; " RAM_FILE_HINT, ram, (int)strlen(mtype) -
		    (strncmp(mtype, "child<", 6) == 0 ? 7 : 0),
		    strncmp(mtype, "child<", 6) == 0 ? mtype + 6 : mtype);
	else
		qhb_err_set(e, "QEMU has no memory-backend-file object "
		    "backing guest RAM; " RAM_FILE_HINT);
out:
	json_decref(list);
	return rc;
}

int qhb_qmp_running(struct qhb_qmp *q, int *running, struct qhb_err *e)
{
	json_t *ret;

	ret = qhb_qmp_execute(q, "query-status", NULL, e);
	if (ret == NULL)
		return -1;
	if (!json_is_boolean(json_object_get(ret, "running"))) {
		json_decref(ret);
		qhb_err_path(e, q->path);
		return qhb_err_set(e, "query-status: expected a boolean "
		    "\"running\"");
	}
	*running = json_is_true(json_object_get(ret, "running"));
	json_decref(ret);
	return 0;
}

static int qmp_simple(struct qhb_qmp *q, const char *command,
    struct qhb_err *e)
{
	json_t *ret;

	ret = qhb_qmp_execute(q, command, NULL, e);
	if (ret == NULL)
		return -1;
	json_decref(ret);
	return 0;
}

int qhb_qmp_stop(struct qhb_qmp *q, struct qhb_err *e)
{
	return qmp_simple(q, "stop", e);
}

int qhb_qmp_cont(struct qhb_qmp *q, struct qhb_err *e)
{
	return qmp_simple(q, "cont", e);
}
