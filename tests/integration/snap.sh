#!/bin/sh
# qhb-snap and qhb-cat on synthetic RAM files: round trips, deltas, atomic
# output, and clean errors for every kind of bad input.
. "$(dirname "$0")/../lib.sh"

ram=$T_TMP/guest.ram
# 8 MiB: holes, zero pages written out, text, random bytes.
mkram() {
	rm -f "$ram"
	truncate -s 8M "$ram"
	dd if=/dev/zero of="$ram" bs=4096 count=16 seek=100 conv=notrunc 2>/dev/null
	yes 'qhb integration text' | head -c 200000 |
		dd of="$ram" bs=4096 seek=300 conv=notrunc 2>/dev/null
	head -c 300000 /dev/urandom | dd of="$ram" bs=4096 seek=1000 conv=notrunc 2>/dev/null
}
mkram

roundtrip() {
	for level in 0 1 9; do
		qhb-snap -q --level "$level" "$ram" | qhb-cat --raw | cmp - "$ram"
	done
	qhb-snap -q --threads 2 "$ram" | qhb-cat --raw | cmp - "$ram"
}

json_header() {
	qhb-snap -q "$ram" | qhb-cat --json >"$T_TMP/j"
	grep -q '"kind":"snap"' "$T_TMP/j"
	grep -q '"ram_size":8388608' "$T_TMP/j"
	grep -q '"page_size":4096' "$T_TMP/j"
	grep -q '"consistency":"none"' "$T_TMP/j"
	grep -q '"compression":"zstd"' "$T_TMP/j"
	# data pages: 49 of text, 74 random; the rest are holes or zero
	grep -q '"pages":{"given":2048,"data":123,"zero":1925}' "$T_TMP/j"
}

# Deltas while the file changes under the capture rebuild its last state.
periodic_deltas() {
	mkram
	qhb-snap -q --level 1 --every 100ms --count 25 --keyframe 10 "$ram" \
		>"$T_TMP/p.qsnap" &
	pid=$!
	for i in 1 2 3 4 5 6 7 8; do
		head -c 20000 /dev/urandom |
			dd of="$ram" bs=4096 seek=$((i * 50)) conv=notrunc 2>/dev/null
		sleep 0.1
	done
	dd if=/dev/zero of="$ram" bs=4096 seek=1000 count=3 conv=notrunc 2>/dev/null
	wait "$pid"
	qhb-cat --raw "$T_TMP/p.qsnap" | cmp - "$ram"
	qhb-cat "$T_TMP/p.qsnap" >"$T_TMP/j"
	test "$(wc -l <"$T_TMP/j")" -eq 25
	test "$(grep -c '"kind":"snap"' "$T_TMP/j")" -eq 3
	test "$(grep -c '"kind":"snap-delta"' "$T_TMP/j")" -eq 22
	# some deltas carried pages, and an unchanged one costs bitmaps only
	grep '"snap-delta"' "$T_TMP/j" | grep -qv '"given":0,'
	grep '"snap-delta"' "$T_TMP/j" | grep -q '"given":0,'
}

concatenated() {
	mkram
	qhb-snap -q "$ram" >"$T_TMP/a"
	printf 'new' | dd of="$ram" bs=1 seek=5000000 conv=notrunc 2>/dev/null
	qhb-snap -q "$ram" >"$T_TMP/b"
	cat "$T_TMP/a" "$T_TMP/b" | qhb-cat --raw | cmp - "$ram"
	qhb-cat --raw "$T_TMP/a" "$T_TMP/b" | cmp - "$ram"
	test "$(cat "$T_TMP/a" "$T_TMP/b" | qhb-cat | wc -l)" -eq 2
}

verify_mode() {
	qhb-snap -q --consistent=verify "$ram" | qhb-cat >"$T_TMP/j"
	grep -q '"consistency":"verify"' "$T_TMP/j"
	grep -q '"verify_rounds":1' "$T_TMP/j"
	grep -q '"unstable_pages":0' "$T_TMP/j"
}

# -o: strftime names, atomic write, nothing left behind on failure.
output_file() {
	mkdir "$T_TMP/out"
	qhb-snap -q -o "$T_TMP/out/vm1-%Y%m%d.qsnap" "$ram"
	f=$T_TMP/out/vm1-$(date +%Y%m%d).qsnap
	test -f "$f"
	qhb-cat --raw -o "$T_TMP/out/ram" "$f"
	cmp "$T_TMP/out/ram" "$ram"
	test "$(ls -A "$T_TMP/out" | wc -l)" -eq 2
	qhb-snap -q -o "$T_TMP/out/bad.qsnap" /nonexistent && die "no failure"
	qhb-cat --raw -o "$T_TMP/out/bad.ram" /dev/null && die "no failure"
	test "$(ls -A "$T_TMP/out" | wc -l)" -eq 2
}

missing_file() {
	expect_err "qhb-snap: /nonexistent/ram: cannot open RAM file: No such file" \
		qhb-snap /nonexistent/ram
	expect_err "qhb-cat: /nonexistent/s: cannot open" qhb-cat /nonexistent/s
}

not_ram_sized() {
	head -c 5000 /dev/urandom >"$T_TMP/odd"
	expect_err "not a RAM file: size 5000 is not a non-zero multiple" \
		qhb-snap "$T_TMP/odd"
	: >"$T_TMP/empty"
	expect_err "not a RAM file" qhb-snap "$T_TMP/empty"
	expect_err "not a RAM file: expected a regular file" qhb-snap "$T_TMP"
}

