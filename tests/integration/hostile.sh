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
	# runtime files of the wrong kind: a serial log that is a FIFO or a
	# device ends the wait at once, a pid file that is a FIFO does not
	# block qhb-vm (the guest is then not found, which is the truth)
	mkfifo "$g/serial.log"
	fails "$g/serial.log: not QEMU's serial log: expected a regular file" \
	    timeout 10 qhb-vm wait --timeout 5 hostile || rc=1
	rm -f "$g/serial.log"
	ln -s /dev/zero "$g/serial.log"
	fails "$g/serial.log: not QEMU's serial log" \
	    timeout 10 qhb-vm wait --timeout 5 hostile || rc=1
	rm -f "$g/serial.log"
	mv "$g/pid" "$g/pid.real"
	mkfifo "$g/pid"
	t_rc=0
	timeout 10 qhb-vm list >/dev/null 2>&1 || t_rc=$?
	[ "$t_rc" -ne 124 ] || { echo "qhb-vm list blocked on a FIFO pid file"; rc=1; }
	rm -f "$g/pid"
	mv "$g/pid.real" "$g/pid"
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

# --- the matrix
#
# The hostile run repeated: each program, each place it takes bytes from
# outside (operands, standard input, every option that names a file) and
# each number option, against each kind of bad input.  One line a slot:
#
#	program | arguments | kinds | expected
#
# The arguments are a shell command line after the program, where @BAD@
# is the bad input of each kind in turn (quoted), @OUT@ a fresh empty
# directory for what the run may write and @KIND@ the kind's name.  The
# kinds are names from bad() below, or the groups @in (devices, a FIFO
# no one writes to, a directory, an empty file, random bytes), @num (the
# bad numbers) and @out (outputs that cannot be written).  Expected is
#	1 [TEXT]   exit 1 with "program: " on stderr, and TEXT if given, else
#	           the bad file's name ("<stdin>" when it is read as "<@BAD@")
#	0 [TEXT]   exit 0, with TEXT in standard output if given ("!TEXT":
#	           without it); for inputs that are legitimately acceptable
# Every run is bounded by timeout 10; a signal, a timeout, a sanitizer's
# report or, after an exit 1, anything left in @OUT@ fails the case.

m=$T_TMP/m
mkdir "$m" "$m/dir"
mkfifo "$m/fifo"
: >"$m/empty"
head -c 65536 /dev/urandom >"$m/random"
# truncated streams of each kind: the header and half a payload
head -c "$(($(wc -c <"$T_TMP/s.qsnap") / 2))" "$T_TMP/s.qsnap" >"$m/t.qsnap"
head -c "$(($(wc -c <"$T_TMP/v.qvol") / 2))" "$T_TMP/v.qvol" >"$m/t.qvol"
head -c "$(($(wc -c <"$trace") / 2))" "$trace" >"$m/t.qtrace"
echo '{"regions":[{"start":4096,"size":8192,"label":"r"}]}' >"$m/regions.json"
echo '{"regions":[]}' >"$m/noregions.json"
echo '{"rax":"0x5"}' >"$m/state.json"

# A library of the trace's forms (add eax, 0x01 among them), and the same
# with each kind of damage, all to that entry: its microcode edited, its
# hash removed (as a library of an older qhb-learn has), the format
# version changed, its key not that of its form, the JSON cut short, a
# number past every range, an entry that is not an object.
qhb-learn -q --library "$m/lib.json" --hot 1 "$trace" >/dev/null
lib_damage() {
	sed "$2" "$m/lib.json" >"$m/lib-$1.json"
	# a damage that changed nothing (the library's layout moved on)
	# would test nothing: the suite stops here
	if cmp -s "$m/lib.json" "$m/lib-$1.json"; then
		echo "FAIL: $SUITE.matrix: lib_damage $1 left the library as it was"
		exit 1
	fi
}
lib_damage edit 's/"add\.32f r0, r0, #1"/"sub.32f r0, r0, #1"/'
lib_damage nohash '/^  "3995c18b29397e83": {/,/^  }/{/"hash": /d}'
lib_damage version 's/"qhb-microcode": 1/"qhb-microcode": 2/'
lib_damage key 's/"3995c18b29397e83"/"3995c18b29397e84"/'
lib_damage huge '0,/"model": [0-9]*/s//"model": 99999999999999999999999/'
lib_damage nonobj 's/^  "3995c18b29397e83": {/  "x": 5, "3995c18b29397e83": {/'
head -c "$(($(wc -c <"$m/lib.json") / 2))" "$m/lib.json" >"$m/lib-trunc.json"

