#!/bin/sh
# qhb-trace in system mode on the demo guest (Debian kernel + busybox,
# TCG): a traced boot loses nothing in block mode and its counts add up,
# through qhb-trace -- QEMU and through qhb-vm start --trace with
# qhb-trace --attach; the drop policy never stalls a guest that nobody
# drains, and counts what it dropped.
. "$(dirname "$0")/../lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
guest=${QHB_GUEST_DIR:-$top/build/guest}
name=qhb-trace-test-$$
trap 'qhb-vm stop "$name" >/dev/null 2>&1; rm -rf "$T_TMP"' EXIT

json_field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2"; }

# lossless FILE: the checks of a block-mode boot trace.
lossless() {
	qhb-trace --format summary "$1" >"$T_TMP/sum"
	cat "$T_TMP/sum"
	grep -q '"mode":"system"' "$T_TMP/sum"
	# nothing dropped, every count has its block's translation record
	test "$(json_field dropped "$T_TMP/sum")" = 0
	test "$(json_field uncounted "$T_TMP/sum")" = 0
	# no instruction of a block ran more often than the one before it
	test "$(json_field inconsistent "$T_TMP/sum")" = 0
	test "$(json_field instructions "$T_TMP/sum")" -gt 500000000
	test "$(json_field blocks_executed "$T_TMP/sum")" -gt 20000
	# the per-block figures add up to the totals
	qhb-trace --format hotblocks --limit 0 "$1" >"$T_TMP/hot"
	test "$(awk -F', ' '!/^#/ { s += $4 } END { printf "%d", s }' "$T_TMP/hot")" = \
	    "$(json_field instructions "$T_TMP/sum")"
	test "$(awk -F', ' '!/^#/ { s += $3 } END { printf "%d", s }' "$T_TMP/hot")" = \
	    "$(json_field executions "$T_TMP/sum")"
	test "$(grep -vc '^#' "$T_TMP/hot")" = \
	    "$(json_field blocks_executed "$T_TMP/sum")"
}

# qhb-trace -- qemu-system-x86_64 ...: boot to the marker, then a signal
# to qhb-trace, which QEMU gets and exits on, sending the counts.
record_boot() {
	qhb-trace -q -o "$T_TMP/boot.qhb" -- qemu-system-x86_64 -accel tcg \
	    -cpu max -m 128M -kernel "$guest/vmlinuz" -initrd "$guest/initrd.img" \
	    -append "console=ttyS0 panic=-1 quiet" -nodefaults -display none \
	    -serial "file:$T_TMP/serial.log" -no-reboot &
	pid=$!
	i=0
	until grep -q QHB-READY "$T_TMP/serial.log" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 1200 ]; then
			kill $pid
			die "no marker in 120 s"
		fi
		sleep 0.1
	done
	kill -TERM $pid
	wait $pid
	lossless "$T_TMP/boot.qhb"
	# the boot starts at the reset vector, in real mode
	qhb-trace --format text "$T_TMP/boot.qhb" | head -n 2 >"$T_TMP/text"
	grep -q '^# block 0 vaddr 0xfffffff0 ' "$T_TMP/text"
	grep -q '"jmp far' "$T_TMP/text"
}

# qhb-vm start --trace=policy=block, drained by qhb-trace --attach.
attach_boot() {
	qhb-vm start --trace=policy=block "$name"
	test -f "/dev/shm/qhb-$(id -u)-$name.trace"
	qhb-trace -q --attach "$name" -o "$T_TMP/attach.qhb" &
	pid=$!
	qhb-vm wait --timeout 120 "$name"
	qhb-vm stop "$name"
	wait $pid
	test ! -e "/dev/shm/qhb-$(id -u)-$name.trace"
	lossless "$T_TMP/attach.qhb"
	# physical addresses are known with qhb-vm's RAM file: kernel text
	# sits below 128 MiB
	awk -F', ' 'NR == 2 { exit !($1 ~ /^0xffffffff/ && $2 < "0x0000000008000000") }' \
	    "$T_TMP/hot"
	qhb-trace --format hotpages "$T_TMP/attach.qhb" >"$T_TMP/pages"
	test "$(wc -l <"$T_TMP/pages")" -gt 100
}

# drop: nobody drains a tiny ring, memory accesses on; the guest boots all
# the same, and the trace says how many records were lost.
drop_boot() {
	qhb-vm start --trace=policy=drop,size=64K,mem=on --wait --timeout 240 "$name"
	qhb-trace -q --attach "$name" -o "$T_TMP/drop.qhb" &
	pid=$!
	sleep 1
	qhb-vm stop "$name"
	wait $pid
	qhb-trace --format summary "$T_TMP/drop.qhb" >"$T_TMP/dsum"
	cat "$T_TMP/dsum"
	test "$(json_field dropped "$T_TMP/dsum")" -gt 1000000
}

# Two vCPUs: qhb-vm --trace runs them on one TCG thread, where the inline
# counters cannot race, so the counts stay consistent.
smp_exact() {
	qhb-vm start --cpus 2 --trace=policy=block "$name"
	qhb-trace -q --attach "$name" -o "$T_TMP/smp.qhb" &
	pid=$!
	qhb-vm wait --timeout 120 "$name"
	qhb-vm stop "$name"
	wait $pid
	lossless "$T_TMP/smp.qhb"
}

errors() {
	expect_err "--trace: expected policy=block" \
	    qhb-vm start --trace=policy=maybe "$name"
	expect_err "no such guest" qhb-trace --attach "$name"
	test ! -e "/dev/shm/qhb-$(id -u)-$name.trace"
}

t record_boot record_boot
t attach_boot attach_boot
t drop_boot drop_boot
t smp_exact smp_exact
t errors errors
