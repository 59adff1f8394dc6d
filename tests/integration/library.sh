#!/bin/sh
# qhb-learn's library is data from outside: an entry whose microcode was
# edited or emptied is not run and not reported proven; --verify demotes
# what it cannot prove and says so in its exit status; an unknown format
# version is refused; a library of an older qhb-learn (no hashes) is read
# and stamped by --verify.  Also the trace side: a stream with no trace
# frame is refused, and counts near 2^64 saturate instead of wrapping.
. "$(dirname "$0")/../lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
lib=$T_TMP/lib.json
state='{"rax":"0x5","rbx":"0x3"}'

# add eax, ebx and nop (whose proven microcode is empty)
qhb-learn -q --library "$lib" --learn 01d8 90 >/dev/null

edited() {
	sed 's/"add\.32f r0, r0, r3"/"sub.32f r0, r0, r3"/' "$lib" >"$T_TMP/e.json"
	! cmp -s "$lib" "$T_TMP/e.json"
	expect_err 'add eax, ebx: microcode not verified: hash mismatch' \
		sh -c "echo '$state' | qhb-learn -q --library '$T_TMP/e.json' --eval 01d8"
	[ ! -s "$T_TMP/stdout" ]
	grep -q '1 proven form not verified, not run' "$T_TMP/stderr"
	qhb-learn -q --library "$T_TMP/e.json" --learn 01d8 >"$T_TMP/l" 2>/dev/null
	grep -q '"status":"unverified",.*"reason":"hash mismatch' "$T_TMP/l"
	! grep -q '"proven"' "$T_TMP/l"
	# nop's entry is untouched and still runs
	echo '{}' | qhb-learn -q --library "$T_TMP/e.json" --eval 90 2>/dev/null |
		grep -q '"rax":"0x0"'
	# the library is left as it was: kept, not relearned
	qhb-learn -q --library "$T_TMP/e.json" --learn 01d8 >/dev/null 2>&1
	grep -q '"sub\.32f r0, r0, r3"' "$T_TMP/e.json"
}

emptied() {
	sed '/"add\.32f r0, r0, r3"/d' "$lib" >"$T_TMP/z.json"
	expect_err 'add eax, ebx: microcode not verified' \
		sh -c "echo '$state' | qhb-learn -q --library '$T_TMP/z.json' --eval 01d8"
	[ ! -s "$T_TMP/stdout" ]
}

verify_demotes() {
	sed 's/"add\.32f r0, r0, r3"/"sub.32f r0, r0, r3"/' "$lib" >"$T_TMP/v.json"
	expect_err 'add eax, ebx (cb5b843fc000e0a7): the proof fails: demoted' \
		qhb-learn -q --library "$T_TMP/v.json" --verify
	grep -q '"form":"add eax, ebx","proven":false' "$T_TMP/stdout"
	grep -q '"form":"nop","proven":true' "$T_TMP/stdout"
	grep -q '"reason": "refuted by --verify"' "$T_TMP/v.json"
	grep -q '"demoted": true' "$T_TMP/v.json"
	# demoted, it is never run again as it was; it is learned afresh
	echo "$state" | qhb-learn -q --library "$T_TMP/v.json" --eval 01d8 |
		grep -q '"rax":"0x8"'
	qhb-learn -q --library "$T_TMP/v.json" --verify >/dev/null
}

version() {
	sed 's/"qhb-microcode": 1/"qhb-microcode": 7/' "$lib" >"$T_TMP/7.json"
	expect_err "7.json: format version 7 (\"qhb-microcode\") unknown: this qhb-learn reads version 1" \
		qhb-learn -q --library "$T_TMP/7.json" --learn 01d8
}

older() {
	# a library of an older qhb-learn has no hashes: read, not run
	# until --verify has proven and stamped it
	grep -v '"hash":' "$lib" >"$T_TMP/o.json"
	expect_err 'no hash (a library of an older qhb-learn)' \
		sh -c "echo '$state' | qhb-learn -q --library '$T_TMP/o.json' --eval 01d8"
	qhb-learn -q --library "$T_TMP/o.json" --verify >"$T_TMP/v"
	test "$(grep -c '"proven":true' "$T_TMP/v")" -eq 2
	test "$(grep -c '"hash":' "$T_TMP/o.json")" -eq 2
	echo "$state" | qhb-learn -q --library "$T_TMP/o.json" --eval 01d8 |
		grep -q '"rax":"0x8"'
}

