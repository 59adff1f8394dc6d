#!/bin/sh
# Benchmark of qhb-learn on a fixed list of x86-64 forms (every mnemonic
# of issue 8 that has a register form, in 8, 16, 32 and 64 bits,
# register, immediate and cl operands; then memory forms: loads, stores,
# read-modify-write, push, pop, rep stos/movs, rip- and gs-relative):
# forms proven and fallen back, median and total synthesis and solver
# time per new form, the native check of every proven form on this CPU
# (tests/learn-native.c), and the C interpreter's speed on one core over
# 1M states.  With the demo guest built (make guest), a traced boot to
# QHB-READY: its blocks learned into a fresh library at the demo's
# settings on every core (--hot 10000, 1000, 100, 10, then 1: every
# block), the wall and CPU time each took and the measured coverage
# (--report) after each, of that boot and of a second traced boot (with
# nothing learned from it), the same --hot 10000 on one thread for the
# speed-up, and the native check of every form learned from it.  With a
# Vulkan device (or "gpu" as the first argument), the Vulkan interpreter
# over 1M states.
#
#   make bench     (or: sh bench/learn.sh [gpu])
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/qhb-bench-learn.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
bin=$top/build/bin
forms="89d8 4889d8 6689d8 88d8 88dc b878563412 48c7c0fbffffff b07f 0fb6c3 
0fb7c3 480fb6c3 660fb6c3 0fbec3 480fbfc3 660fbec3 4863c3 488d44cb10 
8d040b 488d43f8 01d8 4801d8 6601d8 00d8 4883c008 83c0ff 4811d8 83d000 
4829d8 83e801 6629d8 19c0 4819d8 21d8 4825ff000000 2401 4809d8 83c810 
31c0 4831d8 30d8 48f7d0 f7d0 66f7d0 f7d8 48f7d8 f6d8 48ffc0 ffc0 66ffc0 
fec0 48ffc8 ffc9 4839d8 83f801 38d8 6683f810 85c0 4885d8 a801 84d8 
48c1e003 d1e0 d3e0 66d3e0 d2e0 48c1e80c d3e8 d0e8 48c1f83f d3f8 d2f8 
48c1c00d d3c0 c1c808 d2c8 66c1c008 480fafc3 0fafc3 660fafc3 486bc318 
6bc3fd 0fc8 480fc8 4893 93 6693 480f44c3 0f45c3 480f4cc3 0f46c3 
660f48c3 0f94c0 0f95c3 0f9cc1 0f97c2 0f96c0 0f9fc0 90 0f1f00
4c8b2f 4c892f 488b0cc3 49030424 0fb610 803800 66894210 480118 53 5b 6a08
f3aa f3a4 f348ab f348a5 488b0578b41b00 65488b042528000000 f0ff08 4898
48f7f1 f6f1 48f7742420 f00fb117"

t0=$(date +%s.%N)
"$bin/qhb-learn" -q --library "$work/lib.json" --learn $forms >"$work/l"
t1=$(date +%s.%N)
python3 - "$work/lib.json" "$t0" "$t1" <<'END'
import json, statistics, sys
d = json.load(open(sys.argv[1]))["forms"]
p = [v for v in d.values() if v["status"] == "proven"]
f = [v for v in d.values() if v["status"] != "proven"]
print("distinct forms %d: proven %d, fallback %d" % (len(d), len(p), len(f)))
print("synthesis per proven form: median %.4f s, max %.3f s; Z3 median %.4f s"
      % (statistics.median(v["synth_seconds"] for v in p),
         max(v["synth_seconds"] for v in p),
         statistics.median(v["solver_seconds"] for v in p)))
print("whole list learned in %.1f s (wall, fallbacks included); z3 %s"
      % (float(sys.argv[3]) - float(sys.argv[2]), p[0]["z3"]))
print("microcode length: %s" % {n: sum(1 for v in p if len(v["microcode"]) == n)
      for n in range(0, 5)})
for v in f:
    print("fallback: %s: %s" % (v["form"], v.get("reason", "")))
