#!/bin/sh
# qhb-trace and the libqhbtrace plugin in user mode (qemu-x86_64): the
# instruction count of a deterministic program equals valgrind's, the
# reports, the drop policy's exact loss accounting, and the errors.
. "$(dirname "$0")/../lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
# The plugin of the normal build: a sanitizer-linked one cannot be loaded
# into an uninstrumented QEMU.
if [ -z "${QHB_PLUGIN:-}" ]; then
	QHB_PLUGIN=$(cd "$QHB_BIN/.." && pwd)/lib/libqhbtrace.so
	case $QHB_PLUGIN in
	*build-san*) QHB_PLUGIN=$top/build/lib/libqhbtrace.so ;;
	esac
fi
export QHB_PLUGIN
for tool in qemu-x86_64 valgrind gcc objdump; do
	command -v $tool >/dev/null || { echo "FAIL: $SUITE.deps: no $tool"; exit 1; }
done

# The test program: static, no C library, no rep prefix (see its source).
prog=$T_TMP/trace-prog
gcc -static -nostdlib -O1 -fno-builtin -fno-stack-protector -fno-pie -no-pie \
    -fno-tree-loop-distribute-patterns -fcf-protection=none \
    -o "$prog" "$top/tests/trace-prog.c" || { echo "FAIL: $SUITE.build"; exit 1; }

# json_field NAME FILE: an integer field of a one-line JSON object.
json_field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2"; }

no_rep() {
	objdump -d --no-show-raw-insn "$prog" >"$T_TMP/dis"
	grep -q syscall "$T_TMP/dis"
	! grep -qE '[[:space:]]rep' "$T_TMP/dis"
}

record() {
	qhb-trace -q -o "$T_TMP/prog.qhb" -- qemu-x86_64 "$prog" >"$T_TMP/stdout"
	# The program's own output passes through.
	test "$(cat "$T_TMP/stdout")" = "$("$prog")"
	qhb-trace --format summary "$T_TMP/prog.qhb" >"$T_TMP/summary"
	grep -q '"mode":"user"' "$T_TMP/summary"
	test "$(json_field dropped "$T_TMP/summary")" = 0
	test "$(json_field inconsistent "$T_TMP/summary")" = 0
	test "$(json_field uncounted "$T_TMP/summary")" = 0
	qhb-cat "$T_TMP/prog.qhb" | grep -q '"kind":"trace"'
}

# The acceptance test: valgrind's count, exactly.  lackey's "guest instrs"
# counts instructions past a conditional branch that its superblock chased
# even when the branch left the superblock (about 6% too many on this
# program); --vex-guest-chase=no keeps each superblock one path, and the
# count is exact (the same as QEMU's -singlestep, checked below).
valgrind_equal() {
	valgrind --tool=lackey --vex-guest-chase=no "$prog" >/dev/null \
	    2>"$T_TMP/lackey"
	want=$(sed -n 's/.*guest instrs: *\([0-9,]*\)$/\1/p' "$T_TMP/lackey" | tr -d ,)
	got=$(json_field instructions "$T_TMP/summary")
	echo "valgrind $want qhb $got"
	test -n "$want"
	test "$want" -gt 1000000
	test "$got" = "$want"
}

# One instruction per block: the block counters become instruction
# counters, and must agree with the per-instruction ones.
singlestep_equal() {
	qhb-trace -q -o "$T_TMP/ss.qhb" -- qemu-x86_64 -singlestep "$prog" >/dev/null
	qhb-trace --format summary "$T_TMP/ss.qhb" >"$T_TMP/ss"
	test "$(json_field instructions "$T_TMP/ss")" = \
	    "$(json_field instructions "$T_TMP/summary")"
	test "$(json_field executions "$T_TMP/ss")" = \
	    "$(json_field instructions "$T_TMP/summary")"
}

# Blocks left early: 1000 faulting loads in the middle of a block, each
# skipped by the program's SIGSEGV handler.  The instructions after the
# load are not counted those times, as -singlestep (no block can be left
# early) confirms.
faults_exact() {
	gcc -DFAULTS -static -nostdlib -O1 -fno-builtin -fno-stack-protector \
	    -fno-pie -no-pie -fno-tree-loop-distribute-patterns \
	    -fcf-protection=none -o "$T_TMP/faults" "$top/tests/trace-prog.c"
	qhb-trace -q -o "$T_TMP/f.qhb" -- qemu-x86_64 "$T_TMP/faults" >/dev/null
	qhb-trace -q -o "$T_TMP/f1.qhb" -- qemu-x86_64 -singlestep "$T_TMP/faults" >/dev/null
	qhb-trace --format summary "$T_TMP/f.qhb" >"$T_TMP/fsum"
	qhb-trace --format summary "$T_TMP/f1.qhb" >"$T_TMP/f1sum"
	cat "$T_TMP/fsum"
	test "$(json_field early_exits "$T_TMP/fsum")" = 1000
	test "$(json_field inconsistent "$T_TMP/fsum")" = 0
	test "$(json_field instructions "$T_TMP/fsum")" = \
	    "$(json_field instructions "$T_TMP/f1sum")"
	# more than the program without faults, by the handler's work
	test "$(json_field instructions "$T_TMP/fsum")" -gt \
	    "$(json_field instructions "$T_TMP/summary")"
}

