#!/bin/sh
# Benchmark of qhb-trace (issue 7): the demo guest booted to its init
# marker under TCG three ways, in one run: without a plugin, under
# qhb-trace (block policy: lossless), and with a per-instruction-callback
# plugin in the style of QEMU's execlog (bench/execlog-plugin.c, built
# here).  Prints wall time and QEMU's CPU time to the marker, their ratios
# to the plain boot, whether the 1.3x goal holds, records per second and
# trace bytes per executed instruction.
#
#   sh bench/trace.sh [REPEATS]     (make bench runs it with the others)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/build/bin:$PATH
reps=${1:-5}
guest=${QHB_GUEST_DIR:-$top/build/guest}
work=$(mktemp -d "${TMPDIR:-/tmp}/qhb-bench-trace.XXXXXX")
pids=
trap 'for p in $pids; do kill $p 2>/dev/null; done; rm -rf "$work"' EXIT INT TERM
tck=$(getconf CLK_TCK)

gcc -O2 -std=gnu11 -Wall -Wextra -Werror -fPIC -shared -iquote "$top/plugin" \
    -o "$work/execlog.so" "$top/bench/execlog-plugin.c" || exit 1

qemu_args() {
	echo "-accel tcg -cpu max -m 128M -kernel $guest/vmlinuz" \
	    "-initrd $guest/initrd.img -nodefaults -display none" \
	    "-serial file:$work/serial.log -no-reboot"
}
APPEND="console=ttyS0 panic=-1 quiet"

. "$top/bench/lib.sh"
# cpu_ms PID: user + system CPU time of a live process, in ms.
cpu_ms() { awk -v t="$tck" '{ printf "%d", ($14 + $15) * 1000 / t }' "/proc/$1/stat"; }

# boot MODE: boots once; prints "wall_ms qemu_cpu_ms consumer_cpu_ms".
boot() {
	rm -f "$work/serial.log" "$work/trace.qhb"
	t0=$(now)
	case $1 in
	none)
		qemu-system-x86_64 $(qemu_args) -append "$APPEND" &
		pid=$! qemu=$! ;;
	qhb)
		qhb-trace -q -o "$work/trace.qhb" -- qemu-system-x86_64 \
		    $(qemu_args) -append "$APPEND" &
		pid=$!
		qemu=
		while [ -z "$qemu" ]; do
			qemu=$(ps -o pid= --ppid $pid | tr -d ' ')
		done ;;
	execlog)
		qemu-system-x86_64 $(qemu_args) -append "$APPEND" \
		    -plugin "$work/execlog.so" &
		pid=$! qemu=$! ;;
	esac
	pids=$pid
	until grep -q QHB-READY "$work/serial.log" 2>/dev/null; do
		sleep 0.01
	done
	t1=$(now)
	qcpu=$(cpu_ms $qemu)
	ccpu=0
	[ "$pid" != "$qemu" ] && ccpu=$(cpu_ms $pid)
	kill -TERM $pid
	wait $pid 2>/dev/null
	pids=
	echo "$(( (t1 - t0) / 1000000 )) $qcpu $ccpu"
}


echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "guest: demo guest, 128 MiB, TCG, boot to QHB-READY; $reps runs each, interleaved"
: >"$work/none"; : >"$work/qhb"
i=0
while [ $i -lt "$reps" ]; do
	boot none >>"$work/none"
	boot qhb >>"$work/qhb"
	i=$((i + 1))
done
# The figures of the last traced boot.
qhb-trace --format summary "$work/trace.qhb" >"$work/sum" 2>/dev/null
field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$work/sum"; }
insns=$(field instructions)
records=$(field records)
dropped=$(field dropped)
bytes=$(wc -c <"$work/trace.qhb")
boot execlog >"$work/execlog"

nw=$(cut -d' ' -f1 "$work/none" | median); nc=$(cut -d' ' -f2 "$work/none" | median)
qw=$(cut -d' ' -f1 "$work/qhb" | median); qc=$(cut -d' ' -f2 "$work/qhb" | median)
qcc=$(cut -d' ' -f3 "$work/qhb" | median)
read -r ew ec _ <"$work/execlog"
rw=$(ratio "$qw" "$nw"); rc=$(ratio "$qc" "$nc")
echo "no plugin:  wall $nw ms, QEMU CPU $nc ms (all runs: $(cut -d' ' -f1 "$work/none" | tr '\n' ' '))"
echo "qhb-trace:  wall $qw ms, QEMU CPU $qc ms, qhb-trace CPU $qcc ms (all runs: $(cut -d' ' -f1 "$work/qhb" | tr '\n' ' '))"
echo "execlog:    wall $ew ms, QEMU CPU $ec ms (one run)"
echo "qhb-trace / no plugin: wall $rw ($(goal "$rw" 1.3) <= 1.3), QEMU CPU $rc ($(goal "$rc" 1.3) <= 1.3)"
echo "execlog / no plugin:   wall $(ratio "$ew" "$nw"), QEMU CPU $(ratio "$ec" "$nc")"
echo "trace: $insns instructions, $records records, $dropped dropped, $bytes bytes"
echo "records per second: $(awk -v r="$records" -v w="$qw" 'BEGIN { printf "%.0f", r * 1000 / w }')"
echo "trace bytes per executed instruction: $(awk -v b="$bytes" -v n="$insns" 'BEGIN { printf "%.6f", b / n }')"
