#!/bin/sh
# qhb-query on the real demo guest (Debian 6.1 kernel + busybox, TCG):
# the kernel found from RAM alone, its processes and maps equal to what
# the guest printed about itself (QHB-GROUND-TRUTH on the serial console),
# with KASLR on and off, 5-level (-cpu max) and 4-level paging.  One boot
# per configuration; each guest is paused, captured and stopped, and the
# checks run on the capture.
. "$(dirname "$0")/../lib.sh"

QHB_AUDIT=$T_TMP/audit.jsonl
export QHB_AUDIT
QHB_GUEST_DIR=${QHB_GUEST_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/build/guest}
names=

# capture TAG CPU APPEND: boots, captures TAG.qsnap and TAG.log, stops.
capture() {
	tag=$1
	name=qhb-query-$tag-$$
	names="$names $name"
	set -- --mem 128M --wait --timeout 300
	[ -n "$cpu" ] && set -- "$@" --cpu "$cpu"
	[ -n "$append" ] && set -- "$@" --append "$append"
	qhb-vm start "$name" "$@" >"$T_TMP/start" 2>&1 ||
	    { cat "$T_TMP/start"; return 1; }
	qhb-snap -q --qmp "$(qhb-vm qmp-path "$name")" --consistent=pause \
	    >"$T_TMP/$tag.qsnap"
	qhb-vm log "$name" | sed -n '/^QHB-GROUND-TRUTH-BEGIN/,/^QHB-GROUND-TRUTH-END/p' \
	    >"$T_TMP/$tag.truth"
	qhb-vm stop "$name" >/dev/null 2>&1
	grep -q '^QHB-GROUND-TRUTH-END' "$T_TMP/$tag.truth"
}
trap 'for n in $names; do qhb-vm stop "$n" >/dev/null 2>&1; done; rm -rf "$T_TMP"' EXIT

# The question asked of the capture, or of the paused guest's RAM file.
q() {
	if [ -n "${ramfile:-}" ]; then
		qhb-query --ram "$ramfile" "$@"
	else
		qhb-query "$@" <"$T_TMP/$tag.qsnap"
	fi
}

banner() {
	q banner >"$T_TMP/b.json"
	rel=$(sed -n 's/^release //p' "$T_TMP/$tag.truth")
	test "$(jq -r .release "$T_TMP/b.json")" = "$rel"
	jq -r .banner "$T_TMP/b.json" | grep -q "^Linux version $rel "
	test "$(jq -r .paging "$T_TMP/b.json")" = "$paging"
	virt=$(jq -r .kaslr.virt "$T_TMP/b.json")
	if [ "$kaslr" = on ]; then test "$virt" != 0x0; else test "$virt" = 0x0; fi
	jq -r .symbols.source "$T_TMP/b.json" | grep -q '^kallsyms in RAM'
	jq -r .types.source "$T_TMP/b.json" | grep -q '^BTF in RAM'
	test "$(jq .symbols.count "$T_TMP/b.json")" -gt 50000
	# sym both ways
	a=$(q sym init_task | jq -r .address)
	test "$(q sym "$a" | jq -r .name)" = init_task
}

# A kworker's "-desc" names the last work it ran, which may change
# between the guest's print and the capture: compare what precedes it.
norm_ps() { sed 's/^\(ps .* comm kworker\/[^-+]*\)[-+].*/\1/'; }

ps_matches() {
	q ps >"$T_TMP/ps.json"
	test "$(jq .partial "$T_TMP/ps.json")" = false
	jq -r '.tasks[] | select(.pid == .tgid) | "ps pid \(.pid) ppid \(.ppid) " +
	    (if .kthread then "kernel" else "user" end) + " comm \(.comm)"' \
	    "$T_TMP/ps.json" | norm_ps | sort >"$T_TMP/ours"
	grep '^ps ' "$T_TMP/$tag.truth" | norm_ps | sort >"$T_TMP/truth"
	# Every process of the truth lives through the capture: all there.
	comm -23 "$T_TMP/truth" "$T_TMP/ours" >"$T_TMP/missing"
	test ! -s "$T_TMP/missing" || { cat "$T_TMP/missing"; return 1; }
	test "$(wc -l <"$T_TMP/truth")" -gt 40
}

