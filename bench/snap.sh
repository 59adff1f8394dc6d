#!/bin/sh
# Benchmark of qhb-snap against its peers on one live 128 MiB demo guest,
# in one run: cat of the RAM file, the zstd -1 CLI on the same bytes, and
# QEMU's own dump-guest-memory through QMP.  Prints each figure, the ratio,
# and whether the goal of issue 2 holds.
#
#   make bench            (or: sh bench/snap.sh [REPEATS])
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/build/bin:$PATH
reps=${1:-9}
name=qhb-bench-$$
work=$(mktemp -d /dev/shm/qhb-bench.XXXXXX)
trap 'qhb-vm stop "$name" >/dev/null 2>&1; rm -rf "$work"' EXIT INT TERM

. "$top/bench/lib.sh"

machine
echo "guest: demo guest, 128 MiB, TCG; booting..."
qhb-vm start "$name" --mem 128M --wait --timeout 300 >/dev/null || exit 1
ram=$(qhb-vm ram "$name")
qmp=$(qhb-vm qmp-path "$name")
sleep 5
data=$(qhb-snap -q "$ram" | qhb-cat | sed 's/.*"data":\([0-9]*\).*/\1/')
echo "guest RAM pages holding data: $data of 32768"

# Full frames of the paused guest: every tool reads the same bytes.
qhb-vm qmp "$name" stop >/dev/null
cat_ms=$(median_ms sh -c "cat '$ram' >/dev/null")
raw_ms=$(median_ms sh -c "qhb-snap -q --level 0 '$ram' >/dev/null")
r=$(ratio "$raw_ms" "$cat_ms")
echo "uncompressed full frame: qhb-snap --level 0 $raw_ms ms, cat $cat_ms ms: ratio $r (goal <= 1.5: $(goal "$r" 1.5))"

zstd_ms=$(median_ms sh -c "zstd -q -1 -c '$ram' >/dev/null")
z_ms=$(median_ms sh -c "qhb-snap -q --level 1 '$ram' >/dev/null")
r=$(ratio "$z_ms" "$zstd_ms")
zsize=$(zstd -q -1 -c "$ram" | wc -c)
qsize=$(qhb-snap -q --level 1 "$ram" | wc -c)
echo "compressed full frame: qhb-snap --level 1 $z_ms ms ($qsize bytes), zstd -1 $zstd_ms ms ($zsize bytes): ratio $r (goal < 1: $(goal "$r" 0.999))"

zstd2_ms=$(median_ms sh -c "zstd -q -1 -T2 -c '$ram' >/dev/null")
z2_ms=$(median_ms sh -c "qhb-snap -q --level 1 --threads 2 '$ram' >/dev/null")
echo "compressed, 2 threads: qhb-snap --threads 2 $z2_ms ms, zstd -1 -T2 $zstd2_ms ms: ratio $(ratio "$z2_ms" "$zstd2_ms")"

dump() {
	rm -f "$work/dump"
	qhb-vm qmp "$name" "{\"execute\":\"dump-guest-memory\",\"arguments\":{\"paging\":false,\"protocol\":\"file:$work/dump\"}}" >/dev/null
}
dump_ms=$(median_ms dump)
snapf_ms=$(median_ms sh -c "qhb-snap -q --level 0 --qmp '$qmp' --consistent=pause -o '$work/snap'")
echo "to a file, guest paused: qhb-snap --consistent=pause $snapf_ms ms ($(wc -c <"$work/snap") bytes), dump-guest-memory $dump_ms ms ($(wc -c <"$work/dump") bytes): ratio $(ratio "$snapf_ms" "$dump_ms")"
qhb-vm qmp "$name" cont >/dev/null

# 60 Hz deltas of the idle, running guest.  A run pays once for its first
# full frame and for first touches of the mapping; the steady cost is the
# difference between a 15 s and a 5 s run, CPU time over wall time.
# cpu_wall N: "CPU-seconds wall-seconds" of a run of N frames.
cpu_wall() {
	t0=$(now)
	cpu=$( (qhb-snap -q --every 60hz --count "$1" "$ram" >/dev/null; times) |
		tail -n 1 | awk '{
			split($1, u, "m"); split($2, s, "m");
			printf "%.3f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }')
	t1=$(now)
	echo "$cpu $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')"
}
sleep 2
set -- $(cpu_wall 300)
cpu5=$1 wall5=$2
set -- $(cpu_wall 900)
cpu15=$1 wall15=$2
steady=$(awk -v a="$cpu5" -v b="$cpu15" -v c="$wall5" -v d="$wall15" \
	'BEGIN { printf "%.3f", (b - a) / (d - c) }')
echo "60 Hz deltas of the idle guest: steady $steady of a core (goal < 0.25: $(goal "$steady" 0.2499)); whole 15 s run with its start: $cpu15 s CPU in $wall15 s = $(ratio "$cpu15" "$wall15")"