text_report() {
	qhb-trace --format text "$T_TMP/prog.qhb" >"$T_TMP/text"
	grep -q '^# block 0 vaddr 0x' "$T_TMP/text"
	grep -q '"syscall"$' "$T_TMP/text"
	# address, count, bytes, disassembly; the counts sum to the total
	sum=$(grep -v '^#' "$T_TMP/text" | awk -F', ' '{ s += $2 } END { print s }')
	test "$sum" = "$(json_field instructions "$T_TMP/summary")"
	! grep -q '(bad)' "$T_TMP/text"
}

drcov_report() {
	qhb-trace --format drcov -o "$T_TMP/cov" "$T_TMP/prog.qhb"
	head -n 1 "$T_TMP/cov" | grep -qx 'DRCOV VERSION: 2'
	grep -aq "^0, 0x0000000000000000, 0x00000000ffffffff, 0x0, 0x0, 0x0, $prog\$" "$T_TMP/cov"
	n=$(sed -n 's/^BB Table: \([0-9]*\) bbs$/\1/p' "$T_TMP/cov")
	test "$n" -gt 10
	# the header, then 8 bytes a block
	hdr=$(grep -abo '^BB Table: [0-9]* bbs$' "$T_TMP/cov" | cut -d: -f1)
	hlen=$(grep -a '^BB Table: ' "$T_TMP/cov" | wc -c)
	test "$(wc -c <"$T_TMP/cov")" = $((hdr + hlen + 8 * n))
	# binary output is refused on a terminal: checked via -f's absence
	qhb-trace --help | grep -q -- '-f '
}

hot_reports() {
	qhb-trace --format hotblocks --limit 3 "$T_TMP/prog.qhb" >"$T_TMP/hot"
	test "$(grep -vc '^#' "$T_TMP/hot")" = 3
	qhb-trace -q --mem -o "$T_TMP/mem.qhb" -- qemu-x86_64 "$prog" >/dev/null
	qhb-trace --format summary "$T_TMP/mem.qhb" >"$T_TMP/msum"
	test "$(json_field mem_writes "$T_TMP/msum")" -gt 200000
	test "$(json_field dropped "$T_TMP/msum")" = 0
	qhb-trace --format hotpages "$T_TMP/mem.qhb" >"$T_TMP/pages"
	# the sieve's 200000 bytes are 49 pages, each written
	test "$(awk -F', ' '$3 > 1000' "$T_TMP/pages" | wc -l)" -ge 48
}

# drop: a ring far too small for every memory access; what arrives plus
# what was counted as dropped is exactly what block mode delivers.
drop_policy() {
	test -s "$T_TMP/msum"
	qhb-trace -q --mem --policy drop --ring-size 64K -o "$T_TMP/drop.qhb" \
	    -- qemu-x86_64 "$prog" >/dev/null
	qhb-trace --format summary "$T_TMP/drop.qhb" >"$T_TMP/dsum"
	d=$(json_field dropped "$T_TMP/dsum")
	r=$(json_field records "$T_TMP/dsum")
	echo "dropped $d records $r of $(json_field records "$T_TMP/msum")"
	test "$d" -gt 0
	test $((d + r)) = "$(json_field records "$T_TMP/msum")"
}

errors() {
	expect_err "QEMU exited without loading the plugin" \
	    qhb-trace -q -o "$T_TMP/x.qhb" -- false
	test ! -e "$T_TMP/x.qhb"
	expect_err "the plugin did not finish" \
	    qhb-trace -q -o "$T_TMP/x.qhb" -- qemu-x86_64 "$T_TMP/none"
	test ! -e "$T_TMP/x.qhb"
	expect_err "unknown option 'bogus=1'" \
	    qemu-x86_64 -plugin "$QHB_PLUGIN,ring=/nonexistent,bogus=1" "$prog"
	expect_err "/nonexistent" \
	    qemu-x86_64 -plugin "$QHB_PLUGIN,ring=/nonexistent" "$prog"
	expect_err "--format: expected text" qhb-trace --format nope
	expect_err "cannot use --attach and a QEMU command" \
	    qhb-trace --attach x -- qemu-x86_64 "$prog"
	head -c $(($(wc -c <"$T_TMP/prog.qhb") - 9)) "$T_TMP/prog.qhb" >"$T_TMP/cut.qhb"
	expect_err "cut.qhb" qhb-trace --format summary "$T_TMP/cut.qhb"
	expect_err "No space left" sh -c 'qhb-trace --format text "$1" >/dev/full' sh "$T_TMP/prog.qhb"
	# no ring file is left behind
	! ls /dev/shm/qhb-"$(id -u)"--*.trace 2>/dev/null
}

t no_rep no_rep
t record record
t valgrind_equal valgrind_equal
t singlestep_equal singlestep_equal
t faults_exact faults_exact
t text_report text_report
t drcov_report drcov_report
t hot_reports hot_reports
t drop_policy drop_policy
t errors errors