END
t0=$(date +%s.%N)
"$bin/qhb-learn" -q --library "$work/lib.json" --verify >/dev/null
t1=$(date +%s.%N)
echo "--verify of the library: $(echo "$t1 - $t0" | bc) s"
cc -O2 -std=gnu11 -D_GNU_SOURCE -iquote "$top/common" -o "$work/native" \
	"$top/tests/learn-native.c" "$top/build/obj/libqhb.a" \
	-ljansson -lz3 -lZydis -lxxhash -lm
echo "native check: $("$work/native" "$work/lib.json" 1000)"
for f in 01d8 6601d8 0f94c0 480f4cc3 488b0cc3 480118 f3a4 48f7f1; do
	"$bin/qhb-learn" -q --library "$work/lib.json" --eval $f --bench 1000000
	if [ "${1:-}" = gpu ] || echo '{}' | "$bin/qhb-learn" --library \
	    "$work/lib.json" --eval 90 --gpu 2>&1 >/dev/null | grep -q 'Vulkan)$'; then
		for r in 1 2 3; do
			"$bin/qhb-learn" -q --library "$work/lib.json" --eval $f \
			    --gpu --bench 1000000
		done
	fi
done

guest=$top/build/guest
if [ -f "$guest/vmlinuz" ] && command -v qemu-system-x86_64 >/dev/null; then
	cd "$work"
	# a boot traced to QHB-READY into $1 (each boot puts the kernel
	# elsewhere: KASLR)
	trace_boot() {
		rm -f serial.log
		"$bin/qhb-trace" -q -o "$1" -- qemu-system-x86_64 -accel tcg \
		    -cpu max -m 128M -kernel "$guest/vmlinuz" -initrd "$guest/initrd.img" \
		    -nodefaults -display none -serial file:serial.log -no-reboot \
		    -append "console=ttyS0 panic=-1 quiet" &
		pid=$!
		n=0
		until grep -q QHB-READY serial.log 2>/dev/null || [ $n -ge 600 ]; do
			sleep 0.2
			n=$((n + 1))
		done
		kill -TERM $pid
		wait $pid 2>/dev/null || true
		echo "boot trace $1: $("$bin/qhb-trace" --format summary "$1")"
	}
	trace_boot boot.qhb
	trace_boot boot2.qhb
	# the demo's settings (examples/demo.sh), a fresh library each; wall
	# and CPU seconds (other work on the machine stretches the wall)
	learn() {
		rm -f boot-lib.json
		t0=$(date +%s.%N)
		c0=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
		"$bin/qhb-learn" -q --library boot-lib.json --budget 10000000 \
		    --timeout 5000 "$@" boot.qhb
		t1=$(date +%s.%N)
		c1=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
		echo "$*: learned in $(echo "$t1 - $t0" | bc) s wall," \
		    "$(( (c1 - c0) / $(getconf CLK_TCK) )) s CPU," \
		    "load $(cut -d' ' -f1-3 /proc/loadavg)"
	}
	echo "learning: one thread, then one per online CPU ($(nproc))"
	learn --hot 10000 --jobs 1
	for hot in 10000 1000 100 10 1; do
		learn --hot $hot
		"$bin/qhb-learn" --library boot-lib.json --report --top 10 boot.qhb
		echo "the second boot, nothing learned:"
		"$bin/qhb-learn" --library boot-lib.json --report --top 10 boot2.qhb
	done
	python3 - boot-lib.json <<'END'
import json, statistics, sys
d = json.load(open(sys.argv[1]))["forms"]
p = [v for v in d.values() if v["status"] == "proven"]
print("boot library: %d forms, %d proven; synthesis per proven form median"
      " %.4f s, Z3 median %.4f s" % (len(d), len(p),
      statistics.median(v["synth_seconds"] for v in p),
      statistics.median(v["solver_seconds"] for v in p)))
END
	t0=$(date +%s.%N)
	"$bin/qhb-learn" -q --library boot-lib.json --verify >/dev/null
	t1=$(date +%s.%N)
	echo "--verify of the boot library: $(echo "$t1 - $t0" | bc) s"
	echo "native check: $("$work/native" boot-lib.json 30)"
fi
