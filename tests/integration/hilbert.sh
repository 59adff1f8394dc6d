#!/bin/sh
# qhb-hilbert and qhb-cat --nrrd on synthetic RAM files: the curve (bijection,
# unit steps, Skilling's published values), the CPU path against the Vulkan
# path (lavapipe here) byte for byte, deltas against full volumes, NRRD,
# --locate/--address, and clean errors for bad input.
. "$(dirname "$0")/../lib.sh"

ram=$T_TMP/guest.ram
# 1 MiB: holes, text, random bytes, machine code, 0xff fill.
mkram() {
	rm -f "$ram"
	truncate -s 1M "$ram"
	yes 'qhb integration text' | head -c 40000 |
		dd of="$ram" bs=4096 seek=20 conv=notrunc 2>/dev/null
	head -c 60000 /dev/urandom | dd of="$ram" bs=4096 seek=100 conv=notrunc 2>/dev/null
	head -c 100000 "$(command -v sh)" | dd of="$ram" bs=4096 seek=150 conv=notrunc 2>/dev/null
	tr '\0' '\377' </dev/zero | head -c 16384 |
		dd of="$ram" bs=4096 seek=240 conv=notrunc 2>/dev/null
}
mkram
qhb-snap -q "$ram" >"$T_TMP/full.qsnap"

# The Vulkan path.  The driver (lavapipe) leaks a little at exit, which
# LeakSanitizer would count against the sanitizer build: leaks are checked
# on the --cpu runs only.
qvk() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 qhb-hilbert "$@"
}

# Is there a Vulkan device (lavapipe counts)?
have_vk() {
	qvk --color value <"$T_TMP/full.qsnap" 2>&1 >/dev/null |
		grep -q 'Vulkan)$'
}

map_bijection() {
	for d in 2 3; do
		n=$((1 << (4 * d)))
		seq 0 $((n - 1)) | qhb-hilbert --map --dim $d --order 4 >"$T_TMP/c"
		test "$(sort -u "$T_TMP/c" | wc -l)" -eq $n
		# every coordinate in range, every step one unit
		awk -v d=$d '{ for (i = 1; i <= d; i++) if ($i < 0 || $i > 15) exit 1
			if (NR > 1) { s = 0; for (i = 1; i <= d; i++) { x = $i - p[i]; s += x < 0 ? -x : x }
				if (s != 1) exit 1 }
			for (i = 1; i <= d; i++) p[i] = $i }' "$T_TMP/c"
		qhb-hilbert --inverse --dim $d --order 4 <"$T_TMP/c" >"$T_TMP/i"
		seq 0 $((n - 1)) | cmp - "$T_TMP/i"
	done
}

# Skilling's curve as published: 2D order 1, and index 36 at (4, 6) in order 3.
map_reference() {
	test "$(printf '0\n1\n2\n3\n' | qhb-hilbert --map --dim 2 --order 1 | tr '\n' ,)" = "0 0,0 1,1 1,1 0,"
	test "$(echo 36 | qhb-hilbert --map --dim 2 --order 3)" = "4 6"
	test "$(echo '4 6' | qhb-hilbert --inverse --dim 2 --order 3)" = 36
	test "$(echo 0x3f | qhb-hilbert --map --order 2 | wc -w)" -eq 3
	# large orders round trip
	test "$(echo 9223372036854775807 | qhb-hilbert --map --order 21 |
		qhb-hilbert --inverse --order 21)" = 9223372036854775807
}

map_errors() {
	expect_err 'line 2: expected a curve index from 0 to 63' sh -c \
		'printf "1\n64\n" | qhb-hilbert --map --order 2'
	expect_err 'line 1: expected 3 coordinates' sh -c \
		'echo "1 2" | qhb-hilbert --inverse --order 2'
	expect_err 'need --order' qhb-hilbert --map
	expect_err 'at most 21 in 3 dimensions' qhb-hilbert --map --order 22
	expect_err 'cannot use more than one' qhb-hilbert --map --inverse --order 1
}

