#!/bin/sh
# Every script in examples/ against one booted demo guest (4-level paging,
# as Volatility 3 needs), with small outputs: the live pipelines, the cron
# capture and its retention (also when runs overlap), the batch-render
# Makefile with make -j and with GNU parallel, the Volatility 3 hand-off
# (a raw image and an ISF; Volatility itself is not a Debian package, so
# the test checks what it would read), the turntable and the slice stack.
# make demo has its own test, browser_guest.sh.
. "$(dirname "$0")/../lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
ex=$top/examples
vm=qhb-examples-test-$$
boot_guest "$vm" --cpu max,la57=off

# png FILE W [H]: FILE is a PNG W pixels wide (and H high); a legend
# adds to the height.
png() {
	file "$1" | grep -q "PNG image data, $2 x ${3:-[0-9]*},"
}

pipeline() {
	sh "$ex/pipeline.sh" "$vm" "$T_TMP/pipe" 5 httpd
	test "$(ls "$T_TMP"/pipe/heat-*.png | wc -l)" = 5
	for f in "$T_TMP"/pipe/heat-*.png; do png "$f" 256 256; done
	png "$T_TMP/pipe/httpd.png" 512
	grep -q '"label": "httpd"' "$T_TMP/pipe/httpd.json"
}

# names NAME...: the capture file names of guest $vm at those UTC times.
names() { for s in "$@"; do echo "$vm-$s.qsnap"; done; }