# bad KIND: the input of that kind, into t_bad.  The loop below runs
# hundreds of cases, twice in make check: its helpers set variables
# rather than print, to spare a fork each.
bad() {
	case $1 in
	zero | null | full) t_bad=/dev/$1 ;;
	fifo | dir | empty | random) t_bad=$m/$1 ;;
	missing) t_bad=$m/missing/out ;;
	snap) t_bad=$T_TMP/s.qsnap ;;
	vol) t_bad=$T_TMP/v.qvol ;;
	trace) t_bad=$trace ;;
	t-snap) t_bad=$m/t.qsnap ;;
	t-vol) t_bad=$m/t.qvol ;;
	t-trace) t_bad=$m/t.qtrace ;;
	ram) t_bad=$ram ;;
	regions) t_bad=$m/regions.json ;;
	noregions) t_bad=$m/noregions.json ;;
	lib*) t_bad=$m/$1.json ;;
	neg) t_bad=-1 ;;
	frac) t_bad=1.5 ;;
	nan | inf | 0x) t_bad=$1 ;;
	e999) t_bad=1e999 ;;
	nil) t_bad= ;;
	huge) t_bad=99999999999999999999999 ;;
	*) die "bad: no kind $1" ;;
	esac
}

# repl STRING PATTERN VALUE: STRING with each PATTERN replaced by VALUE,
# into t_s.
repl() {
	t_r=$1
	t_s=
	while case $t_r in *"$2"*) true ;; *) false ;; esac; do
		t_s=$t_s${t_r%%"$2"*}$3
		t_r=${t_r#*"$2"}
	done
	t_s=$t_s$t_r
}

# subst STRING QUOTE: STRING with @BAD@ (quoted by QUOTE), @OUT@ and
# @KIND@ replaced, into t_s.
subst() {
	repl "$1" @BAD@ "$2$t_bad$2"
	repl "$t_s" @OUT@ "$t_o"
	repl "$t_s" @KIND@ "$t_k"
}

matrix() {
	set -f
	t_n=0
	t_failed=0
	while IFS='|' read -r t_prog t_args t_kinds t_want; do
		t_prog=$(echo $t_prog)
		case $t_prog in '' | '#'*) continue ;; esac
		t_kinds=$(echo " $t_kinds " | sed 's/ @in / zero null fifo dir empty random /;
		    s/ @num / neg frac nan inf e999 0x nil huge /;
		    s/ @out / full dir missing /')
		t_want=$(echo $t_want)
		for t_k in $t_kinds; do
			t_n=$((t_n + 1))
			bad "$t_k"
			t_o=$m/o.$t_n
			mkdir "$t_o"
			# a library is rewritten by some runs: each gets its own
			case $t_k in lib*)
				cp "$t_bad" "$t_o.json"
				t_bad=$t_o.json ;;
			esac
			subst "$t_args" "'"
			t_cmd=$t_s
			t_rc=0
			eval "timeout 10 $t_prog $t_cmd" </dev/null \
			    >"$m/stdout" 2>"$m/stderr" || t_rc=$?
			matrix_check
			[ -z "$t_why" ] && continue
			echo "$t_prog $t_cmd: $t_why"
			t_failed=$((t_failed + 1))
		done
	done
	echo "$t_n cases, $t_failed failed"
	[ "$t_failed" -eq 0 ]
}