# The volume box: the smallest of one, two or four cubes.
boxes() {
	for spec in "64M 256,256,256" "128M 512,256,256" "256M 512,512,256" \
	    "4G 1024,1024,1024" "96M 512,256,256"; do
		set -- $spec
		qhb-hilbert --locate 0 --ram-size "$1" | grep -q "\"box\":\\[$2\\]"
	done
	qhb-hilbert --locate 0 --ram-size 128M --dim 2 | grep -q '"box":\[8192,4096\]'
	qhb-hilbert --locate 0 --ram-size 1M --unit 4096 | grep -q '"box":\[8,4,8\]' ||
		qhb-hilbert --locate 0 --ram-size 1M --unit 4096 | grep -q '"box":\[8,8,4\]'
}

locate_roundtrip() {
	for a in 0 4 4096 1000000 0x7ffffc; do
		v=$(qhb-hilbert --locate $a --ram-size 8M | sed 's/.*"voxel":\[\([0-9,]*\)\].*/\1/')
		b=$(qhb-hilbert --address "$v" --ram-size 8M | sed 's/.*"address":\([0-9]*\),.*/\1/')
		test "$b" -eq $(($a / 4 * 4))
	done
	expect_err 'past the RAM' qhb-hilbert --locate 8M --ram-size 8M
	expect_err 'padding past the RAM' qhb-hilbert --address 511,0,0 --ram-size 96M
	expect_err 'expected X,Y,Z' qhb-hilbert --address 1,2 --ram-size 8M
	expect_err 'need --ram-size' qhb-hilbert --locate 0
}

cpu_stream() {
	qhb-hilbert -q --cpu --lod 2 <"$T_TMP/full.qsnap" >"$T_TMP/v"
	qhb-cat "$T_TMP/v" >"$T_TMP/j"
	grep -q '"kind":"volume"' "$T_TMP/j"
	grep -q '"curve":"skilling-hilbert"' "$T_TMP/j"
	grep -q '"nx":64,"ny":64,"nz":64' "$T_TMP/j"
	grep -q '"scheme":"class"' "$T_TMP/j"
	grep -q 'legend":"zero=00000000 fill=ffffff30 text=40c840ff code=e63c3cff pointer=3c78f0ff other=96969680"' "$T_TMP/j"
	# 64^3 + 32^3 + 16^3 voxels of 4 bytes
	grep -q "\"size\":$(( (262144 + 32768 + 4096) * 4 ))" "$T_TMP/j"
}

