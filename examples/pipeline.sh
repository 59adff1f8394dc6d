#!/bin/sh
# From a live guest to PNGs, one pipe each: every stage reads the stream
# the one before it writes (qhb-format(5)), nothing lands on disk between.
#
#   1. a heat time-lapse: FRAMES captures at 10 Hz, the pages each delta
#      changed glowing, one PNG a frame;
#   2. one process's memory: a paused snapshot, the pages qhb-query finds
#      for PROCESS tinted and outlined in one picture.
#
#   sh examples/pipeline.sh [VM [OUTDIR [FRAMES [PROCESS]]]]
#
# With no VM (or ""), boots the demo guest (make guest) and stops it at the
# end.  Defaults: OUTDIR pipeline-out, FRAMES 20, PROCESS httpd.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/build/bin:$PATH
vm=${1:-}
out=${2:-pipeline-out}
frames=${3:-20}
process=${4:-httpd}
started=
cleanup() { [ -n "$started" ] && qhb-vm stop "$started" >/dev/null 2>&1; started=; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
if [ -z "$vm" ]; then
	vm=qhb-pipeline-$$
	started=$vm
	qhb-vm start "$vm" --mem 128M --wait
fi
mkdir -p "$out"
qmp=$(qhb-vm qmp-path "$vm")

qhb-snap -q --qmp "$qmp" --every 100ms --count "$frames" |
	qhb-hilbert -q --color heat --lod 4 |
	qhb-render -q --size 256x256 -o "$out/heat-%04d.png"

# The regions come from the same snapshot the picture is made of.
qhb-snap -q --qmp "$qmp" --consistent=pause -o "$out/vm.qsnap"
qhb-query regions "$process" <"$out/vm.qsnap" >"$out/$process.json"
qhb-hilbert -q --regions "$out/$process.json" --lod 4 "$out/vm.qsnap" |
	qhb-render -q --composite --size 512x512 --regions "$out/$process.json" \
	    --legend -o "$out/$process.png"
echo "pipeline: $(ls "$out"/heat-*.png | wc -l) heat frames and $process.png in $out/"