# matrix_check: what is wrong with the case just run, into t_why ("" when
# nothing is).
matrix_check() {
	t_why=
	t_exp=${t_want%% *}
	t_text=
	if [ "$t_exp" != "$t_want" ]; then
		subst "${t_want#* }" ""
		t_text=$t_s
	fi
	if grep -q 'Sanitizer\|runtime error:' "$m/stderr"; then
		t_why="sanitizer: $(grep -m1 'ERROR\|runtime error' "$m/stderr")"
	elif [ "$t_rc" -ne "$t_exp" ]; then
		t_why="exit $t_rc, not $t_exp: $(head -c 300 "$m/stderr")"
	elif [ "$t_exp" -eq 1 ]; then
		if [ -z "$t_text" ]; then
			case $t_args in *'<@BAD@'*) t_text='<stdin>' ;;
			*) t_text=$t_bad ;; esac
		fi
		if ! grep -qF -- "$t_prog: " "$m/stderr" ||
		    ! grep -qF -- "$t_text" "$m/stderr"; then
			t_why="stderr lacks '$t_prog: ' or '$t_text': $(head -c 300 "$m/stderr")"
		elif [ -n "$(ls -A "$t_o")" ]; then
			t_why="left behind: $(ls -A "$t_o")"
		fi
	elif [ -n "$t_text" ]; then
		case $t_text in
		!*) ! grep -qF -- "${t_text#!}" "$m/stdout" ||
			t_why="stdout has '${t_text#!}'" ;;
		*) grep -qF -- "$t_text" "$m/stdout" ||
			t_why="stdout lacks '$t_text': $(head -c 300 "$m/stdout")" ;;
		esac
	fi
}

