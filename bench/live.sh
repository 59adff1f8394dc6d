#!/bin/sh
# The live loop (issue 9): the demo guest's 128 MiB captured, mapped and
# rendered continuously --
#
#   qhb-snap --every 1ms RAM | qhb-hilbert --color heat --lod 4 |
#       qhb-render --size 512x512 --y4m
#
# as fast as the stages go (a full frame, then dirty-page deltas; a heat
# volume, then delta volumes; one picture a frame), and the pictures
# counted as they arrive (bench/live.c): frames per second end to end,
# after the first SKIP frames (start-up, the full frame).  For scale, the
# same capture alone and capture plus mapping, written to /dev/null.
# The goal is 30 fps on an H100.
#
#   sh bench/live.sh [VM]           the demo guest (booted here, or VM)
#   sh bench/live.sh --ram FILE     a RAM image: raw, .zst, or a qhb
#                                   snapshot (.qsnap); a writer changes
#                                   PAGES pages every 100 ms meanwhile, as
#                                   a working guest does (no QEMU needed)
#   sh bench/live.sh --save-ram FILE.qsnap [VM]
#                                   a consistent snapshot of the demo guest
#                                   at zstd level 19 for --ram elsewhere
#
# Environment: FRAMES (default 60), SKIP (10), SIZE (512x512), LOD (4),
# PAGES (200, about what the demo guest changes in 100 ms), CPU=1 to pass
# --cpu (no Vulkan) to qhb-hilbert and qhb-render, QHB_BIN (build/bin),
# LIVE (the helper, built into build/bench/live).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${QHB_BIN:-$top/build/bin}
PATH=$bin:$PATH
frames=${FRAMES:-60}
skip=${SKIP:-10}
size=${SIZE:-512x512}
lod=${LOD:-4}
pages=${PAGES:-200}
cpu=
[ "${CPU:-0}" = 1 ] && cpu=--cpu
work=$(mktemp -d "${TMPDIR:-/tmp}/qhb-bench-live.XXXXXX")
started=
writer=
ram=
cleanup() {
	[ -n "$writer" ] && kill "$writer" 2>/dev/null
	[ -n "$started" ] && qhb-vm stop "$started" >/dev/null 2>&1
	rm -rf "$work"
	case $ram in /dev/shm/qhb-bench-live-*) rm -f "$ram" ;; esac
	writer=
	started=
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# The helper: built here when there is a compiler (kept for a machine
# without one), else a carried copy.
live=${LIVE:-$top/build/bench/live}
if command -v cc >/dev/null && [ -z "${LIVE:-}" ]; then
	mkdir -p "$top/build/bench"
	cc -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -iquote "$top/bench" \
	    -static -o "$live" "$top/bench/live.c"
fi

boot() {
	if [ -n "${1:-}" ]; then
		vm=$1
	else
		vm=qhb-bench-live-$$
		started=$vm
		qhb-vm start "$vm" --mem 128M --wait >/dev/null
	fi
}

source=
case ${1:-} in
--save-ram)
	[ $# -ge 2 ] || { echo "usage: live.sh --save-ram FILE.qsnap [VM]" >&2; exit 1; }
	boot "${3:-}"
	qhb-snap -q --qmp "$(qhb-vm qmp-path "$vm")" --consistent=pause --level 19 \
	    --name demo -o "$2"
	echo "live: $2: $(($(wc -c <"$2") / 1048576)) MiB"
	exit 0 ;;
--ram)
	[ $# -ge 2 ] || { echo "usage: live.sh --ram FILE" >&2; exit 1; }
	# in /dev/shm where there is one, like a guest's RAM file
	dir=/dev/shm
	[ -d "$dir" ] && [ -w "$dir" ] || dir=$work
	ram=$dir/qhb-bench-live-$$.ram
	case $2 in
	*.qsnap) qhb-cat --raw -o "$ram" "$2" ;;
	*.zst) zstd -q -d -c "$2" >"$ram" ;;
	*) cp "$2" "$ram" ;;
	esac
	"$live" write "$ram" "$pages" 100 &
	writer=$!
	source="the RAM image $(basename "$2") ($(($(wc -c <"$ram") / 1048576)) MiB), $pages pages changed every 100 ms by bench/live.c" ;;
*)
	boot "${1:-}"
	ram=$(qhb-vm ram "$vm")
	source="the demo guest $vm ($(($(wc -c <"$ram") / 1048576)) MiB, TCG), working" ;;
esac

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "source: $source"
backend=$(qhb-snap -q "$ram" | qhb-hilbert $cpu --lod "$lod" 2>&1 >/dev/null |
	sed -n 's/^qhb-hilbert: using //p')
echo "backend: ${backend:-the CPU (--cpu)}"

# report NAME: the count's JSON line as a sentence.
report() {
	awk -v name="$1" -v goal=30 '{
		match($0, /"fps":[0-9.]+/); fps = substr($0, RSTART + 6, RLENGTH - 6) + 0
		match($0, /"frames":[0-9]+/); n = substr($0, RSTART + 9, RLENGTH - 9)
		match($0, /"skipped":[0-9]+/); s = substr($0, RSTART + 10, RLENGTH - 10)
		match($0, /"seconds":[0-9.]+/); t = substr($0, RSTART + 10, RLENGTH - 10)
		printf "%s: %.1f fps (%d frames after the first %d, in %.2f s)", name, fps, n - s, s, t
		if (name ~ /^live loop/)
			printf "; goal >= %d fps: %s", goal, (fps >= goal ? "met" : "NOT met")
		printf "\n" }' "$work/count"
}
qhb-snap -q --every 1ms --count "$frames" "$ram" | "$live" count "$skip" >"$work/count"
report "capture alone (qhb-snap, frames counted as they come)"
qhb-snap -q --every 1ms --count "$frames" "$ram" |
	qhb-hilbert -q $cpu --color heat --lod "$lod" | "$live" count "$skip" >"$work/count"
report "capture | map (qhb-hilbert --color heat --lod $lod)"
qhb-snap -q --every 1ms --count "$frames" "$ram" |
	qhb-hilbert -q $cpu --color heat --lod "$lod" |
	qhb-render -q $cpu --stats --size "$size" --y4m 2>"$work/render" |
	"$live" count "$skip" >"$work/count"
report "live loop, end to end (capture | map | render $size, y4m)"
sed -n 's/^qhb-render: /qhb-render --stats: /p' "$work/render"
