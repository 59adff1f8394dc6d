#!/bin/sh
# Builds and runs bench/hilbert-diag.c, the diagnosis of the GPU volume
# fill at 256^3, 512^3 and 1024^3 (see that file): with its own shader
# table, shaders/ and bench/diag/, so that a variant of
# shaders/hilbert_value.comp can be dispatched in its place.
#
#   sh bench/hilbert-diag.sh [REPEATS [SIZES]]
#   QHB_DIAG_OUT=DIR sh bench/hilbert-diag.sh build   (build only, into DIR)
#
# Each variant runs in a process of its own (the real shader and the peers
# first), as QHB_DIAG_VALUE=diag_wr ... hilbert-diag REPEATS SIZES.  On the
# device machine, carry the built binary and run these lines after the
# loader set-up of bench/RESULTS.md; `nvidia-smi --query-gpu=clocks.sm
# --format=csv -lms 50` beside it shows the SM clock.  On lavapipe, set
# QHB_DIAG_COLD=1 (else the variants' fills repeat up to 1000 times).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${QHB_DIAG_OUT:-$top/build/bench}
work=$(mktemp -d "${TMPDIR:-/tmp}/qhb-bench-diag.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
if command -v glslc >/dev/null && [ -f "$top/build/obj/libqhb.a" ]; then
	for f in "$top"/shaders/*.comp "$top"/bench/diag/*.comp; do
		glslc -O --target-env=vulkan1.1 -o "$work/$(basename "$f" .comp).spv" "$f"
	done
	sh "$top/tests/embed.sh" "$work"/*.spv >"$work/shaders.c"
	mkdir -p "$out"
	cc -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -iquote "$top/common" \
		-iquote "$top/bench" -o "$out/hilbert-diag" "$top/bench/hilbert-diag.c" \
		"$work/shaders.c" "$top/build/obj/libqhb.a" -Wl,--as-needed \
		-lzstd -lxxhash -ljansson -lvulkan -lm -lpthread
fi
[ "${1:-}" = build ] && exit 0
reps=${1:-5}
sizes=${2:-3}
"$out/hilbert-diag" "$reps" "$sizes"
# The real shader timed as bench/hilbert.sh used to: its first runs after
# the upload, the GPU still at its idle clock.
QHB_DIAG_COLD=1 QHB_DIAG_PEERS=0 "$out/hilbert-diag" "$reps" "$sizes"
QHB_VK_CHUNK=1073741824 QHB_DIAG_PEERS=0 "$out/hilbert-diag" "$reps" "$sizes"
for v in diag_wr diag_rd diag_rw diag_sh; do
	QHB_DIAG_VALUE=$v QHB_DIAG_PEERS=0 "$out/hilbert-diag" "$reps" "$sizes"
done
# A candidate that writes the same bytes: checked.
QHB_DIAG_VALUE=diag_two QHB_DIAG_CHECK=1 QHB_DIAG_PEERS=0 "$out/hilbert-diag" "$reps" "$sizes"
