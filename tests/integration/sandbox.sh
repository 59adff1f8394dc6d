#!/bin/sh
# The filters narrowed (common/sandbox: no_new_privs, Landlock, seccomp):
# qhb-cat, qhb-hilbert, qhb-query and qhb-learn do their work on real
# inputs as they do with QHB_NO_SANDBOX=1, byte for byte, with the same
# exit status; a filter is in place while qhb-cat waits on a FIFO, and not
# with QHB_NO_SANDBOX=1.  qhb-query's answers need a guest: here it fails
# as cleanly narrowed as not (query_guest.sh asks a booted guest, with the
# sandbox on).
. "$(dirname "$0")/../lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
ram=$T_TMP/guest.ram
QHB_AUDIT=$T_TMP/audit.jsonl
XDG_CACHE_HOME=$T_TMP/cache
export QHB_AUDIT XDG_CACHE_HOME
unset QHB_NO_SANDBOX

# 1 MiB of text, noise and code, captured twice with a change between.
truncate -s 1M "$ram"
yes 'qhb sandbox text' | head -c 40000 |
	dd of="$ram" bs=4096 seek=20 conv=notrunc 2>/dev/null
head -c 100000 "$(command -v sh)" | dd of="$ram" bs=4096 seek=150 conv=notrunc 2>/dev/null
qhb-snap -q "$ram" >"$T_TMP/full.qsnap"
head -c 8192 /dev/urandom | dd of="$ram" bs=4096 seek=3 conv=notrunc 2>/dev/null
qhb-snap -q "$ram" >"$T_TMP/second.qsnap"

# both NAME IN CMD...: runs CMD on standard input IN narrowed (out/NAME.*)
# and not (free/NAME.*) and compares stdout, stderr and the exit status.
both() {
	t_n=$1
	t_in=$2
	shift 2
	mkdir -p "$T_TMP/out" "$T_TMP/free"
	t_rc=0
	"$@" <"$t_in" >"$T_TMP/out/$t_n.stdout" 2>"$T_TMP/out/$t_n.stderr" ||
	    t_rc=$?
	echo $t_rc >"$T_TMP/out/$t_n.rc"
	t_rc=0
	QHB_NO_SANDBOX=1 "$@" <"$t_in" >"$T_TMP/free/$t_n.stdout" \
	    2>"$T_TMP/free/$t_n.stderr" || t_rc=$?
	echo $t_rc >"$T_TMP/free/$t_n.rc"
	for t_x in stdout stderr rc; do
		cmp "$T_TMP/out/$t_n.$t_x" "$T_TMP/free/$t_n.$t_x" ||
		    die "$t_n: $t_x differs: $(cat "$T_TMP/out/$t_n.stderr")"
	done
}

cat_works() {
	both json "$T_TMP/second.qsnap" qhb-cat "$T_TMP/full.qsnap" -
	test "$(cat "$T_TMP/out/json.rc")" -eq 0
	both raw /dev/null qhb-cat --raw -o "$T_TMP/out/ram" "$T_TMP/full.qsnap" \
	    "$T_TMP/second.qsnap"
	test "$(cat "$T_TMP/out/raw.rc")" -eq 0
	cmp "$T_TMP/out/ram" "$ram"
	# into a directory of its own, a file replaced
	mkdir -p "$T_TMP/o"
	echo old >"$T_TMP/o/ram"
	qhb-cat --raw -o "$T_TMP/o/ram" <"$T_TMP/second.qsnap"
	cmp "$T_TMP/o/ram" "$ram"
	test "$(ls -A "$T_TMP/o")" = ram
	both missing /dev/null qhb-cat "$T_TMP/missing"
	test "$(cat "$T_TMP/out/missing.rc")" -eq 1
}

# The Vulkan runs: lavapipe leaks a little at exit (see hilbert.sh).
qvk() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 qhb-hilbert "$@"
}