corrupt_stream() {
	qhb-snap -q --level 0 "$ram" >"$T_TMP/s"
	# a payload byte: checksum mismatch
	cp "$T_TMP/s" "$T_TMP/c"
	flip_byte "$T_TMP/c" 300000
	expect_err "byte 2" qhb-cat "$T_TMP/c"
	expect_err "frame 0: payload checksum mismatch" qhb-cat --raw -o "$T_TMP/x" "$T_TMP/c"
	test ! -e "$T_TMP/x"
	# the magic
	printf 'QHB2' | dd of="$T_TMP/c" bs=1 seek=0 conv=notrunc 2>/dev/null
	expect_err 'c: byte 0: frame 0: expected frame magic "QHB1", got 51 48 42 32' \
		qhb-cat "$T_TMP/c"
	# truncation, and garbage after a good frame
	head -c 100000 "$T_TMP/s" >"$T_TMP/t"
	expect_err "frame 0: truncated payload" qhb-cat "$T_TMP/t"
	{ cat "$T_TMP/s"; printf 'garbage'; } >"$T_TMP/g"
	expect_err "frame 1: truncated header: expected 64 bytes, got 7" qhb-cat "$T_TMP/g"
	expect_err "no snapshot frame" qhb-cat --raw -o "$T_TMP/x" /dev/null
}

# A closed pipe ends the writer quietly: no message, no hang.
closed_pipe() {
	{ rc=0; qhb-snap --level 0 "$ram" 2>"$T_TMP/err1" || rc=$?
	  echo $rc >"$T_TMP/rc1"; } | head -c 10 >/dev/null
	{ qhb-snap -q --level 0 "$ram" | qhb-cat --raw 2>"$T_TMP/err2"; } |
		head -c 10 >/dev/null
	test ! -s "$T_TMP/err2"
	test "$(cat "$T_TMP/rc1")" -eq 141
	test ! -s "$T_TMP/err1"
}

write_errors() {
	expect_err "No space left on device" sh -c "qhb-snap -q '$ram' >/dev/full"
	qhb-snap -q "$ram" >"$T_TMP/s"
	expect_err "No space left on device" sh -c "qhb-cat --raw '$T_TMP/s' >/dev/full"
	expect_err "qhb-cat: <stdout>" sh -c "qhb-cat '$T_TMP/s' >/dev/full"
}

refuses_terminal() {
	command -v script >/dev/null || return 0
	script -qec "qhb-snap '$ram'" /dev/null >"$T_TMP/tty" 2>&1 && die "wrote to a tty"
	grep -q "stdout is a terminal" "$T_TMP/tty"
}

# A signal ends a periodic capture after the frame in hand; the file is
# committed whole, under its name, and nothing else is left.
signal_keeps_file() {
	mkram
	mkdir "$T_TMP/sig"
	for sig in INT TERM; do
		qhb-snap -q --every 50ms -o "$T_TMP/sig/$sig.qsnap" "$ram" &
		pid=$!
		sleep 0.6
		kill -s "$sig" "$pid"
		wait "$pid"
		qhb-cat --raw "$T_TMP/sig/$sig.qsnap" | cmp - "$ram"
		test "$(qhb-cat "$T_TMP/sig/$sig.qsnap" | wc -l)" -ge 3
	done
	test "$(ls -A "$T_TMP/sig" | wc -l)" -eq 2
}

# Devices and FIFOs are written in place, never replaced by a rename; a
# symbolic link keeps pointing at the file that is replaced.
special_outputs() {
	qhb-snap -q -o /dev/null "$ram"
	test -c /dev/null
	expect_err "No space left on device" qhb-snap -q -o /dev/full "$ram"
	test -c /dev/full
	mkfifo "$T_TMP/fifo"
	qhb-cat --raw "$T_TMP/fifo" >"$T_TMP/fromfifo" &
	qhb-snap -q -o "$T_TMP/fifo" "$ram"
	wait
	cmp "$T_TMP/fromfifo" "$ram"
	test -p "$T_TMP/fifo"
	: >"$T_TMP/target"
	ln -s target "$T_TMP/link"
	qhb-snap -q -o "$T_TMP/link" "$ram"
	test -L "$T_TMP/link"
	qhb-cat --raw "$T_TMP/target" | cmp - "$ram"
}

usage_errors() {
	qhb-snap --bogus "$ram" 2>/dev/null && die "accepted --bogus"
	expect_err "expected none, pause or verify" qhb-snap --consistent=maybe "$ram"
	expect_err "--count and --keyframe need --every" qhb-snap --count 3 "$ram"
	expect_err "needs --qmp" qhb-snap --consistent=pause "$ram"
	expect_err "expected a duration" qhb-snap --every 5parsecs "$ram"
	expect_err "no RAM file" qhb-snap
	expect_err "cannot use --json and --raw" qhb-cat --json --raw
	qhb-snap --help | grep -q -- '--consistent'
	qhb-cat --help | grep -q -- '--raw'
	qhb-snap --version | grep -q '^qhb-snap '
}

t roundtrip roundtrip
t json_header json_header
t periodic_deltas periodic_deltas
t concatenated concatenated
t verify_mode verify_mode
t output_file output_file
t missing_file missing_file
t not_ram_sized not_ram_sized
t corrupt_stream corrupt_stream
t closed_pipe closed_pipe
t write_errors write_errors
t refuses_terminal refuses_terminal
t signal_keeps_file signal_keeps_file
t special_outputs special_outputs
t usage_errors usage_errors
