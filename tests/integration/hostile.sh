#!/bin/sh
# What a hostile or careless user finds at the edges (issue 18), without
# a guest: each case ends with a clean exit 1 and a message naming the
# file and what was wrong, never a wrong answer with exit 0.  Cases that
# need a real guest's RAM are in query_guest.sh.
. "$(dirname "$0")/../lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
trace=$top/tests/fuzz/trace/loop-zstd.qhb
ram=$T_TMP/guest.ram
truncate -s 1M "$ram"
head -c 60000 /dev/urandom | dd of="$ram" bs=4096 seek=10 conv=notrunc 2>/dev/null
qhb-snap -q "$ram" >"$T_TMP/s.qsnap"
qhb-hilbert -q --cpu <"$T_TMP/s.qsnap" >"$T_TMP/v.qvol"

# fails WANT CMD...: CMD exits 1 (not 0, not a signal) saying WANT on
# stderr.
fails() {
	t_want=$1
	shift
	t_rc=0
	"$@" >"$T_TMP/stdout" 2>"$T_TMP/stderr" || t_rc=$?
	[ "$t_rc" -eq 1 ] || die "exit $t_rc, not 1: $*"
	grep -qF -- "$t_want" "$T_TMP/stderr" ||
		die "stderr lacks '$t_want': $(cat "$T_TMP/stderr")"
}

# --- wrong numbers from outside
# (pids: qhb-query's questions, in query_guest.sh)

# --- wrong-kind inputs

trace_wrong_kind() {
	for f in text drcov hotblocks hotpages summary; do
		fails "qhb-trace: $T_TMP/s.qsnap: no trace frame in the input" \
			qhb-trace --format "$f" -f "$T_TMP/s.qsnap"
		fails "qhb-trace: $T_TMP/v.qvol: no trace frame in the input" \
			qhb-trace --format "$f" -f "$T_TMP/v.qvol"
		fails "qhb-trace: <stdin>: no trace frame in the input" \
			sh -c "qhb-trace --format $f -f </dev/null"
	done
	# and a trace is still read
	qhb-trace --format summary "$trace" | grep -q '"frames":1'
}

# --- lost output

# full WANT CMD...: CMD with stdout on /dev/full exits 1 saying WANT.
full() {
	t_want=$1
	shift
	fails "$t_want" sh -c '"$@" >/dev/full' sh "$@"
}

lost_learn() {
	lib=$T_TMP/lib.json
	full "qhb-learn: <stdout>: No space left on device" \
		qhb-learn -q --library "$lib" --learn 01d8
	full "qhb-learn: <stdout>:" \
		qhb-learn -q --library "$lib" --learn 01d8 4801d8
	echo '{}' >"$T_TMP/state"
	full "qhb-learn: <stdout>:" \
		sh -c 'qhb-learn -q --library "$1" --eval 01d8 <"$2"' sh \
		"$lib" "$T_TMP/state"
	full "qhb-learn: <stdout>:" qhb-learn -q --library "$lib" --verify
	full "qhb-learn: <stdout>:" \
		qhb-learn -q --library "$lib" --report "$trace"
}

lost_trace() {
	for f in text drcov hotblocks hotpages summary; do
		full "qhb-trace: <stdout>:" qhb-trace --format "$f" -f "$trace"
	done
}

lost_others() {
	full "qhb-cat: <stdout>:" qhb-cat "$T_TMP/s.qsnap"
	full "qhb-cat: <stdout>:" qhb-cat --raw -f "$T_TMP/s.qsnap"
	full "qhb-hilbert: <stdout>:" qhb-hilbert -q --cpu "$T_TMP/s.qsnap"
	full "qhb-render: <stdout>:" qhb-render -q --cpu -o - "$T_TMP/v.qvol"
	full "qhb-snap: <stdout>:" qhb-snap -q -o - "$ram"
	full "qhb-vm: <stdout>:" qhb-vm -V
}