no_trace() {
	for f in "$top/tests/fuzz/stream/full-raw.qsnap" /dev/null; do
		expect_err "$f: no trace frame in the input" \
			qhb-learn --library "$T_TMP/n.json" --report "$f"
		expect_err "<stdin>: no trace frame in the input" \
			sh -c "qhb-learn -q --library '$T_TMP/n.json' <'$f'"
	done
	[ ! -e "$T_TMP/n.json" ]
}

# A trace whose counts add up past 2^64: two blocks of add eax, 1 (one
# with dec ecx after it), run 2^64 - 2^16 and 2^63 times.
big_counts() {
	cat >"$T_TMP/big.c" <<'CEOF'
#include <string.h>
#include <sys/uio.h>
#include "stream.h"
#include "trace.h"

static size_t put_tb(unsigned char *p, unsigned id, const char *code,
    const unsigned char *len, unsigned n, unsigned nbytes)
{
	struct qhb_rec_tb t = { { QHB_REC_TB, 0, 0 }, id, n, nbytes, 0x1000 * (id + 1), 0 };
	size_t l = (sizeof(t) + n + nbytes + 7) & ~(size_t)7;

	t.h.len = (unsigned)l;
	memset(p, 0, l);
	memcpy(p, &t, sizeof(t));
	memcpy(p + sizeof(t), len, n);
	memcpy(p + sizeof(t) + n, code, nbytes);
	return l;
}

static size_t put_count(unsigned char *p, unsigned id, unsigned long long c)
{
	struct qhb_rec_count r = { { QHB_REC_COUNT, 0, sizeof(r) + 8 }, id, 1 };

	memcpy(p, &r, sizeof(r));
	memcpy(p + sizeof(r), &c, 8);
	return sizeof(r) + 8;
}

int main(void)
{
	static unsigned char buf[1024];
	const unsigned char l1[] = { 3 | QHB_TB_COUNTED };
	const unsigned char l2[] = { 3 | QHB_TB_COUNTED, 2 };
	struct qhb_err e = { 0 };
	struct qhb_meta m = { 0 };
	struct qhb_writer *w = qhb_writer_new(1, "stdout", 0, 0, &e);
	struct iovec iov;
	size_t n = 0;

	n += put_tb(buf + n, 0, "\x83\xc0\x01", l1, 1, 3);
	n += put_tb(buf + n, 1, "\x83\xc0\x01\xff\xc9", l2, 2, 5);
	n += put_count(buf + n, 0, 0xffffffffffff0000ULL);
	n += put_count(buf + n, 1, 0x8000000000000000ULL);
	iov.iov_base = buf;
	iov.iov_len = n;
	if (w == NULL || qhb_meta_set_str(&m, "target", "x86_64", &e) < 0 ||
	    qhb_meta_set_str(&m, "mode", "user", &e) < 0 ||
	    qhb_writer_put(w, QHB_FRAME_TRACE, &m, &iov, 1, &e) < 0)
		return 1;
	qhb_meta_release(&m);
	qhb_writer_free(w);
	return 0;
}
CEOF
	cc -O2 -std=gnu11 -D_GNU_SOURCE -iquote "$top/common" -o "$T_TMP/big" \
		"$T_TMP/big.c" "$top/build/obj/libqhb.a" \
		-ljansson -lz3 -lZydis -lxxhash -lzstd -lm
	"$T_TMP/big" >"$T_TMP/big.qhb"
	qhb-learn --library "$T_TMP/b.json" --report "$T_TMP/big.qhb" >"$T_TMP/r"
	cat "$T_TMP/r"
	! grep -q ':-' "$T_TMP/r"
	grep -q '"instructions":18446744073709551615,' "$T_TMP/r"
	grep -q '"count":18446744073709551615,"lost":18446744073709551615,"reason":"not learned"' "$T_TMP/r"
	# learned, every block is covered: the covered sum saturates too
	qhb-learn -q --library "$T_TMP/b.json" --hot 1 "$T_TMP/big.qhb" >/dev/null
	qhb-learn --library "$T_TMP/b.json" --report "$T_TMP/big.qhb" >"$T_TMP/r"
	grep -q '"coverage":1\.0,"covered_instructions":18446744073709551615,' "$T_TMP/r"
}

t edited edited
t emptied emptied
t verify_demotes verify_demotes
t version version
t older older
t no_trace no_trace
t big_counts big_counts
