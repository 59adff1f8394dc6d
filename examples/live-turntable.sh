#!/bin/sh
# A turntable of a live guest's memory: one consistent snapshot (the guest
# paused for the copy), laid out along the Hilbert curve with mip levels,
# rendered as 36 composited views with the kernel's code outlined, a
# contact sheet of them, and an mp4 when ffmpeg is there.
#
#   sh examples/live-turntable.sh [VM [OUTDIR]]
#
# With no VM, boots the demo guest (make guest) and stops it at the end.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/build/bin:$PATH
vm=${1:-}
out=${2:-turntable-out}
started=
cleanup() { [ -n "$started" ] && qhb-vm stop "$started" >/dev/null 2>&1; started=; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
if [ -z "$vm" ]; then
	vm=qhb-turntable-$$
	started=$vm
	qhb-vm start "$vm" --mem 128M --wait
fi
mkdir -p "$out"
qmp=$(qhb-vm qmp-path "$vm")

qhb-snap -q --qmp "$qmp" --consistent=pause -o "$out/vm.qsnap"
qhb-query regions 'kernel code' <"$out/vm.qsnap" >"$out/kernel.json"
qhb-hilbert -q --color class --lod 4 -o "$out/vm.qvol" "$out/vm.qsnap"
qhb-render --composite --turntable 36 --size 512x512 --regions "$out/kernel.json" \
	--legend -o "$out/view-%02d.png" "$out/vm.qvol"
qhb-render -q --turntable 12 --sheet 4x3 --size 256x256 -o "$out/sheet.png" "$out/vm.qvol"
if command -v ffmpeg >/dev/null; then
	qhb-render -q --composite --turntable 72 --size 640x480 --y4m --fps 24 "$out/vm.qvol" |
		ffmpeg -loglevel error -y -i - -pix_fmt yuv420p "$out/turntable.mp4"
fi
echo "turntable: $(ls "$out"/view-*.png | wc -l) views, a contact sheet in $out/"
