#!/bin/sh
# The edges a hostile or careless user finds (issue 18), one section per
# class: what each program does with devices and FIFOs given as files,
# files that shrink while read, signals mid-write; wrong numbers,
# wrong-kind inputs, lost output and messages that name the wrong thing.
# Every case must end in a clean error or an answer, in seconds: a hang
# fails by timeout, a crash by its exit status, a file left behind by the
# listing of its directory.
. "$(dirname "$0")/../lib.sh"

QHB_AUDIT=$T_TMP/audit.jsonl
export QHB_AUDIT

# A raw RAM file on which qhb-query finds the kernel (vmcoreinfo and the
# page tables that map it) but no symbols: the fuzzer's seed, a sparse
# image ("QHBSPAR1", u64 ram_size, u64 count, count x (u64 gpa, page)),
# written out as RAM.  Symbol files given on the command line are read.
u64() { od -An -tu8 -j "$2" -N8 "$1" | tr -d ' '; }
kernel_ram() {
	t_seed=$(dirname "$0")/../fuzz/query/vmcoreinfo-pagetables-l4.sparse
	rm -f "$1"
	truncate -s "$(u64 "$t_seed" 8)" "$1"
	t_i=0
	t_n=$(u64 "$t_seed" 16)
	while [ "$t_i" -lt "$t_n" ]; do
		t_off=$((24 + t_i * 4104))
		dd if="$t_seed" of="$1" bs=4096 iflag=skip_bytes,count_bytes \
		    oflag=seek_bytes skip=$((t_off + 8)) count=4096 \
		    seek="$(u64 "$t_seed" "$t_off")" conv=notrunc status=none
		t_i=$((t_i + 1))
	done
}
kram=$T_TMP/kernel.ram
kernel_ram "$kram"
# A RAM file of noise, and a one-frame snapshot of it.
head -c 4194304 /dev/urandom >"$T_TMP/noise.ram"
qhb-snap -q --level 0 "$T_TMP/noise.ram" >"$T_TMP/noise.qsnap"

#
# 3. Unbounded or blocking reads: side files are read within a limit, a
# FIFO is not waited on in open(), a snapshot costs what it holds.
#

side_files_capped() {
	expect_err "/dev/zero: larger than 256 MiB, the limit for a System.map" \
	    timeout 10 qhb-query --ram "$kram" --system-map /dev/zero banner
	expect_err "/dev/zero: larger than 256 MiB, the limit for a microcode library" \
	    timeout 10 qhb-learn --library /dev/zero --verify
	expect_err "/dev/zero: not an ELF file" \
	    timeout 10 qhb-query --ram "$kram" --vmlinux /dev/zero banner
	expect_err "/dev/zero: larger than 64 MiB, the limit for a regions file" \
	    timeout 10 qhb-hilbert -q --cpu --regions /dev/zero "$T_TMP/noise.qsnap"
}

fifo_inputs() {
	mkfifo "$T_TMP/fifo"
	# RAM files must be regular: refused at once, not waited on
	expect_err "$T_TMP/fifo: not a RAM file: expected a regular file" \
	    timeout 5 qhb-query --ram "$T_TMP/fifo" banner
	expect_err "$T_TMP/fifo: not a RAM file: expected a regular file" \
	    timeout 5 qhb-snap -q "$T_TMP/fifo"
	# a side file read from a FIFO nobody writes to is empty
	expect_err "$T_TMP/fifo: no symbols" \
	    timeout 5 qhb-query --ram "$kram" --system-map "$T_TMP/fifo" banner
	expect_err "$T_TMP/fifo: line 1" \
	    timeout 5 qhb-query --ram "$kram" --isf "$T_TMP/fifo" banner
	expect_err "$T_TMP/fifo: not an ELF file" \
	    timeout 5 qhb-query --ram "$kram" --vmlinux "$T_TMP/fifo" banner
	expect_err "$T_TMP/fifo: " \
	    timeout 5 qhb-learn --library "$T_TMP/fifo" --verify
	expect_err "$T_TMP/fifo: line 1" \
	    timeout 5 qhb-hilbert -q --cpu --regions "$T_TMP/fifo" "$T_TMP/noise.qsnap"
}

declared_zero_pages() {
	# 32 GiB of holes: a snapshot of some hundred bytes, all zero pages
	truncate -s 32G "$T_TMP/huge.ram"
	qhb-snap -q "$T_TMP/huge.ram" >"$T_TMP/huge.qsnap"
	test "$(wc -c <"$T_TMP/huge.qsnap")" -lt 65536
	expect_err "<stdin>: no vmcoreinfo" \
	    timeout 10 qhb-query banner <"$T_TMP/huge.qsnap"
	expect_err "huge.ram: no vmcoreinfo" \
	    timeout 10 qhb-query --ram "$T_TMP/huge.ram" banner
	rm -f "$T_TMP/huge.ram" "$T_TMP/huge.qsnap"
}

t side_files_capped side_files_capped
t fifo_inputs fifo_inputs
t declared_zero_pages declared_zero_pages