hilbert_works() {
	both cpu /dev/null qhb-hilbert --cpu --color value -o "$T_TMP/out/cpu.qvol" \
	    "$T_TMP/full.qsnap"
	test "$(cat "$T_TMP/out/cpu.rc")" -eq 0
	both cpu_stdout "$T_TMP/second.qsnap" qhb-hilbert --cpu --lod 2
	test "$(cat "$T_TMP/out/cpu_stdout.rc")" -eq 0
	# the Vulkan path when there is a device, else the CPU one again;
	# the pipeline cache is written narrowed, its directory made
	rm -rf "$XDG_CACHE_HOME"
	both gpu /dev/null qvk --color value -o "$T_TMP/out/gpu.qvol" "$T_TMP/full.qsnap"
	test "$(cat "$T_TMP/out/gpu.rc")" -eq 0
	cmp "$T_TMP/out/gpu.qvol" "$T_TMP/out/cpu.qvol"
	if grep -q 'Vulkan)$' "$T_TMP/out/gpu.stderr"; then
		rm -rf "$XDG_CACHE_HOME"
		qvk -q --color value <"$T_TMP/full.qsnap" >/dev/null
		ls "$XDG_CACHE_HOME"/qhb/pipelines-*.bin >/dev/null
	fi
	qhb-cat --nrrd "$T_TMP/out/v.nrrd" "$T_TMP/out/cpu.qvol"
	test -s "$T_TMP/out/v.nrrd"
}

query_works() {
	head -c 4194304 /dev/zero >"$T_TMP/zero.ram"
	rm -f "$QHB_AUDIT"
	both ram /dev/null qhb-query --ram "$T_TMP/zero.ram" --system-map /dev/null ps
	test "$(cat "$T_TMP/out/ram.rc")" -eq 1
	grep -q 'no vmcoreinfo in RAM' "$T_TMP/out/ram.stderr"
	both stream "$T_TMP/full.qsnap" qhb-query --jsonl banner
	test "$(cat "$T_TMP/out/stream.rc")" -eq 1
	# every question logged, narrowed or not, with the user's name
	test "$(wc -l <"$QHB_AUDIT")" -eq 4
	jq -se 'map(.user) | unique | length == 1 and .[0] != "?"' \
	    "$QHB_AUDIT" >/dev/null
}

learn_works() {
	tr=$top/tests/fuzz/trace/loop-raw.qhb
	for m in out free; do
		rm -f "$T_TMP/$m.json"
		(test $m = out || export QHB_NO_SANDBOX=1
		 qhb-learn -q --library "$T_TMP/$m.json" --hot 1000 <"$tr" \
		    >"$T_TMP/$m.learn"
		 qhb-learn --library "$T_TMP/$m.json" --report "$tr" \
		    >"$T_TMP/$m.report")
	done
	grep -qx '{"hot_blocks":1,"forms":2,"learned":2,"proven":2,"fallback":0,"templates":0}' \
	    "$T_TMP/out.learn"
	cmp "$T_TMP/out.report" "$T_TMP/free.report"
	grep -q '"coverage":0\.9999976' "$T_TMP/out.report"
	# the library, kept in its directory
	jq -e '.forms | length == 2' "$T_TMP/out.json" >/dev/null
}

# seccomp_of FIFO [env...]: the Seccomp: line of a qhb-cat that waits on
# FIFO, then lets it finish.
seccomp_of() {
	t_f=$1
	shift
	rm -f "$t_f"
	mkfifo "$t_f"
	env "$@" qhb-cat "$t_f" >"$t_f.out" &
	t_pid=$!
	# the narrowing comes before the files are opened: a little wait
	t_i=0
	while ! grep -q '^Seccomp:[[:space:]]*2' "/proc/$t_pid/status" &&
	    [ $t_i -lt 30 ]; do
		sleep 0.1
		t_i=$((t_i + 1))
	done
	grep '^Seccomp:' "/proc/$t_pid/status" >"$t_f.status"
	cat "$T_TMP/full.qsnap" >"$t_f"
	wait $t_pid
	grep -q '"kind":"snap"' "$t_f.out"
}

filter_in_place() {
	grep -q '^Seccomp:' /proc/self/status || {
		echo "# no Seccomp: line in /proc: skipped"
		return 0
	}
	seccomp_of "$T_TMP/fifo"
	grep -q '^Seccomp:[[:space:]]*2$' "$T_TMP/fifo.status"
	seccomp_of "$T_TMP/fifo2" QHB_NO_SANDBOX=1
	grep -q '^Seccomp:[[:space:]]*0$' "$T_TMP/fifo2.status"
}

t cat_works cat_works
t hilbert_works hilbert_works
t query_works query_works
t learn_works learn_works
t filter_in_place filter_in_place
