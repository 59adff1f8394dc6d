/*
 * sandbox -- a filter narrows itself once its files are open.
 *
 * The programs that parse hostile bytes (a guest's RAM, a trace, a report)
 * open their inputs and outputs first and then give up what the rest of
 * the run does not need, as OpenBSD's programs pledge and unveil:
 *
 *   - no new privileges (PR_SET_NO_NEW_PRIVS): no set-uid program, ever;
 *   - Landlock, where the kernel has it: the files still to be read, the
 *     directories an atomic output is renamed into, nothing else of the
 *     file system (skipped, silently, on a kernel without it);
 *   - a seccomp filter that allows a list of system calls and kills the
 *     process (SIGSYS) on any other: no socket, no exec, no fork.  Threads
 *     are allowed where asked for, as clone() with CLONE_THREAD; clone3(),
 *     whose flags a filter cannot read, fails with ENOSYS so that the C
 *     library falls back to clone().  The filter is for x86-64 system
 *     calls; a call through another ABI (i386, x32) kills.
 *
 * A stage that uses a GPU through Vulkan keeps what the drivers need after
 * the device is made (ioctl, memory mapping, its device files); that part
 * is broad by necessity, since a driver's calls are its own business.
 *
 * The environment variable QHB_NO_SANDBOX=1 skips the narrowing, for
 * debugging (strace, gdb, a driver that wants more).  A sanitizer build
 * (ASan/LSan) allows the calls its runtime makes at exit to look for leaks
 * (ptrace from a tracer clone(), /proc/self) and nothing else more.  On an
 * architecture other than x86-64 only no_new_privs and Landlock apply.
 */
#ifndef QHB_SANDBOX_H
#define QHB_SANDBOX_H

#include <stddef.h>

#include "err.h"

/* What the stage still needs once it is narrowed.  Paths that are NULL or
 * "-" (standard input or output, already open) are skipped. */
struct qhb_sandbox {
	const char *const *read;    /* files or directories still opened */
	size_t n_read;              /* for reading, their count */
	const char *const *write;   /* files still created or replaced */
	size_t n_write;             /* atomically (temporary file + rename in
	                               the directory), their count */
	int threads;                /* the stage starts threads */
	int gpu;                    /* a Vulkan device is open */
};

/* Functions used to narrow a process. */

/* Narrows the calling process to what is said: the seccomp filter binds
 * every thread, those already running too (a driver's, say); Landlock
 * binds the calling thread and the threads it starts from now on.  A
 * file to write whose directory does not exist yet is allowed in the
 * nearest directory above it that does.  Returns 0, or -1 with e when the
 * kernel refused a step (the process may then be partly narrowed: the
 * caller should stop).  With QHB_NO_SANDBOX set to 1 it does nothing and
 * returns 0. */
int qhb_sandbox_narrow(const struct qhb_sandbox *what, struct qhb_err *e);

#endif
