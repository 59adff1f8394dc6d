#!/bin/sh
# Benchmark of qhb-query ps on one 128 MiB demo guest (4-level paging, so
# that Volatility 3 can read it too; KASLR on), whole process, no symbol
# files: the issue 6 goal is at most 150 ms.  The peer, Volatility 3's
# linux.pslist, runs on the same RAM when VOL (path to vol.py) is set, with
# the ISF directory VOL_ISF (e.g. dwarf2json's from the -dbg package) or,
# without it, the ISF that qhb-query isf writes from the guest's RAM.
#
#   sh bench/query.sh [REPEATS]          VOL=.../vol.py sh bench/query.sh
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/build/bin:$PATH
reps=${1:-9}
name=qhb-bench-query-$$
work=$(mktemp -d /dev/shm/qhb-bench.XXXXXX)
QHB_AUDIT=$work/audit.jsonl
export QHB_AUDIT
trap 'qhb-vm stop "$name" >/dev/null 2>&1; rm -rf "$work"' EXIT INT TERM

. "$top/bench/lib.sh"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "guest: demo guest, 128 MiB, TCG, -cpu max,la57=off (4-level paging, KASLR on); booting..."
qhb-vm start "$name" --mem 128M --cpu max,la57=off --wait --timeout 300 \
    >/dev/null || exit 1
qhb-vm qmp "$name" stop >/dev/null
cp "$(qhb-vm ram "$name")" "$work/ram"
qhb-vm stop "$name" >/dev/null 2>&1
n=$(qhb-query --ram "$work/ram" ps | jq '.tasks | length')
echo "tasks found: $n"
ours=$(median_ms qhb-query --ram "$work/ram" ps)
for q in banner 'maps 1'; do
	echo "qhb-query $q: $(median_ms qhb-query --ram "$work/ram" $q) ms"
done
echo "qhb-query ps: $ours ms (goal <= 150 ms: $(awk -v t="$ours" 'BEGIN { print (t <= 150) ? "met" : "NOT met" }'))"
if [ -n "${VOL:-}" ]; then
	isf=${VOL_ISF:-}
	if [ -z "$isf" ]; then
		isf=$work/sym
		mkdir -p "$isf/linux"
		t0=$(now)
		qhb-query --ram "$work/ram" isf >"$isf/linux/qhb.json"
		t1=$(now)
		echo "qhb-query isf: $(( (t1 - t0) / 1000000 )) ms, $(wc -c <"$isf/linux/qhb.json") bytes"
	fi
	# the first run builds Volatility's banner cache: not counted
	python3 "$VOL" -q -s "$isf" -f "$work/ram" linux.pslist >"$work/vol" 2>&1
	echo "volatility3 linux.pslist lists $(awk -F'\t' '$2 ~ /^[0-9]+$/' "$work/vol" | wc -l) processes"
	reps=3
	peer=$(median_ms python3 "$VOL" -q -s "$isf" -f "$work/ram" linux.pslist)
	echo "volatility3 linux.pslist: $peer ms (median of 3); ratio $(ratio "$ours" "$peer" 3)"
else
	echo "volatility3 linux.pslist: not run (set VOL, and VOL_ISF for a dwarf2json ISF)"
fi