# /proc/PID/maps lines with runs of blanks squeezed (the kernel pads the
# name to a column).
proc_maps() {
	jq -r '.maps[] | [.start, .end, .perms, .offset, .dev,
	    (.inode | tostring), .name] | @tsv' | tr '\t' ' ' |
	while read -r s e p o d i n; do
		printf '%08x-%08x %s %08x %s %s %s\n' "$((s))" "$((e))" "$p" \
		    "$((o))" "$d" "$i" "$n"
	done | tr -s ' ' | sed 's/ $//'
}

maps_match() {
	pids=$(sed -n 's/^maps //p' "$T_TMP/$tag.truth")
	test -n "$pids"
	for p in $pids; do
		awk -v p="$p" '/^maps /{on = ($2 == p); next}
		    /^QHB-GROUND-TRUTH-END/{on = 0} on' "$T_TMP/$tag.truth" |
		    tr -s ' ' | sed 's/ $//' >"$T_TMP/want"
		q maps "$p" >"$T_TMP/m.json"
		test "$(jq .partial "$T_TMP/m.json")" = false
		proc_maps <"$T_TMP/m.json" >"$T_TMP/got"
		diff "$T_TMP/want" "$T_TMP/got" || { echo "pid $p"; return 1; }
	done
	# --pages: every VMA of a live process has some page resident
	w=$(sed -n 's/^ps pid \([0-9]*\) .* comm qhb-worker$/\1/p' "$T_TMP/$tag.truth")
	q --pages maps "$w" >"$T_TMP/m.json"
	test "$(jq '[.maps[] | .resident_pages] | add' "$T_TMP/m.json")" -gt 10
}

regions_work() {
	w=$(sed -n 's/^ps pid \([0-9]*\) .* comm qhb-worker$/\1/p' "$T_TMP/$tag.truth")
	for i in "pid $w" httpd 'kernel code' 'kernel stacks' 'page tables' \
	    'free memory'; do
		q regions "$i" >"$T_TMP/r.json"
		test "$(jq '.regions | length' "$T_TMP/r.json")" -gt 0
		jq -e '.regions[] | select(.color | test("^#[0-9a-f]{6}$") | not)' \
		    "$T_TMP/r.json" >/dev/null && return 1
	done
	expect_err "known intents" q regions nosuchprocess
	expect_err "unknown intent" q regions 'all the things'
}

run_config() {
	tag=$1 cpu=$2 append=$3 paging=$4 kaslr=$5
	if ! capture "$tag" >"$T_TMP/cap.out" 2>&1; then
		echo "FAIL: $SUITE.$tag.boot: $(tail -n 5 "$T_TMP/cap.out" | tr '\n' '|')"
		return
	fi
	echo "PASS: $SUITE.$tag.boot"
	t "$tag.banner" banner
	t "$tag.ps" ps_matches
	t "$tag.maps" maps_match
}

nokaslr='console=ttyS0 panic=-1 quiet nokaslr'
run_config la57-kaslr '' '' 5-level on
t la57-kaslr.regions regions_work

# The same answers from the RAM file and from the stream; a stream of
# several frames gives a line per frame with --jsonl; every query audited.
stream_and_ram() {
	qhb-cat --raw <"$T_TMP/$tag.qsnap" >"$T_TMP/ram"
	qhb-query --ram "$T_TMP/ram" ps >"$T_TMP/a"
	q ps | cmp - "$T_TMP/a"
	cat "$T_TMP/$tag.qsnap" "$T_TMP/$tag.qsnap" >"$T_TMP/two.qsnap"
	qhb-query --jsonl ps <"$T_TMP/two.qsnap" >"$T_TMP/l"
	test "$(wc -l <"$T_TMP/l")" -eq 2
	test "$(jq -s '.[1].frame' "$T_TMP/l")" -eq 1
	n=$(wc -l <"$QHB_AUDIT")
	q banner >/dev/null
	test "$(wc -l <"$QHB_AUDIT")" -eq $((n + 1))
	h=$(xxhsum -H3 "$T_TMP/ram" 2>/dev/null | sed 's/.*\([0-9a-f]\{16\}\).*/\1/') || true
	tail -n 1 "$QHB_AUDIT" | jq -e '.args[1] == "banner" and .source == "<stdin>"
	    and (.ram_xxh3 | length) == 16 and .user != null and .outcome == "ok"' \
	    >/dev/null
	[ -z "$h" ] || tail -n 1 "$QHB_AUDIT" | grep -q "\"ram_xxh3\":\"$h\""
}
t la57-kaslr.stream_and_ram stream_and_ram

