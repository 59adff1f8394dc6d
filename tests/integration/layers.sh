#!/bin/sh
# The include graph of common/ against the layer order in common/README.md:
# a module includes only modules of lower layers, so the graph has no
# circle and nothing calls up.  Every module must be placed in a layer.
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

# The layers block: the lines between "```layers" and the next "```",
# the lowest first, each "NAME: module module ...".
layers() {
	sed -n '/^```layers$/,/^```$/p' "$top/common/README.md" | sed '1d;$d'
}

# module_layer MODULE: its line number in the block, or nothing.
layer_of() {
	layers | awk -v m="$1" '{ for (i = 2; i <= NF; i++) if ($i == m) print NR }'
}

every_module_placed() {
	[ -n "$(layers)" ] || die "common/README.md has no layers block"
	for h in "$top"/common/*.h; do
		m=$(basename "$h" .h)
		n=$(layer_of "$m" | wc -l)
		[ "$n" -eq 1 ] || die "common/$m.h: in $n layers of common/README.md, expected 1"
	done
	for m in $(layers | cut -d: -f2-); do
		[ -f "$top/common/$m.h" ] || die "common/README.md places $m, but common/$m.h does not exist"
	done
}

no_upward_include() {
	bad=0
	for f in "$top"/common/*.[ch]; do
		m=$(basename "$f" | sed 's/\.[ch]$//')
		own=$(layer_of "$m")
		[ -n "$own" ] || continue
		for inc in $(sed -n 's/^#include "\([a-z0-9_]*\)\.h".*/\1/p' "$f"); do
			[ "$inc" = "$m" ] && continue
			l=$(layer_of "$inc")
			if [ -z "$l" ]; then
				echo "common/$(basename "$f") includes $inc.h, which no layer places"
				bad=1
			elif [ "$l" -ge "$own" ]; then
				echo "common/$(basename "$f") (layer $own) includes $inc.h (layer $l): not a lower layer"
				bad=1
			fi
		done
	done
	[ "$bad" -eq 0 ]
}

# The test of the test: an upward include must be caught.  A copy of
# common/ with err.h including stream.h has to fail.
catches_an_upward_include() {
	mkdir -p "$T_TMP/copy/common"
	cp "$top"/common/*.h "$top"/common/README.md "$T_TMP/copy/common/"
	sed -i 's/^#include <stdint.h>$/#include <stdint.h>\n#include "stream.h"/' "$T_TMP/copy/common/err.h"
	grep -q '#include "stream.h"' "$T_TMP/copy/common/err.h"
	(top=$T_TMP/copy; no_upward_include) >"$T_TMP/upward" && die "an upward include went unnoticed"
	grep -q '^common/err.h (layer [0-9]*) includes stream.h' "$T_TMP/upward"
}

t every_module_placed every_module_placed
t no_upward_include no_upward_include
t catches_an_upward_include catches_an_upward_include
