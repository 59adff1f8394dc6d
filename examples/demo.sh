#!/bin/sh
# make demo: the main job on the built-in demo guest.  Boots the guest,
# records its own account of itself, captures a 10 Hz snapshot stream for a
# few seconds while it works, summarizes what the stream holds, reads the
# process table from RAM (qhb-query ps), maps a snapshot and the stream's
# page heat onto Hilbert-curve volumes, and renders them (a turntable, a
# contact sheet, a slice stack, a heat time-lapse, one process's memory
# highlighted).  Then it traces a second guest's boot with the TCG plugin
# and has qhb-learn learn its hot blocks and report the coverage.  Output
# lands in demo-out/, with index.html to look at it all.  The guests are
# stopped on exit, Ctrl-C included, and nothing is left in /dev/shm.
#
#   make demo          (or: sh examples/demo.sh; QHB_DEMO_OUT=DIR for
#                      another directory than demo-out/, QHB_DEMO_HOT=N
#                      for qhb-learn --hot N instead of 10)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/build/bin:$PATH
out=${QHB_DEMO_OUT:-$top/demo-out}
name=qhb-demo-$$
traced=qhb-demo-trace-$$
# The guests this script started and has not stopped yet.
running=""
tracer=""

cleanup() {
	[ -n "$tracer" ] && kill "$tracer" 2>/dev/null
	for vm in $running; do
		qhb-vm stop "$vm" >/dev/null 2>&1
	done
	running=""
	tracer=""
	rm -f "${page:-}"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# stop VM: stops a guest this script started, now rather than at exit.
stop() {
	qhb-vm stop "$1" >/dev/null
	running=$(echo $running | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}

# html TEXT...: TEXT with &, <, > and " escaped for the page.
html() {
	printf '%s' "$*" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g'
}

# images PATTERN ALT [CLASS]: an <img> for each render/PATTERN picture.
images() {
	for f in "$out"/render/$1; do
		b=$(basename "$f")
		echo "<img${3:+ class=\"$3\"} src=\"render/$b\" alt=\"$2 $b\">"
	done
}

mkdir -p "$out"
release=$(sed -n 's/^release //p' "$top/build/guest/kernel-version")
echo "qhb demo: booting the demo guest (Linux $release, 128 MiB, TCG)"
running=$name
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
stop "$name"
echo "qhb demo: guest stopped; the rest works on the captures"

# The process table, read from the snapshot's RAM with no symbol files.
qhb-query ps <"$out/paused.qsnap" >"$out/ps.json"
# One tab-separated line a task: pid ppid state uid threads kthread comm
# (qhb-query prints one key a line; comm stays as JSON escapes it).
awk '
	/^ *"[a-z_]+": / {
		key = $1; gsub(/[":]/, "", key)
		val = $0; sub(/^ *"[a-z_]+": /, "", val); sub(/,$/, "", val)
		if (val ~ /^".*"$/) val = substr(val, 2, length(val) - 2)
		f[key] = val
	}
	/^ *},?$/ && ("pid" in f) {
		printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f["pid"], f["ppid"], f["state"],
		    f["uid"], f["threads"], f["kthread"], f["comm"]
		delete f
	}' "$out/ps.json" >"$out/ps.tsv"
echo "qhb demo: the process table from RAM (qhb-query ps): $(wc -l <"$out/ps.tsv") tasks, $(awk -F'\t' '$6 == "false"' "$out/ps.tsv" | wc -l) of them user processes:"
awk -F'\t' '$6 == "false" { printf "  pid %-4s ppid %-4s %s %s\n", $1, $2, $3, $7 }' "$out/ps.tsv"
# Checked against the list the guest printed of itself at boot.
awk -F'\t' '$6 == "false" { print $1, $7 }' "$out/ps.tsv" | sort >"$out/ps-user.txt"
awk '$1 == "ps" && $6 == "user" { print $3, $8 }' "$out/ground-truth.txt" | sort >"$out/truth-user.txt"
if cmp -s "$out/ps-user.txt" "$out/truth-user.txt"; then
	echo "qhb demo: the same user processes as the guest listed at boot"
else
	echo "qhb demo: against the guest's list at boot (+ started since, - gone since):"
	diff "$out/truth-user.txt" "$out/ps-user.txt" | sed -n 's/^</  -/p; s/^>/  +/p'
fi
rm -f "$out/ps-user.txt" "$out/truth-user.txt"

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
	}' "$out/frames.jsonl" | tee "$out/capture.txt"
echo "qhb demo: the guest's RAM along Skilling's Hilbert curve, coloured by content -> demo-out/vm.qvol, demo-out/vm.nrrd"
qhb-hilbert -q --color class --lod 4 -o "$out/vm.qvol" "$out/paused.qsnap"
qhb-cat "$out/vm.qvol" | sed -n 's/.*"nx":\([0-9]*\),"ny":\([0-9]*\),"nz":\([0-9]*\).*/qhb demo: a volume of \1x\2x\3 voxels of 4 bytes (open demo-out\/vm.nrrd in ParaView, 3D Slicer or Fiji)/p'
qhb-cat --nrrd "$out/vm.nrrd" "$out/vm.qvol"
# One voxel a page: the last 128 KiB of the NRRD are the 32768 page colours.
qhb-hilbert -q --cpu --unit 4096 "$out/paused.qsnap" | qhb-cat --nrrd - |
	tail -c 131072 | od -An -v -tx4 | tr -s ' ' '\n' | grep . | sort | uniq -c |
	awk 'BEGIN { n["00000000"] = "zero"; n["30ffffff"] = "one-byte fill"; n["ff40c840"] = "text"
		n["ff3c3ce6"] = "code"; n["fff0783c"] = "pointers"; n["80969696"] = "other" }
	{ s = s sprintf("%s%d %s", s ? ", " : "", $1, n[$2]) }
	END { print "qhb demo: pages by content: " s }' | tee -a "$out/capture.txt"
qhb-hilbert -q --color heat --lod 4 -o "$out/heat.qvol" "$out/vm.qsnap"
qhb-cat --nrrd "$out/heat.nrrd" "$out/heat.qvol"
echo "qhb demo: the 10 Hz capture as a heat map: 1 volume and $(qhb-cat "$out/heat.qvol" | grep -c '"kind":"volume-delta"') volume deltas -> demo-out/heat.qvol, demo-out/heat.nrrd"
# Pictures of the volumes (Vulkan where there is a device, else the CPU).
# Pictures of an earlier run would show up in the page: start afresh.
rm -rf "$out/render"
mkdir -p "$out/render"
qhb-query regions 'kernel code' <"$out/paused.qsnap" >"$out/render/kernel.json"
qhb-render -q --composite --turntable 12 --size 384x384 --legend \
	--regions "$out/render/kernel.json" -o "$out/render/turntable-%02d.png" "$out/vm.qvol"
qhb-render -q --turntable 12 --sheet 4x3 --size 256x256 -o "$out/contact-sheet.png" "$out/vm.qvol"
qhb-render -q --slices z -o "$out/render/slice-z-%03d.png" "$out/vm.qvol"
qhb-render -q --slices z --sheet 8x8 -o "$out/render/slices-%d.png" "$out/vm.qvol"
qhb-render -q --size 384x384 -o "$out/render/heat-%02d.png" "$out/heat.qvol"
echo "qhb demo: pictures -> demo-out/render/: a 12-view turntable with the kernel's code outlined, its contact sheet (demo-out/contact-sheet.png), $(ls "$out"/render/slice-z-*.png | wc -l) z slices and $(ls "$out"/render/slices-*.png | wc -l) sheets of them, a $(ls "$out"/render/heat-*.png | wc -l)-frame heat time-lapse"

# One process's memory: the pages qhb-query finds for the guest's worker,
# tinted in the volume and outlined in the picture.
worker=qhb-worker
qhb-query regions "$worker" <"$out/paused.qsnap" >"$out/render/$worker.json"
qhb-hilbert -q --regions "$out/render/$worker.json" --lod 4 "$out/paused.qsnap" |
	qhb-render -q --composite --size 512x512 --regions "$out/render/$worker.json" \
	    --legend -o "$out/render/$worker.png"
sed -n 's/.*"\(start\|end\)": "\(0x[0-9a-f]*\)".*/\2/p' "$out/render/$worker.json" |
	paste - - >"$out/render/$worker.ranges"
pages=0
regions=0
while read -r start end; do
	pages=$((pages + (end - start) / 4096))
	regions=$((regions + 1))
done <"$out/render/$worker.ranges"
rm -f "$out/render/$worker.ranges"
echo "qhb demo: $worker's memory, found by qhb-query regions: $pages pages in $regions regions -> demo-out/render/$worker.png"

# A traced boot: a second guest with the TCG plugin on a lossless ring
# (the guest waits for qhb-trace), traced from the reset vector until it
# is ready; then qhb-learn learns the forms of its hot blocks and measures
# how much of the boot its proven microcode covers.  qhb-learn's default
# --hot (10) and a --budget bound the learning time.
mkdir -p "$out/learn"
echo "qhb demo: tracing a second guest's boot -> demo-out/learn/boot.qhb"
running="$running $traced"
qhb-vm start --trace=policy=block "$traced"
qhb-trace -q --attach "$traced" -o "$out/learn/boot.qhb" &
tracer=$!
qhb-vm wait --timeout 300 "$traced"
stop "$traced"
wait "$tracer"
tracer=""
qhb-trace --format summary "$out/learn/boot.qhb" >"$out/learn/summary.json"
qhb-trace --format hotblocks --limit 20 "$out/learn/boot.qhb" >"$out/learn/hotblocks.txt"
awk '{ match($0, /"instructions":[0-9]+/); i = substr($0, RSTART + 15, RLENGTH - 15)
	match($0, /"blocks_executed":[0-9]+/); b = substr($0, RSTART + 18, RLENGTH - 18)
	match($0, /"dropped":[0-9]+/); d = substr($0, RSTART + 10, RLENGTH - 10)
	printf "qhb demo: the boot ran %.1f M instructions in %d distinct blocks (%d records dropped)\n", i / 1e6, b, d }' \
	"$out/learn/summary.json"
