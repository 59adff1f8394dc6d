/*
 * live -- the two helpers of bench/live.sh, the live-loop benchmark.
 *
 *   live write RAMFILE PAGES PERIOD_MS
 *	changes PAGES pages of RAMFILE every PERIOD_MS milliseconds until
 *	killed: what a working guest does to its RAM, for a RAM image with
 *	no guest behind it, so that a periodic capture has deltas to carry.
 *	The pages come from a fixed sequence (an LCG), each gets a running
 *	count in its first 8 bytes.
 *
 *   live count SKIP
 *	reads a qhb stream (qhb-format(5): snapshots, volumes) or a
 *	YUV4MPEG2 stream (qhb-render --y4m, C420) on standard input, frame
 *	by frame as it arrives, and prints one JSON line: the frames, the
 *	seconds from the end of frame SKIP to the end of the last, and the
 *	frames per second over them (the first SKIP frames hold start-up and
 *	the full first frame).  It checks framing only, not checksums.
 *
 * Errors go to stderr with exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static int write_pages(const char *path, long pages, long period_ms)
{
	struct stat st;
	int fd = open(path, O_RDWR);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "live: %s: %s\n", path, strerror(errno));
		return 1;
	}
	uint64_t npages = (uint64_t)st.st_size / 4096;
	if (npages == 0) {
		fprintf(stderr, "live: %s: smaller than a page\n", path);
		return 1;
	}
	unsigned char *ram = mmap(NULL, npages * 4096, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	if (ram == MAP_FAILED) {
		fprintf(stderr, "live: %s: mmap: %s\n", path, strerror(errno));
		return 1;
	}
	close(fd);
	uint64_t lcg = 0x9e3779b97f4a7c15u, n = 0;
	struct timespec period = { period_ms / 1000, period_ms % 1000 * 1000000 };
	for (;;) {
		for (long i = 0; i < pages; i++) {
			lcg = lcg * 6364136223846793005u + 1442695040888963407u;
			uint64_t page = (lcg >> 33) % npages;
			n++;
			memcpy(ram + page * 4096, &n, sizeof(n));
		}
		nanosleep(&period, NULL);
	}
}

/* Reads exactly n bytes into buf (NULL: discards them).  Returns 1, or 0
 * at a clean end of input before the first byte, or -1 when cut short. */
static int read_exact(unsigned char *buf, uint64_t n)
{
	static unsigned char sink[1 << 16];
	uint64_t got = 0;

	while (got < n) {
		uint64_t want = n - got;
		unsigned char *to = buf ? buf + got : sink;
		if (!buf && want > sizeof(sink))
			want = sizeof(sink);
		size_t r = fread(to, 1, want, stdin);
		if (r == 0)
			return got == 0 ? 0 : -1;
		got += r;
	}
	return 1;
}

static uint64_t le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Reads the next frame of a qhb stream (the first 4 bytes already in
 * head).  Returns 1, 0 at the end, or -1 on a framing error. */
static int next_qhb(unsigned char head[64], int have_magic, long frame)
{
	int r = read_exact(head + (have_magic ? 4 : 0), have_magic ? 60 : 64);
	if (r <= 0)
		return r == 0 && !have_magic ? 0 : -1;
	if (memcmp(head, "QHB1", 4) != 0) {
		fprintf(stderr, "live: standard input: frame %ld: expected "
		    "magic \"QHB1\"\n", frame);
		return -1;
	}
	uint64_t header_size = le(head + 8, 4), stored = le(head + 16, 8);
	if (header_size < 64) {
		fprintf(stderr, "live: standard input: frame %ld: header_size "
		    "%" PRIu64 " below 64\n", frame, header_size);
		return -1;
	}
	return read_exact(NULL, header_size - 64 + stored) == 1 ? 1 : -1;
}

static int count_frames(long skip)
{
	unsigned char head[64];
	unsigned w = 0, h = 0;
	size_t size = 0;
	int qhb;

	int r = read_exact(head, 4);
	if (r <= 0) {
		fprintf(stderr, "live: standard input: %s\n", r == 0 ?
		    "empty" : "shorter than 4 bytes");
		return 1;
	}
	qhb = memcmp(head, "QHB1", 4) == 0;
	if (!qhb) {
		char header[256];
		memcpy(header, head, 4);
		if (!fgets(header + 4, sizeof(header) - 4, stdin) ||
		    sscanf(header, "YUV4MPEG2 W%u H%u", &w, &h) != 2 ||
		    w == 0 || h == 0 || !strstr(header, " C420")) {
			fprintf(stderr, "live: standard input: byte 0: expected "
			    "\"QHB1\" or a \"YUV4MPEG2 Ww Hh ... C420\" header\n");
			return 1;
		}
		size = (size_t)w * h + 2 * ((size_t)(w + 1) / 2 * ((h + 1) / 2));
	}
	long frames = 0;
	double start = now(), first = start, last = start;
	for (;;) {
		if (qhb) {
			r = next_qhb(head, frames == 0, frames);
		} else {
			unsigned char tag[6];
			r = read_exact(tag, sizeof(tag));
			if (r == 1 && memcmp(tag, "FRAME\n", 6) != 0) {
				fprintf(stderr, "live: standard input: frame %ld: "
				    "expected \"FRAME\\n\"\n", frames);
				return 1;
			}
			if (r == 1)
				r = read_exact(NULL, size);
		}
		if (r == 0)
			break;
		if (r < 0) {
			fprintf(stderr, "live: standard input: frame %ld: "
			    "truncated\n", frames);
			return 1;
		}
		last = now();
		if (++frames == skip)
			first = last;
	}
	if (frames <= skip) {
		fprintf(stderr, "live: %ld frames, not more than the %ld skipped\n",
		    frames, skip);
		return 1;
	}
	printf("{\"frames\":%ld,\"stream\":\"%s\",\"skipped\":%ld,"
	    "\"seconds\":%.3f,\"fps\":%.2f,\"first_frames_seconds\":%.3f}\n",
	    frames, qhb ? "qhb" : "y4m", skip, last - first,
	    (frames - skip) / (last - first), first - start);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "write") == 0)
		return write_pages(argv[2], atol(argv[3]), atol(argv[4]));
	if (argc == 3 && strcmp(argv[1], "count") == 0)
		return count_frames(atol(argv[2]));
	fprintf(stderr, "usage: live write RAMFILE PAGES PERIOD_MS\n"
	    "       live count SKIP\n");
	return 1;
}