# The CPU and Vulkan paths give the same bytes, for every scheme, unit and
# dimension, with bindings cut in chunks and with imports off.
cpu_vs_vulkan() {
	have_vk || { echo "no Vulkan device: skipped"; return 0; }
	for args in "--color class" "--color entropy --lod 3" "--color value" \
	    "--color heat --dim 2 --lod 3" "--color value --unit 1" "--color value --unit 16 --dim 2" \
	    "--color value --unit 64" "--color class --unit 4096 --lod 1" "--color value --dim 2"; do
		qhb-hilbert -q --cpu --level 0 $args <"$T_TMP/full.qsnap" >"$T_TMP/c"
		qvk -q --level 0 $args <"$T_TMP/full.qsnap" >"$T_TMP/g"
		cmp "$T_TMP/c" "$T_TMP/g" || die "differ: $args"
	done
	# RAM that ends inside a tile (1 MiB + 4 KiB): the tile that holds
	# the end, and padding tiles past it
	cp "$ram" "$T_TMP/odd.ram"
	head -c 4096 "$(command -v sh)" >>"$T_TMP/odd.ram"
	qhb-snap -q "$T_TMP/odd.ram" >"$T_TMP/odd.qsnap"
	for d in 2 3; do
		qhb-hilbert -q --cpu --level 0 --color value --dim $d <"$T_TMP/odd.qsnap" >"$T_TMP/c"
		qvk -q --level 0 --color value --dim $d <"$T_TMP/odd.qsnap" | cmp - "$T_TMP/c" ||
			die "differ: RAM of 1 MiB + 4 KiB, --dim $d"
	done
	# chunks that cut tiles (a thread per voxel), chunks of whole tiles,
	# and a thread per voxel by request
	QHB_VK_CHUNK=65536 qvk -q --level 0 --color value <"$T_TMP/full.qsnap" >"$T_TMP/g"
	qhb-hilbert -q --cpu --level 0 --color value <"$T_TMP/full.qsnap" | cmp - "$T_TMP/g"
	QHB_VK_CHUNK=262144 qvk -q --level 0 --color value <"$T_TMP/full.qsnap" | cmp - "$T_TMP/g"
	QHB_VK_PER_VOXEL=1 qvk -q --level 0 --color value <"$T_TMP/full.qsnap" | cmp - "$T_TMP/g"
	QHB_VK_IMPORT=0 qvk -q --level 0 --color value <"$T_TMP/full.qsnap" | cmp - "$T_TMP/g"
	# built pipelines are cached on disk
	XDG_CACHE_HOME=$T_TMP/cache qvk -q --color value <"$T_TMP/full.qsnap" >/dev/null
	ls "$T_TMP"/cache/qhb/pipelines-*.bin
	# the backend is named on stderr, never in the stream
	qvk --stats --color value <"$T_TMP/full.qsnap" 2>"$T_TMP/e" >/dev/null
	grep -q 'using .* (Vulkan)' "$T_TMP/e"
	grep -q 'fills: 1 gpu, 0 cpu' "$T_TMP/e"
	qhb-hilbert --cpu --stats <"$T_TMP/full.qsnap" 2>"$T_TMP/e" >/dev/null
	grep -q 'backend cpu' "$T_TMP/e"
	QHB_DEVICE=no-such-gpu qvk <"$T_TMP/full.qsnap" 2>"$T_TMP/e" >/dev/null
	grep -q 'QHB_DEVICE=no-such-gpu: no such device among [0-9]*: using the CPU' "$T_TMP/e"
}

regions() {
	cat >"$T_TMP/r.json" <<-'END'
	{"regions": [
	  {"start": "0x14000", "end": "0x1e000", "label": "text", "color": "#ff0000"},
	  {"start": 983040, "size": 4096, "label": "tail"}
	]}
	END
	qhb-hilbert -q --cpu --level 0 --regions "$T_TMP/r.json" <"$T_TMP/full.qsnap" >"$T_TMP/c"
	qhb-hilbert -q --cpu --level 0 <"$T_TMP/full.qsnap" >"$T_TMP/n"
	! cmp -s "$T_TMP/c" "$T_TMP/n"
	qhb-cat "$T_TMP/c" | grep -q 'region text=ff0000 region tail=ff00ff'
	if have_vk; then
		qvk -q --level 0 --regions "$T_TMP/r.json" <"$T_TMP/full.qsnap" |
			cmp - "$T_TMP/c"
	fi
	echo '[{"start": 1}]' >"$T_TMP/bad.json"
	expect_err 'bad.json: region 0: expected one of "end" or "size"' \
		qhb-hilbert --regions "$T_TMP/bad.json" <"$T_TMP/full.qsnap"
	echo '[{"start": 1, "size": 2, "color": "red"}]' >"$T_TMP/bad.json"
	expect_err 'color "red": expected #rrggbb' \
		qhb-hilbert --regions "$T_TMP/bad.json" <"$T_TMP/full.qsnap"
	echo '{' >"$T_TMP/bad.json"
	expect_err 'bad.json: line' qhb-hilbert --regions "$T_TMP/bad.json" <"$T_TMP/full.qsnap"
}