hot=${QHB_DEMO_HOT:-10}
echo "qhb demo: qhb-learn: the forms of blocks run $hot times or more, synthesized with Z3 -> demo-out/learn/library.json"
rm -f "$out/learn/library.json"
qhb-learn -q --library "$out/learn/library.json" --hot "$hot" --budget 10000000 \
	--timeout 5000 "$out/learn/boot.qhb" >"$out/learn/learned.json"
qhb-learn --library "$out/learn/library.json" --report --top 10 \
	"$out/learn/boot.qhb" >"$out/learn/coverage.json"
# The report is one JSON object; its top_uncovered list, one form a line.
sed 's/.*"top_uncovered":\[//; s/\]}$//; s/},{/}\n{/g' "$out/learn/coverage.json" |
	sed -n 's/^{"form":"\(.*\)","count":\([0-9]*\),"lost":\([0-9]*\),"reason":"\(.*\)"}$/\3\t\2\t\1\t\4/p' \
	>"$out/learn/uncovered.tsv"
field() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p" "$2"; }
awk -v learned="$(cat "$out/learn/learned.json")" \
    -v cov="$(field coverage "$out/learn/coverage.json")" \
    -v fb="$(field fallback "$out/learn/coverage.json")" \
    -v ex="$(field exits "$out/learn/coverage.json")" \
    -v ix="$(field indirect_exits "$out/learn/coverage.json")" 'BEGIN {
	printf "qhb demo: %s\n", learned
	printf "qhb demo: coverage of the boot by proven microcode: %.1f %% of the instructions; fallback forms %.1f %%, block exits %.1f %% (indirect %.1f %%)\n",
	    cov * 100, fb * 100, ex * 100, ix * 100
	print "qhb demo: the uncovered forms that cost the most (instructions of the blocks each keeps off the Pixel CPU, then its own executions):"
}'
awk -F'\t' '{ printf "  %11d %9d  %-28s %s\n", $1, $2, $3, $4 }' "$out/learn/uncovered.tsv"

