#!/bin/sh
# A slice stack of a live guest's memory for Fiji or ImageMagick: one
# snapshot as a volume, one PNG per z plane (File > Import > Image
# Sequence in Fiji; `convert slices/z-*.png stack.tif` with ImageMagick),
# the kernel's page tables outlined, and an overview contact sheet; then a
# short time-lapse of one slice while the guest runs.
#
#   sh examples/slice-stack.sh [VM [OUTDIR]]
#
# With no VM, boots the demo guest (make guest) and stops it at the end.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/build/bin:$PATH
vm=${1:-}
out=${2:-slices-out}
started=
cleanup() { [ -n "$started" ] && qhb-vm stop "$started" >/dev/null 2>&1; started=; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
if [ -z "$vm" ]; then
	vm=qhb-slices-$$
	started=$vm
	qhb-vm start "$vm" --mem 128M --wait
fi
mkdir -p "$out/slices"
qmp=$(qhb-vm qmp-path "$vm")

qhb-snap -q --qmp "$qmp" --consistent=pause -o "$out/vm.qsnap"
qhb-query regions 'page tables' <"$out/vm.qsnap" >"$out/pt.json"
qhb-hilbert -q --color class --lod 4 -o "$out/vm.qvol" "$out/vm.qsnap"
qhb-render --slices z --regions "$out/pt.json" -o "$out/slices/z-%04d.png" "$out/vm.qvol"
# every 16th plane would do for an overview; a sheet takes them all, 64 a sheet
qhb-render -q --slices z --sheet 8x8 -o "$out/sheet-%d.png" "$out/vm.qvol"
# a time-lapse: 20 frames at 5 Hz, a MIP each, numbered
qhb-snap -q --qmp "$qmp" --every 200ms --count 20 |
	qhb-hilbert -q --color heat --lod 4 |
	qhb-render -q --size 384x384 -o "$out/heat-%03d.png"
echo "slices: $(ls "$out"/slices | wc -l) planes in $out/slices/, sheets and a 20-frame heat time-lapse in $out/"
