/*
 * libFuzzer target for the QMP client (common/qmp): any bytes, as what a
 * QEMU on the other end of the socket sends (greeting, answers, events),
 * must give answers or a clean error, never a crash, a hang or a leak.
 * The bytes come through a socketpair from a thread that plays the
 * server: it sends them all, ends its side and reads what the client
 * sends until the client closes.  The client runs what qhb-snap and
 * qhb-vm run: the handshake, query-status, the RAM file's search, a
 * command typed as text, stop and cont.  Seeds in tests/fuzz/qmp/: a
 * session as QEMU 7.2 answers it, errors, replies without newlines.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct server {
	int fd;
	const uint8_t *data;
	size_t size;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	size_t done = 0;
	char buf[4096];
	ssize_t n;

	while (done < s->size && (n = send(s->fd, s->data + done,
	    s->size - done, MSG_NOSIGNAL)) > 0)
		done += (size_t)n;
	shutdown(s->fd, SHUT_WR);
	while (read(s->fd, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct server s = { .data = data, .size = size };
	struct qhb_err e = { 0 };
	struct qhb_qmp *q;
	pthread_t th;
	char path[256];
	uint64_t ram;
	json_t *ret;
	int sv[2], running;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	s.fd = sv[1];
	if (pthread_create(&th, NULL, serve, &s) != 0)
		abort();
	/* the bytes are all there or the server has hung up: a wait is
	 * for bytes on their way, never for the timeout */
	if ((q = qhb_qmp_fdopen(sv[0], "fuzz.qmp", 5000, &e)) != NULL) {
		qhb_qmp_running(q, &running, &e);
		qhb_qmp_ram_file(q, path, sizeof(path), &ram, &e);
		ret = qhb_qmp_execute_text(q, "{\"execute\": \"query-status\"}",
		    &e);
		json_decref(ret);
		qhb_qmp_stop(q, &e);
		qhb_qmp_cont(q, &e);
		qhb_qmp_close(q);
	} else if (e.msg[0] == '\0')
		abort();
	pthread_join(th, NULL);
	close(sv[1]);
	return 0;
}
