#!/bin/sh
# same-outputs.sh OLD_BIN NEW_BIN DEMO_OUT: runs the deterministic stages of
# make demo with two builds on the same recorded inputs (a demo-out/ folder
# that make demo left: paused.qsnap, vm.qsnap, learn/boot.qhb,
# learn/library.json) and compares every output byte for byte.  It is the
# check that a refactor changed no behaviour: keep a copy of build/bin and
# of demo-out/ from before it, then run this against the new build/bin.
# Prints one line per differing output, then "N same, N differ".
set -u
[ $# -eq 3 ] || { echo "usage: same-outputs.sh OLD_BIN NEW_BIN DEMO_OUT" >&2; exit 2; }
old=$(cd "$1" && pwd) new=$(cd "$2" && pwd) in=$(cd "$3" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/qhb-same.XXXXXX")
trap 'rm -rf "$work"' EXIT

# stages BIN OUT: every command writes files under OUT; each one's exit
# status and stderr are kept too, since they are behaviour as well.
stages() {
	b=$1
	# Relative names inside the output folder: qhb-cat prints a file's
	# name, which must not differ between the two runs.
	mkdir -p "$2/render" "$2/learn" && cd "$2" || exit 2
	o=.
	run() { name=$1; shift; "$@" >"$name" 2>"$name.err"; echo $? >"$name.rc"; }
	run cat-vm.jsonl "$b/qhb-cat" "$in/vm.qsnap"
	run cat-paused.jsonl "$b/qhb-cat" "$in/paused.qsnap"
	run cat-raw-vm "$b/qhb-cat" --raw "$in/vm.qsnap"
	run ps.json "$b/qhb-query" ps <"$in/paused.qsnap"
	run banner.json "$b/qhb-query" banner <"$in/paused.qsnap"
	run kernel.json "$b/qhb-query" regions 'kernel code' <"$in/paused.qsnap"
	run worker.json "$b/qhb-query" regions qhb-worker <"$in/paused.qsnap"
	run maps1.json "$b/qhb-query" maps 1 <"$in/paused.qsnap"
	run sym.json "$b/qhb-query" sym start_kernel <"$in/paused.qsnap"
	run isf.json "$b/qhb-query" isf <"$in/paused.qsnap"
	run vm.qvol "$b/qhb-hilbert" -q --color class --lod 4 "$in/paused.qsnap"
	run vm-cpu.qvol "$b/qhb-hilbert" -q --cpu --color class --lod 4 "$in/paused.qsnap"
	run page.qvol "$b/qhb-hilbert" -q --cpu --unit 4096 "$in/paused.qsnap"
	run heat.qvol "$b/qhb-hilbert" -q --color heat --lod 4 "$in/vm.qsnap"
	run heat-cpu.qvol "$b/qhb-hilbert" -q --cpu --color heat --lod 4 "$in/vm.qsnap"
	run worker.qvol "$b/qhb-hilbert" -q --regions "$o/worker.json" --lod 4 "$in/paused.qsnap"
	run cat-vol.jsonl "$b/qhb-cat" "$o/vm.qvol"
	run nrrd.log "$b/qhb-cat" --nrrd "$o/vm.nrrd" "$o/vm.qvol"
	run turntable.log "$b/qhb-render" -q --composite --turntable 12 --size 384x384 \
		--legend --regions "$o/kernel.json" -o "$o/render/turntable-%02d.png" "$o/vm.qvol"
	run sheet.log "$b/qhb-render" -q --turntable 12 --sheet 4x3 --size 256x256 \
		-o "$o/render/contact-sheet.png" "$o/vm.qvol"
	run slices.log "$b/qhb-render" -q --slices z -o "$o/render/slice-z-%03d.png" "$o/vm.qvol"
	run slicesheet.log "$b/qhb-render" -q --slices z --sheet 8x8 -o "$o/render/slices-%d.png" "$o/vm.qvol"
	run heat.log "$b/qhb-render" -q --size 384x384 -o "$o/render/heat-%02d.png" "$o/heat.qvol"
	run worker.png "$b/qhb-render" -q --composite --size 512x512 --regions "$o/worker.json" \
		--legend -o - "$o/worker.qvol"
	run heat.y4m "$b/qhb-render" -q --size 128x128 --y4m -o - "$o/heat.qvol"
	run summary.json "$b/qhb-trace" --format summary "$in/learn/boot.qhb"
	run hotblocks.txt "$b/qhb-trace" --format hotblocks --limit 20 "$in/learn/boot.qhb"
	run hotpages.txt "$b/qhb-trace" --format hotpages "$in/learn/boot.qhb"
	run drcov "$b/qhb-trace" --format drcov -f -o "$o/learn/drcov" "$in/learn/boot.qhb"
	run coverage.json "$b/qhb-learn" --library "$work/library.json" --report --top 10 \
		"$in/learn/boot.qhb"
}

# A library learned before entries carried their hash (issue 18) loads as
# unverified, so both builds report on one copy stamped by the new
# build's --verify; an older build ignores the hash.
cp "$in/learn/library.json" "$work/library.json"
"$new/qhb-learn" -q --library "$work/library.json" --verify >/dev/null 2>&1
(stages "$old" "$work/old")
(stages "$new" "$work/new")
same=0 differ=0
for f in $(cd "$work/old" && find . -type f | sort); do
	if cmp -s "$work/old/$f" "$work/new/$f"; then
		same=$((same + 1))
	else
		differ=$((differ + 1))
		echo "differs: $f"
	fi
done
for f in $(cd "$work/new" && find . -type f | sort); do
	[ -e "$work/old/$f" ] || { differ=$((differ + 1)); echo "only new: $f"; }
done
# A stage that failed in the old build compares nothing of worth: say so.
for f in $(cd "$work/old" && find . -name '*.rc' | sort); do
	[ "$(cat "$work/old/$f")" = 0 ] || echo "note: ${f%.rc} exited $(cat "$work/old/$f") in the old build"
done
echo "$same same, $differ differ"
[ "$differ" -eq 0 ]
