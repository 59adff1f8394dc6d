/*
 * trace-prog -- a deterministic x86-64 program for tests/integration/
 * trace.sh, which runs it under qemu-x86_64 with the qhb plugin and under
 * valgrind --tool=lackey and requires the same instruction count.
 *
 * Built static with -nostdlib: no C library start-up, whose string
 * functions pick an implementation by CPUID (QEMU and valgrind show
 * different CPUs) and use rep-prefixed string instructions, which the two
 * count differently (QEMU once per iteration, valgrind once per
 * instruction).  The program has no rep prefix (trace.sh checks the
 * disassembly).
 *
 * Built with -DFAULTS it also takes 1000 SIGSEGVs from a load in the
 * middle of a straight line of code, which its handler skips: blocks left
 * early by a fault.  That build is compared with QEMU's -singlestep (one
 * instruction per block, where no block can be left early), not with
 * valgrind, whose lackey counts about 20 times more instructions for it
 * (its signal delivery runs guest code of its own).
 */
#include <stdint.h>

static unsigned char sieve[200000];
static uint32_t table[4096];

static long sys3(long n, long a, long b, long c)
{
	long r;

	__asm__ volatile ("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c)
	    : "rcx", "r11", "memory");
	return r;
}

#ifdef FAULTS
static long sys4(long n, long a, long b, long c, long d)
{
	register long r10 __asm__("r10") = d;
	long r;

	__asm__ volatile ("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c),
	    "r"(r10) : "rcx", "r11", "memory");
	return r;
}

/* The kernel's struct sigaction for rt_sigaction. */
struct ksigaction {
	void (*handler)(int, void *, void *);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};

void qhb_restorer(void);
__asm__(".text\nqhb_restorer:\n\tmov $15, %eax\n\tsyscall\n");

static volatile uint64_t faults;

/* Skips the faulting 3-byte load (48 8b 18: mov rbx, [rax]) by moving the
 * saved rip: uc_mcontext.gregs[REG_RIP] is at offset 168 of the ucontext. */
static void on_segv(int sig, void *info, void *uc)
{
	(void)sig;
	(void)info;
	*(uint64_t *)((char *)uc + 168) += 3;
	faults++;
}

static void fault_loop(void)
{
	struct ksigaction sa = { on_segv, 0x04000004, qhb_restorer, 0 };

	/* rt_sigaction(SIGSEGV, SA_SIGINFO | SA_RESTORER, 8-byte mask) */
	if (sys4(13, 11, (long)&sa, 0, 8) != 0)
		sys3(60, 2, 0, 0);
	for (int i = 0; i < 1000; i++)
		__asm__ volatile ("xor %%eax, %%eax\n\t"
		    "add $1, %%ecx\n\t"
		    ".byte 0x48, 0x8b, 0x18\n\t"   /* mov rbx, [rax]: faults */
		    "add $2, %%ecx\n\t"
		    "add $3, %%edx\n\t"
		    ::: "rax", "rbx", "rcx", "rdx", "memory");
}

#endif

static unsigned fib(unsigned n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static uint64_t work(void)
{
	uint64_t h = 1469598103934665603u, primes = 0;
	unsigned i, j;

	for (i = 2; i < sizeof(sieve); i++) {
		if (sieve[i])
			continue;
		primes++;
		for (j = i * 2; j < sizeof(sieve); j += i)
			sieve[j] = 1;
	}
	for (i = 0; i < 4096; i++)
		table[i] = i * 2654435761u;
	for (i = 0; i < 200000; i++) {
		uint32_t x = table[(h >> 7) & 4095];
		h = (h ^ x) * 1099511628211u;
		if (x % 7 == 3)
			h += x / 13;
	}
#ifdef FAULTS
	fault_loop();
	h ^= faults;
#endif
	return h ^ primes ^ fib(22);
}

static void put_hex(uint64_t v)
{
	char buf[17];

	for (int i = 15; i >= 0; i--) {
		buf[i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	}
	buf[16] = '\n';
	sys3(1, 1, (long)buf, sizeof(buf));
}

void _start(void)
{
	put_hex(work());
	sys3(60, 0, 0, 0);
	for (;;)
		;
}