# index.html: the pictures, the process table and the coverage report on
# one static page (no scripts, nothing fetched from elsewhere), written
# beside the pictures under a temporary name and renamed into place.
page=$out/.index.html.$$
{
	cat <<END
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>qhb demo: a guest as a glass box</title>
<style>
body { font-family: sans-serif; margin: 2em; max-width: 72em; color: #222; }
img { border: 1px solid #ccc; margin: 2px; vertical-align: top; }
.wide { width: 100%; height: auto; }
.half { width: 49%; height: auto; }
.row img { width: 184px; height: auto; }
.heat img { width: 112px; height: auto; }
table { border-collapse: collapse; font-size: 90%; }
td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }
td.n { text-align: right; font-family: monospace; }
pre { background: #f4f4f4; padding: 0.5em; white-space: pre-wrap; overflow-wrap: anywhere; }
</style>
</head>
<body>
<h1>qhb demo: a guest as a glass box</h1>
<p>The demo guest (Linux $(html "$release"), 128 MiB, QEMU TCG), captured
while it runs, its RAM laid out along a 3D Hilbert curve, its processes read
from raw RAM, its boot traced and learned.  Made by <code>make demo</code>
on $(date -u '+%Y-%m-%d %H:%M UTC').</p>

<h2>The capture</h2>
<pre>$(html "$(sed 's/^qhb demo: //' "$out/capture.txt")")</pre>

<h2>Contact sheet</h2>
<p>Twelve views around the volume of a consistent snapshot (the guest paused
for the copy), coloured by content: code, text, pointers, zeros, one-byte
fill, other data.</p>
<img class="wide" src="contact-sheet.png" alt="contact sheet of 12 views">

<h2>Turntable, the kernel's code outlined</h2>
<div class="row">
END
	images 'turntable-*.png' 'turntable view'
	cat <<END
</div>

<h2>One process: $(html "$worker")</h2>
<p>The $pages pages of $(html "$worker") ($regions physical regions) that
<code>qhb-query regions $(html "$worker")</code> found through its page
tables, tinted in the volume and outlined.</p>
<img src="render/$worker.png" alt="$(html "$worker")'s memory highlighted">

<h2>Heat time-lapse</h2>
<p>The 10 Hz capture, one frame a tenth of a second: the pages each delta
changed glow and cool down.</p>
<div class="heat">
END
	images 'heat-*.png' 'heat frame'
	cat <<END
</div>

<h2>Slice stack</h2>
<p>The $(ls "$out"/render/slice-z-*.png | wc -l) z planes of the volume
(one PNG each in <code>render/slice-z-*.png</code>, for Fiji's Image
Sequence import), 64 to a sheet.</p>
END
	images 'slices-*.png' 'slice sheet' half
	cat <<END

<h2>The process table</h2>
<p>Every task, read from the snapshot's RAM by <code>qhb-query ps</code>
with no symbol files (kallsyms and BTF are in guest RAM).</p>
<table>
<tr><th>pid</th><th>ppid</th><th>state</th><th>uid</th><th>threads</th><th>kind</th><th>comm</th></tr>
END
	sort -n "$out/ps.tsv" | while IFS='	' read -r pid ppid state uid threads kthread comm; do
		kind=user
		[ "$kthread" = true ] && kind=kernel
		printf '<tr><td class="n">%s</td><td class="n">%s</td><td>%s</td><td class="n">%s</td><td class="n">%s</td><td>%s</td><td>%s</td></tr>\n' \
		    "$(html "$pid")" "$(html "$ppid")" "$(html "$state")" "$(html "$uid")" \
		    "$(html "$threads")" "$kind" "$(html "$comm")"
	done
	cat <<END
</table>

<h2>The boot, traced and learned</h2>
<p>A second guest booted under the qhb TCG plugin, from the reset vector
to its ready marker:</p>
<pre>$(html "$(cat "$out/learn/summary.json")")</pre>
<p><code>qhb-learn --hot $hot</code> synthesized Pixel CPU microcode for the
instruction forms of the hot blocks and proved it with Z3:</p>
<pre>$(html "$(cat "$out/learn/learned.json")")</pre>
<p>Coverage (<code>qhb-learn --report</code>): <b>$(html "$(awk -v c="$(field coverage "$out/learn/coverage.json")" 'BEGIN { printf "%.1f %%", c * 100 }')")</b>
of the boot's instructions ran in blocks wholly covered by proven
microcode.  The uncovered forms that cost the most:</p>
<table>
<tr><th>instructions lost</th><th>executions</th><th>form</th><th>why not covered</th></tr>
END
	while IFS='	' read -r lost count form reason; do
		printf '<tr><td class="n">%s</td><td class="n">%s</td><td><code>%s</code></td><td>%s</td></tr>\n' \
		    "$(html "$lost")" "$(html "$count")" "$(html "$form")" "$(html "$reason")"
	done <"$out/learn/uncovered.tsv"
	cat <<END
</table>
<pre>$(html "$(cat "$out/learn/coverage.json")")</pre>

<h2>Files</h2>
<ul>
<li><a href="vm.nrrd">vm.nrrd</a>, <a href="heat.nrrd">heat.nrrd</a>: the volumes, for ParaView, 3D Slicer or Fiji</li>
<li><a href="vm.qsnap">vm.qsnap</a>: the 10 Hz capture; <a href="paused.qsnap">paused.qsnap</a>: the consistent snapshot; <a href="frames.jsonl">frames.jsonl</a>: their frames</li>
<li><a href="ps.json">ps.json</a>: the process table; <a href="ground-truth.txt">ground-truth.txt</a>: the guest's own account</li>
<li><a href="learn/boot.qhb">learn/boot.qhb</a>: the boot trace; <a href="learn/library.json">learn/library.json</a>: the microcode library; <a href="learn/coverage.json">learn/coverage.json</a></li>
</ul>
</body>
</html>
END
} >"$page"
mv "$page" "$out/index.html"
echo "qhb demo: done; open demo-out/index.html (frames.jsonl: one JSON line per frame)"
