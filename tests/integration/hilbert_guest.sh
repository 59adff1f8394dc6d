#!/bin/sh
# qhb-hilbert on a real booted demo guest (128 MiB, Debian kernel + busybox,
# TCG): the volume is the 512x256x256 box of two 256^3 cubes, the content
# classes find the kernel's code, text, pointer and fill pages, the CPU and the
# Vulkan paths agree, and a periodic capture gives volume deltas that
# rebuild the volume of its last frame.
. "$(dirname "$0")/../lib.sh"

name=qhb-hilbert-test-$$
boot_guest "$name"
ram=$(qhb-vm ram "$name")
qmp=$(qhb-vm qmp-path "$name")
qhb-snap -q --qmp "$qmp" --consistent=pause >"$T_TMP/g.qsnap"

qvk() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 qhb-hilbert "$@"
}

demo_box() {
	qhb-hilbert -q --cpu --level 0 --color value <"$T_TMP/g.qsnap" >"$T_TMP/v"
	qhb-cat "$T_TMP/v" | grep -q '"nx":512,"ny":256,"nz":256,.*"cubes":2\|"cubes":2,"nx":512,"ny":256,"nz":256'
	qhb-cat --nrrd "$T_TMP/v.nrrd" "$T_TMP/v"
	head -c 200 "$T_TMP/v.nrrd" | grep -q '^sizes: 4 512 256 256$'
}

# One voxel a page: count the pages of each class by their colour.
classes() {
	qhb-hilbert -q --cpu --unit 4096 --color class <"$T_TMP/g.qsnap" |
		qhb-cat --nrrd "$T_TMP/c.nrrd"
	tail -c 131072 "$T_TMP/c.nrrd" | od -An -v -tx4 | tr -s ' ' '\n' |
		grep . | sort | uniq -c >"$T_TMP/counts"
	cat "$T_TMP/counts"
	count() { awk -v c="$1" '$2 == c { print $1 }' "$T_TMP/counts"; }
	# rgba as little-endian words: code e63c3cff, text 40c840ff,
	# pointer 3c78f0ff, fill ffffff30, other 96969680
	test "$(count ff3c3ce6)0" -gt 5000     # the kernel's text
	test "$(count ff40c840)0" -gt 200      # strings, the busybox scripts
	# page tables, slab, struct page: kernel pointers of 5-level paging
	# (0xff11... and up) as well as 4-level
	test "$(count fff0783c)0" -gt 25000
	test "$(count 00000000)0" -gt 10000    # free memory is zero
	test "$(count 30ffffff)0" -gt 20000    # freed kernel memory, all 0xcc
	test "$(count 80969696)0" -lt 125000   # other: under 12500 of 32768
}

cpu_vs_vulkan() {
	qvk -q --color value <"$T_TMP/g.qsnap" 2>&1 >/dev/null | grep -q . &&
		{ echo "no Vulkan device: skipped"; return 0; }
	for c in value class; do
		qhb-hilbert -q --cpu --level 0 --color $c --lod 2 <"$T_TMP/g.qsnap" >"$T_TMP/c"
		qvk -q --level 0 --color $c --lod 2 <"$T_TMP/g.qsnap" | cmp - "$T_TMP/c"
	done
}

deltas() {
	qhb-snap -q --qmp "$qmp" --every 100ms --count 10 >"$T_TMP/d.qsnap"
	qhb-hilbert -q --cpu --color heat --lod 3 <"$T_TMP/d.qsnap" >"$T_TMP/h"
	test "$(qhb-cat "$T_TMP/h" | grep -c '"kind":"volume-delta"')" -eq 9
	qhb-cat "$T_TMP/h" | grep '"volume-delta"' | grep -qv '"changed":0,'
	qhb-hilbert -q --cpu --color class <"$T_TMP/d.qsnap" | qhb-cat --nrrd "$T_TMP/a.nrrd"
	qhb-cat --raw "$T_TMP/d.qsnap" >"$T_TMP/last.ram"
	qhb-snap -q "$T_TMP/last.ram" | qhb-hilbert -q --cpu --color class |
		qhb-cat --nrrd "$T_TMP/b.nrrd"
	tail -c 134217728 "$T_TMP/a.nrrd" | cmp - "$T_TMP/b.nrrd" -i 0:$(( $(wc -c <"$T_TMP/b.nrrd") - 134217728 ))
}

t demo_box demo_box
t classes classes
t cpu_vs_vulkan cpu_vs_vulkan
t deltas deltas
