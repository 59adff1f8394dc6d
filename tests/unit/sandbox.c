/* Unit tests of common/sandbox: a narrowed child that opens a socket,
 * runs a program or forks dies of SIGSYS; one that does the work it said
 * it would (read its input, write its output atomically, start a thread)
 * exits 0; Landlock, where the kernel has it, keeps other files shut. */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "outfile.h"
#include "sandbox.h"
#include "unit.h"

static char dir[64];
static char in_path[96], out_path[96], other_path[96];

/* Narrows a child as a stage that reads in_path and writes out_path. */
static void narrow(int threads)
{
	const char *rd[] = { in_path }, *wr[] = { out_path };
	struct qhb_sandbox sb = { rd, 1, wr, 1, threads, 0 };
	struct qhb_err e = { 0 };

	if (qhb_sandbox_narrow(&sb, &e) != 0)
		_exit(100);
}

/* Runs fn in a child; returns its wait status. */
static int in_child(void (*fn)(void))
{
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		fn();
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static int killed_by_sigsys(int st)
{
	return st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS;
}

static void do_socket(void)
{
	narrow(1);
	socket(AF_INET, SOCK_STREAM, 0);
	_exit(1);
}

static void do_exec(void)
{
	char *argv[] = { "/bin/true", NULL }, *envp[] = { NULL };

	narrow(1);
	execve(argv[0], argv, envp);
	_exit(1);
}

static void do_fork(void)
{
	pid_t pid;

	narrow(1);
	if ((pid = fork()) == 0)
		_exit(0);
	_exit(1);
}

/* A thread when none was asked for. */
static void *nothing(void *arg)
{
	return arg;
}

static void do_thread_unasked(void)
{
	pthread_t th;

	narrow(0);
	if (pthread_create(&th, NULL, nothing, NULL) == 0)
		pthread_join(th, NULL);
	_exit(1);
}

static void *sum(void *arg)
{
	const char *s = arg;
	long n = 0;

	while (*s)
		n += *s++;
	return (void *)n;
}

/* The allowed work: exits 0, or the number of the step that failed. */
static void do_work(void)
{
	struct qhb_outfile out;
	struct qhb_err e = { 0 };
	char buf[64] = { 0 };
	pthread_t th;
	void *r;
	int fd;

	if (qhb_outfile_open(&out, out_path, 1, &e))
		_exit(2);
	narrow(1);
	if ((fd = open(in_path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    read(fd, buf, sizeof(buf) - 1) != 5 || close(fd))
		_exit(3);
	if (pthread_create(&th, NULL, sum, buf) || pthread_join(th, &r) ||
	    (long)r != 'h' + 'e' + 'l' + 'l' + 'o')
		_exit(4);
	if (qhb_write_all(out.fd, buf, 5, &e) || qhb_outfile_commit(&out, &e))
		_exit(5);
	exit(0);
}

/* Landlock: the file next door stays shut. */
static void do_other_file(void)
{
	narrow(0);
	if (open(other_path, O_RDONLY | O_CLOEXEC) >= 0)
		_exit(1);
	_exit(errno == EACCES ? 0 : 2);
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s) || close(fd))
		abort();
}

static void test_socket_kills(void)
{
	CHECK(killed_by_sigsys(in_child(do_socket)));
}

static void test_exec_kills(void)
{
	CHECK(killed_by_sigsys(in_child(do_exec)));
}

static void test_fork_kills(void)
{
	CHECK(killed_by_sigsys(in_child(do_fork)));
}

static void test_thread_kills_unasked(void)
{
	CHECK(killed_by_sigsys(in_child(do_thread_unasked)));
}

static void test_allowed_work(void)
{
	char buf[16] = { 0 };
	int st = in_child(do_work), fd;

	CHECKF(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "wait status %#x", st);
	CHECK((fd = open(out_path, O_RDONLY)) >= 0);
	CHECK(read(fd, buf, sizeof(buf)) == 5);
	close(fd);
	CHECK(memcmp(buf, "hello", 5) == 0);
}

static void test_other_file_shut(void)
{
	int st;

	if (syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION) < 1) {
		printf("# no Landlock in this kernel: skipped\n");
		return;
	}
	st = in_child(do_other_file);
	CHECKF(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "wait status %#x", st);
}

/* QHB_NO_SANDBOX=1: nothing narrows, a fork works. */
static void test_escape_hatch(void)
{
	int st;

	setenv("QHB_NO_SANDBOX", "1", 1);
	st = in_child(do_fork);
	unsetenv("QHB_NO_SANDBOX");
	CHECKF(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1,
	    "wait status %#x", st);
}

void unit_main(void)
{
	char sub[96], osub[96];

	unsetenv("QHB_NO_SANDBOX");
	snprintf(dir, sizeof(dir), "/tmp/qhb-sandbox-XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(sub, sizeof(sub), "%s/in", dir);
	snprintf(osub, sizeof(osub), "%s/out", dir);
	snprintf(out_path, sizeof(out_path), "%s/out/file", dir);
	snprintf(other_path, sizeof(other_path), "%s/other", dir);
	snprintf(in_path, sizeof(in_path), "%s/in/data", dir);
	if (mkdir(sub, 0700) || mkdir(osub, 0700))
		abort();
	write_file(in_path, "hello");
	write_file(other_path, "secret");
	UNIT_RUN(test_socket_kills);
	UNIT_RUN(test_exec_kills);
	UNIT_RUN(test_fork_kills);
	UNIT_RUN(test_thread_kills_unasked);
	UNIT_RUN(test_allowed_work);
	UNIT_RUN(test_other_file_shut);
	UNIT_RUN(test_escape_hatch);
	unlink(in_path);
	unlink(out_path);
	unlink(other_path);
	rmdir(sub);
	rmdir(osub);
	rmdir(dir);
}