# The ISF: what Volatility 3 needs (linux_banner's bytes, unsigned link-time
# addresses, types for init_task), and it works as qhb-query's own --isf.
# With QHB_VOL=path/to/vol.py, Volatility 3 itself must list the same
# processes and maps from it (4-level guests only: it cannot walk 5-level).
isf_works() {
	q isf >"$T_TMP/isf.json"
	jq -e '.metadata.format == "6.2.0" and .symbols.linux_banner.constant_data
	    and .symbols.init_task.type.name == "task_struct"
	    and .user_types.task_struct.fields.pid.offset > 0
	    and (.symbols.init_task.address | tostring | test("^18446"))' \
	    "$T_TMP/isf.json" >/dev/null
	q --isf "$T_TMP/isf.json" ps | jq -c '.tasks[] | [.pid, .comm]' >"$T_TMP/a"
	q ps | jq -c '.tasks[] | [.pid, .comm]' >"$T_TMP/b"
	cmp "$T_TMP/a" "$T_TMP/b"
	[ -n "${QHB_VOL:-}" ] || return 0
	[ "$paging" = 4-level ] || return 0
	mkdir -p "$T_TMP/sym/linux"
	mv "$T_TMP/isf.json" "$T_TMP/sym/linux/qhb.json"
	qhb-cat --raw <"$T_TMP/$tag.qsnap" >"$T_TMP/ram"
	python3 "$QHB_VOL" -q -s "$T_TMP/sym" -f "$T_TMP/ram" linux.pslist \
	    >"$T_TMP/vol" 2>&1
	awk -F'\t' '$2 ~ /^[0-9]+$/ { print $2, $4 }' "$T_TMP/vol" | sort >"$T_TMP/volps"
	q ps | jq -r '.tasks[] | select(.pid == .tgid) | "\(.pid) \(.ppid)"' |
	    sort >"$T_TMP/ourps"
	diff "$T_TMP/ourps" "$T_TMP/volps"
	w=$(sed -n 's/^ps pid \([0-9]*\) .* comm qhb-worker$/\1/p' "$T_TMP/$tag.truth")
	python3 "$QHB_VOL" -q -s "$T_TMP/sym" -f "$T_TMP/ram" linux.proc.Maps \
	    --pid "$w" >"$T_TMP/vol" 2>&1
	test "$(grep -c "^$w	" "$T_TMP/vol")" -eq \
	    "$(q maps "$w" | jq '.maps | length')"
	rm -rf "$T_TMP/sym" "$T_TMP/ram"
}
t la57-kaslr.isf isf_works

# With every copy of the vmcoreinfo text wiped, the kernel is still found
# (kallsyms anywhere in RAM, the banner's text, init_top_pgt), with the
# same offsets and the same answers.
no_vmcoreinfo() {
	qhb-cat --raw <"$T_TMP/$tag.qsnap" >"$T_TMP/ram"
	LC_ALL=C sed 's/OSRELEASE=/XXXXXXXXXX/g' "$T_TMP/ram" >"$T_TMP/wiped"
	! grep -qa 'OSRELEASE=' "$T_TMP/wiped"
	qhb-query --ram "$T_TMP/wiped" banner >"$T_TMP/b2.json"
	q banner >"$T_TMP/b1.json"
	jq -e '.found_by | test("no vmcoreinfo")' "$T_TMP/b2.json" >/dev/null
	f='[.release, .kaslr, .paging, .phys_base, .top_pgt, .page_offset]'
	test "$(jq -c "$f" "$T_TMP/b1.json")" = "$(jq -c "$f" "$T_TMP/b2.json")"
	qhb-query --ram "$T_TMP/wiped" ps | jq -c .tasks >"$T_TMP/a"
	q ps | jq -c .tasks | cmp - "$T_TMP/a"
	rm -f "$T_TMP/ram" "$T_TMP/wiped"
}
t la57-kaslr.no_vmcoreinfo no_vmcoreinfo

