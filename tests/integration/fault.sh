#!/bin/sh
# Fault injection, SQLite-style: fail the Nth allocation or I/O call for
# n = 1, 2, ... until none fails.  Every run must succeed with exactly the
# output of a run without faults, or exit 1 with one "qhb-PROG: ..." line;
# never crash, hang, or leave a file behind.
. "$(dirname "$0")/../lib.sh"

fault_lib=$(cd "$QHB_BIN/.." && pwd)/tests/libfault.so
if [ ! -f "$fault_lib" ] || ldd "$QHB_BIN/qhb-snap" | grep -q asan; then
	echo "SKIP: $SUITE: no fault injector for this build (sanitizers own malloc)"
	exit 0
fi

ram=$T_TMP/r.ram
truncate -s 4M "$ram"
head -c 100000 /dev/urandom | dd of="$ram" bs=4096 seek=100 conv=notrunc 2>/dev/null
yes 'some text' | head -c 50000 | dd of="$ram" bs=4096 seek=600 conv=notrunc 2>/dev/null
qhb-snap -q --every 10ms --count 3 "$ram" >"$T_TMP/s.qsnap"

# sweep KIND PROG ARGS...: runs with each fault in turn.  The output goes
# to $T_TMP/out/o (use @OUT@ in ARGS) or stdout; check_output decides
# whether a successful run's output is right.
sweep() {
	kind=$1
	shift
	nargs=$#
	for a do
		[ "$a" = @OUT@ ] && a=$T_TMP/out/o
		set -- "$@" "$a"
	done
	shift "$nargs"
	n=1
	while [ $n -le 500 ]; do
		rm -rf "$T_TMP/out" "$T_TMP/log"
		mkdir "$T_TMP/out"
		rc=0
		QHB_FAULT=$kind:$n QHB_FAULT_PROG=$1 QHB_FAULT_LOG="$T_TMP/log" \
			LD_PRELOAD="$fault_lib" timeout 30 "$@" \
			>"$T_TMP/stdout" 2>"$T_TMP/stderr" || rc=$?
		fired=$(cat "$T_TMP/log" 2>/dev/null || true)
		case $rc in
		0)	check_output || die "n=$n ($fired): success with wrong output" ;;
		1)	grep -q '^qhb-[a-z]*: ' "$T_TMP/stderr" ||
				die "n=$n ($fired): exit 1 without a message: $(head -c 200 "$T_TMP/stderr")"
			test -z "$(ls -A "$T_TMP/out")" ||
				die "n=$n ($fired): left $(ls -A "$T_TMP/out")" ;;
		*)	die "n=$n ($fired): exit $rc: $(head -c 300 "$T_TMP/stderr")" ;;
		esac
		[ -n "$fired" ] || return 0
		n=$((n + 1))
	done
	die "still failing calls after 500 runs"
}

snap_file_ok() { qhb-cat --raw "$T_TMP/out/o" | cmp -s - "$ram"; }
snap_stdout_ok() { qhb-cat --raw "$T_TMP/stdout" | cmp -s - "$ram"; }
raw_ok() { cmp -s "$T_TMP/out/o" "$ram"; }
json_ok() { qhb-cat "$T_TMP/s.qsnap" | cmp -s - "$T_TMP/stdout"; }

snap_io() { check_output() { snap_file_ok; }; sweep io qhb-snap -q -o @OUT@ "$ram"; }
snap_alloc() { check_output() { snap_file_ok; }; sweep alloc qhb-snap -q -o @OUT@ "$ram"; }
snap_raw_alloc() { check_output() { snap_stdout_ok; }; sweep alloc qhb-snap -q --level 0 "$ram"; }
snap_periodic_alloc() {
	check_output() { qhb-cat --raw "$T_TMP/stdout" | cmp -s - "$ram"; }
	sweep alloc qhb-snap -q --every 5ms --count 3 "$ram"
}
cat_raw_io() { check_output() { raw_ok; }; sweep io qhb-cat --raw -o @OUT@ "$T_TMP/s.qsnap"; }
cat_raw_alloc() { check_output() { raw_ok; }; sweep alloc qhb-cat --raw -o @OUT@ "$T_TMP/s.qsnap"; }
cat_json_alloc() { check_output() { json_ok; }; sweep alloc qhb-cat "$T_TMP/s.qsnap"; }

t snap_io snap_io
t snap_alloc snap_alloc
t snap_raw_alloc snap_raw_alloc
t snap_periodic_alloc snap_periodic_alloc
t cat_raw_io cat_raw_io
t cat_raw_alloc cat_raw_alloc
t cat_json_alloc cat_json_alloc