the_matrix() {
	matrix <<EOF
# program | arguments | kinds | expected
#
# A stream may come through a FIFO: waiting in open() for its writer is
# what a reader of pipes does (cat too), so the FIFO kind is given only
# where a file must be regular or is a side file, which is read at once.
#
# qhb-cat reads any stream: no bytes are a stream of no frames.
qhb-cat | @BAD@ | zero dir random t-snap t-vol t-trace regions ram | 1
qhb-cat | @BAD@ | null empty | 0
qhb-cat | <@BAD@ | zero dir random t-snap | 1
qhb-cat | --raw -o @OUT@/r @BAD@ | zero null dir empty random t-snap vol trace | 1
qhb-cat | --nrrd @OUT@/n.nrrd @BAD@ | zero null dir empty random t-vol snap trace | 1
qhb-cat | --raw -o @BAD@ $T_TMP/s.qsnap | @out | 1
qhb-cat | --nrrd @BAD@ $T_TMP/v.qvol | @out | 1
#
# qhb-hilbert maps snapshots; its regions are a side file, and an empty
# list of them is a list (the volume is untinted).
qhb-hilbert | -q --cpu -o @OUT@/v @BAD@ | zero null dir empty random t-snap vol trace regions | 1
qhb-hilbert | -q --cpu <@BAD@ | zero dir random t-snap | 1
qhb-hilbert | -q --cpu -o @OUT@/v --regions @BAD@ $T_TMP/s.qsnap | @in snap | 1
qhb-hilbert | -q --cpu --regions @BAD@ $T_TMP/s.qsnap | noregions | 0 QHB
qhb-hilbert | -q --cpu -o @BAD@ $T_TMP/s.qsnap | @out | 1
qhb-hilbert | --map --dim 2 --order 4 <@BAD@ | zero dir random | 1
qhb-hilbert | --inverse --order 4 <@BAD@ | zero dir random | 1
qhb-hilbert | --map --dim 2 --order 4 <@BAD@ | null empty | 0
qhb-hilbert | -q --cpu --dim @BAD@ $T_TMP/s.qsnap | @num | 1 --dim
qhb-hilbert | --map --order @BAD@ | @num | 1 --order
qhb-hilbert | -q --cpu --unit @BAD@ $T_TMP/s.qsnap | @num | 1 --unit
qhb-hilbert | -q --cpu --lod @BAD@ $T_TMP/s.qsnap | @num | 1 --lod
qhb-hilbert | -q --cpu --level @BAD@ $T_TMP/s.qsnap | @num | 1 --level
qhb-hilbert | --locate 0 --ram-size @BAD@ | @num | 1 --ram-size
qhb-hilbert | --locate @BAD@ --ram-size 1M | @num | 1 --locate
qhb-hilbert | --address @BAD@,0,0 --ram-size 1M | @num | 1 --address
qhb-hilbert | --address 0,@BAD@,0 --ram-size 1M | @num | 1 --address
#
# qhb-render renders volumes.
qhb-render | -q --cpu --size 16x16 -o @OUT@/%d.png @BAD@ | zero null dir empty random t-vol snap trace regions | 1
qhb-render | -q --cpu --size 16x16 -o @OUT@/%d.png <@BAD@ | zero dir random t-vol | 1
qhb-render | -q --cpu --size 16x16 -o @OUT@/%d.png --regions @BAD@ $T_TMP/v.qvol | @in snap | 1
qhb-render | -q --cpu --size 16x16 -o @OUT@/%d.png --regions @BAD@ $T_TMP/v.qvol | noregions | 0
qhb-render | -q --cpu --size 16x16 -o @BAD@ $T_TMP/v.qvol | full dir | 1
qhb-render | -q --cpu --size 16x16 -o @BAD@/%d.png $T_TMP/v.qvol | missing | 1
# Angles and a zoom are real numbers: -1 and 1.5 are angles too.
qhb-render | -q --cpu --size 16x16 -o @OUT@/%d.png --azimuth @BAD@ $T_TMP/v.qvol | nan inf e999 0x nil huge | 1 --azimuth
qhb-render | -q --cpu --size 16x16 -o @OUT@/%d.png --azimuth @BAD@ $T_TMP/v.qvol | neg frac | 0
qhb-render | -q --cpu --size 16x16 -o @OUT@/%d.png --elevation @BAD@ $T_TMP/v.qvol | nan inf e999 0x nil huge | 1 --elevation
qhb-render | -q --cpu --size 16x16 -o @OUT@/%d.png --elevation @BAD@ $T_TMP/v.qvol | neg frac | 0
qhb-render | -q --cpu --size 16x16 -o @OUT@/%d.png --zoom @BAD@ $T_TMP/v.qvol | neg nan inf e999 0x nil huge | 1 --zoom
qhb-render | -q --cpu --size 16x16 -o @OUT@/%d.png --zoom @BAD@ $T_TMP/v.qvol | frac | 0
qhb-render | -q --cpu --size 16x16 -o @OUT@/%d.png --composite --opacity @BAD@ $T_TMP/v.qvol | neg frac nan inf e999 0x nil huge | 1 --opacity
qhb-render | -q --cpu -o @OUT@/%d.png --size @BAD@x16 $T_TMP/v.qvol | @num | 1 --size
qhb-render | -q --cpu -o @OUT@/%d.png --size 16x@BAD@ $T_TMP/v.qvol | @num | 1 --size
qhb-render | -q --cpu --size 16x16 -o @OUT@/%d.png --turntable @BAD@ $T_TMP/v.qvol | @num | 1 --turntable
qhb-render | -q --cpu --size 16x16 -o @OUT@/%d.png --sheet @BAD@x2 $T_TMP/v.qvol | @num | 1 --sheet
qhb-render | -q --cpu --size 16x16 -o @OUT@/%d.y4m --y4m --fps @BAD@ $T_TMP/v.qvol | @num | 1 --fps
qhb-render | -q --cpu --size 16x16 -o @OUT@/%d.png --level @BAD@ $T_TMP/v.qvol | @num | 1 --level
qhb-render | -q --cpu --size 16x16 -o @OUT@/%d.png --threads @BAD@ $T_TMP/v.qvol | @num | 1 --threads
qhb-render | -q --cpu --size 16x16 -o @OUT@/%d.png --background @BAD@ $T_TMP/v.qvol | @num | 1 --background
#
# qhb-query reads a snapshot stream or a RAM file, which must be a
# regular file (random bytes are RAM with no kernel in it); the symbol
# files are side files.  $kram holds a kernel but no symbols.
qhb-query | banner <@BAD@ | zero dir random t-snap vol trace | 1
qhb-query | --ram @BAD@ banner | @in snap | 1
qhb-query | --ram $kram --system-map @BAD@ banner | zero null fifo dir empty | 1
# A System.map is read leniently (every line that looks like "ADDR TYPE
# NAME"): random bytes and a snapshot hold some such lines, and the
# answer then fails for want of the kernel's own symbols, about the RAM.
qhb-query | --ram $kram --system-map @BAD@ banner | random snap | 1 $kram
qhb-query | --ram $kram --vmlinux @BAD@ banner | @in snap | 1
qhb-query | --ram $kram --isf @BAD@ banner | @in snap | 1
qhb-query | --ram @BAD@ --record-pages @OUT@/p banner | @in snap | 1
# $kram has no kallsyms: the answer ends there, before the pages are
# written, and leaves nothing.  (sym's addresses, and answers into
# --record-pages, need a real guest: query_guest.sh.)
qhb-query | --ram $kram --record-pages @BAD@ banner | @out | 1 no kallsyms
qhb-query | --ram $kram maps @BAD@ | @num | 1 @BAD@
#
# qhb-snap takes a regular file of whole pages as RAM: random bytes are
# RAM too.
qhb-snap | -q -o @OUT@/s @BAD@ | zero null fifo dir empty snap | 1
qhb-snap | -q -o @OUT@/s @BAD@ | random ram | 0
qhb-snap | -q --qmp @BAD@ -o @OUT@/s | @in snap | 1
qhb-snap | -q -o @BAD@ $ram | @out | 1
qhb-snap | -q -o @OUT@/s --consistent verify --verify-rounds @BAD@ $ram | @num | 1 --verify-rounds
# A duration without a unit is in seconds: 1.5 is one.
qhb-snap | -q -o @OUT@/s --every @BAD@ --count 1 $ram | neg nan inf e999 0x nil huge | 1 --every
qhb-snap | -q -o @OUT@/s --every @BAD@ --count 1 $ram | frac | 0
qhb-snap | -q -o @OUT@/s --every 1ms --count @BAD@ $ram | @num | 1 --count
qhb-snap | -q -o @OUT@/s --every 1ms --count 2 --keyframe @BAD@ $ram | @num | 1 --keyframe
qhb-snap | -q -o @OUT@/s --level @BAD@ $ram | @num | 1 --level
qhb-snap | -q -o @OUT@/s --threads @BAD@ $ram | @num | 1 --threads
#
# qhb-trace reports on traces; an empty input has no trace frame.
qhb-trace | --format summary -o @OUT@/r @BAD@ | zero null dir empty random t-trace snap vol regions | 1
qhb-trace | --format text -o @OUT@/r <@BAD@ | zero dir random t-trace | 1
qhb-trace | --format drcov -o @BAD@ $trace | @out | 1
qhb-trace | --format hotblocks --limit @BAD@ $trace | @num | 1 --limit
qhb-trace | -q -o @OUT@/t --ring-size @BAD@ -- true | @num | 1 --ring-size
qhb-trace | -q -o @OUT@/t --level @BAD@ -- true | @num | 1 --level
# QEMU loads the plugin and says what is wrong with it.
qhb-trace | -q -o @OUT@/t --plugin @BAD@ -- qemu-x86_64 /bin/true | @in | 1
#
# qhb-learn: a trace, the library (created when missing, never when the
# trace is refused), states on standard input.
qhb-learn | -q --library @OUT@/l.json @BAD@ | zero null dir empty random t-trace snap vol | 1
qhb-learn | -q --library @OUT@/l.json --report <@BAD@ | zero dir random t-trace | 1
qhb-learn | -q --library @BAD@ --verify | @in snap regions | 1
qhb-learn | -q --library @BAD@ --learn 01d8 | full | 1
qhb-learn | -q --library $m/lib.json --eval 83c001 <@BAD@ | zero dir random | 1
qhb-learn | -q --library $m/lib.json --eval 83c001 <@BAD@ | null empty | 0
qhb-learn | -q --library $m/lib.json --eval 83c001 --bench @BAD@ | @num | 1 --bench
qhb-learn | -q --library @OUT@/l.json --hot @BAD@ $trace | @num | 1 --hot
qhb-learn | -q --library @OUT@/l.json --report --top @BAD@ $trace | @num | 1 --top
qhb-learn | -q --library @OUT@/l.json --max-len @BAD@ --learn 01d8 | @num | 1 --max-len
qhb-learn | -q --library @OUT@/l.json --budget @BAD@ --learn 01d8 | @num | 1 --budget
qhb-learn | -q --library @OUT@/l.json --timeout @BAD@ --learn 01d8 | @num | 1 --timeout
# Damaged libraries (see SECURITY CONSIDERATIONS in qhb-learn(1)): an
# entry that fails its checks is never run (--eval refuses it) nor
# counted (--report's coverage falls below 1.0); --verify demotes an
# edited entry, and proves and stamps one without a hash (an older
# library's, whose microcode is right).  The others are refused whole.
qhb-learn | -q --library @BAD@ --eval 83c001 <$m/state.json | lib-edit lib-nohash | 1 add eax, 0x01
# An entry under another key is not the form's: the form is learned
# afresh, and 5 + 1 is 6.
qhb-learn | -q --library @BAD@ --eval 83c001 <$m/state.json | lib-key | 0 "rax":"0x6"
qhb-learn | -q --library @BAD@ --report $trace | lib-edit lib-nohash lib-key | 0 !"coverage":1.0,
qhb-learn | -q --library @BAD@ --verify | lib-edit | 1 add eax, 0x01 (3995c18b29397e83): the proof fails
qhb-learn | -q --library @BAD@ --verify | lib-key | 1 add eax, 0x01 (3995c18b29397e84): the proof fails
qhb-learn | -q --library @BAD@ --verify | lib-nohash | 0
qhb-learn | -q --library @BAD@ --eval 83c001 <$m/state.json | lib-version lib-trunc lib-huge lib-nonobj | 1
qhb-learn | -q --library @BAD@ --report $trace | lib-version lib-trunc lib-huge lib-nonobj | 1
qhb-learn | -q --library @BAD@ --verify | lib-version lib-trunc lib-huge lib-nonobj | 1
#
# qhb-vm's numbers: refused before anything starts (the kernel named is
# not there, so that a number let through fails the case by its message,
# never boots a guest).  Its files are its own runtime directory's.
qhb-vm | start --mem @BAD@ --kernel $m/missing/k hostile-m | @num | 1 --mem
qhb-vm | start --cpus @BAD@ --kernel $m/missing/k hostile-m | @num | 1 --cpus
qhb-vm | start --timeout @BAD@ --kernel $m/missing/k hostile-m | @num | 1 --timeout
qhb-vm | stop --timeout @BAD@ hostile-m | @num | 1 --timeout
qhb-vm | wait --timeout @BAD@ hostile-m | @num | 1 --timeout
EOF
}

