#!/bin/sh
# The edges a hostile or careless user finds (issue 18), one section per
# class: what each program does with devices and FIFOs given as files,
# files that shrink while read, signals mid-write.  Every case must end in
# a clean error or an answer, in seconds: a hang fails by timeout, a crash
# by its exit status, a file left behind by the listing of its directory.
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