# What a careless or hostile user asks (issue 18): a pid past pid_t's
# range (2^32 + 1 once answered for pid 1), the snapshot given as an
# argument, an address past the kernel's end, --record-pages -, and every
# question's answer lost on a full stdout.
hostile_questions() {
	expect_err "qhb-query: pid: '4294967297': expected a whole number from 0 to 2147483647" \
	    q maps 4294967297
	test ! -s "$T_TMP/stdout"
	expect_err "qhb-query: pid: '4294967297': expected a whole number" \
	    q regions 'pid 4294967297'
	expect_err "qhb-query: ps: takes no argument, got '$T_TMP/$tag.qsnap'; the snapshot comes on standard input or --ram" \
	    q ps "$T_TMP/$tag.qsnap"
	expect_err "no symbol: 0xffffffffffffffff is past the kernel's end" \
	    q sym 0xffffffffffffffff
	# _end itself is still a symbol's address
	end=$(q sym _end | jq -r .address)
	test "$(q sym "$end" | jq -r .offset)" = 0x0
	(cd "$T_TMP" && expect_err "qhb-query: --record-pages: '-': expected a file name" \
	    q --record-pages - ps)
	test ! -e "$T_TMP/-"
	for question in banner ps 'maps 1' 'sym init_task' modules \
	    'regions:kernel code' isf; do
		case $question in
		regions:*) set -- regions "${question#regions:}" ;;
		*) set -- $question ;;
		esac
		expect_err "qhb-query: <stdout>:" sh -c \
		    'f=$1; shift; qhb-query "$@" <"$f" >/dev/full' sh \
		    "$T_TMP/$tag.qsnap" "$@"
	done
}
t la57-kaslr.hostile_questions hostile_questions

run_config la57-nokaslr '' "$nokaslr" 5-level off
run_config l4-kaslr 'max,la57=off' '' 4-level on
t l4-kaslr.isf isf_works
t l4-kaslr.no_vmcoreinfo no_vmcoreinfo
run_config l4-nokaslr 'max,la57=off' "$nokaslr" 4-level off

# Symbol and type files the user gives take precedence: a System.map (here
# made of the few symbols the walks need, at their nokaslr addresses) and
# the guest's own vmlinux, unpacked from its bzImage (stripped: its .BTF,
# with symbols from kallsyms).
user_files() {
	for s in init_task __start_BTF __stop_BTF linux_banner page_offset_base \
	    vmemmap_base node_data special_mapping_vmops _etext _stext modules; do
		printf '%s D %s\n' "$(q sym "$s" | jq -r .address | sed 's/^0x//')" "$s"
	done >"$T_TMP/System.map"
	q --system-map "$T_TMP/System.map" banner >"$T_TMP/b.json"
	test "$(jq .symbols.count "$T_TMP/b.json")" -eq 11
	q --system-map "$T_TMP/System.map" ps | jq -c .tasks >"$T_TMP/a"
	q ps | jq -c .tasks | cmp - "$T_TMP/a"
	expect_err "no symbols" q --system-map /dev/null ps
	command -v lz4 >/dev/null || return 0
	off=$(LC_ALL=C grep -obUaP '\x02\x21\x4c\x18' "$QHB_GUEST_DIR/vmlinuz" |
	    head -n 1 | cut -d: -f1)
	[ -n "$off" ] || return 0
	tail -c +$((off + 1)) "$QHB_GUEST_DIR/vmlinuz" | lz4 -dc \
	    >"$T_TMP/vmlinux" 2>/dev/null || true
	q --vmlinux "$T_TMP/vmlinux" banner | jq -r .types.source |
	    grep -q '^BTF of vmlinux'
	q --vmlinux "$T_TMP/vmlinux" ps | jq -c .tasks | cmp - "$T_TMP/a"
	expect_err "not an ELF file" q --vmlinux "$T_TMP/System.map" ps
	rm -f "$T_TMP/vmlinux"
}
t l4-nokaslr.user_files user_files

# A larger guest with two vCPUs: 3 GiB, so that RAM above 2 GiB continues
# at 4 GiB (q35); asked through its RAM file while paused (holes skipped).
big() {
	tag=big-smp name=$bigname
	qhb-vm start "$name" --mem 3G --cpus 2 --wait --timeout 300 \
	    >"$T_TMP/start" 2>&1 || { cat "$T_TMP/start"; return 1; }
	qhb-vm qmp "$name" stop >/dev/null
	ramfile=$(qhb-vm ram "$name")
	qhb-vm log "$name" | sed -n '/^QHB-GROUND-TRUTH-BEGIN/,/^QHB-GROUND-TRUTH-END/p' \
	    >"$T_TMP/$tag.truth"
	paging=5-level kaslr=on
	banner
	test "$(q banner | jq .ram_size)" -eq 3221225472
	ps_matches
	maps_match
	unset ramfile
	qhb-vm stop "$name" >/dev/null 2>&1
}
# registered here: t runs big in a subshell, the trap in this one
bigname=qhb-query-big-$$
names="$names $bigname"
t big-smp big