#
# 4. A RAM file that shrinks under its readers: a clear error, exit 1, no
# SIGBUS.  QHB_TEST_RAM_SHRINK (common/ram.c) truncates the file once its
# data runs are listed, the same race on every run.
#

shrinking_ram() {
	cp "$T_TMP/noise.ram" "$T_TMP/s.ram"
	# The hook truncates from inside qhb-query, after it has narrowed
	# itself, and the sandbox rightly kills a truncate: this one case
	# runs unsandboxed; the real race below runs sandboxed.
	expect_err "$T_TMP/s.ram: the RAM file shrank while it was read: 4194304 bytes when opened, 4096 now" \
	    env QHB_TEST_RAM_SHRINK=4096 QHB_NO_SANDBOX=1 qhb-query --ram "$T_TMP/s.ram" banner
	cp "$T_TMP/noise.ram" "$T_TMP/s.ram"
	expect_err "$T_TMP/s.ram: the RAM file shrank" \
	    env QHB_TEST_RAM_SHRINK=4096 qhb-snap -q "$T_TMP/s.ram" -o "$T_TMP/s.qsnap"
	test ! -e "$T_TMP/s.qsnap"
	test -z "$(ls -A "$T_TMP" | grep '^\.s\.qsnap\.')"
	# the real race, a few times: whenever the cut comes, exit 1, never
	# a signal
	for t_i in 1 2 3; do
		cp "$T_TMP/noise.ram" "$T_TMP/s.ram"
		qhb-query --ram "$T_TMP/s.ram" banner >/dev/null 2>&1 &
		t_pid=$!
		truncate -s 4096 "$T_TMP/s.ram"
		t_rc=0
		wait "$t_pid" || t_rc=$?
		test "$t_rc" -eq 1
	done
}

t shrinking_ram shrinking_ram

#
# 5. Signals and temporary files: a program killed while it writes -o F
# leaves no .F.* and F as it was, and dies of the signal it was sent.
#

# killed SIG PROGRAM ARGS...: runs PROGRAM ARGS -o F on a FIFO fed one
# snapshot frame, then kept open, so that it is mid-way when SIG comes.
killed() {
	t_sig=$1
	shift
	t_dir=$T_TMP/kill-$t_sig
	rm -rf "$t_dir"
	mkdir "$t_dir"
	mkfifo "$t_dir/in"
	echo old >"$t_dir/F"
	# a background job starts with SIGINT ignored: the program gets the
	# default actions, as when run from a terminal
	env --default-signal=HUP,INT,PIPE,TERM "$@" -o "$t_dir/F" \
	    <"$t_dir/in" 2>"$t_dir/err" &
	t_pid=$!
	exec 3>"$t_dir/in"
	cat "$T_TMP/noise.qsnap" >&3
	t_i=0
	while [ -z "$(ls -A "$t_dir" | grep '^\.F\.')" ]; do
		t_i=$((t_i + 1))
		[ "$t_i" -lt 100 ] || { kill -KILL "$t_pid"; die "no temporary file"; }
		sleep 0.1
	done
	sleep 0.3
	kill -"$t_sig" "$t_pid"
	t_rc=0
	wait "$t_pid" || t_rc=$?
	exec 3>&-
	case $t_sig in HUP) t_num=1 ;; INT) t_num=2 ;; PIPE) t_num=13 ;;
	    TERM) t_num=15 ;; esac
	test "$t_rc" -eq $((128 + t_num))
	test "$(cat "$t_dir/F")" = old
	t_left=$(ls -A "$t_dir" | grep '^\.F\.' || true)
	test -z "$t_left" || die "left behind: $t_left"
}

signals_hilbert() {
	for s in INT TERM HUP PIPE; do
		killed "$s" qhb-hilbert --cpu -q
	done
}

signals_cat() {
	for s in INT TERM HUP PIPE; do
		killed "$s" qhb-cat --raw
	done
}

t signals_hilbert signals_hilbert
t signals_cat signals_cat

#
# 2, 7, 8, 10. Numbers, kinds, lost output and messages: each ends in exit 1
# and a message naming the file and what was wrong, never a wrong answer
# with exit 0.  Cases that need a real guest's RAM are in query_guest.sh.
#

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

# A minus sign behind a blank: strtoull negates " -5" into 2^64 - 5.
map_lines_wrap() {
	echo " -5" | fails "<stdin>: line 1: expected a curve index" \
	    qhb-hilbert --map --dim 2 --order 32
	printf '0 0 0\n -0 1 1\n' | fails "<stdin>: line 2: expected 3 coordinates" \
	    qhb-hilbert --inverse --order 4
}

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
	# --help and --version are output too
	for t_p in cat hilbert learn query render snap trace vm; do
		full "qhb-$t_p: <stdout>:" qhb-$t_p --help
		full "qhb-$t_p: <stdout>:" qhb-$t_p -V
	done
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

t map_lines_wrap map_lines_wrap
t trace_wrong_kind trace_wrong_kind
t lost_learn lost_learn
t lost_trace lost_trace
t lost_others lost_others
t lost_vm lost_vm
t regions_missing regions_missing
t render_names_input render_names_input
t zstd_sentinel zstd_sentinel
