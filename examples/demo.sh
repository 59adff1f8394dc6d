#!/bin/sh
# make demo: the main job on the built-in demo guest.  Boots the guest,
# records its own account of itself, captures a 10 Hz snapshot stream for a
# few seconds while it works, summarizes what the stream holds, maps a
# snapshot and the stream's page heat onto Hilbert-curve volumes, and
# renders them (a turntable, a slice stack, a heat time-lapse).  Output
# lands in demo-out/.  The guest is stopped on exit, Ctrl-C included, and
# nothing is left in /dev/shm.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/build/bin:$PATH
out=${QHB_DEMO_OUT:-$top/demo-out}
name=qhb-demo-$$
started=0

cleanup() {
	[ "$started" -eq 1 ] && qhb-vm stop "$name" >/dev/null 2>&1
	started=0
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

mkdir -p "$out"
release=$(sed -n 's/^release //p' "$top/build/guest/kernel-version")
echo "qhb demo: booting the demo guest (Linux $release, 128 MiB, TCG)"
started=1
qhb-vm start "$name" --mem 128M --wait
qmp=$(qhb-vm qmp-path "$name")

# What the guest says about itself, for later stages to check against.
qhb-vm log "$name" |
	sed -n '/^QHB-GROUND-TRUTH-BEGIN/,/^QHB-GROUND-TRUTH-END/p' \
	>"$out/ground-truth.txt"
echo "qhb demo: the guest's processes:"
awk '$1 == "ps" && $6 == "user" { printf "  pid %-4s ppid %-4s %s\n", $3, $5, $8 }' \
	"$out/ground-truth.txt"

echo "qhb demo: capturing at 10 Hz for 3 s -> demo-out/vm.qsnap"
qhb-snap -q --qmp "$qmp" --every 100ms --count 30 -o "$out/vm.qsnap"
qhb-cat "$out/vm.qsnap" >"$out/frames.jsonl"

echo "qhb demo: a consistent snapshot (guest paused for the copy) -> demo-out/paused.qsnap"
qhb-snap -q --qmp "$qmp" --consistent=pause -o "$out/paused.qsnap"
qhb-cat "$out/paused.qsnap" >>"$out/frames.jsonl"

awk -v bytes="$(wc -c <"$out/vm.qsnap")" '
	/"file":"[^"]*vm.qsnap"/ {
		n++
		match($0, /"given":[0-9]+/); given = substr($0, RSTART + 8, RLENGTH - 8) + 0
		match($0, /"data":[0-9]+/); data = substr($0, RSTART + 7, RLENGTH - 7) + 0
		match($0, /"ram_size":[0-9]+/); ram = substr($0, RSTART + 11, RLENGTH - 11)
		if ($0 ~ /"kind":"snap"/) { full++; first_data = data }
		else { deltas++; changed += given; if (given > max) max = given }
	}
	/paused.qsnap/ {
		match($0, /"pause_ns":[0-9]+/); pause = substr($0, RSTART + 11, RLENGTH - 11)
	}
	END {
		printf "qhb demo: %d frames (%d full, %d deltas) in %.1f MiB for %d MiB of RAM\n",
		    n, full, deltas, bytes / 1048576, ram / 1048576
		printf "qhb demo: first frame: %d of %d pages hold data\n", first_data, ram / 4096
		printf "qhb demo: deltas: %d pages changed in all, at most %d in one tenth of a second\n",
		    changed, max
		printf "qhb demo: the paused copy stopped the guest for %.1f ms\n", pause / 1e6
	}' "$out/frames.jsonl"
echo "qhb demo: the guest's RAM along Skilling's Hilbert curve, coloured by content -> demo-out/vm.qvol, demo-out/vm.nrrd"
qhb-hilbert -q --color class --lod 4 -o "$out/vm.qvol" "$out/paused.qsnap"
qhb-cat "$out/vm.qvol" | sed -n 's/.*"nx":\([0-9]*\),"ny":\([0-9]*\),"nz":\([0-9]*\).*/qhb demo: a volume of \1x\2x\3 voxels of 4 bytes (open demo-out\/vm.nrrd in ParaView, 3D Slicer or Fiji)/p'
qhb-cat --nrrd "$out/vm.nrrd" "$out/vm.qvol"
# One voxel a page: the last 128 KiB of the NRRD are the 32768 page colours.
qhb-hilbert -q --cpu --unit 4096 "$out/paused.qsnap" | qhb-cat --nrrd - |
	tail -c 131072 | od -An -v -tx4 | tr -s ' ' '\n' | grep . | sort | uniq -c |
	awk 'BEGIN { n["00000000"] = "zero"; n["30ffffff"] = "0xff fill"; n["ff40c840"] = "text"
		n["ff3c3ce6"] = "code"; n["fff0783c"] = "pointers"; n["80969696"] = "other" }
	{ s = s sprintf("%s%d %s", s ? ", " : "", $1, n[$2]) }
	END { print "qhb demo: pages by content: " s }'
qhb-hilbert -q --color heat --lod 4 -o "$out/heat.qvol" "$out/vm.qsnap"
qhb-cat --nrrd "$out/heat.nrrd" "$out/heat.qvol"
echo "qhb demo: the 10 Hz capture as a heat map: 1 volume and $(qhb-cat "$out/heat.qvol" | grep -c '"kind":"volume-delta"') volume deltas -> demo-out/heat.qvol, demo-out/heat.nrrd"
# Pictures of the volumes (Vulkan where there is a device, else the CPU).
mkdir -p "$out/render"
qhb-query regions 'kernel code' <"$out/paused.qsnap" >"$out/render/kernel.json"
qhb-render -q --composite --turntable 12 --size 384x384 --legend \
	--regions "$out/render/kernel.json" -o "$out/render/turntable-%02d.png" "$out/vm.qvol"
qhb-render -q --turntable 12 --sheet 4x3 --size 256x256 -o "$out/render/turntable-sheet.png" "$out/vm.qvol"
rm -f "$out"/render/slice-z-*.png
qhb-render -q --slices z -o "$out/render/slice-z-%03d.png" "$out/vm.qvol"
qhb-render -q --size 384x384 -o "$out/render/heat-%02d.png" "$out/heat.qvol"
echo "qhb demo: pictures -> demo-out/render/: a 12-view turntable with the kernel's code outlined, its contact sheet, $(ls "$out"/render/slice-z-*.png | wc -l) z slices, a $(ls "$out"/render/heat-*.png | wc -l)-frame heat time-lapse"
echo "qhb demo: done; see demo-out/ (frames.jsonl: one JSON line per frame)"
