#!/bin/sh
# The manual pages: each man/*.[1-9] passes mandoc -Tlint -W warning with no
# output, each program in cmd/ has a page, and each program's page mentions
# every long option its --help prints.
#
#   QHB_BIN=build/bin sh tests/integration/man.sh
. "$(dirname "$0")/../lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)

# lint PAGE: mandoc finds nothing to say about PAGE.
lint() {
	command -v mandoc >/dev/null || die "mandoc is not installed"
	if ! out=$(mandoc -Tlint -W warning "$1" 2>&1) || [ -n "$out" ]; then
		die "$(basename "$1"): ${out:-mandoc failed}"
	fi
}

# page_of PROG: the path of PROG's page in any section, or nothing.
page_of() {
	for p in "$top"/man/"$1".[1-9]; do
		[ -f "$p" ] && { echo "$p"; return 0; }
	done
	return 0
}

# has_page PROG: man/PROG.N exists.
has_page() {
	[ -n "$(page_of "$1")" ] || die "no man/$1.[1-9] for cmd/$1.c"
}

# options PROG: every page mentions each --name that PROG --help prints,
# as "Fl -name" or "--name" (or, escaped, "Fl \-name" or "\-\-name").
options() {
	prog=$1
	page=$(page_of "$prog")
	[ -n "$page" ] || die "no man/$prog.[1-9] for cmd/$prog.c"
	[ -x "$QHB_BIN/$prog" ] || die "$QHB_BIN/$prog is not built"
	"$QHB_BIN/$prog" --help >"$T_TMP/help.$prog" 2>&1 ||
		die "$prog --help failed: $(cat "$T_TMP/help.$prog")"
	names=$(grep -oE -- '--[a-z][a-z0-9-]*' "$T_TMP/help.$prog" | sed 's/-*$//' |
	    sort -u)
	[ -n "$names" ] || die "$prog --help prints no long option"
	missing=""
	for opt in $names; do
		name=${opt#--}
		[ -n "$name" ] || continue
		grep -qE -e "(Fl \\\\?-|--|\\\\-\\\\-)$name([^a-z0-9-]|\$)" \
		    "$page" ||
			missing="$missing --$name"
	done
	[ -z "$missing" ] || die "$(basename "$page") lacks$missing"
}

failed=0
# check NAME FUNCTION ARGS...: t, counting failures for the exit status.
check() {
	line=$(t "$@")
	echo "$line"
	case $line in FAIL:*) failed=$((failed + 1)) ;; esac
}

pages=0
for page in "$top"/man/*.[1-9]; do
	[ -f "$page" ] || continue
	pages=$((pages + 1))
	check "lint.$(basename "$page")" lint "$page"
done
[ "$pages" -gt 0 ] || check "pages" die "no pages in $top/man"

for src in "$top"/cmd/*.c; do
	[ -f "$src" ] || continue
	prog=$(basename "$src" .c)
	check "page.$prog" has_page "$prog"
	check "options.$prog" options "$prog"
done

[ "$failed" -eq 0 ]
