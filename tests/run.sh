#!/bin/sh
# The test runner behind make check.  Runs every suite -- unit tests of the
# normal and the sanitizer build, shell suites against both builds' programs,
# the guest suites on a real booted guest, short libFuzzer runs -- and ends
# with the line "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${QHB_BUILD:-$top/build}
san=${QHB_SAN_BUILD:-$top/build-san}
fuzz_seconds=${FUZZ_SECONDS:-20}
log=$(mktemp -d "${TMPDIR:-/tmp}/qhb-run.XXXXXX")
trap 'rm -rf "$log"' EXIT
passed=0
failed=0

# suite LABEL CMD...: runs one suite, echoes its lines, counts them.  A suite
# that exits non-zero without a FAIL line counts as one failure.
suite() {
	label=$1
	shift
	echo "== $label"
	"$@" >"$log/out" 2>"$log/err"
	rc=$?
	cat "$log/out"
	p=$(grep -c '^PASS: ' "$log/out")
	f=$(grep -c '^FAIL: ' "$log/out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $label: exit $rc: $(tail -n 5 "$log/err" | tr '\n' '|')"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

for u in "$build"/tests/unit-*; do
	[ -x "$u" ] && suite "unit $(basename "$u")" "$u"
done
for u in "$san"/tests/unit-*; do
	[ -x "$u" ] && suite "unit (asan/ubsan) $(basename "$u")" "$u"
done
# Shell suites that need no guest run against both builds.
for s in "$top"/tests/integration/*.sh; do
	case $s in *guest*) continue ;; esac
	suite "$(basename "$s")" env QHB_BIN="$build/bin" sh "$s"
	suite "$(basename "$s") (asan/ubsan)" env QHB_BIN="$san/bin" \
		SUITE="$(basename "$s" .sh)-san" sh "$s"
done
# The guest suites share one booted guest each.
for s in "$top"/tests/integration/*guest*.sh; do
	[ -f "$s" ] && suite "$(basename "$s")" env QHB_BIN="$build/bin" sh "$s"
done
for f in "$top"/build/fuzz/*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	name=$(basename "$f")
	corpus=$top/tests/fuzz/$name
	work=$log/corpus-$name
	# A crashing input is kept where the failure line says, for replay:
	# build/fuzz/NAME build/fuzz/artifacts/crash-...
	artifacts=$top/build/fuzz/artifacts
	mkdir -p "$work" "$artifacts"
	[ -d "$corpus" ] && cp "$corpus"/* "$work"/ 2>/dev/null
	suite "fuzz $name" sh -c '
		if "$1" -max_total_time="$2" -timeout=10 -rss_limit_mb=2048 \
		    -artifact_prefix="$3/" "$4" >"$4.log" 2>&1; then
			echo "PASS: fuzz.$5 ($(grep -o "Done [0-9]* runs" "$4.log"))"
		else
			echo "FAIL: fuzz.$5: $(grep -m1 -E "ERROR|SUMMARY" "$4.log") input: $(ls -t "$3"/crash-* "$3"/leak-* "$3"/timeout-* "$3"/oom-* 2>/dev/null | head -n 1)"
			tail -n 30 "$4.log" >&2
		fi' sh "$f" "$fuzz_seconds" "$artifacts" "$work" "$name"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