# qhb-vm's list, status and qmp-path on a guest that a process passes
# for: qhb-vm takes a live process whose command line names the guest's
# QMP socket for its QEMU.
lost_vm() {
	XDG_RUNTIME_DIR=$T_TMP/run
	export XDG_RUNTIME_DIR
	g=$XDG_RUNTIME_DIR/qhb/hostile
	mkdir -p "$g"
	chmod 700 "$XDG_RUNTIME_DIR/qhb"
	sh -c 'sleep 60; :' "$g/qmp.sock" &
	pid=$!
	echo "$pid" >"$g/pid"
	# Each check goes on to the next, so that the process is killed.
	rc=0
	test "$(qhb-vm qmp-path hostile)" = "$g/qmp.sock" || rc=1
	qhb-vm list | grep -q "^hostile $pid " || rc=1
	full "qhb-vm: <stdout>:" qhb-vm list || rc=1
	full "qhb-vm: <stdout>:" qhb-vm status hostile || rc=1
	full "qhb-vm: <stdout>:" qhb-vm qmp-path hostile || rc=1
	kill "$pid"
	return $rc
}

# --- messages

regions_missing() {
	fails "qhb-hilbert: $T_TMP/missing.json: cannot open: No such file or directory" \
		qhb-hilbert -q --cpu --regions "$T_TMP/missing.json" "$T_TMP/s.qsnap"
	! grep -q 'line -1' "$T_TMP/stderr"
	fails "qhb-render: $T_TMP/missing.json: cannot open: No such file or directory" \
		qhb-render -q --cpu --regions "$T_TMP/missing.json" -o "$T_TMP/x.png" \
		"$T_TMP/v.qvol"
	# a file that is there still says where its JSON is wrong
	printf '{"regions":\n' >"$T_TMP/bad.json"
	fails "qhb-hilbert: $T_TMP/bad.json: line 2:" \
		qhb-hilbert -q --cpu --regions "$T_TMP/bad.json" "$T_TMP/s.qsnap"
}

render_names_input() {
	fails "qhb-render: $T_TMP/s.qsnap: no volume frame in the input" \
		qhb-render -q --cpu -o "$T_TMP/x.png" "$T_TMP/s.qsnap"
	fails "qhb-render: <stdin>: no volume frame in the input" \
		sh -c "qhb-render -q --cpu -o '$T_TMP/x.png' <'$T_TMP/s.qsnap'"
}

# put64 FILE OFFSET HEX: writes the 16 hex digits HEX there, little-endian.
put64() {
	t_o=
	for t_i in 15 13 11 9 7 5 3 1; do
		t_o="$t_o\\$(printf %03o "0x$(echo "$3" | cut -c"$t_i-$((t_i + 1))")")"
	done
	printf "$t_o" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# A zstd payload that is no zstd frame, with checksums that hold: the
# reader says so instead of printing zstd's error sentinel as a size.
zstd_sentinel() {
	z=$T_TMP/z.qsnap
	cp "$T_TMP/s.qsnap" "$z"
	hsize=$(od -An -tu4 -j8 -N4 "$z" | tr -d ' ')
	test "$(od -An -tx1 -j"$hsize" -N4 "$z" | tr -d ' ')" = 28b52ffd
	printf '\000' | dd of="$z" bs=1 seek="$hsize" conv=notrunc 2>/dev/null
	# The payload's checksum (header bytes 32..39), then the header's
	# (56..63), as the reader computes them.
	qhb-cat "$z" >/dev/null 2>"$T_TMP/e" && die "a changed payload read"
	put64 "$z" 32 "$(sed -n 's/.*payload hashes to \([0-9a-f]*\).*/\1/p' "$T_TMP/e")"
	qhb-cat "$z" >/dev/null 2>"$T_TMP/e" && die "a changed header read"
	put64 "$z" 56 "$(sed -n 's/.*bytes hash to \([0-9a-f]*\).*/\1/p' "$T_TMP/e")"
	fails "qhb-cat: $z: byte $hsize: frame 0: zstd payload is not a zstd frame" \
		qhb-cat "$z"
	! grep -q 18446744073709551614 "$T_TMP/stderr"
}

t trace_wrong_kind trace_wrong_kind
t lost_learn lost_learn
t lost_trace lost_trace
t lost_others lost_others
t lost_vm lost_vm
t regions_missing regions_missing
t render_names_input render_names_input
t zstd_sentinel zstd_sentinel