# Snapshot deltas become volume deltas that rebuild the full volume of the
# last state; the GPU path gives the same stream.
deltas() {
	mkram
	qhb-snap -q --level 0 --every 100ms --count 8 "$ram" >"$T_TMP/d.qsnap" &
	pid=$!
	for i in 1 2 3 4 5; do
		head -c 9000 /dev/urandom |
			dd of="$ram" bs=4096 seek=$((i * 30)) conv=notrunc 2>/dev/null
		sleep 0.1
	done
	wait "$pid"
	qhb-snap -q "$ram" >"$T_TMP/last.qsnap"
	for c in value class entropy; do
		qhb-hilbert -q --cpu --lod 2 --color $c <"$T_TMP/d.qsnap" >"$T_TMP/dv"
		test "$(qhb-cat "$T_TMP/dv" | grep -c '"kind":"volume-delta"')" -eq 7
		qhb-cat --nrrd "$T_TMP/a.nrrd" "$T_TMP/dv"
		qhb-hilbert -q --cpu --lod 2 --color $c <"$T_TMP/last.qsnap" |
			qhb-cat --nrrd "$T_TMP/b.nrrd"
		tail -c 1048576 "$T_TMP/a.nrrd" | cmp - "$T_TMP/b.nrrd" -i 0:$(( $(wc -c <"$T_TMP/b.nrrd") - 1048576 ))
	done
	qhb-hilbert -q --cpu --color heat <"$T_TMP/d.qsnap" >"$T_TMP/h"
	qhb-cat "$T_TMP/h" | grep '"volume-delta"' | grep -qv '"changed":0,'
	if have_vk; then
		qvk -q --color heat <"$T_TMP/d.qsnap" | cmp - "$T_TMP/h"
	fi
}

nrrd() {
	qhb-hilbert -q --cpu --color value <"$T_TMP/full.qsnap" | qhb-cat --nrrd "$T_TMP/v.nrrd"
	head -c 200 "$T_TMP/v.nrrd" | grep -q '^NRRD0004$'
	head -c 200 "$T_TMP/v.nrrd" | grep -q '^sizes: 4 64 64 64$'
	head -c 300 "$T_TMP/v.nrrd" | grep -q '^kinds: RGBA-color domain domain domain$'
	test "$(wc -c <"$T_TMP/v.nrrd")" -gt 1048576
	qhb-hilbert -q --cpu --dim 2 <"$T_TMP/full.qsnap" | qhb-cat --nrrd - | head -c 200 |
		grep -q '^sizes: 4 512 512$'
	expect_err 'no volume frame in the input' qhb-cat --nrrd "$T_TMP/x.nrrd" "$T_TMP/full.qsnap"
	test ! -e "$T_TMP/x.nrrd"
	expect_err 'cannot use more than one' qhb-cat --raw --nrrd x
}

errors() {
	expect_err '--unit: 3: expected 1, 4, 16, 64 or 4096' qhb-hilbert --unit 3
	expect_err "--color: 'rainbow'" qhb-hilbert --color rainbow
	expect_err 'at most 6' sh -c "qhb-hilbert --cpu --lod 7 <'$T_TMP/full.qsnap'"
	expect_err 'no snapshot frame in the input' sh -c 'qhb-hilbert --cpu </dev/null'
	qhb-hilbert -q --cpu <"$T_TMP/full.qsnap" >"$T_TMP/v"
	expect_err 'no snapshot frame in the input' sh -c "qhb-hilbert --cpu <'$T_TMP/v'"
	head -c 5000 "$T_TMP/full.qsnap" >"$T_TMP/cut"
	expect_err '<stdin>: byte' sh -c "qhb-hilbert --cpu <'$T_TMP/cut'"
	expect_err 'write' sh -c "qhb-hilbert --cpu <'$T_TMP/full.qsnap' >/dev/full"
	# -o: nothing left behind on failure
	expect_err 'qhb-hilbert' qhb-hilbert --cpu -o "$T_TMP/o.qvol" "$T_TMP/cut"
	test -z "$(ls "$T_TMP" | grep o.qvol)"
	qhb-hilbert -q --cpu -o "$T_TMP/o.qvol" "$T_TMP/full.qsnap"
	test -s "$T_TMP/o.qvol"
	qhb-hilbert --help | grep -q -- '--regions FILE'
	qhb-hilbert -V | grep -q '^qhb-hilbert '
	qhb-hilbert --bogus 2>&1 | grep -q '^usage: qhb-hilbert'
}

t map_bijection map_bijection
t map_reference map_reference
t map_errors map_errors
t boxes boxes
t locate_roundtrip locate_roundtrip
t cpu_stream cpu_stream
t cpu_vs_vulkan cpu_vs_vulkan
t regions regions
t deltas deltas
t nrrd nrrd
t errors errors