cron() {
	d=$T_TMP/cron
	sh "$ex/cron-capture.sh" "$vm" "$d" 2
	real=$(ls "$d"/*.qsnap)
	test "$(echo "$real" | wc -l)" = 1
	qhb-cat "$real" | grep -q '"kind":"snap"'
	# older captures, as if taken on 1 January; then two more real ones
	for s in 20260101T100000Z 20260101T101500Z 20260101T103000Z \
	    20260101T110000Z 20260101T114500Z 20260101T120000Z; do
		ln "$real" "$d/$(names $s)"
	done
	sleep 1
	sh "$ex/cron-capture.sh" "$vm" "$d" 2
	# the newest two stay, and of the older ones the first of each hour
	(cd "$d" && ls) >"$T_TMP/left"
	{ names 20260101T100000Z 20260101T110000Z 20260101T120000Z
	  ls "$d" | grep -v '^2026010' | grep -F "$vm-2026" ; } | sort -u >"$T_TMP/want"
	test "$(grep -c "^$vm-2026" "$T_TMP/left")" = 5
	diff "$T_TMP/want" "$T_TMP/left"
	# the hourly keys of the last 2 hours that have one; stale temporary
	# files (a capture killed hard) go after an hour, fresh ones stay
	touch -d '2 hours ago' "$d/.$vm-20260101T090000Z.qsnap.AbCdEf"
	touch "$d/.$vm-20260101T090500Z.qsnap.GhIjKl"
	sleep 1
	sh "$ex/cron-capture.sh" "$vm" "$d" 2 2
	ls -A "$d" >"$T_TMP/left2"
	cat "$T_TMP/left2"
	test "$(grep -c "^$vm-2026" "$T_TMP/left2")" = 4
	grep -qx "$(names 20260101T120000Z)" "$T_TMP/left2"
	grep -qx "$(sed -n 3p "$T_TMP/want")" "$T_TMP/left2"  # the first real one
	grep -q AbCdEf "$T_TMP/left2" && die "a stale temporary file stayed"
	grep -q GhIjKl "$T_TMP/left2"
	# three overlapping runs: each capture whole, the sweeps in turn
	rm -f "$d"/.*.qsnap.*
	for i in 1 2 3; do
		sh "$ex/cron-capture.sh" "$vm" "$d" 1 1 2>"$T_TMP/err$i" &
	done
	wait
	cat "$T_TMP"/err*
	test ! -s "$T_TMP/err1" && test ! -s "$T_TMP/err2" && test ! -s "$T_TMP/err3"
	ls -A "$d" >"$T_TMP/left3"
	cat "$T_TMP/left3"
	test "$(grep -vc '^\.lock$' "$T_TMP/left3")" = 2
	for f in "$d"/*.qsnap; do qhb-cat "$f" >/dev/null; done
	expect_err "usage: cron-capture.sh" sh "$ex/cron-capture.sh" "$vm"
	expect_err "no such guest" sh "$ex/cron-capture.sh" "no-such-vm-$$" "$d"
}

batch() {
	s=$T_TMP/snaps
	mkdir -p "$s"
	qmp=$(qhb-vm qmp-path "$vm")
	qhb-snap -q --qmp "$qmp" -o "$s/a.qsnap"
	qhb-snap -q --qmp "$qmp" -o "$s/b.qsnap"
	make -s -f "$ex/batch-render.mk" -j2 SNAPS="$s" OUT="$T_TMP/png" SIZE=256x256
	png "$T_TMP/png/a.png" 256
	png "$T_TMP/png/b.png" 256
	# up to date; a changed snapshot is rendered again, alone
	make -f "$ex/batch-render.mk" SNAPS="$s" OUT="$T_TMP/png" SIZE=256x256 |
	    grep -q 'Nothing to be done'
	touch "$s/b.qsnap"
	make -s -n -f "$ex/batch-render.mk" SNAPS="$s" OUT="$T_TMP/png" >"$T_TMP/redo"
	grep -q 'b.qsnap' "$T_TMP/redo"
	grep -q 'a.qsnap' "$T_TMP/redo" && die "a.png made again"
	# a broken snapshot fails its picture and leaves none
	head -c 5000 "$s/a.qsnap" >"$s/c.qsnap"
	make -s -f "$ex/batch-render.mk" SNAPS="$s" OUT="$T_TMP/png" SIZE=256x256 \
	    2>"$T_TMP/err" && die "a truncated snapshot rendered"
	grep -q 'qhb-hilbert: .*c.qsnap' "$T_TMP/err"
	test ! -e "$T_TMP/png/c.png"
	rm "$s/c.qsnap"
	# GNU parallel, on this machine (":"), makes the same pictures
	make -s -f "$ex/batch-render.mk" parallel SNAPS="$s" HOSTS=: SIZE=256x256 \
	    2>"$T_TMP/par.err" || die "parallel: $(cat "$T_TMP/par.err")"
	cmp "$s/png/a.png" "$T_TMP/png/a.png"
	cmp "$s/png/b.png" "$T_TMP/png/b.png"
}

volatility() {
	o=$T_TMP/vol
	sh "$ex/volatility.sh" "$vm" "$o" >"$T_TMP/vol.out"
	cat "$T_TMP/vol.out"
	grep -q '4-level paging' "$T_TMP/vol.out"
	grep -qF "vol -f $o/vm.raw -s $o/symbols linux.pslist" "$T_TMP/vol.out"
	# the raw image is the snapshot's RAM, byte for byte
	test "$(wc -c <"$o/vm.raw")" = 134217728
	qhb-cat --raw "$o/vm.qsnap" | cmp - "$o/vm.raw"
	# an ISF where Volatility's -s looks, with what linux.pslist reads
	isf=$o/symbols/linux/qhb.json
	jq -e '.metadata.format == "6.2.0"' "$isf" >/dev/null
	jq -e '.user_types.task_struct.fields | has("pid") and has("comm") and has("tasks")' \
	    "$isf" >/dev/null
	jq -e '.symbols.init_task.address > 0' "$isf" >/dev/null
	jq -e '.base_types.pointer.size == 8' "$isf" >/dev/null
	# Volatility matches a table to an image by linux_banner's bytes
	jq -r '.symbols.linux_banner.constant_data' "$isf" | base64 -d |
	    tr -d '\000\n' >"$T_TMP/banner"
	grep -q '^Linux version 6\.' "$T_TMP/banner"
	grep -qaF "$(cat "$T_TMP/banner")" "$o/vm.raw"
	# no temporary file left beside the table
	test "$(ls -A "$o/symbols/linux")" = qhb.json
}

turntable() {
	sh "$ex/live-turntable.sh" "$vm" "$T_TMP/tt"
	test "$(ls "$T_TMP"/tt/view-*.png | wc -l)" = 36
	png "$T_TMP/tt/view-00.png" 512
	png "$T_TMP/tt/sheet.png" 1024 768
	test "$(ffprobe -v error -count_frames -select_streams v:0 \
	    -show_entries stream=nb_read_frames -of csv=p=0 "$T_TMP/tt/turntable.mp4")" = 72
}

slices() {
	sh "$ex/slice-stack.sh" "$vm" "$T_TMP/ss"
	test "$(ls "$T_TMP"/ss/slices | wc -l)" = 256
	png "$T_TMP/ss/slices/z-0000.png" 512 256
	test "$(ls "$T_TMP"/ss/sheet-*.png | wc -l)" = 4
	test "$(ls "$T_TMP"/ss/heat-*.png | wc -l)" = 20
}

t pipeline pipeline
t cron cron
t batch batch
t volatility volatility
t turntable turntable
t slices slices