t matrix the_matrix

# --- signals mid-write, for the other programs that write -o
#
# mid_write FEED SIG RC PROGRAM ARGS...: runs PROGRAM ARGS, whose output
# is $t_dir/F (in ARGS as @F@), on a FIFO fed FEED and then kept open,
# and sends SIG once a temporary file or a first picture is there (or
# after 5 s).  PROGRAM must exit RC and leave no temporary file.
mid_write() {
	t_feed=$1 t_sig=$2 t_want_rc=$3
	shift 3
	t_dir=$T_TMP/mid-$t_sig
	rm -rf "$t_dir"
	mkdir "$t_dir"
	mkfifo "$t_dir/in"
	t_args=
	for t_a in "$@"; do
		repl "$t_a" @F@ "$t_dir/F"
		t_args="$t_args '$t_s'"
	done
	eval "exec env --default-signal=HUP,INT,PIPE,TERM $t_args" \
	    <"$t_dir/in" 2>"$t_dir/err" &
	t_pid=$!
	exec 3>"$t_dir/in"
	cat "$t_feed" >&3
	t_i=0
	while [ -z "$(ls -A "$t_dir" | grep '^\.F\|^F0')" ] && [ "$t_i" -lt 50 ]; do
		t_i=$((t_i + 1))
		sleep 0.1
	done
	kill -"$t_sig" "$t_pid"
	# one that does not end is killed after 10 s: it fails, not hangs
	(t_j=0; while kill -0 "$t_pid" 2>/dev/null; do
		t_j=$((t_j + 1))
		[ "$t_j" -lt 100 ] || kill -KILL "$t_pid"
		sleep 0.1
	done) &
	t_rc=0
	wait "$t_pid" || t_rc=$?
	exec 3>&-
	[ "$t_rc" -eq "$t_want_rc" ] ||
		die "$*: exit $t_rc, not $t_want_rc: $(cat "$t_dir/err")"
	t_left=$(ls -A "$t_dir" | grep '^\.' || true)
	test -z "$t_left" || die "$*: left behind: $t_left"
}

signals_others() {
	# pictures committed before the signal stay; the one in progress goes
	mid_write "$T_TMP/v.qvol" INT 130 qhb-render -q --cpu --size 256x256 \
	    --turntable 4 -o '@F@%d.png'
	mid_write "$trace" TERM 143 qhb-trace --format text -o @F@
	# a periodic capture ends on the signal with its file complete
	mid_write /dev/null TERM 0 qhb-snap -q --every 50ms -o @F@ "$ram"
	qhb-cat "$t_dir/F" | grep -q '"kind":"snap"'
	mid_write /dev/null INT 0 qhb-snap -q --every 50ms -o @F@ "$ram"
	qhb-cat "$t_dir/F" | grep -q '"kind":"snap"'
}

t signals_others signals_others
